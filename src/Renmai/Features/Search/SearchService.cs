using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Users;

namespace Renmai.Features.Search;

/// <summary>One search result: enough to show in the instant list and to open the customer.</summary>
public sealed record SearchHit(string Number, string Name, CustomerKind Kind, string? Phone, int Rank);

/// <summary>
/// Customer search (ADR 0019) for the global search box, <c>GET /api/v1/search</c> and the <c>q</c> of the
/// customer list. Every query is joined with <see cref="CustomerService.Visible"/>, so a user only ever
/// finds what their record scope shows. Ranks: 0 a whole field (or a phone, or its last 4 digits),
/// 1 the start of a field, 2 anywhere inside.
/// </summary>
public sealed class SearchService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, SensitiveStore store, SearchSample sample)
{
    private SensitiveCipher cipher => store.Cipher;

    /// <summary>What a hit needs, read in the ranking query itself (no second round trip).</summary>
    private sealed record Found(Guid Id, string Number, string Name, CustomerKind Kind, string? SensitiveData);

    public const int MaxLimit = 50;

    /// <summary>The normalised forms a query is looked up as: the text itself and, for mixed text such as
    /// zhang伟, its pinyin; plus the digits when it looks like (part of) a phone number.</summary>
    internal sealed record Terms(List<string> Texts, string? PhoneDigits)
    {
        public bool IsEmpty => Texts.Count == 0 && PhoneDigits is null;
    }

    /// <summary>What a list sorted by relevance puts first: whole-field matches, then field starts (ids, capped).</summary>
    internal sealed record SearchRanking(List<Guid> Exact, List<Guid> Prefix);

