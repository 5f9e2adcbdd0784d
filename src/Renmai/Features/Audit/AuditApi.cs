using Microsoft.AspNetCore.Http.HttpResults;
using Renmai.Features.Customers;

namespace Renmai.Features.Audit;

public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", Search).WithName("SearchAuditLog").WithTags("Audit")
            .WithSummary("The audit log, newest first (admins and auditors): q, action, from, to (UTC), page, pageSize.");
        api.MapGet("/audit/export", async (AuditLog audit, HttpContext http, CancellationToken ct, string? q, string? action, DateTime? from, DateTime? to) =>
            {
                // Checked before the response starts, so a refusal is a clean 403, not a broken download.
                await http.RequestServices.GetRequiredService<Renmai.Features.Users.CurrentActor>()
                    .RequireRoleAsync(Renmai.Features.Users.Roles.Admin, Renmai.Features.Users.Roles.Auditor);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"audit-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv\"; filename*=UTF-8''%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97.csv";
                await audit.ExportCsvAsync(new AuditQuery { Q = q, Action = action, From = from, To = to }, http.Response.Body, http, ct);
            }).WithName("ExportAuditLog").WithTags("Audit").WithSummary("The matching audit events as CSV (UTF-8 with BOM). Audited.");
        return api;
    }

    private static async Task<Ok<PagedResult<AuditEvent>>> Search(AuditLog audit, CancellationToken ct, string? q = null,
        string? action = null, DateTime? from = null, DateTime? to = null, int page = 1, int pageSize = 50) =>
        TypedResults.Ok(await audit.SearchAsync(new AuditQuery { Q = q, Action = action, From = from, To = to, Page = page, PageSize = pageSize }, ct));
}
