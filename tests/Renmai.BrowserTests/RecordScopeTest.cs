using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>
/// Record scope in the UI (R12.1): rep B cannot reach rep A's customer by URL, search or table
/// filter; after the admin deactivates A with a handover to B, B owns it.
/// </summary>
[Collection(SeededServerCollection.Name)]
public sealed class RecordScopeTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    [Fact]
    public Task A_rep_cannot_reach_another_reps_customer_until_it_is_handed_over() => RunAsync(async () =>
    {
        const string password = "Renmai-rep-2026";
        await Server.AddUserAsync("scope-a@renmai.test", password, "rep", "周晓燕");
        await Server.AddUserAsync("scope-b@renmai.test", password, "rep", "吴建国");

        // Rep A creates a customer.
        await Page.LoginAsync(Server, "scope-a@renmai.test", password);
        await Page.OpenNewFormAsync(Server);
        await Page.ChooseKindAsync("企业客户");
        await Page.FillFieldAsync("name", "宁波象山海产品贸易有限公司");
        var number = await Page.SaveAndGetNumberAsync();

        // Rep B: not by URL, not by search, not by filter.
        var b = await NewPageAsync();
        await b.LoginAsync(Server, "scope-b@renmai.test", password);
        await b.GotoAsync(Server, $"/customers/{number}");
        await Expect(b.GetByTestId("not-found")).ToBeVisibleAsync();
        await b.GotoAsync(Server, $"/customers/{number}/edit");
        await Expect(b.GetByTestId("not-found")).ToBeVisibleAsync();
        await b.OpenListAsync(Server);
        Assert.Equal(0, await b.CustomerTotalAsync());
        await b.SearchAsync("象山海产");
        await Expect(b.GetByTestId("customer-total")).ToContainTextAsync("共 0 个客户");
        await b.GotoAsync(Server, "/customers");
        await b.AddFilterAsync("客户名称", ["包含"], "宁波象山");
        await Expect(b.GetByTestId("customer-total")).ToContainTextAsync("共 0 个客户");
        await Expect(b.CustomerRow(number)).ToHaveCountAsync(0);

        // The admin deactivates A and hands the customers to B.
        var admin = await NewPageAsync();
        await admin.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);
        await admin.GotoAsync(Server, "/settings/users");
        var rowA = admin.GetByTestId("user-row").And(admin.Locator("[data-email='scope-a@renmai.test']"));
        await Expect(rowA).ToContainTextAsync("周晓燕");
        await rowA.GetByTestId("user-deactivate").ClickAsync();
        await admin.PickAsync(admin.GetByTestId("pick-user"), "吴建国（scope-b@renmai.test）");
        await admin.GetByTestId("confirm-pick-user").ClickAsync();
        await Expect(rowA).ToContainTextAsync("已停用");
        await Screenshots.SaveAsync(admin, "settings-users.png");

        // B now sees it, and it says who owns it.
        await b.OpenDetailAsync(Server, number);
        await Expect(b.GetByTestId("customer-owner")).ToContainTextAsync("吴建国");
        // A's session ended with the deactivation.
        await Page.GotoAsync(Server.Url("/customers"));
        await Page.ExpectPathAsync("/login");
        await Screenshots.SaveAsync(b, "customer-detail-owner.png");
    });
}
