using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Customers;

/// <summary>The table's total is reused between pages, yet every kind of write shows in the next request.</summary>
public sealed class ListTotalsTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(TestDatabase.Sqlite);
        await _app.AddUserAsync("totals-admin@example.com", Roles.Admin, "王管理");
        await _app.AddUserAsync("totals-rep@example.com", Roles.Rep, "李销售");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<int> TotalAsync(string email, int page = 1) => _app.AsUserAsync(email, async sp =>
        (await sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery
        {
            Page = page, PageSize = 2, Filters = [new CustomerFilter("industry", FilterOp.Eq, "制造业")],
        })).Total);

    private Task<CustomerForm> CreateAsync(string email, string name) => _app.AsUserAsync(email, sp =>
        sp.GetRequiredService<CustomerService>().CreateAsync(new CustomerForm
        {
            Kind = CustomerKind.Company, Name = name, Industry = "制造业", Type = CustomerType.Potential,
        }));

    [Fact]
    public async Task Creates_edits_deletes_restores_and_bulk_loads_show_in_the_next_total()
    {
        var first = await CreateAsync("totals-admin@example.com", "苏州精工机械有限公司");
        Assert.Equal(1, await TotalAsync("totals-admin@example.com"));
        Assert.Equal(0, await TotalAsync("totals-rep@example.com")); // scope is part of the key

        var second = await CreateAsync("totals-rep@example.com", "无锡华光电机厂");
        Assert.Equal(2, await TotalAsync("totals-admin@example.com", page: 2));
        Assert.Equal(1, await TotalAsync("totals-rep@example.com"));

        // An edit that moves the customer out of the filter.
        var form = await _app.AsUserAsync("totals-rep@example.com", sp => sp.GetRequiredService<CustomerService>().GetAsync(second.Number!));
        form.Industry = "零售业";
        await _app.AsUserAsync("totals-rep@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(second.Number!, form, form.Version));
        Assert.Equal(1, await TotalAsync("totals-admin@example.com"));

        await _app.AsUserAsync("totals-admin@example.com", sp => sp.GetRequiredService<CustomerService>().DeleteAsync(first.Number!));
        Assert.Equal(0, await TotalAsync("totals-admin@example.com"));
        await _app.AsUserAsync("totals-admin@example.com", sp => sp.GetRequiredService<CustomerService>().RestoreAsync(first.Number!));
        Assert.Equal(1, await TotalAsync("totals-admin@example.com"));

        // The bulk writer (demo data, imports) writes beside EF.
        var before = await TotalAsync("totals-admin@example.com");
        await Renmai.Features.Customers.DemoData.FillAsync(_app.Services, 300, 7, TextWriter.Null, CancellationToken.None);
        Assert.True(await TotalAsync("totals-admin@example.com") > before, "the demo customers (some 制造业) are counted at once");
    }
}
