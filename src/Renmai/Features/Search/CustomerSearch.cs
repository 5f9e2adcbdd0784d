using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;

namespace Renmai.Features.Search;

/// <summary>
/// One search document per customer (ADR 0019): the normalised searchable text of the customer and its
/// contacts, one field between bars — <c>|kh000123|北京华夏科技|beijinghuaxiakeji|bjhxkj|…|</c> — followed by
/// the two-character grams of names and initials (<c>^北京^京华…</c>); and, apart, keyed hashes of the phones'
/// 4-digit grams as letter words (<see cref="PhoneGrams"/>). Never a phone digit. SQLite indexes the fields with
/// an FTS5 trigram table and the grams and phone tokens as words (<see cref="SearchSetup"/>); PostgreSQL the whole
/// text with a pg_trgm GIN index and the phone tokens with a word index.
/// </summary>
public sealed class CustomerSearchRow
{
    /// <summary>The numeric part of the customer number (KH000123 → 123): stable, known before the insert,
    /// and an integer, as the FTS5 rowid must be.</summary>
    public long Id { get; set; }
    public Guid CustomerId { get; set; }
    public string Text { get; set; } = "";
    /// <summary>Space-separated blind tokens (8 letters a–p) of every 4-digit window of every phone.</summary>
    public string PhoneGrams { get; set; } = "";
}

internal sealed class CustomerSearchMapping : IEntityTypeConfiguration<CustomerSearchRow>
{
    public void Configure(EntityTypeBuilder<CustomerSearchRow> b)
    {
        b.ToTable("CustomerSearch");
        b.HasKey(x => x.Id);
        b.Property(x => x.Id).ValueGeneratedNever();
        b.HasIndex(x => x.CustomerId).IsUnique();
    }

    /// <summary>
    /// PostgreSQL: the document's whole fields as an array — the text before the first gram marker, split at the bars —
    /// with a GIN index on exactly this expression (migration SearchFields_ExactIndex; EF does not model expression
    /// indexes). A whole-field query is one exact element lookup with per-element statistics (ADR 0033).
    /// </summary>
    internal static readonly string PostgresFields = "string_to_array(split_part(s.\"Text\", '" + CustomerSearchRows.PostgresGramMarker + "', 1), '|')";

    /// <summary>PostgreSQL: the search text as an expression no index covers, so a LIKE on it is checked row by row
    /// (a scan that stops at the first few matches, or a check on rows an index already found; ADR 0033).</summary>
    internal const string PostgresUnindexedText = "(s.\"Text\" || '')";

    /// <summary>The text search configuration of the phone-token word index: 'simple' keeps each token as it is.</summary>
    internal const string PhoneTokenConfig = "simple";

    /// <summary>PostgreSQL: substring LIKE through a trigram GIN index; the phone tokens through a word index.</summary>
    internal static void ConfigurePostgres(ModelBuilder builder)
    {
        builder.HasPostgresExtension("pg_trgm");
        builder.Entity<CustomerSearchRow>().Property(x => x.Text).HasConversion(
            v => v.Replace('^', CustomerSearchRows.PostgresGramMarker), v => v.Replace(CustomerSearchRows.PostgresGramMarker, '^'));
        builder.Entity<CustomerSearchRow>().HasIndex(x => x.Text).HasMethod("gin").HasOperators("gin_trgm_ops");
        // The phone tokens are whole words: a word index finds one in its posting list, where a trigram index had to
        // intersect six long lists of random-letter trigrams (30 ms at a million customers).
        builder.Entity<CustomerSearchRow>().HasIndex(x => x.PhoneGrams).HasMethod("gin").IsTsVectorExpressionIndex(PhoneTokenConfig);
    }
}

/// <summary>Builds and maintains the search documents; <see cref="For"/> is the one entry point for bulk writers.</summary>
public static class CustomerSearchRows
{
    /// <summary>
    /// How PostgreSQL stores the gram marker '^'. pg_trgm splits text into words at every character that is not a
    /// letter or digit, so "^北京" was the word 北京 on its own, indistinguishable from a whole field: an exact or prefix
    /// query such as |有限公司| then matched the index on 70 % of a million rows and was sorted out by rechecking them
    /// (seconds). The marker is a letter, so grams stay glued to it (Ǥ北京), and an upper-case one, which never occurs in
    /// the lower-cased text; LIKE compares case-sensitively, so the recheck stays exact. Not an ASCII letter (it was
    /// 'G' until ADR 0033): pg_trgm lower-cases its trigrams, so "Gzg" gave the trigram gzg of initials queries (93,699
    /// index candidates for 630 matches of gzg) and every row's gram word began with the trigram of a word starting g.
    /// </summary>
    public const char PostgresGramMarker = 'Ǥ';

