using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>First start: the one-time code from the log creates the admin; then login and logout.</summary>
[Collection(FreshServerCollection.Name)]
public sealed class FirstRunSetupTest(FreshServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<FreshServer>(server, browser, output)
{
    private const string Email = "owner@renmai.test";
    private const string Password = "Setup-pass-2026";
    private const string Name = "李老板";

    [Fact]
    public Task Setup_code_creates_the_admin_who_can_log_out_and_in_again() => RunAsync(async () =>
    {
        var code = Server.SetupCode;
        Assert.False(string.IsNullOrEmpty(code), "the server log has no 'First-run setup code':\n" + Server.Log);
        Assert.Matches(@"^\d{4}-\d{4}$", code);

        // Every page leads to /setup until the first account exists.
        await Page.GotoAsync(Server.Url("/"));
        await Expect(Page).ToHaveURLAsync(Server.Url("/setup"));
        await Page.GotoAsync(Server.Url("/customers"));
        await Expect(Page).ToHaveURLAsync(Server.Url("/setup"));
        await Expect(Page.Locator("#setup-submit")).ToBeVisibleAsync();
        await Screenshots.SaveAsync(Page, "setup.png");

        // A wrong code is refused in Chinese and creates nothing.
        var wrong = code == "0000-0000" ? "1111-1111" : "0000-0000";
        await FillSetupAsync(wrong);
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("设置代码不正确");
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/setup"));

        // The right code creates the admin and signs them in.
        await FillSetupAsync(code!);
        await Page.ExpectPathAsync("/customers");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.Locator(".mud-appbar")).ToContainTextAsync(Name);

        // The setup page is closed now.
        await Page.GotoAsync(Server.Url("/setup"));
        await Expect(Page.Locator("#setup-submit")).ToHaveCountAsync(0);
        await Expect(Page.Locator("body")).ToContainTextAsync("系统已完成设置");

        // Log out through the app bar's form POST.
        await Page.GotoAsync(Server, "/customers");
        await Page.LogoutAsync();
        await Page.GotoAsync(Server.Url("/customers"));
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login\\?returnUrl=%2Fcustomers$", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        await Screenshots.SaveAsync(Page, "login.png");

        // A wrong password is refused in Chinese.
        await Page.Locator("#email").FillAsync(Email);
        await Page.Locator("#password").FillAsync("not-the-password");
        await Page.Locator("#login-submit").ClickAsync();
        await Expect(Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("邮箱或密码不正确");
        Assert.Equal("/login", Page.PathOf());

        // The right password logs in and returns to the page asked for.
        await Page.Locator("#email").FillAsync(Email);
        await Page.Locator("#password").FillAsync(Password);
        await Page.Locator("#login-submit").ClickAsync();
        await Page.ExpectPathAsync("/customers");
        await Page.WaitForInteractiveAsync();
        await Expect(Page.Locator(".mud-appbar")).ToContainTextAsync(Name);

        // Signing out clears the cookie: the next visit goes to the login page again.
        await Page.LogoutAsync();
        await Page.GotoAsync(Server.Url("/"));
        await Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/login"));
    });

    private async Task FillSetupAsync(string code)
    {
        await Page.Locator("#code").FillAsync(code);
        await Page.Locator("#displayName").FillAsync(Name);
        await Page.Locator("#email").FillAsync(Email);
        await Page.Locator("#password").FillAsync(Password);
        await Page.Locator("#confirm").FillAsync(Password);
        await Page.Locator("#setup-submit").ClickAsync();
    }
}
