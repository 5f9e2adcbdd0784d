using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Renmai.Data;

/// <summary>
/// Stamps created/updated/deleted fields, bumps the concurrency version and writes one
/// <see cref="ChangeRecord"/> per changed field, so every path (UI, API, CLI, import,
/// automation) gets history without remembering to write it.
/// </summary>
public sealed class HistoryInterceptor(TimeProvider clock, Renmai.Features.Privacy.SensitiveStore sensitive) : SaveChangesInterceptor
{
    private static readonly HashSet<string> Bookkeeping =
    [
        nameof(AuditableEntity.Id), nameof(AuditableEntity.CreatedAt), nameof(AuditableEntity.CreatedBy),
        nameof(AuditableEntity.UpdatedAt), nameof(AuditableEntity.UpdatedBy), nameof(AuditableEntity.UpdatedVia),
        nameof(AuditableEntity.DeletedAt), nameof(AuditableEntity.DeletedBy), nameof(AuditableEntity.Version),
        // Ciphertext never goes into history; the masked per-field lines come from SensitiveStore.
        nameof(Renmai.Features.Privacy.IHasSensitiveData.SensitiveData),
    ];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        if (eventData.Context is RenmaiDb db) Record(db);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is RenmaiDb db) Record(db);
        return ValueTask.FromResult(result);
    }

    private void Record(RenmaiDb db)
    {
        foreach (var entry in db.ChangeTracker.Entries<IAppendOnly>())
        {
            if (entry.State is EntityState.Modified or EntityState.Deleted)
                throw new InvalidOperationException($"{entry.Metadata.ClrType.Name} is append-only: it cannot be changed or deleted.");
        }
        var sensitiveChanges = sensitive.SealChanges(db);
        // The search documents follow the sealed values (phones as blind tokens) in the same save.
        Renmai.Features.Search.CustomerSearchRows.Refresh(db, sensitive.Cipher);
        var now = clock.GetUtcNow().UtcDateTime;
        var actor = db.Actor;
        var records = new List<ChangeRecord>();
        foreach (var entry in db.ChangeTracker.Entries<AuditableEntity>().ToList())
        {
            var e = entry.Entity;
            switch (entry.State)
            {
                case EntityState.Added:
                    e.CreatedAt = e.UpdatedAt = now;
                    e.CreatedBy = e.UpdatedBy = actor.Name;
                    e.UpdatedVia = actor.Source;
                    e.Version = 1;
                    records.Add(NewRecord(entry, ChangeAction.Created, now, actor));
                    break;
                case EntityState.Modified:
                    var changes = FieldChanges(entry).ToList();
                    if (sensitiveChanges.TryGetValue(e, out var masked)) changes.AddRange(masked);
                    var deletedProp = entry.Property(nameof(AuditableEntity.DeletedAt));
                    var deleteChanged = deletedProp.IsModified && (deletedProp.OriginalValue is null) != (e.DeletedAt is null);
                    // Saving identical values is not a change: no version bump, no history line. Quiet
                    // bookkeeping columns (see NotInHistory) are saved without either.
                    if (changes.Count == 0 && !deleteChanged)
                    {
                        if (!entry.Properties.Any(p => p.IsModified && IsQuiet(p.Metadata))) entry.State = EntityState.Unchanged;
                        break;
                    }
                    e.UpdatedAt = now;
                    e.UpdatedBy = actor.Name;
                    e.UpdatedVia = actor.Source;
                    e.Version++;
                    if (deletedProp.IsModified && deletedProp.OriginalValue is null && e.DeletedAt is not null)
                    {
                        e.DeletedBy = actor.Name;
                        records.Add(NewRecord(entry, ChangeAction.Deleted, now, actor));
                    }
                    else if (deletedProp.IsModified && deletedProp.OriginalValue is not null && e.DeletedAt is null)
                    {
                        e.DeletedBy = null;
                        records.Add(NewRecord(entry, ChangeAction.Restored, now, actor));
                    }
                    foreach (var (field, oldValue, newValue) in changes)
                    {
                        var r = NewRecord(entry, ChangeAction.Updated, now, actor);
                        r.Field = field;
                        r.OldValue = Truncate(oldValue);
                        r.NewValue = Truncate(newValue);
                        records.Add(r);
                    }
                    break;
            }
        }
        db.Set<ChangeRecord>().AddRange(records);
    }

    /// <summary>Marks a column as bookkeeping a feature keeps for itself: never a line in the timeline.</summary>
    public const string NotInHistoryAnnotation = "Renmai:NotInHistory";

    private static bool IsQuiet(Microsoft.EntityFrameworkCore.Metadata.IReadOnlyProperty p) => p.FindAnnotation(NotInHistoryAnnotation) is not null;

    private static ChangeRecord NewRecord(EntityEntry<AuditableEntity> entry, ChangeAction action, DateTime now, Actor actor) => new()
    {
        CustomerId = (entry.Entity as ICustomerOwned)?.CustomerIdForHistory,
        EntityType = entry.Metadata.ClrType.Name,
        EntityId = entry.Entity.Id,
        EntityLabel = Truncate(entry.Entity.ToString()),
        Action = action,
        At = now,
        UserId = actor.UserId,
        UserName = actor.Name,
        Source = actor.Source,
    };

    /// <summary>Changed business fields; a JSON custom-field column is diffed key by key ("cf.key").</summary>
    private static IEnumerable<(string Field, string? Old, string? New)> FieldChanges(EntityEntry entry)
    {
        foreach (var p in entry.Properties)
        {
            if (!p.IsModified || Bookkeeping.Contains(p.Metadata.Name) || IsQuiet(p.Metadata)) continue;
            var converter = p.Metadata.GetValueConverter();
            var oldValue = Display(p.OriginalValue, converter);
            var newValue = Display(p.CurrentValue, converter);
            if (oldValue == newValue) continue;
            if (p.Metadata.Name == "CustomFieldsJson")
            {
                foreach (var c in DiffJson(oldValue, newValue)) yield return c;
                continue;
            }
            yield return (p.Metadata.Name, oldValue, newValue);
        }
    }

    private static string? Display(object? value, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? converter)
    {
        if (value is null) return null;
        if (converter is not null && value is not string && value is not Enum && !value.GetType().IsPrimitive)
            value = converter.ConvertToProvider(value);
        return value switch
        {
            null => null,
            DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private static IEnumerable<(string, string?, string?)> DiffJson(string? oldJson, string? newJson)
    {
        var a = Parse(oldJson);
        var b = Parse(newJson);
        foreach (var key in a.Select(x => x.Key).Union(b.Select(x => x.Key)).Order(StringComparer.Ordinal))
        {
            var ov = a[key]?.ToJsonString(JsonStorage.Options);
            var nv = b[key]?.ToJsonString(JsonStorage.Options);
            if (ov != nv) yield return ("cf." + key, Unquote(ov), Unquote(nv));
        }
    }

    private static JsonObject Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        try { return JsonNode.Parse(json) as JsonObject ?? []; }
        catch (JsonException) { return []; }
    }

    private static string? Unquote(string? json) =>
        json is { Length: >= 2 } && json[0] == '"' ? JsonSerializer.Deserialize<string>(json) : json;

    private static string? Truncate(string? s) => s is { Length: > 2000 } ? s[..2000] + "…" : s;
}