    /// <summary>
    /// The search row of a customer and its (non-deleted) contacts, for bulk paths that bypass EF (demo data,
    /// imports): write it with <c>BulkTable.For&lt;CustomerSearchRow&gt;(db)</c> next to the customer rows.
    /// The customer must have its <see cref="Customer.Number"/>; phones are read from the plaintext
    /// properties (call before or after <see cref="SensitiveStore.SealNew"/>, both keep them).
    /// On SQLite the FTS index follows by trigger; nothing else is needed.
    /// </summary>
    public static CustomerSearchRow For(Customer customer, IReadOnlyList<Contact> contacts, SensitiveCipher cipher)
    {
        if (!CustomerNumbers.TryParse(customer.Number, out var seq))
            throw new InvalidOperationException($"客户编号“{customer.Number}”无效，无法建立检索索引");
        return new CustomerSearchRow { Id = seq, CustomerId = customer.Id, Text = Text(customer, contacts), PhoneGrams = PhoneGrams(customer, contacts, cipher) };
    }

    /// <summary>The phone tokens of the customer and its contacts (see <see cref="CustomerSearchRow.PhoneGrams"/>).</summary>
    public static string PhoneGrams(Customer customer, IReadOnlyList<Contact> contacts, SensitiveCipher cipher)
    {
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in customer.Phones) PhoneTokens(cipher, SensitiveStore.PhoneDigits(p.Number), tokens);
        foreach (var k in contacts)
            foreach (var p in k.Phones) PhoneTokens(cipher, SensitiveStore.PhoneDigits(p.Number), tokens);
        return string.Join(' ', tokens);
    }

    /// <summary>The document text (see <see cref="CustomerSearchRow"/>).</summary>
    public static string Text(Customer customer, IReadOnlyList<Contact> contacts)
    {
        var fields = new List<string>(8 + contacts.Count * 4);
        var grams = new HashSet<string>(StringComparer.Ordinal);
        var person = customer.Kind == CustomerKind.Individual;
        void Field(string? value)
        {
            var v = Normalize(value);
            if (v.Length > 0 && !fields.Contains(v)) fields.Add(v);
        }
        void Name(string? name, bool personName)
        {
            var n = Normalize(name);
            if (n.Length == 0) return;
            // Nobody types the pinyin of 有限公司: company pinyin and initials leave the legal form out (ADR 0019).
            var core = personName ? n : WithoutLegalForm(n);
            var initials = personName ? Pinyin.NameInitials(n) : Pinyin.Initials(core);
            Field(n);
            Field(personName ? Pinyin.NameFull(n) : Pinyin.Full(core));
            Field(initials);
            AddGrams(grams, n);
            AddGrams(grams, initials);
        }
        Field(customer.Number);
        Name(customer.Name, person);
        // Where a person works: 华夏 or hxkj finds 张伟 of 华夏科技.
        Name(customer.Company, personName: false);
        Field(customer.Email);
        Field(customer.Uscc);
        foreach (var k in contacts)
        {
            Name(k.Name, personName: true);
            Field(k.Email);
        }
        var sb = new StringBuilder(256);
        sb.Append('|');
        foreach (var f in fields) sb.Append(f).Append('|');
        foreach (var g in grams) sb.Append('^').Append(g);
        return sb.ToString();
    }

    private static readonly string[] LegalForms = ["股份有限公司", "有限责任公司", "有限公司", "集团公司", "公司"];

    internal static string WithoutLegalForm(string name)
    {
        foreach (var form in LegalForms)
            if (name.Length > form.Length + 1 && name.EndsWith(form, StringComparison.Ordinal)) return name[..^form.Length];
        return name;
    }

    /// <summary>
    /// Query and document text alike: half-width, lower case, no spaces and none of the document's marker
    /// characters, so "北京 华夏" finds 北京华夏 and a query cannot forge a marker.
    /// </summary>
    public static string Normalize(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "";
        var half = Validators.ToHalfWidth(value);
        var sb = new StringBuilder(half.Length);
        foreach (var c in half)
        {
            if (char.IsWhiteSpace(c) || c is '|' or '^' or '#' or '"' || char.IsControl(c)) continue;
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    private static void AddGrams(HashSet<string> grams, string text)
    {
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsSurrogate(text[i]) || char.IsSurrogate(text[i + 1])) continue;
            grams.Add(text.Substring(i, 2));
        }
    }

    /// <summary>Length of the phone grams: 4 digits, the shortest phone query (and the last 4).</summary>
    public const int PhoneGram = 4;

    /// <summary>The blind tokens of every 4-digit window of a phone's digits (ADR 0019).</summary>
    internal static void PhoneTokens(SensitiveCipher cipher, string digits, HashSet<string> into)
    {
        // One table for all windows, each looked up by its number: no string per window (a million imported phones have eight each).
        var table = TokensOf(cipher, null);
        for (var i = 0; i + PhoneGram <= digits.Length; i++) into.Add(PhoneToken(cipher, table, digits.AsSpan(i, PhoneGram), null));
    }

    /// <summary>
    /// The first 32 bits of the HMAC (index key) of a 4-digit gram, written as eight letters a–p: one word for
    /// the word index, no digit ever stored, and not reversible without the key.
    /// </summary>
    public static string PhoneToken(SensitiveCipher cipher, string gram, string? indexKeyId = null) =>
        PhoneToken(cipher, TokensOf(cipher, indexKeyId), gram, indexKeyId);

    /// <summary>A gram's token from the key's <paramref name="table"/> (<see cref="TokensOf"/>), or hashed when it is not four digits.</summary>
    private static string PhoneToken(SensitiveCipher cipher, string[] table, ReadOnlySpan<char> gram, string? indexKeyId) =>
        GramNumber(gram) is { } n ? table[n] : Token(cipher, gram.ToString(), indexKeyId);

    /// <summary>
    /// The tokens of all 10,000 grams under one index key, computed once per key (about 10,000 HMACs, a few
    /// milliseconds): a phone needs eight, and computing them per phone was the largest item of preparing an
    /// imported row after sealing it. Held per key array, so a rotated-out key's table goes with it.
    /// </summary>
    private static readonly ConditionalWeakTable<byte[], string[]> TokenTables = new();

    private static string[] TokensOf(SensitiveCipher cipher, string? indexKeyId)
    {
        var keyId = indexKeyId ?? cipher.Keys.ActiveIndexKeyId;
        var key = cipher.Keys.IndexKeys[keyId];
        // TryGetValue first: GetValue's callback captures the cipher and key, a closure per call.
        if (TokenTables.TryGetValue(key, out var known)) return known;
        return TokenTables.GetValue(key, _ =>
        {
            var table = new string[10_000];
            for (var n = 0; n < table.Length; n++) table[n] = Token(cipher, n.ToString("D4", CultureInfo.InvariantCulture), keyId);
            return table;
        });
    }

    /// <summary>The gram as a number when it is four ASCII digits (every phone gram is; anything else is hashed as given).</summary>
    private static int? GramNumber(ReadOnlySpan<char> gram)
    {
        if (gram.Length != PhoneGram) return null;
        var n = 0;
        foreach (var c in gram)
        {
            if (!char.IsAsciiDigit(c)) return null;
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static string Token(SensitiveCipher cipher, string gram, string? indexKeyId)
    {
        Span<byte> mac = stackalloc byte[32];
        cipher.BlindHash(SensitiveKind.PhoneGram4, gram, indexKeyId, mac);
        // The first 8 hex digits of the blind hash, each as a letter (0 → a … f → p).
        Span<char> token = stackalloc char[8];
        for (var i = 0; i < 4; i++)
        {
            token[2 * i] = (char)('a' + (mac[i] >> 4));
            token[2 * i + 1] = (char)('a' + (mac[i] & 0xF));
        }
        return new string(token);
    }

    // ---- The SaveChanges hook -----------------------------------------------------------------

    private static readonly string[] CustomerFields =
        [nameof(Customer.Name), nameof(Customer.Company), nameof(Customer.Email), nameof(Customer.Uscc), nameof(Customer.Kind), nameof(Customer.Number), nameof(IHasSensitiveData.SensitiveData)];

    private static readonly string[] ContactFields =
        [nameof(Contact.Name), nameof(Contact.Email), nameof(Contact.CustomerId), nameof(Contact.DeletedAt), nameof(IHasSensitiveData.SensitiveData)];

    /// <summary>
    /// Before a save (called by <see cref="HistoryInterceptor"/> after the sensitive values are sealed):
    /// rewrites the search row of every customer whose searchable values, contacts or phones this save
    /// changes, in the same transaction. One hook for every EF write path (create, edit, contacts, erase…).
    /// </summary>
    internal static void Refresh(RenmaiDb db, SensitiveCipher cipher)
    {
        var affected = new HashSet<Guid>();
        var removed = new HashSet<Guid>();
        foreach (var entry in db.ChangeTracker.Entries<Customer>())
        {
            if (entry.State == EntityState.Added) affected.Add(entry.Entity.Id);
            else if (entry.State == EntityState.Deleted) removed.Add(entry.Entity.Id);
            else if (entry.State == EntityState.Modified && CustomerFields.Any(f => entry.Property(f).IsModified)) affected.Add(entry.Entity.Id);
        }
        foreach (var entry in db.ChangeTracker.Entries<Contact>())
        {
            if (entry.State is EntityState.Added or EntityState.Deleted) affected.Add(entry.Entity.CustomerId);
            else if (entry.State == EntityState.Modified && ContactFields.Any(f => entry.Property(f).IsModified))
            {
                affected.Add(entry.Entity.CustomerId);
                affected.Add((Guid)entry.Property(nameof(Contact.CustomerId)).OriginalValue!);
            }
        }
        affected.ExceptWith(removed);
        if (affected.Count == 0 && removed.Count == 0) return;

        var trackedCustomers = db.ChangeTracker.Entries<Customer>().ToDictionary(e => e.Entity.Id, e => e.Entity);
        var trackedContacts = db.ChangeTracker.Entries<Contact>().ToList();
        var trackedIds = trackedContacts.Select(e => e.Entity.Id).ToList();
        var ids = affected.Concat(removed).ToList();
        var rows = db.Set<CustomerSearchRow>().Where(r => ids.Contains(r.CustomerId)).ToDictionary(r => r.CustomerId);
        foreach (var id in removed)
            if (rows.TryGetValue(id, out var row)) db.Remove(row);
        foreach (var id in affected)
        {
            var customer = trackedCustomers.GetValueOrDefault(id)
                ?? db.Set<Customer>().IgnoreQueryFilters().AsNoTracking().FirstOrDefault(c => c.Id == id);
            if (customer is null || customer.Number.Length == 0) continue;
            var contacts = db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == id && !trackedIds.Contains(k.Id)).ToList();
            contacts.AddRange(trackedContacts
                .Where(e => e.Entity.CustomerId == id && e.State != EntityState.Deleted && e.Entity.DeletedAt is null)
                .Select(e => e.Entity));
            contacts.Sort((a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
            var fresh = For(customer, contacts, cipher);
            if (rows.TryGetValue(id, out var row))
            {
                if (row.Text != fresh.Text) row.Text = fresh.Text;
                if (row.PhoneGrams != fresh.PhoneGrams) row.PhoneGrams = fresh.PhoneGrams;
            }
            else db.Add(fresh);
        }
    }

    /// <summary>
    /// Writes the missing search rows of customers created before this index existed (at start-up, in
    /// batches; a no-op once every customer has one).
    /// </summary>
    public static async Task<long> BackfillAsync(IServiceProvider services, TextWriter? log = null, CancellationToken ct = default)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var cipher = services.GetRequiredService<SensitiveCipher>();
        long done = 0;
        await using (var check = await dbs.CreateDbContextAsync(ct))
        {
            // Every start comes here: two counts instead of an anti-join over every customer when nothing is missing.
            if (await check.Set<Customer>().IgnoreQueryFilters().CountAsync(ct) == await check.Set<CustomerSearchRow>().CountAsync(ct)) return 0;
        }
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var ids = await db.Set<Customer>().IgnoreQueryFilters().AsNoTracking()
                .Where(c => !db.Set<CustomerSearchRow>().Any(r => r.CustomerId == c.Id))
                .OrderBy(c => c.Id).Select(c => c.Id).Take(1000).ToListAsync(ct);
            if (ids.Count == 0) return done;
            await RebuildAsync(db, ids, cipher, ct);
            await db.SaveChangesAsync(ct);
            done += ids.Count;
            log?.WriteLine($"已建立 {done:N0} 个客户的检索索引");
        }
    }

    /// <summary>
    /// Recomputes (or adds) the search rows of these customers from what is stored; the caller saves. For
    /// the start-up backfill and for an index-key rotation (the phone tokens are keyed hashes).
    /// </summary>
    public static async Task RebuildAsync(RenmaiDb db, IReadOnlyCollection<Guid> customerIds, SensitiveCipher cipher, CancellationToken ct)
    {
        var ids = customerIds.Distinct().ToList();
        var customers = await db.Set<Customer>().IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct);
        var contacts = (await db.Set<Contact>().AsNoTracking().Where(k => ids.Contains(k.CustomerId)).ToListAsync(ct))
            .OrderBy(k => k.CreatedAt).ToLookup(k => k.CustomerId);
        var rows = await db.Set<CustomerSearchRow>().Where(r => ids.Contains(r.CustomerId)).ToDictionaryAsync(r => r.CustomerId, ct);
        foreach (var c in customers)
        {
            var fresh = For(c, contacts[c.Id].ToList(), cipher);
            if (!rows.TryGetValue(c.Id, out var row)) db.Add(fresh);
            else
            {
                if (row.Text != fresh.Text) row.Text = fresh.Text;
                if (row.PhoneGrams != fresh.PhoneGrams) row.PhoneGrams = fresh.PhoneGrams;
            }
        }
    }
}
