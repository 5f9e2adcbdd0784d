using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Audit;

/// <summary>Login events reach the append-only audit log; only admins and auditors can read it. Both databases.</summary>
public abstract partial class AuditLogTests(TestDatabase database) : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(database);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>Posts the real login form, antiforgery token and cookies included, like a browser.</summary>
    private async Task<HttpResponseMessage> PostLoginAsync(string email, string password)
    {
        using var browser = new HttpClient(new CookieContainerHandler { InnerHandler = _app.App.GetTestServer().CreateHandler() }) { BaseAddress = new Uri("http://localhost") };
        var page = await browser.GetStringAsync("/login");
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), "login page has no antiforgery token");
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
        });
        return await browser.PostAsync("/account/login", form);
    }

    [Fact]
    public async Task Logins_are_recorded_and_only_admins_and_auditors_can_read_them()
    {
        var admin = await _app.ClientAsync(Roles.Admin, "admin@example.com");
        await _app.AddUserAsync("li@example.com", Roles.Rep, "李销售");

        var wrong = await PostLoginAsync("li@example.com", "not-the-password");
        Assert.Equal("/login", wrong.Headers.Location?.OriginalString.Split('?')[0]);
        var unknown = await PostLoginAsync("nobody@example.com", "whatever-123");
        Assert.StartsWith("/login?error=invalid", unknown.Headers.Location?.OriginalString, StringComparison.Ordinal);
        var right = await PostLoginAsync("li@example.com", "Renmai#2026-test");
        Assert.Equal("/", right.Headers.Location?.OriginalString);

        var failed = await (await admin.GetAsync("/api/v1/audit?action=login.failed")).ReadObjectAsync();
        Assert.Equal(2, failed["total"]!.GetValue<int>());
        var items = failed["items"]!.AsArray();
        Assert.Contains(items, e => e!["target"].S() == "li@example.com" && e["userName"].S() == "李销售" && e["detail"].S() == "密码错误");
        Assert.Contains(items, e => e!["target"].S() == "nobody@example.com" && e["detail"].S() == "未知账号");
        var ok = await (await admin.GetAsync("/api/v1/audit?action=login.succeeded")).ReadObjectAsync();
        Assert.True(Assert.Single(ok["items"]!.AsArray())!["success"]!.GetValue<bool>());
        var search = await (await admin.GetAsync("/api/v1/audit?q=nobody")).ReadObjectAsync();
        Assert.Equal(1, search["total"]!.GetValue<int>());

        var auditor = await _app.ClientAsync(Roles.Auditor, "auditor@example.com");
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/v1/audit")).StatusCode);
        var rep = await _app.ClientForAsync("li@example.com");
        Assert.Equal(HttpStatusCode.Forbidden, (await rep.GetAsync("/api/v1/audit")).StatusCode);
    }

    [Fact]
    public async Task Audit_events_and_history_cannot_be_changed_or_deleted()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<AuditLog>().WriteAsync(AuditActions.LoginFailed, false, null, target: "x@example.com");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _app.WithDbAsync(async db =>
        {
            var e = db.Set<AuditEvent>().Single();
            e.Target = "改写";
            return await db.SaveChangesAsync();
        }));
        Assert.Contains("append-only", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => _app.WithDbAsync(async db =>
        {
            db.Remove(db.Set<AuditEvent>().Single());
            return await db.SaveChangesAsync();
        }));
        Assert.Equal(1, await _app.WithDbAsync(db => Task.FromResult(db.Set<AuditEvent>().Count())));
        Assert.IsAssignableFrom<IAppendOnly>(new ChangeRecord());
    }
}

public sealed class AuditLogTestsOnSqlite() : AuditLogTests(TestDatabase.Sqlite);

public sealed class AuditLogTestsOnPostgres() : AuditLogTests(TestDatabase.Postgres);
