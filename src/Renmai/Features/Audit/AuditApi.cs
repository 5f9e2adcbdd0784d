using Microsoft.AspNetCore.Http.HttpResults;
using Renmai.Features.Customers;

namespace Renmai.Features.Audit;

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", Search).WithName("SearchAuditLog").WithTags("Audit")
            .WithSummary("The audit log, newest first (admins and auditors): q, action, from, to (UTC), page, pageSize.");
        return api;
    }

    private static async Task<Ok<PagedResult<AuditEvent>>> Search(AuditLog audit, CancellationToken ct, string? q = null,
        string? action = null, DateTime? from = null, DateTime? to = null, int page = 1, int pageSize = 50) =>
        TypedResults.Ok(await audit.SearchAsync(new AuditQuery { Q = q, Action = action, From = from, To = to, Page = page, PageSize = pageSize }, ct));
}
