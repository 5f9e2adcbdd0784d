using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Features.Pool;

/// <summary>REST endpoints for customer pools (公海) under /api/v1.</summary>
public static class PoolApi
{
    public sealed record ClaimRequest(string Number);
    public sealed record AssignRequest(string Number, Guid UserId);
    public sealed record ReleaseRequest(string? Reason);

    public static RouteGroupBuilder MapPoolApi(this RouteGroupBuilder api)
    {
        var pools = api.MapGroup("/pools").WithTags("Pools");
        pools.MapGet("/", async (PoolService s, CancellationToken ct) =>
                TypedResults.Ok((await s.ListAsync(ct)).Select(p => new { p.Pool.Id, p.Pool.Name, p.Pool.IsDefault, p.Pool.HoldingCap, p.Pool.DailyClaimCap,
                    p.Pool.CooldownDays, p.Waiting, p.IsMember })))
            .WithName("ListPools");
        pools.MapGet("/{poolId:guid}/customers", async (Guid poolId, string? q, int? page, int? pageSize, PoolService s, CancellationToken ct) =>
                TypedResults.Ok(await s.CustomersAsync(poolId, q, page ?? 1, pageSize ?? 50, ct)))
            .WithName("ListPoolCustomers").WithSummary("Customers waiting in the pool (members, managers, admins, auditors).");
        pools.MapPost("/{poolId:guid}/claim", async (Guid poolId, ClaimRequest body, PoolService s, CancellationToken ct) =>
            {
                await s.ClaimAsync(poolId, body.Number, ct);
                return TypedResults.NoContent();
            }).WithName("ClaimFromPool").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Claims a waiting customer; 409 when the holding cap, the daily cap or the cool-down refuses it.");
        pools.MapPost("/{poolId:guid}/assign", async (Guid poolId, AssignRequest body, PoolService s, CancellationToken ct) =>
            {
                await s.AssignAsync(poolId, body.Number, body.UserId, ct);
                return TypedResults.NoContent();
            }).WithName("AssignFromPool").RequireAuthorization(UsersSetup.ApiWritePolicy);
        api.MapPost("/customers/{number}/release", async (string number, ReleaseRequest? body, PoolService s, CancellationToken ct) =>
            {
                await s.ReleaseAsync(number, body?.Reason, ct);
                return TypedResults.NoContent();
            }).WithName("ReleaseToPool").WithTags("Pools").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Puts one of your customers back into its pool.");
        return api;
    }
}

/// <summary>Runs the automatic return every hour (and a minute after start).</summary>
public sealed class PoolReturnJob(IServiceScopeFactory scopes, ILogger<PoolReturnJob> logger, TimeProvider clock)
    : PeriodicJob(scopes, logger, clock, TimeSpan.FromMinutes(1), TimeSpan.FromHours(1))
{
    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken ct)
    {
        var (returned, warned) = await services.GetRequiredService<PoolService>().RunReturnsAsync(ct);
        if (returned + warned > 0 && logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("公海自动回收：回收 {Returned} 个，提醒 {Warned} 个", returned, warned);
    }
}
