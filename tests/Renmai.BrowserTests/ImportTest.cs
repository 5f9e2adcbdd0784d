using System.Text;
using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>
/// Import in the browser: a GBK csv whose name column has an unknown header and one bad row; the user
/// fixes the mapping, sees the preview with the error, runs it, watches it finish, downloads the error
/// file, finds the imported customer in the customer table by pinyin initials and sees its contact person.
/// </summary>
[Collection(SeededServerCollection.Name)]
public sealed class ImportTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task A_user_fixes_the_mapping_previews_imports_and_finds_the_customer() => RunAsync(async () =>
    {
        var csv = "单位抬头,手机,联系人,职位,部门,联系人角色,意向度,备注\r\n"
            + "厦门鹭岛茶叶贸易有限公司,13959201234,陈茶农,采购主管,采购部,关键决策人,A级,展会认识\r\n"
            + "泉州刺桐五金有限公司,1.39592E+10,,,,,B级,号码被 Excel 改坏\r\n"
            + "漳州水仙花卉有限公司,13959205678,,,,,C级,\r\n";
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var file = Path.Combine(Path.GetTempPath(), "导入-" + Guid.NewGuid().ToString("N")[..6] + ".csv");
        await File.WriteAllBytesAsync(file, Encoding.GetEncoding("GB18030").GetBytes(csv));

        await Page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await Page.GotoAsync(Server, "/import");
        await Page.GetByTestId("import-file").SetInputFilesAsync(file);
        await Expect(Page.GetByTestId("import-detected")).ToContainTextAsync("GB18030");

        // "单位抬头" is not a known header: preview says the name column is missing until it is mapped.
        await Page.GetByTestId("to-preview").ClickAsync();
        await Expect(Page.GetByTestId("import-error")).ToContainTextAsync("客户名称");
        await Page.PickAsync(Page.GetByTestId("map-0"), "客户名称");
        await Screenshots.SaveAsync(Page, "import-mapping.png");
        await Page.GetByTestId("to-preview").ClickAsync();

        await Expect(Page.GetByTestId("preview-summary")).ToContainTextAsync("新建 2");
        var bad = Page.GetByTestId("preview-row").And(Page.Locator("[data-action='error']"));
        await Expect(bad).ToHaveCountAsync(1);
        await Expect(bad).ToContainTextAsync("科学计数法");
        await Screenshots.SaveAsync(Page, "import-preview.png");

        await Page.GetByTestId("start-import").ClickAsync();
        await Expect(Page.GetByTestId("import-status")).ToHaveAttributeAsync("data-status", "succeeded", new() { Timeout = 60_000 });
        await Expect(Page.GetByTestId("import-message")).ToContainTextAsync("新建 2");
        await Screenshots.SaveAsync(Page, "import-done.png");

        // The error file: the bad row as in the file, with the reason.
        var href = await Page.GetByTestId("error-file").GetAttributeAsync("href");
        var response = await Page.Context.APIRequest.GetAsync(Server.Url(href!));
        Assert.Equal(200, response.Status);
        var body = await response.BodyAsync();
        Assert.Equal((byte)'P', body[0]); // an xlsx (zip) package
        Assert.True(body.Length > 1000);

        // The imported customer is in the customer table.
        await Page.OpenListAsync(Server);
        // Found by the pinyin initials of 鹭岛茶叶 (lu dao cha ye), as a rep would type them.
        await Page.SearchAsync("ldcy");
        await Expect(Page.GetByTestId("customer-total")).ToContainTextAsync("共 1 个客户");
        await Expect(Page.GetByTestId("customer-row").First).ToContainTextAsync("厦门鹭岛茶叶贸易有限公司");

        // Its 联系人, 职位, 部门 and 联系人角色 (联系人决策链角色) columns became its contact person.
        await Page.GetByTestId("customer-row").First.GetByText("厦门鹭岛茶叶贸易有限公司").First.ClickAsync();
        await Page.ExpectPathMatchAsync("/customers/KH\\d{6,}");
        await Page.WaitForInteractiveAsync();
        // The tab shows the number of contacts as a badge next to its name.
        await Page.Locator(".mud-tab").Filter(new() { HasText = "联系人" }).First.ClickAsync();
        var contact = Page.GetByTestId("contact-row");
        await Expect(contact).ToHaveCountAsync(1);
        await Expect(contact).ToContainTextAsync("陈茶农");
        await Expect(contact).ToContainTextAsync("采购主管");
        await Expect(contact).ToContainTextAsync("采购部");
        await Expect(contact).ToContainTextAsync("关键决策人");
        await Screenshots.SaveAsync(Page, "import-contact-on-detail.png");
        File.Delete(file);
    });
}
