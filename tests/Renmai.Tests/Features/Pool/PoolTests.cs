using System.Net;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Pool;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Pool;

/// <summary>公海 (R13.1): claim within caps and cool-down, release, assignment, automatic return on a fake clock.</summary>
public abstract class PoolTests(TestDatabase database) : IAsyncLifetime
{
    // 2026-11-23 10:00 Beijing time.
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 23, 2, 0, 0, TimeSpan.Zero));
    private TestApp _app = null!;
    private Guid _poolId;
    private Guid _zhang, _li;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database, _clock);
        await _app.AddUserAsync("admin@example.com", Roles.Admin, "王管理");
        _zhang = (await _app.AddUserAsync("zhang@example.com", Roles.Rep, "张伟")).Id;
        _li = (await _app.AddUserAsync("li@example.com", Roles.Rep, "李娜")).Id;
        var manager = await _app.AddUserAsync("zhao@example.com", Roles.Manager, "赵经理");
        await _app.AsSystemAsync(sp => sp.GetRequiredService<TeamService>().SaveAsync(null, "华东组", manager.Id, [_zhang]));
        var pools = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<PoolService>().ListAsync());
        _poolId = pools.Single(p => p.Pool.IsDefault).Pool.Id;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<T> As<T>(string email, Func<PoolService, Task<T>> work) => _app.AsUserAsync(email, sp => work(sp.GetRequiredService<PoolService>()));
    private Task As(string email, Func<PoolService, Task> work) => _app.AsUserAsync(email, sp => work(sp.GetRequiredService<PoolService>()));

    /// <summary>Customers created by the admin and released into the default pool.</summary>
    private async Task<List<string>> PoolCustomersAsync(int count, Level? tier = null)
    {
        var numbers = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var c = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<CustomerService>()
                .CreateAsync(new CustomerForm { Kind = CustomerKind.Company, Name = $"公海测试客户{numbers.Count + 1:D2}有限公司", ValueTier = tier }));
            await As("admin@example.com", p => p.ReleaseAsync(c.Number!));
            numbers.Add(c.Number!);
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        return numbers;
    }

    [Fact]
    public async Task A_member_claims_within_the_holding_and_daily_caps()
    {
        await As("admin@example.com", p => p.SaveAsync(_poolId, new PoolInput { Name = "公共公海", HoldingCap = 3, DailyClaimCap = 2, CooldownDays = 7 }));
        var numbers = await PoolCustomersAsync(5);
        var waiting = await As("zhang@example.com", p => p.CustomersAsync(_poolId));
        Assert.Equal(5, waiting.Total);

        await As("zhang@example.com", p => p.ClaimAsync(_poolId, numbers[0]));
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, numbers[1]));
        var daily = await Assert.ThrowsAsync<PoolRuleException>(() => As("zhang@example.com", p => p.ClaimAsync(_poolId, numbers[2])));
        Assert.Contains("今日领取已达上限 2 个", daily.Message, StringComparison.Ordinal);
        var mine = await _app.AsUserAsync("zhang@example.com", sp => sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery()));
        Assert.Equal(2, mine.Total);

        // The next Beijing day the daily cap resets; the holding cap (3) still holds.
        _clock.Advance(TimeSpan.FromHours(15)); // 01:00 the next day in Beijing
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, numbers[2]));
        var holding = await Assert.ThrowsAsync<PoolRuleException>(() => As("zhang@example.com", p => p.ClaimAsync(_poolId, numbers[3])));
        Assert.Contains("已达库容上限", holding.Message, StringComparison.Ordinal);

        // Someone else's claim of the same customer fails cleanly.
        var taken = await Assert.ThrowsAsync<NotFoundException>(() => As("li@example.com", p => p.ClaimAsync(_poolId, numbers[0])));
        Assert.Contains("可能刚被他人领取", taken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_released_customer_cannot_be_reclaimed_by_the_same_rep_during_the_cooldown()
    {
        var number = (await PoolCustomersAsync(1))[0];
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, number));
        _clock.Advance(TimeSpan.FromHours(2));
        await As("zhang@example.com", p => p.ReleaseAsync(number, "暂无需求"));
        var refused = await Assert.ThrowsAsync<PoolRuleException>(() => As("zhang@example.com", p => p.ClaimAsync(_poolId, number)));
        Assert.Contains("7 天冷却期内不能再次领取", refused.Message, StringComparison.Ordinal);
        // Another rep may take it; the list shows who had it before.
        var row = (await As("li@example.com", p => p.CustomersAsync(_poolId))).Items.Single();
        Assert.Equal("张伟", row.PreviousOwner);
        _clock.Advance(TimeSpan.FromDays(7.1));
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, number));
    }

    [Fact]
    public async Task Customers_without_follow_up_return_automatically_after_a_warning_per_value_tier()
    {
        await As("admin@example.com", p => p.SaveAsync(_poolId, new PoolInput
        {
            Name = "公共公海", ReturnDaysHigh = 30, ReturnDaysMid = 20, ReturnDaysLow = 10, ReturnDaysUnrated = 10, WarnDaysBefore = 3,
            HoldingCap = 50, DailyClaimCap = 50,
        }));
        var high = (await PoolCustomersAsync(1, Level.High))[0];
        var low = (await PoolCustomersAsync(1, Level.Low))[0];
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, high));
        await As("zhang@example.com", p => p.ClaimAsync(_poolId, low));

        _clock.Advance(TimeSpan.FromDays(8)); // low: 2 days left → warned, nothing returned
        var (returned, warned) = await As("admin@example.com", p => p.RunReturnsAsync());
        Assert.Equal((0, 1), (returned, warned));
        var due = await As("zhang@example.com", p => p.DueSoonAsync());
        Assert.Equal(low, Assert.Single(due).Number);
        Assert.Equal(2, due[0].DaysLeft);
        Assert.Equal((0, 0), await As("admin@example.com", p => p.RunReturnsAsync())); // warned once per ownership

        _clock.Advance(TimeSpan.FromDays(3)); // low: 11 days → returns; high: 11 of 30 days → stays
        Assert.Equal((1, 0), await As("admin@example.com", p => p.RunReturnsAsync()));
        var mine = await _app.AsUserAsync("zhang@example.com", sp => sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery()));
        Assert.Equal([high], mine.Items.Select(i => i.Number));
        var back = (await As("li@example.com", p => p.CustomersAsync(_poolId))).Items.Single(c => c.Number == low);
        Assert.Equal("张伟", back.PreviousOwner);
        var history = await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<CustomerService>().HistoryAsync(low));
        Assert.Contains(history, h => h.Field == "OwnerId" && h.OldValue == _zhang.ToString() && h.NewValue == null && h.Source == ChangeSource.Automation);

        // A follow-up restarts the count.
        await _app.WithDbAsync(async db =>
        {
            var c = await db.Set<Customer>().SingleAsync(x => x.Number == high);
            c.LastFollowUpAt = _clock.GetUtcNow().UtcDateTime;
            return await db.SaveChangesAsync();
        });
        _clock.Advance(TimeSpan.FromDays(25));
        Assert.Equal(0, (await As("admin@example.com", p => p.RunReturnsAsync())).Returned);
        _clock.Advance(TimeSpan.FromDays(6));
        Assert.Equal(1, (await As("admin@example.com", p => p.RunReturnsAsync())).Returned);
    }

    [Fact]
    public async Task Managers_assign_from_the_pool_to_their_team_only_and_non_members_do_not_see_other_pools()
    {
        var numbers = await PoolCustomersAsync(2);
        await As("zhao@example.com", p => p.AssignAsync(_poolId, numbers[0], _zhang));
        var outside = await Assert.ThrowsAsync<ValidationFailedException>(() => As("zhao@example.com", p => p.AssignAsync(_poolId, numbers[1], _li)));
        Assert.Equal("只能分配给您团队中的成员", outside.Errors.For("userId"));
        await Assert.ThrowsAsync<ForbiddenException>(() => As("li@example.com", p => p.AssignAsync(_poolId, numbers[1], _li)));

        // A pool with members: invisible and unclaimable for others.
        var south = await As("admin@example.com", p => p.SaveAsync(null, new PoolInput { Name = "华南公海", MemberIds = [_li] }));
        Assert.DoesNotContain(await As("zhang@example.com", p => p.ListAsync()), p => p.Pool.Id == south.Id);
        await Assert.ThrowsAsync<NotFoundException>(() => As("zhang@example.com", p => p.CustomersAsync(south.Id)));
        Assert.Contains(await As("li@example.com", p => p.ListAsync()), p => p.Pool.Id == south.Id);

        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => As("admin@example.com", p => p.SaveAsync(null,
            new PoolInput { Name = "华南公海", HoldingCap = 0, ReturnDaysHigh = -1 })));
        Assert.Equal("公海“华南公海”已存在", bad.Errors.For("name"));
        Assert.NotNull(bad.Errors.For("holdingCap"));
        Assert.NotNull(bad.Errors.For("returnDaysHigh"));
    }

    [Fact]
    public async Task The_api_claims_and_reports_rule_refusals_as_409()
    {
        var number = (await PoolCustomersAsync(1))[0];
        var zhang = await _app.ClientForAsync("zhang@example.com");
        Assert.Equal(HttpStatusCode.NoContent, (await zhang.PostJsonAsync($"/api/v1/pools/{_poolId}/claim", new { number })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await zhang.PostJsonAsync($"/api/v1/customers/{number}/release", new { reason = "预算取消" })).StatusCode);
        var again = await zhang.PostJsonAsync($"/api/v1/pools/{_poolId}/claim", new { number });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("冷却期", (await again.ReadObjectAsync())["detail"].S(), StringComparison.Ordinal);
    }
}

public sealed class PoolTestsOnSqlite() : PoolTests(TestDatabase.Sqlite);

public sealed class PoolTestsOnPostgres() : PoolTests(TestDatabase.Postgres);
