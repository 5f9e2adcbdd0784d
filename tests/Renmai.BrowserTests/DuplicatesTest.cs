using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>R10.3 as a user sees it: the warning on create, the scan, side-by-side review, a merge and its undo.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class DuplicatesTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Lookalike_warns_on_create_then_scan_merge_and_undo() => RunAsync(async () =>
    {
        var page = Page;
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("企业客户");
        await page.FillFieldAsync("name", "北京翰墨合并测试科技有限公司");
        var first = await page.SaveAndGetNumberAsync();

        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("企业客户");
        await page.FillFieldAsync("name", "翰墨合并测试科技（北京）有限公司");
        await page.GetByTestId("customer-save").ClickAsync();
        var warning = page.GetByTestId("duplicate-warning");
        await Expect(warning).ToContainTextAsync(first);
        await Expect(warning).ToContainTextAsync("公司名称相同");
        await Screenshots.SaveAsync(page, "duplicate-warning.png", fullPage: true);
        await page.GetByTestId("duplicate-continue").ClickAsync();
        await page.ExpectPathMatchAsync("/customers/KH\\d{6,}");
        var second = page.PathOf().Split('/').Last();
        Assert.NotEqual(first, second);

        await page.GotoAsync(Server, "/duplicates");
        await page.GetByTestId("duplicate-scan").ClickAsync();
        await Expect(page.GetByTestId("scan-result")).ToBeVisibleAsync();
        var group = page.GetByTestId("duplicate-group").Filter(new() { HasText = "翰墨合并测试" });
        await Expect(group).ToHaveCountAsync(1);
        await Expect(group).ToContainTextAsync(first);
        await Expect(group).ToContainTextAsync(second);
        await group.GetByTestId("duplicate-merge").ClickAsync();
        // Keep the first record, but the second's name.
        await group.GetByTestId($"pick-Name-{second}").CheckAsync();
        await Screenshots.SaveAsync(page, "duplicates-merge.png", fullPage: true);
        await group.GetByTestId("merge-confirm").ClickAsync();
        await Expect(page.GetByTestId("merge-result")).ToContainTextAsync(second);
        await Expect(group).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(page, "duplicates-merged.png", fullPage: true);

        // Undo brings the group and the second customer back, and the first one's own name.
        await page.GetByTestId("merge-undo").ClickAsync();
        await Expect(group).ToHaveCountAsync(1);
        await page.GotoAsync(Server, "/customers/" + first);
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync("北京翰墨合并测试科技有限公司");
        await page.GotoAsync(Server, "/customers/" + second);
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync("翰墨合并测试科技（北京）有限公司");
    });
}
