using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Contacts;

namespace Renmai.Features.Customers;

/// <summary>
/// Fills the database with realistic Chinese demo customers (and the contact persons of company
/// customers) for trials and benchmarks. Rows are generated lazily from the seed and written by
/// <see cref="CustomerBulkLoader"/>, the bulk path the importer uses too.
/// </summary>
public static class DemoData
{
    /// <summary>Customers per batch handed from the generator to the loader.</summary>
    public const int BatchCustomers = 1000;

    public static async Task<int> FillAsync(IServiceProvider services, int count, int seed, TextWriter log, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        await using var db = await dbs.CreateDbContextAsync(ct);

        // Spread the customers among the existing active users; some stay in the pool (OwnerId null).
        var owners = await db.Users.AsNoTracking().Where(u => u.IsActive).OrderBy(u => u.Id).Select(u => u.Id).ToListAsync(ct);
        var first = await CustomerNumbers.ReserveAsync(db, count, ct);
        var generator = new DemoGenerator(seed, owners, clock.GetUtcNow().UtcDateTime);

        var watch = Stopwatch.StartNew();
        long nextReport = 100_000;
        var result = await CustomerBulkLoader.LoadAsync(services, Batches(generator, first, count), count, n =>
        {
            for (; n >= nextReport; nextReport += 100_000)
                log.WriteLine($"已写入 {nextReport:N0} / {count:N0} 个客户（{watch.Elapsed.TotalSeconds:F1} 秒，{nextReport / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0} 行/秒）");
        }, log.WriteLine, ct);
        await BulkWriter.AnalyzeAsync(db, ct);
        // The load (customers, contacts and their blind-index rows) sits in the WAL; fold it into the database
        // now rather than in the first requests' auto-checkpoints.
        if (!db.IsPostgres) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", ct);
        await log.WriteLineAsync($"客户 {result.Customers:N0} 个（{CustomerNumbers.Format(first)} – {CustomerNumbers.Format(first + count - 1)}），联系人 {result.Contacts:N0} 个，写入用时 {watch.Elapsed.TotalSeconds:F1} 秒。");
        return (int)result.Customers;
    }

    private static async IAsyncEnumerable<IReadOnlyList<BulkCustomer>> Batches(DemoGenerator generator, long first, int count)
    {
        var batch = new List<BulkCustomer>(BatchCustomers);
        foreach (var (customer, people) in generator.Generate(first, count))
        {
            batch.Add(new BulkCustomer(customer, people));
            if (batch.Count == BatchCustomers)
            {
                yield return batch;
                batch = new List<BulkCustomer>(BatchCustomers);
            }
        }
        if (batch.Count > 0) yield return batch;
        await Task.CompletedTask;
    }
}
