using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>Simplified Chinese by default, English on request (/culture sets the culture cookie).</summary>
[Collection(SeededServerCollection.Name)]
public sealed class LanguageSwitchTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Culture_link_switches_the_page_culture_and_back() => RunAsync(async () =>
    {
        await Page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);

        await Page.GotoAsync(Server, "/customers");
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");

        await Page.GotoAsync(Server, "/culture?c=en&returnUrl=/customers");
        await Expect(Page).ToHaveURLAsync(Server.Url("/customers"));
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        var cookies = await Page.Context.CookiesAsync();
        Assert.Contains(cookies, c => c.Name == ".AspNetCore.Culture" && Uri.UnescapeDataString(c.Value).Contains("uic=en", StringComparison.Ordinal));

        // Only local return paths are followed (no open redirect).
        await Page.GotoAsync(Server.Url("/culture?c=zh-CN&returnUrl=https://example.com/"));
        await Expect(Page).ToHaveURLAsync(new Regex("^" + Regex.Escape(Server.BaseUrl)));

        await Page.GotoAsync(Server, "/culture?c=zh-CN&returnUrl=/customers");
        await Expect(Page).ToHaveURLAsync(Server.Url("/customers"));
        await Expect(Page.Locator("html")).ToHaveAttributeAsync("lang", "zh-CN");
    });

    [Fact]
    public Task English_culture_translates_the_navigation_and_chinese_comes_back() => RunAsync(async () =>
    {
        await Page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        var nav = Page.GetByRole(AriaRole.Navigation);

        await Page.GotoAsync(Server, "/customers");
        await Expect(nav).ToContainTextAsync("客户");

        await Page.GotoAsync(Server, "/culture?c=en&returnUrl=/customers");
        await Expect(Page).ToHaveURLAsync(Server.Url("/customers"));
        await Expect(nav).ToContainTextAsync("Customers");
        await Expect(nav).Not.ToContainTextAsync("客户");

        await Page.GotoAsync(Server, "/culture?c=zh-CN&returnUrl=/customers");
        await Expect(Page).ToHaveURLAsync(Server.Url("/customers"));
        await Expect(nav).ToContainTextAsync("客户");
        await Expect(nav).Not.ToContainTextAsync("Customers");
    });
}
