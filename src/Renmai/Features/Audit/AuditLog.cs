using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Export;
using Renmai.Features.Settings;
using Renmai.Features.Users;
using Renmai.Hosting;

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
        var q = Filter(db.Set<AuditEvent>().AsNoTracking(), query);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(a => a.At).ThenByDescending(a => a.Id)
            .Page(query.Page, query.PageSize).ToListAsync(ct);
        return new PagedResult<AuditEvent>(items, total);
    }

    /// <summary>
    /// Streams the events matching <paramref name="query"/> (all pages, newest first) as CSV with a
    /// UTF-8 BOM so Excel opens the Chinese text correctly. The export itself is audited.
    /// </summary>
    public async Task<int> ExportCsvAsync(AuditQuery query, Stream output, HttpContext? http, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin, Roles.Auditor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = Filter(db.Set<AuditEvent>().AsNoTracking(), query).OrderByDescending(a => a.At).ThenByDescending(a => a.Id);
        await using var writer = new StreamWriter(output, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true), 64 * 1024, leaveOpen: true);
        await writer.WriteLineAsync("时间(UTC),用户,操作,操作代码,对象,结果,IP,说明,浏览器");
        var rows = 0;
        await foreach (var e in q.AsAsyncEnumerable().WithCancellation(ct))
        {
            await writer.WriteLineAsync(string.Join(',',
                e.At.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), CellText.Csv(e.UserName),
                CellText.Csv(AuditActions.Label(e.Action)), e.Action, CellText.Csv(e.Target), e.Success ? "成功" : "失败",
                CellText.Csv(e.Ip), CellText.Csv(e.Detail), CellText.Csv(e.UserAgent)));
            rows++;
        }
        await writer.FlushAsync(ct);
        await WriteAsync(AuditActions.AuditExported, true, http, actor.UserId, actor.Name, "审计日志",
            $"{rows} 条；条件：{query.Q} {query.Action} {query.From:yyyy-MM-dd} {query.To:yyyy-MM-dd}".TrimEnd(), ct);
        return rows;
    }

    /// <summary>
    /// Deletes events older than the retention period (≥ 6 months, R12.4). The one deliberate
    /// exception to append-only, done in bulk outside SaveChanges, and itself recorded.
    /// </summary>
    public async Task<int> PurgeExpiredAsync(int retentionMonths, CancellationToken ct = default)
    {
        var months = Math.Max(AuditSettings.MinRetentionMonths, retentionMonths);
        var cutoff = clock.GetUtcNow().UtcDateTime.AddMonths(-months);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var deleted = await db.Set<AuditEvent>().Where(e => e.At < cutoff).ExecuteDeleteAsync(ct);
        if (deleted > 0)
            await WriteAsync(AuditActions.AuditPurged, true, null, null, "系统", "审计日志", $"删除 {cutoff:yyyy-MM-dd} 之前的 {deleted} 条（保留 {months} 个月）", ct);
        return deleted;
    }

    private static IQueryable<AuditEvent> Filter(IQueryable<AuditEvent> q, AuditQuery query)
    {
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            var t = query.Q.Trim();
            q = q.Where(a => a.UserName.Contains(t) || a.Action.Contains(t) || (a.Target != null && a.Target.Contains(t)) || (a.Ip != null && a.Ip.Contains(t)));
        }
        if (!string.IsNullOrWhiteSpace(query.Action)) q = q.Where(a => a.Action == query.Action);
        if (query.From is { } from) q = q.Where(a => a.At >= from);
        if (query.To is { } to) q = q.Where(a => a.At < to);
        return q;
    }

    private static string? Cut(string? s, int max) => string.IsNullOrEmpty(s) ? null : s.Length <= max ? s : s[..max];
}

/// <summary>How long the audit log is kept (R12.4: at least six months; default one year).</summary>
public sealed class AuditSettings : ISettingsSection
{
    public const int MinRetentionMonths = 6;
    public static string Key => "audit";
    public static string Label => "审计日志保留期";

    public int RetentionMonths { get; set; } = 12;

    public void Validate(ValidationErrors errors)
    {
        if (RetentionMonths is < MinRetentionMonths or > 120) errors.Add("retentionMonths", "审计日志保留期应在 6 到 120 个月之间");
    }
}

/// <summary>Purges audit events past the retention period once a day.</summary>
public sealed class AuditRetentionJob(IServiceScopeFactory scopes, AppSettings settings, ILogger<AuditRetentionJob> logger, TimeProvider clock)
    : PeriodicJob(scopes, logger, clock, TimeSpan.FromMinutes(5), TimeSpan.FromHours(24))
{
    protected override async Task RunOnceAsync(IServiceProvider services, CancellationToken ct)
    {
        var months = (await settings.GetAsync<AuditSettings>(ct)).RetentionMonths;
        await services.GetRequiredService<AuditLog>().PurgeExpiredAsync(months, ct);
    }
}
