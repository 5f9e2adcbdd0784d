using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>The global search box in the top bar: pinyin initials and a person's company while typing, open the customer; Enter opens the list.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class GlobalSearchTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Typing_pinyin_initials_finds_the_customer_and_opens_it() => RunAsync(async () =>
    {
        var page = Page;
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("个人客户");
        await page.FillFieldAsync("name", "单田芳");
        await page.FillFieldAsync("company", "长城评书艺术有限公司");
        await page.AddPhoneAsync("13912344321");
        await SaveAsync(page, "customer-form-person");
        var number = await page.SaveAndGetNumberAsync();

        // 单 as a surname reads shan: the initials are stf.
        var box = page.GetByTestId("global-search").Locator("input");
        await box.ClickAsync();
        await box.PressSequentiallyAsync("stf", new() { Delay = 80 });
        var hit = page.GetByTestId("global-search-hit").Filter(new() { HasText = "单田芳" });
        await Expect(hit).ToBeVisibleAsync();
        await Expect(hit).ToContainTextAsync(number);
        await Expect(hit).ToContainTextAsync("139****4321");
        await Expect(page.GetByTestId("global-search-all")).ToBeVisibleAsync();
        await SaveAsync(page, "global-search");

        await hit.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/customers/" + number + "$"));
        await Expect(page.GetByText("单田芳").First).ToBeVisibleAsync();
        await Expect(page.GetByText("长城评书艺术有限公司")).ToBeVisibleAsync();
        await SaveAsync(page, "customer-detail-person");

        // Enter takes the first entry: the customer list filtered by the text.
        await box.ClickAsync();
        await box.FillAsync("");
        await box.PressSequentiallyAsync("shantian", new() { Delay = 60 });
        await Expect(page.GetByTestId("global-search-all")).ToBeVisibleAsync();
        await box.PressAsync("Enter");
        await Expect(page).ToHaveURLAsync(new Regex("/customers\\?q=shantian$"));
        await Expect(page.CustomerRow(number)).ToBeVisibleAsync();
        // Best matches first (the start of a pinyin name) until a column header is clicked.
        await Expect(page.GetByTestId("sort-relevance")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("customer-row").First).ToContainTextAsync("单田芳");
        await SaveAsync(page, "customer-list-relevance");
        await page.Locator("th[data-key='name']").ClickAsync();
        await Expect(page.GetByTestId("sort-relevance")).ToHaveCountAsync(0);
        await Expect(page.Locator("th[data-key='name'] .sort-icon")).ToBeVisibleAsync();

        // Where the person works finds them too.
        await box.ClickAsync();
        await box.FillAsync("");
        await box.PressSequentiallyAsync("长城评书", new() { Delay = 80 });
        await Expect(page.GetByTestId("global-search-hit").Filter(new() { HasText = "单田芳" })).ToBeVisibleAsync();
    });

    private async Task SaveAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "test-results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path });
        Output.WriteLine("screenshot: " + path);
        await Screenshots.SaveAsync(page, name + ".png");
    }
}
