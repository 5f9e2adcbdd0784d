using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>Repeated wrong passwords lock the account (Identity lockout, on by default).</summary>
[Collection(SeededServerCollection.Name)]
public sealed class LockoutTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Five_wrong_passwords_lock_the_account_even_for_the_right_one() => RunAsync(async () =>
    {
        const string email = "lockout-rep@renmai.test";
        const string password = "Renmai-rep-2026";
        await Server.AddUserAsync(email, password, "rep", "孙销售");

        async Task Attempt(string pw)
        {
            await Page.GotoAsync(Server.Url("/login"));
            await Page.Locator("#email").FillAsync(email);
            await Page.Locator("#password").FillAsync(pw);
            await Page.Locator("#login-submit").ClickAsync();
            await Expect(Page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
        }

        for (var i = 0; i < 4; i++)
        {
            await Attempt("wrong-" + i);
            await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("邮箱或密码不正确");
        }
        await Attempt("wrong-4");
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("账号已临时锁定");

        // Locked: even the right password is refused, and the page says why.
        await Attempt(password);
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("账号已临时锁定");
        Assert.EndsWith("/login", new Uri(Page.Url).AbsolutePath, StringComparison.Ordinal);

        // The admin sees the failures and the lockout, with the address they came from, in the audit log.
        await Page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await Page.GotoAsync(Server, "/audit");
        var table = Page.GetByTestId("audit-table");
        await Expect(table).ToContainTextAsync("账号锁定");
        await Expect(table).ToContainTextAsync("登录失败");
        await Expect(table).ToContainTextAsync(email);
        await Expect(table).ToContainTextAsync("127.0.0.1");
        await Screenshots.SaveAsync(Page, "audit.png");

        // The export link carries the filters and downloads a CSV.
        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByTestId("audit-export").ClickAsync());
        var csv = await File.ReadAllTextAsync(await download.PathAsync());
        Assert.Contains("账号锁定", csv, StringComparison.Ordinal);
        Assert.Contains(email, csv, StringComparison.Ordinal);
    });
}
