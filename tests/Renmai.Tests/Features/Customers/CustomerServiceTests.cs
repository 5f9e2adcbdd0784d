using System.Text.Json.Nodes;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Customers;

/// <summary>The services as the Blazor pages use them (signed-in user, no HTTP), on SQLite.</summary>
public sealed class CustomerServiceTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(TestDatabase.Sqlite);
        await _app.AddUserAsync("wang@example.com", Roles.Admin, "王经理");
        await _app.AddUserAsync("li@example.com", Roles.Manager, "李主管");
        await _app.AddUserAsync("sun@example.com", Roles.Admin, "孙主任");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static CustomerForm Company(string name = "成都天府软件有限公司") => new()
    {
        Kind = CustomerKind.Company, Name = name, Industry = "信息技术", Type = CustomerType.Potential, Intent = IntentGrade.C,
        Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = "13700001234" }],
    };

    [Fact]
    public async Task The_second_of_two_concurrent_edits_is_refused_with_the_current_values()
    {
        var created = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().CreateAsync(Company()));
        var number = created.Number!;

        // Both open the edit form at version 1.
        var formWang = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().GetAsync(number));
        var formSun = await _app.AsUserAsync("sun@example.com", sp => sp.GetRequiredService<CustomerService>().GetAsync(number));

        formWang.Region = "西南";
        await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(number, formWang, formWang.Version));

        formSun.Intent = IntentGrade.A;
        var conflict = await Assert.ThrowsAsync<ConcurrencyConflictException>(() =>
            _app.AsUserAsync("sun@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(number, formSun, formSun.Version)));
        Assert.Contains("王经理", conflict.Message);
        var current = Assert.IsType<CustomerForm>(conflict.Current);
        Assert.Equal("西南", current.Region);
        Assert.Equal(IntentGrade.C, current.Intent);

        // Re-applying on top of the current values works and keeps both changes.
        current.Intent = IntentGrade.A;
        var saved = await _app.AsUserAsync("sun@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(number, current, current.Version));
        Assert.Equal("西南", saved.Region);
        Assert.Equal(IntentGrade.A, saved.Intent);
        Assert.Equal(3, saved.Version);
    }

    [Fact]
    public async Task Saving_unchanged_values_is_not_a_change()
    {
        var created = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().CreateAsync(Company()));
        var again = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(created.Number!, created, created.Version));
        Assert.Equal(1, again.Version);
        var history = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().HistoryAsync(created.Number!));
        Assert.Single(history);
    }

    [Fact]
    public async Task Contact_changes_show_in_the_customer_timeline_and_validate()
    {
        var created = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().CreateAsync(Company()));
        var contact = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<ContactService>().AddAsync(created.Number!,
            new ContactForm { Name = "刘洋", Title = "财务总监", Role = DecisionRole.Approver, Phones = [new PhoneEntry { Number = "15900001111" }] }));
        contact.Title = "副总经理";
        await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<ContactService>().UpdateAsync(created.Number!, contact.Id!.Value, contact));

        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("wang@example.com", sp =>
            sp.GetRequiredService<ContactService>().AddAsync(created.Number!, new ContactForm { Name = " ", Phones = [new PhoneEntry { Number = "123" }] })));
        Assert.NotNull(bad.Errors.For("name"));
        Assert.NotNull(bad.Errors.For("phones[0].number"));

        var history = await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<CustomerService>().HistoryAsync(created.Number!));
        Assert.Contains(history, h => h.EntityType == "Contact" && h.Field == "Title" && h.OldValue == "财务总监" && h.NewValue == "副总经理");
        Assert.Equal(2, history.Count(h => h.EntityType == "Contact"));
    }

    [Fact]
    public async Task Saved_views_are_personal_unless_shared()
    {
        var definition = new CustomerViewDefinition
        {
            Filters = [new CustomerFilter("industry", FilterOp.Eq, "制造业"), new CustomerFilter("intent", FilterOp.In, "A,B")],
            Sort = "-updatedAt", Columns = ["number", "name", "intent"], PageSize = 100,
        };
        await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<SavedViewService>().SaveAsync("制造业 A/B 意向", definition, shared: true));
        await _app.AsUserAsync("wang@example.com", sp => sp.GetRequiredService<SavedViewService>().SaveAsync("我的私人视图", definition, shared: false));

        var liViews = await _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<SavedViewService>().ListAsync());
        var shared = Assert.Single(liViews);
        Assert.Equal("制造业 A/B 意向", shared.Name);
        var read = SavedViewService.Read(shared);
        Assert.Equal(2, read.Filters.Count);
        Assert.Equal(FilterOp.In, read.Filters[1].Op);

        // The view's query runs as is.
        var result = await _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<CustomerService>()
            .ListAsync(new CustomerListQuery { Filters = read.Filters, Sort = read.Sort, PageSize = read.PageSize }));
        Assert.Equal(0, result.Total);

        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<SavedViewService>().DeleteAsync(shared.Id)));
        await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("li@example.com", sp =>
            sp.GetRequiredService<SavedViewService>().SaveAsync("坏视图", new CustomerViewDefinition { Columns = ["CustomFieldsJson; drop"] }, false)));
    }

    [Fact]
    public async Task Only_admins_define_custom_fields()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("li@example.com", sp =>
            sp.GetRequiredService<Renmai.Features.CustomFields.CustomFieldService>().CreateAsync(new() { Label = "来源渠道", Type = Renmai.Features.CustomFields.CustomFieldType.Text })));
        var def = await _app.AsUserAsync("wang@example.com", sp =>
            sp.GetRequiredService<Renmai.Features.CustomFields.CustomFieldService>().CreateAsync(new() { Label = "来源渠道", Type = Renmai.Features.CustomFields.CustomFieldType.Text }));
        Assert.Equal("cf1", def.Key);
        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("wang@example.com", sp =>
            sp.GetRequiredService<Renmai.Features.CustomFields.CustomFieldService>().CreateAsync(new() { Label = "等级", Type = Renmai.Features.CustomFields.CustomFieldType.SingleSelect })));
        Assert.NotNull(e.Errors.For("options"));
    }

    [Fact]
    public void Merge_patch_follows_rfc_7386()
    {
        var target = JsonNode.Parse("""{"name":"甲","tags":["a"],"customFields":{"cf1":"x","cf2":2}}""")!.AsObject();
        CustomersApi.MergePatch(target, JsonNode.Parse("""{"tags":["b","c"],"customFields":{"cf1":null,"cf3":true},"region":"华东"}""")!.AsObject());
        Assert.Equal("""{"name":"甲","tags":["b","c"],"customFields":{"cf1":null,"cf2":2,"cf3":true},"region":"华东"}""", target.ToJsonString(Renmai.Data.JsonStorage.Options));
    }
}
