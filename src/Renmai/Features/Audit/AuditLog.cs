using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Audit;

public sealed class AuditQuery
{
    /// <summary>Matches user name, action, target or IP (substring).</summary>
    public string? Q { get; set; }
    public string? Action { get; set; }
    public DateTime? From { get; set; }
    public DateTime? To { get; set; }
    public int Page { get; set; } = 1;
    public int PageSize { get; set; } = 50;
}

/// <summary>Writes audit events and lets admins and auditors search them.</summary>
public sealed class AuditLog(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, ILogger<AuditLog> logger)
{
    public async Task WriteAsync(string action, bool success, HttpContext? http, Guid? userId = null, string? userName = null,
        string? target = null, string? detail = null, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Add(new AuditEvent
        {
            At = clock.GetUtcNow().UtcDateTime, Action = action, Success = success, UserId = userId,
            UserName = Cut(userName, 200) ?? "", Target = Cut(target, 256), Detail = Cut(detail, 2000),
            Ip = http?.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Cut(http?.Request.Headers.UserAgent.ToString(), 512),
        });
        await db.SaveChangesAsync(ct);
        if (logger.IsEnabled(LogLevel.Information))
            logger.LogInformation("审计 {Action} {Success} {User} {Target}", action, success, userName, target);
    }

    public async Task<PagedResult<AuditEvent>> SearchAsync(AuditQuery query, CancellationToken ct = default)
    {
        await current.RequireRoleAsync(Roles.Admin, Roles.Auditor);
        var e = new ValidationErrors();
        if (query.Page < 1) e.Add("page", "页码从 1 开始");
        if (query.PageSize is < 1 or > 500) e.Add("pageSize", "每页条数应在 1 到 500 之间");
        e.ThrowIfAny();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Set<AuditEvent>().AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var t = query.Q.Trim();
            q = q.Where(a => a.UserName.Contains(t) || a.Action.Contains(t) || (a.Target != null && a.Target.Contains(t)) || (a.Ip != null && a.Ip.Contains(t)));
        }
        if (!string.IsNullOrWhiteSpace(query.Action)) q = q.Where(a => a.Action == query.Action);
        if (query.From is { } from) q = q.Where(a => a.At >= from);
        if (query.To is { } to) q = q.Where(a => a.At < to);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Skip((query.Page - 1) * query.PageSize).Take(query.PageSize).ToListAsync(ct);
        return new PagedResult<AuditEvent>(items, total);
    }

    private static string? Cut(string? s, int max) => string.IsNullOrEmpty(s) ? null : s.Length <= max ? s : s[..max];
}
