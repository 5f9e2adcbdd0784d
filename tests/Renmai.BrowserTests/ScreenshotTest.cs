using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>
/// Walks the main customer pages with demo data at desktop and phone width. Always runs (so the
/// pages are checked to render with real data); writes docs/screenshots/*.png only with
/// RENMAI_SCREENSHOTS=1.
/// </summary>
[Collection(SeededServerCollection.Name)]
public sealed class ScreenshotTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Customer_pages_with_demo_data_at_desktop_and_phone_width() => RunAsync(async () =>
    {
        // The login page, logged out (a fresh context).
        var anonymous = await NewPageAsync();
        await anonymous.GotoAsync(Server.Url("/login"));
        await Expect(anonymous.Locator("#login-submit")).ToBeVisibleAsync();
        await Save(anonymous, "login.png");

        await CapturePagesAsync(Page, suffix: "");
        var phone = await NewPageAsync(phone: true);
        await CapturePagesAsync(phone, suffix: "-phone");
    });

    private async Task CapturePagesAsync(IPage page, string suffix)
    {
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);

        await page.OpenListAsync(Server);
        var rows = page.GetByTestId("customer-row");
        await Expect(rows.First).ToBeVisibleAsync();
        Assert.True(await rows.CountAsync() >= 10, "the list should show a page of demo customers");
        Assert.True(await page.CustomerTotalAsync() >= SeededServer.DemoCustomers);
        await Save(page, $"customers-table{suffix}.png");

        var number = await rows.First.GetAttributeAsync("data-number");
        Assert.Matches("^KH\\d{6,}$", number);
        await page.OpenDetailAsync(Server, number!);
        await Expect(page.GetByTestId("customer-name")).Not.ToBeEmptyAsync();
        await Save(page, $"customer-detail{suffix}.png");

        // The form as a company customer (its company section shown), with a name and a phone row.
        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("企业客户");
        await page.FillFieldAsync("name", "上海示例贸易有限公司");
        await page.AddPhoneAsync("13812345678");
        await Save(page, $"customer-form{suffix}.png");
    }

    private async Task Save(IPage page, string name, bool fullPage = false)
    {
        var path = await Screenshots.SaveAsync(page, name, fullPage);
        Output.WriteLine(path is null ? $"{name}: not saved (set RENMAI_SCREENSHOTS=1)" : $"saved {path}");
    }
}
