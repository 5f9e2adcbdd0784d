using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>公海 in the browser: a rep claims a waiting customer, finds it among their own, and releases it again.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class PoolTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task A_rep_claims_from_the_pool_and_releases_back() => RunAsync(async () =>
    {
        const string password = "Renmai-rep-2026";
        await Server.AddUserAsync("pool-rep@renmai.test", password, "rep", "郑海波");
        await Page.LoginAsync(Server, "pool-rep@renmai.test", password);
        await Page.OpenListAsync(Server);
        Assert.Equal(0, await Page.CustomerTotalAsync());

        await Page.GotoAsync(Server, "/pool");
        var rows = Page.GetByTestId("pool-row");
        await Expect(rows.First).ToBeVisibleAsync();
        await Expect(Page.GetByTestId("pool-rules")).ToContainTextAsync("库容 200 个");
        await Screenshots.SaveAsync(Page, "pool.png");
        var number = await rows.First.GetAttributeAsync("data-number");
        await rows.First.GetByTestId("pool-claim").ClickAsync();
        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync("已领取");
        await Expect(Page.Locator($"[data-testid=pool-row][data-number={number}]")).ToHaveCountAsync(0);

        await Page.OpenListAsync(Server);
        Assert.Equal(1, await Page.CustomerTotalAsync());
        await Page.OpenDetailAsync(Server, number!);
        await Expect(Page.GetByTestId("customer-owner")).ToContainTextAsync("郑海波");
        await Page.GetByTestId("customer-release").ClickAsync();
        await Page.GetByTestId("confirm-release").ClickAsync();
        await Page.ExpectPathAsync("/customers");
        await Expect(Page.GetByTestId("customer-total")).ToContainTextAsync("共 0 个客户");

        // Back in the pool, with its previous owner; claiming it again is refused during the cool-down.
        await Page.GotoAsync(Server, "/pool");
        await Page.GetByTestId("pool-search").TextInput().FillAsync(number!);
        await Page.GetByTestId("pool-search").TextInput().PressAsync("Enter");
        var row = Page.Locator($"[data-testid=pool-row][data-number={number}]");
        await Expect(row).ToContainTextAsync("郑海波");
        await row.GetByTestId("pool-claim").ClickAsync();
        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync("冷却期内不能再次领取");
    });
}
