using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Import;

/// <summary>
/// Runs queued imports (ADR 0020). A job is claimed with a conditional UPDATE (status and lease as
/// read), so one node runs it even with several; the lease is renewed while it runs. A job found
/// "running" with an expired or released lease was interrupted (crash, restart): what it wrote is
/// rolled back and it runs again from the start, with a note in its message.
/// </summary>
public sealed class ImportWorker(IServiceScopeFactory scopes, ILogger<ImportWorker> logger, TimeProvider clock, IConfiguration config) : BackgroundService
{
    private static readonly SemaphoreSlim Signal = new(0);
    public const int MaxAttempts = 3;
    /// <summary>How this worker signs the leases it holds.</summary>
    internal string LeaseOwner { get; } = Environment.MachineName + "/" + Environment.ProcessId + "/" + Guid.NewGuid().ToString("N")[..8];

    private TimeSpan Lease => TimeSpan.FromSeconds(config.GetValue("Import:LeaseSeconds", 60));

    /// <summary>A new job was queued in this process: look now instead of at the next poll.</summary>
    public static void Wake() => Signal.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await RunNextAsync(stoppingToken)) { }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "导入任务处理失败");
            }
            try { await Signal.WaitAsync(TimeSpan.FromSeconds(2), stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Claims and runs one job; false when there was none.</summary>
    public async Task<bool> RunNextAsync(CancellationToken stoppingToken, Guid? only = null)
    {
        await using var scope = scopes.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var dbs = sp.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var now = clock.GetUtcNow().UtcDateTime;
        ImportJob? job;
        await using (var db = await dbs.CreateDbContextAsync(stoppingToken))
        {
            var candidates = await db.Set<ImportJob>().AsNoTracking()
                .Where(j => only == null || j.Id == only)
                .Where(j => j.Status == ImportStatus.Queued || (j.Status == ImportStatus.Running && (j.LeaseUntil == null || j.LeaseUntil < now)))
                .OrderBy(j => j.CreatedAt).Take(5).ToListAsync(stoppingToken);
            job = null;
            foreach (var c in candidates)
            {
                var claimed = await db.Set<ImportJob>()
                    .Where(j => j.Id == c.Id && j.Status == c.Status && j.LeaseUntil == c.LeaseUntil && j.LeaseOwner == c.LeaseOwner)
                    .ExecuteUpdateAsync(s => s.SetProperty(j => j.Status, ImportStatus.Running).SetProperty(j => j.LeaseOwner, LeaseOwner)
                        .SetProperty(j => j.LeaseUntil, now + Lease).SetProperty(j => j.Attempts, j => j.Attempts + 1)
                        .SetProperty(j => j.StartedAt, now), stoppingToken);
                if (claimed == 1)
                {
                    job = await db.Set<ImportJob>().AsNoTracking().SingleAsync(j => j.Id == c.Id, stoppingToken);
                    if (c.Status == ImportStatus.Running) job.Message = "interrupted";
                    break;
                }
            }
        }
        if (job is null) return false;
        await RunAsync(sp, job, interrupted: job.Message == "interrupted", stoppingToken);
        return true;
    }

    public async Task RunAsync(IServiceProvider sp, ImportJob job, bool interrupted, CancellationToken stoppingToken)
    {
        var engine = sp.GetRequiredService<ImportEngine>();
        var board = sp.GetRequiredService<ImportBoard>();
        var dbs = sp.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var actor = new Actor(job.UserId, job.UserName, ChangeSource.Import, JsonStorage.Deserialize<List<string>>(job.RolesJson) ?? [])
        {
            ManagedUserIds = JsonStorage.Deserialize<List<Guid>>(job.ManagedUserIdsJson) ?? [],
        };
        var progress = new ImportProgress();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        board.Add(job.Id, progress, cancel);
        using var renew = new CancellationTokenSource();
        var renewing = RenewAsync(dbs, job.Id, cancel, renew.Token);
        string? note = null;
        try
        {
            if (interrupted)
            {
                progress.Phase = "撤销中断的导入";
                var (restored, removed) = await engine.RollbackAsync(job, actor, hardDelete: true, cancel.Token);
                note = $"上次运行被中断（应用重启或崩溃），已撤销其写入的部分（删除 {removed} 个、恢复 {restored} 个客户），并从头重新导入。";
                if (job.Attempts > MaxAttempts)
                {
                    await FinishAsync(dbs, job.Id, ImportStatus.Failed, $"导入已中断 {MaxAttempts} 次，已撤销全部写入，不再自动重试。请检查服务器日志后重新上传。", null, null);
                    return;
                }
            }
            var outcome = await engine.RunAsync(job, actor, job.DryRun, progress, null, cancel.Token);
            // A cancel that was accepted while the last rows were being written still means "not this import".
            cancel.Token.ThrowIfCancellationRequested();
            board.SetErrors(job.Id, [.. outcome.Errors.Take(1000)]);
            string? errorFile = null;
            if (outcome.ErrorRows.Count > 0)
            {
                errorFile = job.Id.ToString("N") + "-errors.xlsx";
                await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
                using var table = engine.Open(job, job.Options.Encoding);
                ImportService.WriteErrorFile(Path.Combine(engine.Folder, errorFile), table.Headers, outcome);
            }
            var verb = job.DryRun ? "试运行（未写入）：将" : "";
            var summary = $"{verb}共 {outcome.Rows:N0} 行：新建 {outcome.Created:N0}，更新 {outcome.Updated:N0}，跳过 {outcome.Skipped:N0}，失败 {outcome.Failed:N0}；用时 {outcome.Seconds:F1} 秒（{outcome.Rows / Math.Max(outcome.Seconds, 0.001):N0} 行/秒）。";
            await FinishAsync(dbs, job.Id, ImportStatus.Succeeded, (note is null ? "" : note + " ") + summary, errorFile, outcome);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: release the lease so the next start takes the job over at once (rollback, then a new run).
            await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
            await db.Set<ImportJob>().Where(j => j.Id == job.Id && j.LeaseOwner == LeaseOwner)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, DateTime.UnixEpoch), CancellationToken.None);
        }
        catch (Exception ex)
        {
            var cancelled = ex is OperationCanceledException;
            if (!cancelled && ex is not (ImportFileException or ForbiddenException)) logger.LogError(ex, "导入 {Id} 失败", job.Id);
            var (restored, removed) = await engine.RollbackAsync(job, actor, hardDelete: true, CancellationToken.None);
            var undone = removed + restored > 0 ? $"已撤销已写入的部分（删除 {removed} 个、恢复 {restored} 个客户），数据与导入前相同。" : "未写入任何数据。";
            await FinishAsync(dbs, job.Id, cancelled ? ImportStatus.Cancelled : ImportStatus.Failed,
                (cancelled ? "已取消。" : "导入失败：" + ex.Message + " ") + undone, null, null);
        }
        finally
        {
            await renew.CancelAsync();
            try { await renewing; } catch (OperationCanceledException) { }
            board.Remove(job.Id);
            if (progress.RowsRead >= BulkWriter.SqliteRebuildIndexesFrom) Renmai.Hosting.ProcessMemory.Release();
        }
    }

    /// <summary>
    /// Keeps the lease while the job runs, and picks up a cancel requested on another node. On SQLite a large load
    /// holds the database's one write lock for minutes (ADR 0028); the renewal then waits for it like every other
    /// writer (a time-out would only fail and log every 30 s), and renews again at once when the wait was long, so
    /// the lease is fresh as soon as the lock is free.
    /// </summary>
    internal async Task RenewAsync(IDbContextFactory<RenmaiDb> dbs, Guid id, CancellationTokenSource cancel, CancellationToken ct)
    {
        var period = Lease / 3;
        var wait = period;
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(wait, clock, ct);
            var started = clock.GetTimestamp();
            try
            {
                await using var db = await dbs.CreateDbContextAsync(ct);
                if (!db.IsPostgres) db.Database.SetCommandTimeout(TimeSpan.FromHours(24));
                var until = clock.GetUtcNow().UtcDateTime + Lease;
                await db.Set<ImportJob>().Where(j => j.Id == id && j.LeaseOwner == LeaseOwner).ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseUntil, until), ct);
                if (await db.Set<ImportJob>().AnyAsync(j => j.Id == id && j.CancelRequested, ct)) await cancel.CancelAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A renewal still waiting when the job ends is interrupted: that is no failure.
                if (!ct.IsCancellationRequested) logger.LogWarning(ex, "导入 {Id} 的租约续期未成功，稍后重试", id);
            }
            wait = clock.GetElapsedTime(started) >= period ? TimeSpan.Zero : period;
        }
    }

    private async Task FinishAsync(IDbContextFactory<RenmaiDb> dbs, Guid id, ImportStatus status, string message, string? errorFile, ImportOutcome? o)
    {
        await using var db = await dbs.CreateDbContextAsync(CancellationToken.None);
        var job = await db.Set<ImportJob>().SingleAsync(j => j.Id == id);
        job.Status = status;
        job.Message = message.Length > 2000 ? message[..2000] : message;
        job.ErrorFile = errorFile;
        job.FinishedAt = clock.GetUtcNow().UtcDateTime;
        job.LeaseOwner = null;
        job.LeaseUntil = null;
        if (o is not null)
        {
            job.RowsDone = o.Rows; job.TotalRows = o.Rows; job.Created = o.Created; job.Updated = o.Updated; job.Skipped = o.Skipped; job.Failed = o.Failed;
        }
        await db.SaveChangesAsync(CancellationToken.None);
    }
}
