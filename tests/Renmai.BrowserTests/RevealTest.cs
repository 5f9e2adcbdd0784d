using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>Encryption at rest as a user sees it: masked phone on the detail page, 显示 reveals it, search by number.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class RevealTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Detail_page_shows_a_masked_phone_and_reveal_shows_the_plaintext() => RunAsync(async () =>
    {
        var page = Page;
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("个人客户");
        await page.FillFieldAsync("name", "揭示测试客户");
        await page.AddPhoneAsync("13955557788");
        var number = await page.SaveAndGetNumberAsync();

        var phone = page.GetByTestId("phone").First;
        await Expect(phone).ToContainTextAsync("139****7788");
        await Expect(phone).Not.ToContainTextAsync("5555");
        await SaveAsync(page, "reveal-masked");

        await page.GetByTestId("reveal").ClickAsync();
        await Expect(phone).ToContainTextAsync("139 5555 7788");
        await Expect(page.GetByTestId("reveal")).ToHaveCountAsync(0);
        await SaveAsync(page, "reveal-plaintext");

        // The full number and its last four digits find the customer through the blind index.
        foreach (var q in new[] { "13955557788", "7788" })
        {
            await page.OpenListAsync(Server);
            await page.SearchAsync(q);
            await Expect(page.CustomerRow(number)).ToBeVisibleAsync();
        }
    });

    private async Task SaveAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "test-results");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        Output.WriteLine("screenshot: " + path);
        await Screenshots.SaveAsync(page, name + ".png");
    }
}
