using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Export;
using Renmai.Features.Settings;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Audit;

/// <summary>Audit log export (CSV, audited, formula-safe), permission denials recorded, retention ≥ 6 months.</summary>
public sealed class AuditExportTests : IAsyncLifetime
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero));
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(TestDatabase.Sqlite, _clock);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task WriteEventAsync(string action, string target, string? detail = null) => _app.AsSystemAsync(async sp =>
    {
        await sp.GetRequiredService<AuditLog>().WriteAsync(action, true, null, null, "测试", target, detail);
        return true;
    });

    [Fact]
    public async Task Auditors_export_matching_events_as_csv_and_the_export_is_recorded()
    {
        var auditor = await _app.ClientAsync(Roles.Auditor, "shen@example.com");
        await WriteEventAsync(AuditActions.OwnerChanged, "KH000001", "=HYPERLINK(\"http://evil\")");
        await WriteEventAsync(AuditActions.SettingsChanged, "安全设置");

        var response = await auditor.GetAsync("/api/v1/audit/export?action=" + AuditActions.OwnerChanged);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(Encoding.UTF8.Preamble.ToArray(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).ReplaceLineEndings("\n").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("时间(UTC),用户,操作", lines[0], StringComparison.Ordinal);
        Assert.Equal(2, lines.Length);
        Assert.Contains("变更客户负责人", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil\"\")\"", lines[1], StringComparison.Ordinal);

        var exported = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(e => e.Action == AuditActions.AuditExported));
        Assert.StartsWith("1 条", exported.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rep_is_refused_and_the_denial_is_in_the_log()
    {
        var rep = await _app.ClientAsync(Roles.Rep, "sun@example.com");
        Assert.Equal(HttpStatusCode.Forbidden, (await rep.GetAsync("/api/v1/audit/export")).StatusCode);
        var denied = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(e => e.Action == AuditActions.PermissionDenied));
        Assert.Equal("GET /api/v1/audit/export", denied.Target);
        Assert.False(denied.Success);
    }

    [Fact]
    public async Task Events_older_than_the_retention_period_are_purged_and_never_before_six_months()
    {
        await _app.AddUserAsync("admin@example.com", Roles.Admin, "王管理");
        await WriteEventAsync(AuditActions.SettingsChanged, "旧事件");
        _clock.Advance(TimeSpan.FromDays(200));
        await WriteEventAsync(AuditActions.SettingsChanged, "新事件");

        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("admin@example.com", sp =>
            sp.GetRequiredService<SettingsService>().SaveAsync(new AuditSettings { RetentionMonths = 3 })));
        Assert.Equal("审计日志保留期应在 6 到 120 个月之间", invalid.Errors.For("retentionMonths"));

        // Even asked for 3 months, the purge keeps 6: the 200-day-old event goes, the new one stays.
        var purged = await _app.AsSystemAsync(sp => sp.GetRequiredService<AuditLog>().PurgeExpiredAsync(3));
        Assert.Equal(1, purged);
        var left = await _app.WithDbAsync(db => db.Set<AuditEvent>().Select(e => e.Target).ToListAsync());
        Assert.DoesNotContain("旧事件", left);
        Assert.Contains("新事件", left);
        Assert.Contains("审计日志", left); // the purge itself is recorded
    }

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+8613812345678", "'+8613812345678")]
    [InlineData("-5", "'-5")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tx", "'\tx")]
    [InlineData("张伟", "张伟")]
    [InlineData("", "")]
    public void Cells_that_excel_would_run_are_made_text(string value, string expected) => Assert.Equal(expected, CellText.Neutralise(value));
}
