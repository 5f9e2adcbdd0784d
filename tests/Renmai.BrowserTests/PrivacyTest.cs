using Microsoft.Playwright;
using MiniExcelLibs;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>隐私与授权 (R12.6) in the browser: a rep records a consent, is told what is missing, and downloads the person's data.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class PrivacyTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task A_rep_records_a_consent_and_downloads_the_persons_data() => RunAsync(async () =>
    {
        const string password = "Renmai-rep-2026";
        await Server.AddUserAsync("privacy-rep@renmai.test", password, "rep", "何丽华");
        await Page.LoginAsync(Server, "privacy-rep@renmai.test", password);
        await Page.OpenNewFormAsync(Server);
        await Page.ChooseKindAsync("个人客户");
        await Page.FillFieldAsync("name", "上官婉清");
        await Page.AddPhoneAsync("13587654321");
        var number = await Page.SaveAndGetNumberAsync();

        await Page.OpenTabAsync("隐私与授权");
        await Expect(Page.GetByTestId("consent-empty")).ToBeVisibleAsync();
        await Page.GetByTestId("consent-add").ClickAsync();
        // Saving without purpose and channel: the messages appear at the fields.
        await Page.GetByTestId("consent-save").ClickAsync();
        await Expect(Page.GetByTestId("consent-purpose")).ToContainTextAsync("请选择或填写授权目的");
        await Expect(Page.GetByTestId("consent-channel")).ToContainTextAsync("请选择授权方式");
        await Page.PickAsync(Page.GetByTestId("consent-purpose"), "营销推广");
        await Page.PickAsync(Page.GetByTestId("consent-channel"), "微信");
        await Page.GetByTestId("consent-note").Locator("textarea").First.FillAsync("公众号表单 2026-11 第 18 号");
        await Page.GetByTestId("consent-save").ClickAsync();
        await Expect(Page.Locator(".mud-snackbar").Filter(new() { HasText = "已记录授权" })).ToBeVisibleAsync();
        var row = Page.GetByTestId("consent-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("营销推广");
        await Expect(row).ToContainTextAsync("何丽华");
        await Expect(row.GetByTestId("consent-status")).ToContainTextAsync("有效");
        // A rep may not erase: the button is for admins.
        await Expect(Page.GetByTestId("erase")).ToHaveCountAsync(0);
        // The snackbars would cover the page header in the picture.
        foreach (var close in await Page.Locator(".mud-snackbar button").AllAsync()) await close.ClickAsync();
        await Expect(Page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await Screenshots.SaveAsync(Page, "customer-privacy.png");

        var download = await Page.RunAndWaitForDownloadAsync(() => Page.GetByTestId("export-xlsx").ClickAsync());
        Assert.EndsWith(".xlsx", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.Contains(number, download.SuggestedFilename, StringComparison.Ordinal);
        var path = Path.Combine(Path.GetTempPath(), $"renmai-privacy-{Guid.NewGuid():N}.xlsx");
        await download.SaveAsAsync(path);
        try
        {
            var basics = MiniExcel.Query(path, useHeaderRow: true, sheetName: "基本信息").Cast<IDictionary<string, object?>>().ToList();
            Assert.Contains(basics, r => (string?)r["值"] == "上官婉清");
            var consents = MiniExcel.Query(path, useHeaderRow: true, sheetName: "授权记录").Cast<IDictionary<string, object?>>().ToList();
            Assert.Equal("营销推广", Assert.Single(consents)["目的"]);
        }
        finally
        {
            File.Delete(path);
        }

        // Withdrawing keeps the row, marked as withdrawn.
        await row.GetByTestId("consent-withdraw").ClickAsync();
        await Page.GetByTestId("confirm-withdraw").ClickAsync();
        await Expect(row.GetByTestId("consent-status")).ToContainTextAsync("已撤回");

        // The admin erases the person: the button stays disabled until the number is typed.
        var admin = await NewPageAsync();
        await admin.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await admin.OpenDetailAsync(Server, number);
        await admin.OpenTabAsync("隐私与授权");
        await admin.GetByTestId("erase").ClickAsync();
        await Expect(admin.GetByTestId("erase-confirm")).ToBeDisabledAsync();
        await admin.GetByTestId("erase-confirmation").TextInput().FillAsync(number);
        await admin.GetByTestId("erase-confirm").ClickAsync();
        await Expect(admin.Locator(".mud-snackbar").Filter(new() { HasText = "已删除个人信息" })).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("customer-name")).ToHaveTextAsync("已删除-" + number);
        // The consent stays as proof.
        await Expect(admin.GetByTestId("consent-row")).ToHaveCountAsync(1);
    });
}
