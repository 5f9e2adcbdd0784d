using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Customers;

namespace Renmai.Features.Privacy;

/// <summary>What the blind index holds a hash of. New kinds (phone n-grams…) get new numbers.</summary>
public enum SensitiveKind
{
    PhoneFull = 1,
    PhoneLast4 = 2,
    IdNumber = 3,
    BankAccount = 4,
    /// <summary>A 4-digit window of a phone: only as a token inside the search text (ADR 0019), no index rows.</summary>
    PhoneGram4 = 5,
}

/// <summary>The plaintext sensitive values of one record; stored as one encrypted JSON document.</summary>
public sealed class SensitiveValues
{
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? IdNumber { get; set; }
    public string? BankName { get; set; }
    public string? BankAccount { get; set; }
    /// <summary>Values of custom text fields marked sensitive, by key.</summary>
    public Dictionary<string, string>? CustomFields { get; set; }

    public bool IsEmpty => Phones.Count == 0 && IdNumber is null && BankName is null && BankAccount is null && CustomFields is not { Count: > 0 };
}

/// <summary>
/// A record with an encrypted column (<see cref="SensitiveData"/>) behind plaintext properties that are
/// not mapped. EF fills the plaintext on materialisation and seals it on save (ADR 0012).
/// </summary>
public interface IHasSensitiveData
{
    Guid Id { get; }
    /// <summary>The customer whose blind-index rows these values produce.</summary>
    Guid IndexCustomerId { get; }
    /// <summary>The stored envelope (<see cref="SensitiveCipher"/>); null when there is nothing sensitive.</summary>
    string? SensitiveData { get; set; }
    /// <summary>The plaintext JSON as loaded or last saved (memory only): tells a change from none.</summary>
    string? SensitiveSnapshot { get; set; }
    SensitiveValues ReadSensitive();
    void WriteSensitive(SensitiveValues values);
}

/// <summary>One blind-index row: a keyed hash of a normalised sensitive value, pointing at its customer.</summary>
public sealed class SensitiveIndexEntry
{
    public Guid CustomerId { get; set; }
    /// <summary>The record whose values produced the hash (the customer or one of its contacts).</summary>
    public Guid EntityId { get; set; }
    public SensitiveKind Kind { get; set; }
    public string Hash { get; set; } = "";
    /// <summary>The index key the hash was made with (rotation recomputes rows with an old key).</summary>
    public string KeyId { get; set; } = "";
}

internal sealed class SensitiveIndexMapping : IEntityTypeConfiguration<SensitiveIndexEntry>
{
    public void Configure(EntityTypeBuilder<SensitiveIndexEntry> b)
    {
        b.ToTable("SensitiveIndex");
        // Keyed by record first: bulk loads append in Id (v7, time-ordered) order, a record's rows are found
        // by prefix, and the lookup index (Kind, Hash) is a secondary index the bulk writer rebuilds sorted.
        // No foreign key: customers are soft-deleted (lookups join through the visible customers), and
        // three B-trees per row instead of five keep the 1M-row demo fill fast.
        b.HasKey(x => new { x.EntityId, x.Kind, x.Hash });
        b.Property(x => x.Hash).HasMaxLength(64);
        b.Property(x => x.KeyId).HasMaxLength(16);
        b.HasIndex(x => new { x.Kind, x.Hash });
    }
}

/// <summary>Opens, seals and indexes sensitive values; one per app (it holds the keys).</summary>
public sealed class SensitiveStore(SensitiveCipher cipher)
{
    public SensitiveCipher Cipher { get; } = cipher;

    /// <summary>Decrypts the record's envelope into its plaintext properties.</summary>
    public void Open(IHasSensitiveData e)
    {
        if (e.SensitiveData is null)
        {
            e.WriteSensitive(new SensitiveValues());
            e.SensitiveSnapshot = null;
            return;
        }
        if (e.SensitiveData.StartsWith('['))
        {
            // A row from before encryption (the column held the phones JSON): readable until sealed.
            e.WriteSensitive(new SensitiveValues { Phones = JsonStorage.Deserialize<List<PhoneEntry>>(e.SensitiveData) ?? [] });
            e.SensitiveSnapshot = null;
            return;
        }
        var json = Cipher.Open(e.SensitiveData, e.Id);
        e.WriteSensitive(JsonStorage.Deserialize<SensitiveValues>(json) ?? new SensitiveValues());
        e.SensitiveSnapshot = json;
    }

    /// <summary>The plaintext JSON of the record's current values, or null when there are none.</summary>
    public static string? PlainJson(IHasSensitiveData e)
    {
        var v = e.ReadSensitive();
        return v.IsEmpty ? null : JsonSerializer.Serialize(v, JsonStorage.Options);
    }

    /// <summary>Seals a new record for the bulk paths and returns its index rows (nothing tracked).</summary>
    public List<SensitiveIndexEntry> SealNew(IHasSensitiveData e)
    {
        var json = PlainJson(e);
        e.SensitiveData = json is null ? null : Cipher.Seal(json, e.Id);
        e.SensitiveSnapshot = json;
        return IndexRows(e, e.ReadSensitive());
    }

