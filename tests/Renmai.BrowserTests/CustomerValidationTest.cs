using System.Text.RegularExpressions;
using Renmai.BrowserTests.Infrastructure;
using Renmai.Features.Customers;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>Bad identifiers are refused at the field, in Chinese, and nothing is saved.</summary>
[Collection(SeededServerCollection.Name)]
public sealed class CustomerValidationTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task Invalid_uscc_and_mobile_show_chinese_errors_and_create_nothing() => RunAsync(async () =>
    {
        const string badUscc = "91110000600037341A";
        Assert.NotNull(Validators.CheckUscc(badUscc)); // really invalid (wrong check character)
        var page = Page;
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await page.OpenListAsync(Server);
        var totalBefore = await page.CustomerTotalAsync();
        var apiTotalBefore = (await Server.ApiGetAsync("/api/v1/customers?pageSize=1")).GetProperty("total").GetInt32();

        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("企业客户");
        await page.FillFieldAsync("name", "校验测试贸易有限公司");
        await page.FillFieldAsync("uscc", badUscc);
        await page.AddPhoneAsync("1381234");
        await page.GetByTestId("customer-save").ClickAsync();

        // The errors appear at the fields, in Chinese.
        await Expect(page.GetByTestId("field-uscc")).ToContainTextAsync(new Regex("统一社会信用代码.*(校验位|不正确|无效)"));
        await Expect(page.GetByTestId("phone-row").First).ToContainTextAsync(new Regex("(不是有效的电话号码|不是手机号码|手机号码|电话号码)"));
        await Expect(page.GetByTestId("validation-summary")).ToContainTextAsync("统一社会信用代码");
        Assert.Equal("/customers/new", page.PathOf());

        // Nothing was created.
        var apiTotalAfter = (await Server.ApiGetAsync("/api/v1/customers?pageSize=1")).GetProperty("total").GetInt32();
        Assert.Equal(apiTotalBefore, apiTotalAfter);
        await page.OpenListAsync(Server);
        Assert.Equal(totalBefore, await page.CustomerTotalAsync());
    });
}
