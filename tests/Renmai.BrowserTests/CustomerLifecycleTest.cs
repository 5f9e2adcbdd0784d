using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Renmai.BrowserTests.Infrastructure;
using Renmai.Features.Customers;
using Xunit;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests;

/// <summary>
/// The acceptance scenario of the customer-ledger issue, end to end in a browser: create a company
/// customer, add contacts, find it with a filter, edit it and see the history, survive a concurrent
/// edit without losing either change, delete it to the recycle bin and restore it.
/// </summary>
[Collection(SeededServerCollection.Name)]
public sealed class CustomerLifecycleTest(SeededServer server, BrowserFixture browser, ITestOutputHelper output)
    : BrowserTest<SeededServer>(server, browser, output)
{
    private const string CompanyName = "北京华夏科技有限公司";
    private const string Industry = "制造业";

    /// <summary>91110000600037341L if its check character is right; otherwise the same 17 characters with the right one.</summary>
    internal static string ValidUscc()
    {
        const string candidate = "91110000600037341L";
        return Validators.CheckUscc(candidate) is null ? candidate : candidate[..17] + Validators.UsccCheckChar(candidate[..17]);
    }

    [Fact]
    public Task Company_customer_lifecycle_create_contacts_filter_edit_history_conflict_delete_restore() => RunAsync(async () =>
    {
        var uscc = ValidUscc();
        Assert.Null(Validators.CheckUscc(uscc));
        var page = Page;
        await page.LoginAsync(Server, SeededServer.AdminEmail, SeededServer.AdminPassword);

        // 1. Create a company customer.
        await page.OpenNewFormAsync(Server);
        await page.ChooseKindAsync("企业客户");
        await page.FillFieldAsync("name", CompanyName);
        await page.FillFieldAsync("uscc", uscc);
        await page.FillFieldAsync("industry", Industry);
        await page.AddPhoneAsync("13812345678");
        await page.PickFieldAsync("type", "潜在客户");
        await page.PickFieldAsync("intent", "A级");
        var number = await page.SaveAndGetNumberAsync();
        Output.WriteLine("created " + number);
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync(CompanyName);

        var saved = await Server.ApiGetAsync($"/api/v1/customers/{number}");
        Assert.Equal("company", saved.GetProperty("kind").GetString(), ignoreCase: true);
        Assert.Equal(uscc, saved.GetProperty("uscc").GetString());
        Assert.Equal(Industry, saved.GetProperty("industry").GetString());
        Assert.Equal("138****5678", saved.GetProperty("phones")[0].GetProperty("number").GetString()); // masked on read (ADR 0013)

        // 2. Two contacts on the detail page.
        await page.OpenTabAsync("联系人");
        await page.AddContactAsync("张伟", "总经理", "13900001111", role: "关键决策人");
        await page.AddContactAsync("李娜", "采购经理", "13900002222");
        await Expect(page.GetByTestId("contact-row")).ToHaveCountAsync(2);
        await Expect(page.GetByTestId("contact-row").Filter(new() { HasText = "张伟" })).ToContainTextAsync("关键决策人");

        // 3. Find it in the list with the filter builder (行业 = 制造业).
        await page.OpenListAsync(Server);
        var totalBefore = await page.CustomerTotalAsync();
        var others = await NumbersAsync("/api/v1/customers?filter=" + Uri.EscapeDataString($"industry:ne:{Industry}") + "&pageSize=10");
        Assert.NotEmpty(others); // the demo customers are not all in 制造业
        await page.AddFilterAsync("行业", ["等于", "包含"], Industry);
        await Expect(page.CustomerRow(number)).ToBeVisibleAsync();
        foreach (var other in others) await Expect(page.CustomerRow(other)).ToHaveCountAsync(0);
        Assert.True(await page.CustomerTotalAsync() < totalBefore, "the 行业 filter did not narrow the list");

        // ... and with the search box.
        await page.OpenListAsync(Server);
        await page.SearchAsync("华夏科技");
        await Expect(page.CustomerRow(number)).ToBeVisibleAsync();
        await Expect(page.GetByTestId("customer-row")).ToHaveCountAsync(1);

        // 4. Open it from the list and edit region and intent; the history shows the change.
        await page.CustomerRow(number).GetByText(CompanyName).First.ClickAsync();
        await page.ExpectPathAsync($"/customers/{number}");
        await Expect(page.GetByTestId("customer-name")).ToContainTextAsync(CompanyName);
        await page.GetByTestId("customer-edit").ClickAsync();
        await page.ExpectPathAsync($"/customers/{number}/edit");
        await Expect(page.Field("name")).ToHaveValueAsync(CompanyName);
        await page.FillFieldAsync("region", "华北");
        await page.PickFieldAsync("intent", "B级");
        await page.GetByTestId("customer-save").ClickAsync();
        await page.ExpectPathAsync($"/customers/{number}");
        await page.OpenTabAsync("变更记录");
        await Expect(page.GetByTestId("history-entry").Filter(new() { HasText = "区域" }).Filter(new() { HasText = "华北" }).First)
            .ToBeVisibleAsync();
        var edited = await Server.ApiGetAsync($"/api/v1/customers/{number}");
        Assert.Equal("华北", edited.GetProperty("region").GetString());
        Assert.Equal("B", edited.GetProperty("intent").GetString(), ignoreCase: true);

        // 5. Concurrent edit: two tabs open the form; the first saves; the second's save is refused
        //    with a clear message and the form reloads with the first change; saving again works.
        var first = page;
        var second = await NewPageInAsync(page.Context);
        await first.OpenEditFormAsync(Server, number, CompanyName);
        await second.OpenEditFormAsync(Server, number, CompanyName);

        await first.FillFieldAsync("street", "中关村大街 1 号");
        await first.GetByTestId("customer-save").ClickAsync();
        await first.ExpectPathAsync($"/customers/{number}");

        await second.FillFieldAsync("notes", "第二个标签页写的备注");
        await second.GetByTestId("customer-save").ClickAsync();
        var conflict = second.GetByTestId("conflict-alert");
        await Expect(conflict).ToBeVisibleAsync();
        await Expect(conflict).ToContainTextAsync("已被");
        await Expect(conflict).ToContainTextAsync("修改");
        Assert.Equal($"/customers/{number}/edit", second.PathOf());
        await Expect(second.Field("street")).ToHaveValueAsync("中关村大街 1 号");

        // The second tab enters its change again (if the reload dropped it) and saves.
        if (await second.Field("notes").InputValueAsync() != "第二个标签页写的备注")
            await second.FillFieldAsync("notes", "第二个标签页写的备注");
        await second.GetByTestId("customer-save").ClickAsync();
        await second.ExpectPathAsync($"/customers/{number}");
        var merged = await Server.ApiGetAsync($"/api/v1/customers/{number}");
        Assert.Equal("中关村大街 1 号", merged.GetProperty("street").GetString());
        Assert.Equal("第二个标签页写的备注", merged.GetProperty("notes").GetString());
        await second.CloseAsync();

        // 6. Delete (with confirmation) → gone from the list → in the recycle bin → restore → back.
        await page.OpenDetailAsync(Server, number);
        await page.GetByTestId("customer-delete").ClickAsync();
        await page.GetByTestId("confirm-delete").ClickAsync();
        await Expect(page).Not.ToHaveURLAsync(new Regex(Regex.Escape($"/customers/{number}") + "$"));
        var bin = await NumbersAsync("/api/v1/recycle-bin/customers?pageSize=100");
        Assert.Contains(number, bin);

        await page.OpenListAsync(Server);
        await page.SearchAsync("华夏科技");
        await Expect(page.CustomerRow(number)).ToHaveCountAsync(0);

        await page.GotoAsync(Server, "/recycle-bin");
        var deleted = page.DeletedRow(number);
        await Expect(deleted).ToBeVisibleAsync();
        await Expect(deleted).ToContainTextAsync(CompanyName);
        await deleted.GetByTestId("restore").ClickAsync();
        await Expect(deleted).ToHaveCountAsync(0);

        await page.OpenListAsync(Server);
        await page.SearchAsync("华夏科技");
        await Expect(page.CustomerRow(number)).ToBeVisibleAsync();
        var restored = await Server.ApiGetAsync($"/api/v1/customers/{number}");
        Assert.Equal(CompanyName, restored.GetProperty("name").GetString());
    });

    private async Task<List<string>> NumbersAsync(string apiPath)
    {
        var json = await Server.ApiGetAsync(apiPath);
        return [.. json.GetProperty("items").EnumerateArray().Select(c => c.GetProperty("number").GetString()!)];
    }
}
