using System.Collections.Concurrent;
using Renmai.Data;

namespace Renmai.Features.Customers;

/// <summary>
/// The customer table's totals, per query and record scope. Paging through one filter at a million
/// customers repeats the same COUNT over a hundred thousand index entries on every page; the total is
/// reused until this process writes anything (<see cref="DataChanges"/>) or <see cref="Lifetime"/> passes
/// (another node's writes, ADR 0027).
/// </summary>
public sealed class ListTotals(TimeProvider clock)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private const int MaxEntries = 10_000;
    private readonly ConcurrentDictionary<string, (long Generation, DateTime At, int Total)> _entries = new(StringComparer.Ordinal);

    public async Task<int> GetAsync(string key, Func<Task<int>> count)
    {
        // Read before counting: a write that lands during the COUNT moves the counter past this entry.
        var generation = DataChanges.Generation;
        var now = clock.GetUtcNow().UtcDateTime;
        if (_entries.TryGetValue(key, out var e) && e.Generation == generation && now - e.At < Lifetime) return e.Total;
        var total = await count();
        if (_entries.Count >= MaxEntries) _entries.Clear();
        _entries[key] = (generation, now, total);
        return total;
    }

    /// <summary>The part of the key that says whose rows are counted (the scope rule of <see cref="CustomerService.Visible"/>).</summary>
    public static string ScopeKey(Actor actor, bool seesAll) =>
        seesAll ? "*" : actor.UserId + ":" + string.Join(",", actor.ManagedUserIds.Order());

    public static string QueryKey(CustomerListQuery query) =>
        (query.Q ?? "").Trim() + "\u001e" + string.Join("\u001e", query.Filters.Select(f => f.Field + "\u001f" + f.Op + "\u001f" + f.Value));
}
