using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Users;

/// <summary>Teams decide what managers see; deactivation hands customers over in one step.</summary>
public abstract class TeamScopeTests(TestDatabase database) : IAsyncLifetime
{
    private TestApp _app = null!;
    private Guid _zhang, _li, _chen;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database);
        await _app.AddUserAsync("admin@example.com", Roles.Admin, "王管理");
        await _app.AddUserAsync("zhao@example.com", Roles.Manager, "赵经理");
        await _app.AddUserAsync("qian@example.com", Roles.Manager, "钱经理");
        _zhang = (await _app.AddUserAsync("zhang@example.com", Roles.Rep, "张伟")).Id;
        _li = (await _app.AddUserAsync("li@example.com", Roles.Rep, "李娜")).Id;
        _chen = (await _app.AddUserAsync("chen@example.com", Roles.Rep, "陈静")).Id;
        // 华东一组: 赵经理 leads 张伟 and 李娜. 华南组: 钱经理 leads 陈静.
        await _app.AsSystemAsync(async sp =>
        {
            var teams = sp.GetRequiredService<TeamService>();
            var east = await teams.CreateAsync("华东一组", "zhao@example.com");
            await teams.SaveAsync(east.Id, east.Name, east.ManagerId, [_zhang, _li]);
            var south = await teams.CreateAsync("华南组", "qian@example.com");
            return await teams.SaveAsync(south.Id, south.Name, south.ManagerId, [_chen]);
        });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<CustomerForm> CreateAs(string email, string name) => _app.AsUserAsync(email, sp =>
        sp.GetRequiredService<CustomerService>().CreateAsync(new CustomerForm { Kind = CustomerKind.Company, Name = name }));

    private Task<PagedResult<CustomerForm>> ListAs(string email, string? q = null) => _app.AsUserAsync(email, sp =>
        sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery { Q = q, PageSize = 100 }));

    [Fact]
    public async Task A_manager_sees_the_customers_of_their_team_members_and_no_one_elses()
    {
        var zhangs = await CreateAs("zhang@example.com", "上海浦江机电有限公司");
        var lis = await CreateAs("li@example.com", "杭州西湖茶业有限公司");
        var chens = await CreateAs("chen@example.com", "广州白云物流有限公司");

        var zhao = await ListAs("zhao@example.com");
        Assert.Equal(2, zhao.Total);
        Assert.Equal([zhangs.Number, lis.Number], zhao.Items.Select(i => i.Number).Order());
        // Outside the team: 404 like a missing customer, by number, search and history.
        await Assert.ThrowsAsync<NotFoundException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<CustomerService>().GetAsync(chens.Number!)));
        await Assert.ThrowsAsync<NotFoundException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<CustomerService>().HistoryAsync(chens.Number!)));
        Assert.Equal(0, (await ListAs("zhao@example.com", "白云")).Total);
        // A rep sees only their own, even within the same team.
        Assert.Equal([zhangs.Number], (await ListAs("zhang@example.com")).Items.Select(i => i.Number));
        await Assert.ThrowsAsync<NotFoundException>(() => _app.AsUserAsync("zhang@example.com", sp =>
            sp.GetRequiredService<CustomerService>().GetAsync(lis.Number!)));
        // The manager can edit a team member's customer.
        var form = await _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<CustomerService>().GetAsync(lis.Number!));
        form.Region = "华东";
        await _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<CustomerService>().UpdateAsync(lis.Number!, form, form.Version));
        // Admin sees all three.
        Assert.Equal(3, (await ListAs("admin@example.com")).Total);
    }

    [Fact]
    public async Task A_manager_reassigns_within_the_team_only_and_the_change_is_audited()
    {
        var zhangs = await CreateAs("zhang@example.com", "苏州工业园区精密制造有限公司");
        await _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<CustomerService>().AssignOwnerAsync(zhangs.Number!, _li));
        Assert.Equal(0, (await ListAs("zhang@example.com")).Total);
        Assert.Equal(1, (await ListAs("li@example.com")).Total);

        var outside = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<CustomerService>().AssignOwnerAsync(zhangs.Number!, _chen)));
        Assert.Equal("只能分配给您团队中的成员", outside.Errors.For("ownerId"));
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("li@example.com", sp =>
            sp.GetRequiredService<CustomerService>().AssignOwnerAsync(zhangs.Number!, _zhang)));

        var events = await _app.WithDbAsync(db => db.Set<AuditEvent>().Where(e => e.Action == AuditActions.OwnerChanged).ToListAsync());
        var e = Assert.Single(events);
        Assert.Equal(zhangs.Number, e.Target);
        Assert.Equal("张伟 → 李娜", e.Detail);
        var history = await _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<CustomerService>().HistoryAsync(zhangs.Number!));
        Assert.Contains(history, h => h.Field == "OwnerId" && h.NewValue == _li.ToString());
    }

    [Fact]
    public async Task Deactivating_a_rep_hands_over_every_customer_revokes_tokens_and_logs_it()
    {
        var first = await CreateAs("zhang@example.com", "南京紫金山文化传媒有限公司");
        var second = await CreateAs("zhang@example.com", "无锡太湖纺织有限公司");
        await _app.AsUserAsync("zhang@example.com", sp => sp.GetRequiredService<CustomerService>().DeleteAsync(second.Number!));
        var zhangApi = await _app.ClientForAsync("zhang@example.com");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await zhangApi.GetAsync("/api/v1/customers")).StatusCode);

        var moved = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<UserService>().DeactivateAsync(_zhang, _li));
        Assert.Equal(2, moved);

        Assert.Equal([first.Number], (await ListAs("li@example.com")).Items.Select(i => i.Number));
        var bin = await _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<CustomerService>().DeletedAsync());
        Assert.Equal([second.Number], bin.Items.Select(i => i.Number));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await zhangApi.GetAsync("/api/v1/customers")).StatusCode);
        await Assert.ThrowsAsync<NotFoundException>(() => _app.AsUserAsync("zhang@example.com", _ => Task.FromResult(0)));

        var history = await _app.AsUserAsync("li@example.com", sp => sp.GetRequiredService<CustomerService>().HistoryAsync(first.Number!));
        Assert.Contains(history, h => h.Field == "OwnerId" && h.OldValue == _zhang.ToString() && h.NewValue == _li.ToString() && h.UserName == "王管理");
        var audit = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(e => e.Action == AuditActions.UserDeactivated));
        Assert.Equal("zhang@example.com", audit.Target);
        Assert.Contains("2 个客户移交给 李娜", audit.Detail, StringComparison.Ordinal);
        // He is no longer a member of his team.
        var teams = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<TeamService>().ListAsync());
        Assert.DoesNotContain(teams.SelectMany(t => t.Members), m => m.UserId == _zhang);
    }

    [Fact]
    public async Task Handover_to_the_pool_leaves_customers_without_owner_and_the_last_admin_stays()
    {
        await CreateAs("chen@example.com", "深圳南山电子有限公司");
        var moved = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<UserService>().DeactivateAsync(_chen, null));
        Assert.Equal(1, moved);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Set<Customer>().CountAsync(c => c.OwnerId != null)));

        var admin = await _app.WithDbAsync(db => db.Users.SingleAsync(u => u.Email == "admin@example.com"));
        var self = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("admin@example.com", sp =>
            sp.GetRequiredService<UserService>().DeactivateAsync(admin.Id, null)));
        Assert.Equal("不能停用自己的账号", self.Errors.For("user"));
        var demote = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("admin@example.com", sp =>
            sp.GetRequiredService<UserService>().ChangeRoleAsync(admin.Id, Roles.Rep)));
        Assert.Equal("至少需要保留一个启用的管理员", demote.Errors.For("role"));
    }

    [Fact]
    public async Task Only_admins_manage_users_and_teams()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<UserService>().DeactivateAsync(_zhang, null)));
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<UserService>().CreateAsync("new@example.com", "Renmai#2026-test", Roles.Rep)));
        await Assert.ThrowsAsync<ForbiddenException>(() => _app.AsUserAsync("zhao@example.com", sp =>
            sp.GetRequiredService<TeamService>().SaveAsync(null, "自建团队", null, [])));
        // A manager lists only the teams they lead.
        var mine = await _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<TeamService>().ListAsync());
        Assert.Equal(["华东一组"], mine.Select(t => t.Name));
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync("admin@example.com", sp =>
            sp.GetRequiredService<TeamService>().SaveAsync(null, "华东一组", _zhang, [])));
        Assert.Equal("团队“华东一组”已存在", invalid.Errors.For("name"));
        Assert.Equal("团队经理必须是启用的销售经理或管理员", invalid.Errors.For("managerId"));
    }
}

public sealed class TeamScopeTestsOnSqlite() : TeamScopeTests(TestDatabase.Sqlite);

public sealed class TeamScopeTestsOnPostgres() : TeamScopeTests(TestDatabase.Postgres);
