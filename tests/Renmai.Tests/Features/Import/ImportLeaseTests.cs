using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Renmai.Data;
using Renmai.Features.Import;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Import;

/// <summary>
/// SQLite: a large import holds the database's one write lock for minutes (ADR 0028), longer than a job's lease. The
/// renewal waits for the lock and, once it is free, renews at once with a fresh lease, instead of leaving the job
/// looking abandoned until its next period (or failing after the command time-out, as it did).
/// </summary>
public sealed class ImportLeaseTests
{
    [Fact]
    public async Task A_lease_renewal_held_up_by_a_long_write_lock_renews_with_a_fresh_lease_as_soon_as_the_lock_is_free()
    {
        await using var app = await TestApp.StartAsync(TestDatabase.Sqlite, settings: new Dictionary<string, string?> { ["Import:LeaseSeconds"] = "3" });
        var worker = app.Services.GetServices<IHostedService>().OfType<ImportWorker>().Single();
        // A finished job that still names this worker as its lease holder: the worker's own loop leaves it alone, so
        // only the renewal under test writes its lease.
        var job = new ImportJob { FileName = "客户.csv", UserName = "张伟", Status = ImportStatus.Succeeded, LeaseOwner = worker.LeaseOwner, LeaseUntil = DateTime.UtcNow };
        var connectionString = await app.WithDbAsync(async db =>
        {
            db.Add(job);
            await db.SaveChangesAsync();
            return db.Database.GetConnectionString()!;
        });

        await using var loader = new SqliteConnection(connectionString);
        await loader.OpenAsync();
        await using (var begin = loader.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();
        }
        using var cancelJob = new CancellationTokenSource();
        using var stop = new CancellationTokenSource();
        var renewing = worker.RenewAsync(app.Services.GetRequiredService<IDbContextFactory<RenmaiDb>>(), job.Id, cancelJob, stop.Token);
        // The lease is 3 s, renewed every second; the lock is held for 4.5 s.
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        await using (var rollback = loader.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        var until = await app.WithDbAsync(db => db.Set<ImportJob>().Where(j => j.Id == job.Id).Select(j => j.LeaseUntil).SingleAsync());
        await stop.CancelAsync();
        try { await renewing; } catch (OperationCanceledException) { }

        Assert.True(until > DateTime.UtcNow.AddSeconds(1.5), $"lease until {until:O}, now {DateTime.UtcNow:O}");
        Assert.False(cancelJob.IsCancellationRequested);
    }
}