    public List<SensitiveIndexEntry> IndexRows(IHasSensitiveData e, SensitiveValues v, string? indexKeyId = null)
    {
        var keyId = indexKeyId ?? Cipher.Keys.ActiveIndexKeyId;
        var rows = new List<SensitiveIndexEntry>();
        var seen = new HashSet<(SensitiveKind, string)>();
        void Add(SensitiveKind kind, string value)
        {
            if (value.Length == 0 || !seen.Add((kind, value))) return;
            rows.Add(new SensitiveIndexEntry { CustomerId = e.IndexCustomerId, EntityId = e.Id, Kind = kind, Hash = Cipher.BlindHash(kind, value, keyId), KeyId = keyId });
        }
        foreach (var p in v.Phones)
        {
            var digits = PhoneDigits(p.Number);
            if (digits.Length == 0) continue;
            Add(SensitiveKind.PhoneFull, digits);
            if (digits.Length >= 4) Add(SensitiveKind.PhoneLast4, digits[^4..]);
        }
        if (v.IdNumber is { } id) Add(SensitiveKind.IdNumber, id.ToUpperInvariant());
        if (v.BankAccount is { } bank) Add(SensitiveKind.BankAccount, PhoneDigits(bank));
        return rows;
    }

    /// <summary>A phone as the index normalises it: its digits only (the app stores 138…, 010…, +44…).</summary>
    public static string PhoneDigits(string value) => new([.. value.Where(char.IsAsciiDigit)]);

    /// <summary>
    /// Before a save: seals every tracked record whose plaintext changed, rewrites its index rows and
    /// returns the history lines (masked, never plaintext) per entity.
    /// </summary>
    internal Dictionary<object, List<(string Field, string? Old, string? New)>> SealChanges(RenmaiDb db)
    {
        var changes = new Dictionary<object, List<(string, string?, string?)>>(ReferenceEqualityComparer.Instance);
        foreach (var entry in db.ChangeTracker.Entries<IHasSensitiveData>().ToList())
        {
            if (entry.State is EntityState.Deleted or EntityState.Detached) continue;
            var e = entry.Entity;
            var json = PlainJson(e);
            var added = entry.State == EntityState.Added;
            if (!added && json == e.SensitiveSnapshot) continue;
            if (added && json is null) { e.SensitiveSnapshot = null; continue; }
            entry.Property(nameof(IHasSensitiveData.SensitiveData)).CurrentValue = json is null ? null : Cipher.Seal(json, e.Id);
            var oldValues = JsonStorage.Deserialize<SensitiveValues>(e.SensitiveSnapshot) ?? new SensitiveValues();
            var newValues = e.ReadSensitive();
            var wanted = IndexRows(e, newValues);
            if (!added)
            {
                var existing = db.Set<SensitiveIndexEntry>().Where(x => x.EntityId == e.Id).ToList();
                foreach (var row in existing)
                {
                    var keep = wanted.FirstOrDefault(w => w.Kind == row.Kind && w.Hash == row.Hash && w.KeyId == row.KeyId);
                    if (keep is not null) wanted.Remove(keep);
                    else db.Remove(row);
                }
                changes[e] = Diff(oldValues, newValues);
            }
            db.AddRange(wanted);
            e.SensitiveSnapshot = json;
        }
        return changes;
    }

    private static List<(string, string?, string?)> Diff(SensitiveValues a, SensitiveValues b)
    {
        var list = new List<(string, string?, string?)>();
        string? Phones(SensitiveValues v) => v.Phones.Count == 0 ? null : string.Join("，", v.Phones.Select(p => Masking.Phone(p.Number)));
        if (JsonStorage.Serialize(a.Phones) != JsonStorage.Serialize(b.Phones)) list.Add(("Phones", Phones(a), Phones(b)));
        if (a.IdNumber != b.IdNumber) list.Add(("IdNumber", Masking.IdNumber(a.IdNumber), Masking.IdNumber(b.IdNumber)));
        if (a.BankName != b.BankName) list.Add(("BankName", a.BankName is null ? null : "***", b.BankName is null ? null : "***"));
        if (a.BankAccount != b.BankAccount) list.Add(("BankAccount", Masking.BankAccount(a.BankAccount), Masking.BankAccount(b.BankAccount)));
        var ac = a.CustomFields ?? [];
        var bc = b.CustomFields ?? [];
        foreach (var key in ac.Keys.Union(bc.Keys).Order(StringComparer.Ordinal))
        {
            var (ov, nv) = (ac.GetValueOrDefault(key), bc.GetValueOrDefault(key));
            if (ov != nv) list.Add(("cf." + key, ov is null ? null : Masking.Text(ov), nv is null ? null : Masking.Text(nv)));
        }
        return list;
    }
}

/// <summary>
/// Decrypts sensitive values as EF materialises a record, on every query path. One instance for the
/// process (EF builds an internal service provider per distinct singleton interceptor); the keys come
/// from the context's application services.
/// </summary>
public sealed class SensitiveMaterializer : IMaterializationInterceptor
{
    public static readonly SensitiveMaterializer Instance = new();

    private SensitiveMaterializer()
    {
    }

    public object InitializedInstance(MaterializationInterceptionData materializationData, object entity)
    {
        if (entity is IHasSensitiveData s && materializationData.Context is RenmaiDb db) db.Sensitive.Open(s);
        return entity;
    }
}
