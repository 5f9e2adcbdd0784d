namespace Renmai.Hosting;

/// <summary>
/// A job that runs shortly after start and then every <c>period</c>, each run in its own service
/// scope. A failed run is logged and retried at the next tick; shutting down ends it quietly.
/// Runs must be idempotent: several nodes may run the same job (see Jobs:Enabled).
/// </summary>
public abstract class PeriodicJob(IServiceScopeFactory scopes, ILogger logger, TimeProvider clock, TimeSpan firstDelay, TimeSpan period)
    : BackgroundService
{
    protected abstract Task RunOnceAsync(IServiceProvider services, CancellationToken ct);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(firstDelay, clock, stoppingToken);
            using var timer = new PeriodicTimer(period, clock);
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await RunOnceAsync(scope.ServiceProvider, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "后台任务 {Job} 失败，下次定时重试", GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