    internal static Terms Parse(string? q)
    {
        var texts = new List<string>();
        var n = CustomerSearchRows.Normalize(q);
        if (n.Length >= 2) texts.Add(n);
        if (Pinyin.HasHan(n) && n.Any(char.IsAsciiLetter) && Pinyin.Full(n) is { Length: >= 2 } py && !texts.Contains(py)) texts.Add(py);
        string? digits = null;
        var raw = Validators.ToHalfWidth(q ?? "").Trim();
        if (raw.Length > 0 && raw.All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '+' or '(' or ')'))
        {
            digits = SensitiveStore.PhoneDigits(raw);
            // +86 138…: the app stores Chinese numbers without the country code.
            if (raw.StartsWith('+') && digits.StartsWith("86", StringComparison.Ordinal) && digits.Length > 11) digits = digits[2..];
            if (digits.Length < CustomerSearchRows.PhoneGram) digits = null;
            // 123 or 000123: the customer number KH000123 as a whole field.
            if (raw.Length <= 6 && raw.All(char.IsAsciiDigit)) texts.Add(CustomerNumbers.Format(long.Parse(raw, System.Globalization.CultureInfo.InvariantCulture)).ToLowerInvariant());
        }
        return new Terms(texts, digits);
    }

    /// <summary>The best <paramref name="limit"/> visible customers for <paramref name="q"/>, best first.</summary>
    public async Task<List<SearchHit>> SearchAsync(string? q, int limit = 10, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (limit is < 1 or > MaxLimit) new ValidationErrors().Also("limit", $"条数应在 1 到 {MaxLimit} 之间").ThrowIfAny();
        var terms = Parse(q);
        if (terms.IsEmpty) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var visible = CustomerService.Visible(db.Set<Customer>().AsNoTracking(), actor);
        var ranked = new List<(Found Hit, int Rank)>();
        var seen = new HashSet<Guid>();
        void Add(IEnumerable<Found> hits, int rank)
        {
            foreach (var hit in hits)
                if (ranked.Count < limit && seen.Add(hit.Id)) ranked.Add((hit, rank));
        }

        List<Found> phoneLater = [];
        if (terms.PhoneDigits is { } digits)
        {
            var (exact, inside) = await PhoneMatchesAsync(db, visible, digits, limit * 2, ct);
            Add(exact, 0);
            phoneLater = inside;
        }
        // Digits only: a whole field or its start (number, credit code), not digits anywhere (far too common;
        // phone digits anywhere come through the phone grams above).
        // Each query is a round trip: when the phone grams already gave a full page, only the customer number
        // (KH000123 for 123) is still worth asking for.
        var phoneFull = terms.PhoneDigits is not null && ranked.Count + phoneLater.Count >= limit;
        var maxRank = terms.PhoneDigits is null ? 2 : phoneFull ? 0 : 1;
        var texts = phoneFull ? terms.Texts.Where(t => t.StartsWith("kh", StringComparison.Ordinal)).ToList() : terms.Texts;
        for (var rank = 0; rank <= maxRank && ranked.Count < limit; rank++)
        {
            foreach (var text in texts)
            {
                if (ranked.Count >= limit) break;
                var rows = await FirstMatchingAsync(db, text, rank, ct);
                Add(await rows.Join(visible, s => s.CustomerId, c => c.Id, (s, c) => new Found(c.Id, c.Number, c.Name, c.Kind, c.SensitiveData))
                    .Take(limit + seen.Count).ToListAsync(ct), rank);
            }
        }
        Add(phoneLater, 2);
        return ranked.Select(r =>
        {
            // Only the hits shown are decrypted, for their first phone, masked (ADR 0013).
            var c = new Customer { Id = r.Hit.Id, SensitiveData = r.Hit.SensitiveData };
            store.Open(c);
            var phone = c.Phones.FirstOrDefault()?.Number;
            return new SearchHit(r.Hit.Number, r.Hit.Name, r.Hit.Kind, phone is null ? null : Masking.Phone(phone), r.Rank);
        }).ToList();
    }

    /// <summary>
    /// Narrows a (scoped) customer query to the matches of <paramref name="q"/>: any field containing the
    /// text (or its pinyin), a phone containing the digits (verified by decrypting), or an exact phone, ID or
    /// bank number through the blind index. Used by the customer list and its API. With <paramref name="rankCap"/>
    /// also the ranking a list sorted by relevance puts first (<see cref="SearchRanking"/>).
    /// </summary>
    internal async Task<(IQueryable<Customer> Matches, SearchRanking? Ranking)> FilterAsync(RenmaiDb db, IQueryable<Customer> visible, string q,
        CancellationToken ct, int rankCap = 0)
    {
        var terms = Parse(q);
        var patterns = new List<SearchPattern>();
        foreach (var t in terms.Texts)
        {
            patterns.Add(Pattern(db, t, terms.PhoneDigits is null ? 2 : 1)); // digits anywhere: through the phone grams only
            if (t.Length < 3) patterns.Add(Pattern(db, t, 1)); // 2 characters: the grams cover names, the prefix every field
        }
        var phoneIds = new List<Guid>();
        var phoneExact = new List<Guid>();
        if (terms.PhoneDigits is { } digits)
        {
            var (exact, inside) = await PhoneMatchesAsync(db, visible, digits, 1000, ct);
            phoneExact = [.. exact.Select(c => c.Id)];
            phoneIds = [.. phoneExact, .. inside.Select(c => c.Id)];
        }
        var ranking = rankCap > 0 ? await RankAsync(db, visible, terms, phoneExact, rankCap, ct) : null;
        var (kinds, hashes) = SensitiveLookup.Hashes(cipher, q);
        var byHash = db.Set<SensitiveIndexEntry>().Where(x => kinds.Contains(x.Kind) && hashes.Contains(x.Hash)).Select(x => x.CustomerId);
        if (patterns.Count == 0) return (visible.Where(c => phoneIds.Contains(c.Id) || byHash.Contains(c.Id)), ranking);
        var matching = Matching(db, patterns).Select(s => s.CustomerId);
        return (visible.Where(c => matching.Contains(c.Id) || phoneIds.Contains(c.Id) || byHash.Contains(c.Id)), ranking);
    }

    /// <summary>
    /// The customers whose whole field (or whole phone, or its last 4 digits: <paramref name="phoneExact"/>) is the
    /// query, and those with a field starting with it. At most <paramref name="cap"/> of each.
    /// </summary>
    private async Task<SearchRanking> RankAsync(RenmaiDb db, IQueryable<Customer> visible, Terms terms, List<Guid> phoneExact, int cap,
        CancellationToken ct)
    {
        var exact = new List<Guid>(phoneExact);
        var prefix = new List<Guid>();
        foreach (var (rank, into) in new[] { (0, exact), (1, prefix) })
            foreach (var text in terms.Texts)
                into.AddRange(await (await FirstMatchingAsync(db, text, rank, ct)).Join(visible, s => s.CustomerId, c => c.Id, (s, c) => c.Id).Take(cap).ToListAsync(ct));
        exact = [.. exact.Distinct().Take(cap)];
        return new SearchRanking(exact, [.. prefix.Distinct().Except(exact).Take(cap)]);
    }

    /// <summary>
    /// One rank's pattern: on SQLite an FTS5 trigram phrase (quoted, so every character is literal) or, for a
    /// <see cref="Gram"/>, the two characters as a word of the word table; on PostgreSQL a LIKE pattern.
    /// </summary>
    private sealed record SearchPattern(string Value, bool Gram = false);

    /// <summary>
    /// The pattern for one rank. Two-character text has no trigram of its own: "anywhere" then means the
    /// two-character grams of names and initials (^ab; on SQLite the words of <see cref="SearchSetup.Words"/>).
    /// </summary>
    private static SearchPattern Pattern(RenmaiDb db, string text, int rank)
    {
        var body = Body(text, rank);
        if (db.IsPostgres)
            return new("%" + body.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_").Replace('^', CustomerSearchRows.PostgresGramMarker) + "%");
        return body.StartsWith('^') ? new(text, Gram: true) : new("\"" + body + "\"");
    }

    private static string Body(string text, int rank) => rank switch { 0 => "|" + text + "|", 1 => "|" + text, _ => text.Length >= 3 ? text : "^" + text };

    /// <summary>PostgreSQL: the rows with a whole field equal to {0} (the SQL text holds no value, only the placeholder).</summary>
    private static readonly string PostgresWholeField =
        "SELECT s.* FROM \"CustomerSearch\" s WHERE " + CustomerSearchMapping.PostgresFields + " @> ARRAY[{0}]";

    /// <summary>
    /// The search rows matching one rank's pattern, for a query that takes the first few. On PostgreSQL a whole field
    /// is an element of the fields array (<see cref="CustomerSearchMapping.PostgresFields"/>); another pattern that is
    /// common in <see cref="SearchSample"/> is matched on <see cref="CustomerSearchMapping.PostgresUnindexedText"/>: the
    /// scan stops at the first few matches, where the trigram index would first collect every match (ADR 0033).
    /// </summary>
    private async Task<IQueryable<CustomerSearchRow>> FirstMatchingAsync(RenmaiDb db, string text, int rank, CancellationToken ct)
    {
        // A customer number as the whole text is the search row's own key (KH000123 → row 123; KH123 too): the
        // trigram index would intersect the long lists of "kh0", "000" … of every row (10 ms at a million customers).
        if (rank == 0 && CustomerNumbers.TryParse(text, out var number)) return db.Set<CustomerSearchRow>().Where(s => s.Id == number);
        var pattern = Pattern(db, text, rank);
        if (!db.IsPostgres) return Matching(db, [pattern]);
        if (rank == 0)
            return db.Set<CustomerSearchRow>().FromSqlRaw(PostgresWholeField, text);
        if (await sample.IsCommonAsync(Body(text, rank).Replace('^', CustomerSearchRows.PostgresGramMarker), ct))
            return db.Set<CustomerSearchRow>().FromSqlRaw("SELECT s.* FROM \"CustomerSearch\" s WHERE " + CustomerSearchMapping.PostgresUnindexedText + " LIKE {0}", pattern.Value);
        // A field start of 3+ characters: the index looks for the text anywhere (its own trigrams) and the start is
        // checked on what it finds. The pattern's first trigram ("  s" of every word starting with s) has a list about
        // as long as the table, which the trigram index walks item by item (|szsx: 8 ms for a few hundred rows).
        if (rank == 1 && text.Length >= 3)
            return db.Set<CustomerSearchRow>().FromSqlRaw(
                "SELECT s.* FROM \"CustomerSearch\" s WHERE s.\"Text\" LIKE {0} AND " + CustomerSearchMapping.PostgresUnindexedText + " LIKE {1} OFFSET 0",
                Pattern(db, text, 2).Value, pattern.Value);
        return Matching(db, [pattern]);
    }

    /// <summary>
    /// The search rows matching any of the patterns (OR). On PostgreSQL the match is a subquery behind OFFSET 0, so it
    /// is planned on its own, for all its rows, not for the caller's LIMIT: PostgreSQL estimates a LIKE from a sample
    /// of 100 texts, and a rare name that happened to be in the sample (1 %, 10,000 rows "expected") made a LIMIT 10
    /// look cheapest as a sequential scan that "stops after 1,000 rows" — and read the whole table (0.4–3 s) because
    /// the name occurs a dozen times. Planned alone, a rare pattern goes through the trigram index (ADR 0033; the "first
    /// few" of a common pattern come from <see cref="FirstMatchingAsync"/>'s plain scan instead).
    /// </summary>
    private static IQueryable<CustomerSearchRow> Matching(RenmaiDb db, List<SearchPattern> patterns)
    {
        // Only placeholders go into the SQL text ({0} OR {1} …); the patterns are parameters.
        static string At(int i) => "{" + i.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}";
        if (db.IsPostgres)
        {
            var sql = "SELECT s.* FROM \"CustomerSearch\" s WHERE " + string.Join(" OR ", patterns.Select((_, i) => "s.\"Text\" LIKE " + At(i))) + " OFFSET 0";
            return db.Set<CustomerSearchRow>().FromSqlRaw(sql, [.. patterns.Select(p => p.Value)]);
        }
        // SQLite: one FTS query per table, joined by UNION ALL, which streams (a caller taking the first few stops early);
        // a row found twice is harmless to the callers, which ask "contains" or de-duplicate.
        var parts = new List<string>();
        var args = new List<object>();
        var phrases = patterns.Where(p => !p.Gram).Select(p => p.Value).ToList();
        if (phrases.Count > 0)
        {
            parts.Add("SELECT s.* FROM CustomerSearchFts f JOIN CustomerSearch s ON s.Id = f.rowid WHERE CustomerSearchFts MATCH " + At(args.Count));
            args.Add(string.Join(" OR ", phrases));
        }
        foreach (var gram in patterns.Where(p => p.Gram))
        {
            // The word table's tokenizer splits at ASCII punctuation (the gram "a." is the word a, and so is "(a"): the
            // document's own grams confirm each row.
            parts.Add("SELECT s.* FROM CustomerWordFts w JOIN CustomerSearch s ON s.Id = w.rowid WHERE CustomerWordFts MATCH " + At(args.Count)
                + " AND instr(s.Text, " + At(args.Count + 1) + ") > 0");
            args.AddRange(["\"" + gram.Value + "\"", "^" + gram.Value]);
        }
        return db.Set<CustomerSearchRow>().FromSqlRaw(string.Join(" UNION ALL ", parts), [.. args]);
    }

    /// <summary>
    /// Customers with a phone containing <paramref name="digits"/>: candidates hold every 4-digit gram's blind
    /// token (all index keys during a rotation), then each is verified on its decrypted phones. Exact: a
    /// phone equal to the digits, or ending with them when 4 were typed (the last 4).
    /// </summary>
    private async Task<(List<Found> Exact, List<Found> Inside)> PhoneMatchesAsync(RenmaiDb db, IQueryable<Customer> visible, string digits, int cap,
        CancellationToken ct)
    {
        var grams = Enumerable.Range(0, digits.Length - CustomerSearchRows.PhoneGram + 1)
            .Select(i => digits.Substring(i, CustomerSearchRows.PhoneGram)).Distinct().ToList();
        var keyIds = cipher.Keys.IndexKeys.Keys.ToList();
        var customers = new Dictionary<Guid, Found>();
        var candidates = new List<Guid>(); // in the order found
        foreach (var keyId in keyIds)
        {
            var tokens = grams.Select(g => CustomerSearchRows.PhoneToken(cipher, g, keyId)).ToList();
            IQueryable<CustomerSearchRow> rows;
            if (db.IsPostgres)
            {
                // One common token (4 digits: each is in about 2 % of a million customers' phones) is found by a scan that
                // stops at the cap (a token is 8 letters between spaces, so a substring match is a whole-token match);
                // through the word index the same query first collects all 17,000 rows (7 ms).
                if (tokens.Count == 1 && await sample.IsCommonPhoneTokenAsync(tokens[0], ct))
                    rows = db.Set<CustomerSearchRow>().FromSqlRaw("SELECT s.* FROM \"CustomerSearch\" s WHERE s.\"PhoneGrams\" LIKE {0}", "%" + tokens[0] + "%");
                else
                {
                    // Every token as a whole word (letters a–p only, so the query needs no quoting).
                    var all = string.Join(" & ", tokens);
                    rows = db.Set<CustomerSearchRow>().Where(s =>
                        EF.Functions.ToTsVector(CustomerSearchMapping.PhoneTokenConfig, s.PhoneGrams).Matches(EF.Functions.ToTsQuery(CustomerSearchMapping.PhoneTokenConfig, all)));
                }
            }
            else rows = db.Set<CustomerSearchRow>().FromSqlRaw(
                "SELECT s.* FROM CustomerWordFts p JOIN CustomerSearch s ON s.Id = p.rowid WHERE CustomerWordFts MATCH {0}",
                string.Join(" AND ", tokens));
            // What a hit shows and the sealed phones come with the candidates: whole rows would be materialised, and
            // every sensitive value of them decrypted, for the phones alone.
            foreach (var hit in await rows.Join(visible, s => s.CustomerId, c => c.Id, (s, c) => new Found(c.Id, c.Number, c.Name, c.Kind, c.SensitiveData))
                         .Take(cap).ToListAsync(ct))
                if (customers.TryAdd(hit.Id, hit)) candidates.Add(hit.Id);
        }
        if (candidates.Count == 0) return ([], []);
        var phones = customers.Values.ToDictionary(c => c.Id, c => PhoneDigitsOf(new Customer { Id = c.Id, SensitiveData = c.SensitiveData }));
        foreach (var k in await db.Set<Contact>().AsNoTracking().Where(k => candidates.Contains(k.CustomerId))
                     .Select(k => new { k.Id, k.CustomerId, k.SensitiveData }).ToListAsync(ct))
            if (phones.TryGetValue(k.CustomerId, out var list)) list.AddRange(PhoneDigitsOf(new Contact { Id = k.Id, SensitiveData = k.SensitiveData }));
        List<Found> exact = [], inside = [];
        foreach (var id in candidates)
        {
            if (!phones.TryGetValue(id, out var list)) continue;
            if (list.Any(p => p == digits || (digits.Length == CustomerSearchRows.PhoneGram && p.EndsWith(digits, StringComparison.Ordinal)))) exact.Add(customers[id]);
            else if (list.Any(p => p.Contains(digits, StringComparison.Ordinal))) inside.Add(customers[id]);
        }
        return (exact, inside);
    }

    /// <summary>The digits of the phones in a record's sealed values (decrypted here).</summary>
    private List<string> PhoneDigitsOf(IHasSensitiveData record)
    {
        store.Open(record);
        return [.. record.ReadSensitive().Phones.Select(p => SensitiveStore.PhoneDigits(p.Number))];
    }
}
