using Microsoft.EntityFrameworkCore;
using Renmai.Data;

namespace Renmai.Features.Search;

/// <summary>
/// PostgreSQL only (ADR 0033): a random sample of about a thousand search texts, kept in memory, that tells a common
/// search pattern from a rare one before the query is sent. PostgreSQL's own estimate of a LIKE comes from 100 sampled
/// texts, too coarse to choose between the two plans a "first 10 matches" query can have: a sequential scan that stops
/// at the 10th match (right when one text in a hundred matches: it reads a thousand rows) and the trigram index (right
/// for a rare pattern; for one in every eighth text it first collects 126,000 row addresses, 30 ms). Refreshed in the
/// background of a search when older than <see cref="MaxAge"/>.
/// </summary>
public sealed class SearchSample(IDbContextFactory<RenmaiDb> dbs, TimeProvider clock, ILogger<SearchSample> logger)
{
    /// <summary>How many texts the sample aims for.</summary>
    public const int Size = 1000;
    /// <summary>A pattern at least this frequent in the sample is "common": its first matches come from a plain scan.</summary>
    public const double CommonFrom = 0.01;
    public static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);

    private sealed record Snapshot(string[] Texts, string[] PhoneGrams, DateTimeOffset TakenAt);

    /// <summary>One sampled search row, as read by <see cref="RefreshAsync"/>.</summary>
    private sealed class SampleRow
    {
        public string Text { get; set; } = "";
        public string PhoneGrams { get; set; } = "";
    }

    private volatile Snapshot? _snapshot;
    private int _refreshing;

    /// <summary>
    /// Whether a LIKE pattern body (the text between the % signs, in the stored form) occurs in at least
    /// <see cref="CommonFrom"/> of the sampled texts. The first call waits for the sample; later ones use the one they
    /// find and refresh it in the background when it is old.
    /// </summary>
    public Task<bool> IsCommonAsync(string body, CancellationToken ct) => CommonAsync(s => s.Texts, body, ct);

    /// <summary>The same for one phone token (a 4-digit gram's blind token) among the sampled phone tokens.</summary>
    public Task<bool> IsCommonPhoneTokenAsync(string token, CancellationToken ct) => CommonAsync(s => s.PhoneGrams, token, ct);

    private async Task<bool> CommonAsync(Func<Snapshot, string[]> values, string part, CancellationToken ct)
    {
        var snapshot = _snapshot;
        if (snapshot is null) snapshot = await RefreshAsync(ct);
        else if (clock.GetUtcNow() - snapshot.TakenAt > MaxAge && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            _ = Task.Run(async () =>
            {
                try { await RefreshAsync(CancellationToken.None); }
                catch (Exception ex) { logger.LogWarning(ex, "检索样本刷新失败"); }
                finally { Volatile.Write(ref _refreshing, 0); }
            }, CancellationToken.None);
        var sample = values(snapshot);
        if (sample.Length == 0) return false;
        var hits = 0;
        foreach (var value in sample)
            if (value.Contains(part, StringComparison.Ordinal)) hits++;
        return hits >= CommonFrom * sample.Length;
    }

    private async Task<Snapshot> RefreshAsync(CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        // Pages picked at random (TABLESAMPLE SYSTEM), sized from the planner's row count so that about twice the
        // sample size is read; a small table is read whole.
        var estimate = await db.Database.SqlQuery<double>($"SELECT GREATEST(reltuples, 0)::float8 AS \"Value\" FROM pg_class WHERE oid = '\"CustomerSearch\"'::regclass").SingleAsync(ct);
        var percent = estimate <= 2 * Size ? 100 : Math.Max(0.01, 100.0 * 2 * Size / estimate);
        var sql = percent >= 100
            ? "SELECT \"Text\", \"PhoneGrams\" FROM \"CustomerSearch\" LIMIT " + (2 * Size).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : "SELECT \"Text\", \"PhoneGrams\" FROM \"CustomerSearch\" TABLESAMPLE SYSTEM (" + percent.ToString("0.####", System.Globalization.CultureInfo.InvariantCulture) + ")";
        var rows = await db.Database.SqlQueryRaw<SampleRow>(sql).ToListAsync(ct);
        var snapshot = new Snapshot([.. rows.Select(r => r.Text)], [.. rows.Select(r => r.PhoneGrams)], clock.GetUtcNow());
        _snapshot = snapshot;
        return snapshot;
    }
}
