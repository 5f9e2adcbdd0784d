using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Contacts;

namespace Renmai.Features.Customers;

/// <summary>
/// Fills the database with realistic Chinese demo customers (and the contact persons of company
/// customers) for trials and benchmarks. Rows are generated lazily from the seed on one thread and
/// written by <see cref="BulkWriter"/> on another: batched prepared INSERTs on SQLite, binary COPY on
/// PostgreSQL. Nothing is tracked by EF and at most a few batches are in memory at a time.
/// </summary>
public static class DemoData
{
    /// <summary>Customers per batch handed from the generator to the writer.</summary>
    public const int BatchCustomers = 1000;

    /// <summary>Customers per transaction.</summary>
    public const int ChunkCustomers = 50_000;

    public static async Task<int> FillAsync(IServiceProvider services, int count, int seed, TextWriter log, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        await using var db = await dbs.CreateDbContextAsync(ct);

        // Spread the customers among the existing active users; some stay in the pool (OwnerId null).
        var owners = await db.Users.AsNoTracking().Where(u => u.IsActive).OrderBy(u => u.Id).Select(u => u.Id).ToListAsync(ct);
        var first = await CustomerNumbers.ReserveAsync(db, count, ct);
        var customerTable = BulkTable.For<Customer>(db);
        var contactTable = BulkTable.For<Contact>(db);
        // Phones are encrypted and blind-indexed here, as SaveChanges would (ADR 0012).
        var indexTable = BulkTable.For<Privacy.SensitiveIndexEntry>(db);
        var sensitive = services.GetRequiredService<Privacy.SensitiveStore>();
        // One search row per customer, as the SaveChanges hook writes it (ADR 0019).
        var searchTable = BulkTable.For<Search.CustomerSearchRow>(db);
        var generator = new DemoGenerator(seed, owners, clock.GetUtcNow().UtcDateTime);

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<BulkBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        long contactCount = 0;
        // Generation and conversion to provider values overlap with the database writes.
        var producer = Task.Run(async () =>
        {
            try
            {
                var customers = new List<object?[]>(BatchCustomers);
                var contacts = new List<object?[]>(BatchCustomers * 2);
                var index = new List<object?[]>(BatchCustomers * 6);
                var pending = new List<(Customer Customer, IReadOnlyList<Contact> People)>(BatchCustomers);
                var sealedRows = new List<Privacy.SensitiveIndexEntry>[BatchCustomers];
                var searchRows = new Search.CustomerSearchRow[BatchCustomers];
                var search = new List<object?[]>(BatchCustomers);
                void Flush()
                {
                    // Sealing (AES-GCM + HMAC) is the costly part of a row: spread it over the cores.
                    Parallel.For(0, pending.Count, i =>
                    {
                        var (customer, people) = pending[i];
                        var rows = sensitive.SealNew(customer);
                        foreach (var person in people) rows.AddRange(sensitive.SealNew(person));
                        sealedRows[i] = rows;
                        searchRows[i] = Search.CustomerSearchRows.For(customer, people, sensitive.Cipher);
                    });
                    for (var i = 0; i < pending.Count; i++)
                    {
                        customers.Add(customerTable.ToRow(pending[i].Customer));
                        foreach (var person in pending[i].People) contacts.Add(contactTable.ToRow(person));
                        foreach (var row in sealedRows[i]) index.Add(indexTable.ToRow(row));
                        search.Add(searchTable.ToRow(searchRows[i]));
                    }
                    pending.Clear();
                }
                foreach (var (customer, people) in generator.Generate(first, count))
                {
                    pending.Add((customer, people));
                    if (pending.Count == BatchCustomers) Flush();
                    if (customers.Count == BatchCustomers)
                    {
                        contactCount += contacts.Count;
                        await channel.Writer.WriteAsync(new BulkBatch([(customerTable, customers), (contactTable, contacts), (indexTable, index), (searchTable, search)]), cts.Token);
                        customers = new List<object?[]>(BatchCustomers);
                        search = new List<object?[]>(BatchCustomers);
                        contacts = new List<object?[]>(BatchCustomers * 2);
                        index = new List<object?[]>(BatchCustomers * 6);
                    }
                }
                Flush();
                if (customers.Count > 0)
                {
                    contactCount += contacts.Count;
                    await channel.Writer.WriteAsync(new BulkBatch([(customerTable, customers), (contactTable, contacts), (indexTable, index), (searchTable, search)]), cts.Token);
                }
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, cts.Token);

        var watch = Stopwatch.StartNew();
        long nextReport = 100_000;
        long written;
        try
        {
            written = await BulkWriter.WriteAsync(db, [customerTable, contactTable, indexTable, searchTable], channel.Reader.ReadAllAsync(cts.Token), count, ChunkCustomers, n =>
            {
                for (; n >= nextReport; nextReport += 100_000)
                    log.WriteLine($"已写入 {nextReport:N0} / {count:N0} 个客户（{watch.Elapsed.TotalSeconds:F1} 秒，{nextReport / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0} 行/秒）");
            }, log.WriteLine, cts.Token);
        }
        finally
        {
            await cts.CancelAsync();
            try { await producer; } catch (OperationCanceledException) { }
        }
        await BulkWriter.AnalyzeAsync(db, ct);
        // The load (customers, contacts and their blind-index rows) sits in the WAL; fold it into the database
        // now rather than in the first requests' auto-checkpoints.
        if (!db.IsPostgres) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", ct);
        await log.WriteLineAsync($"客户 {written:N0} 个（{CustomerNumbers.Format(first)} – {CustomerNumbers.Format(first + count - 1)}），联系人 {contactCount:N0} 个，写入用时 {watch.Elapsed.TotalSeconds:F1} 秒。");
        return (int)written;
    }
}
