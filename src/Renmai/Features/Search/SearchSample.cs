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

    /// <param name="PhoneTokenRows">For each phone token, how many sampled rows have it (a lookup: scanning the rows'
    /// token lists for every phone search cost more than the rest of the search's own work).</param>
    private sealed record Snapshot(string[] Texts, Dictionary<string, int> PhoneTokenRows, DateTimeOffset TakenAt);

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
    public async Task<bool> IsCommonAsync(string body, CancellationToken ct)
    {
        var texts = (await CurrentAsync(ct)).Texts;
        var hits = 0;
        foreach (var text in texts)
            if (text.Contains(body, StringComparison.Ordinal)) hits++;
        return texts.Length > 0 && hits >= CommonFrom * texts.Length;
    }

    /// <summary>The same for one phone token (a 4-digit gram's blind token) among the sampled rows' phone tokens.</summary>
    public async Task<bool> IsCommonPhoneTokenAsync(string token, CancellationToken ct)
    {
        var snapshot = await CurrentAsync(ct);
        var rows = snapshot.Texts.Length;
        return rows > 0 && snapshot.PhoneTokenRows.GetValueOrDefault(token) >= CommonFrom * rows;
    }

    private async ValueTask<Snapshot> CurrentAsync(CancellationToken ct)
    {
        var snapshot = _snapshot;
        if (snapshot is null) return await RefreshAsync(ct);
        if (clock.GetUtcNow() - snapshot.TakenAt > MaxAge && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
            _ = Task.Run(async () =>
            {
                try { await RefreshAsync(CancellationToken.None); }
                catch (Exception ex) { logger.LogWarning(ex, "检索样本刷新失败"); }
                finally { Volatile.Write(ref _refreshing, 0); }
            }, CancellationToken.None);
        return snapshot;
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
        var tokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var row in rows)
            foreach (var token in row.PhoneGrams.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct())
                tokens[token] = tokens.GetValueOrDefault(token) + 1;
        var snapshot = new Snapshot([.. rows.Select(r => r.Text)], tokens, clock.GetUtcNow());
        _snapshot = snapshot;
        return snapshot;
    }
}
