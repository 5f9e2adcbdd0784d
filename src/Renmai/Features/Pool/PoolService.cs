using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Pool;

public sealed record PoolSummary(CustomerPool Pool, IReadOnlyList<TeamMemberInfo> Members, int Waiting, bool IsMember);

/// <summary>A customer waiting in a pool, with what a rep needs to decide whether to claim it.</summary>
public sealed record PoolCustomer(string Number, string Name, CustomerKind Kind, string? Industry, string? Region, string? City,
    Level? ValueTier, IntentGrade? Intent, LifecycleStage Stage, DateTime? LeftOwnerAt, string? PreviousOwner);

/// <summary>One of the signed-in rep's customers that will soon return to its pool.</summary>
public sealed record DueCustomer(string Number, string Name, DateTime ReturnsAt, int DaysLeft);

/// <summary>A pool's name, rules and members as the admin edits them; the defaults are the pool's.</summary>
public sealed class PoolInput
{
    private static readonly CustomerPool Defaults = new();

    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public int HoldingCap { get; set; } = Defaults.HoldingCap;
    public int DailyClaimCap { get; set; } = Defaults.DailyClaimCap;
    public int CooldownDays { get; set; } = Defaults.CooldownDays;
    public int ReturnDaysHigh { get; set; } = Defaults.ReturnDaysHigh;
    public int ReturnDaysMid { get; set; } = Defaults.ReturnDaysMid;
    public int ReturnDaysLow { get; set; } = Defaults.ReturnDaysLow;
    public int ReturnDaysUnrated { get; set; } = Defaults.ReturnDaysUnrated;
    public int WarnDaysBefore { get; set; } = Defaults.WarnDaysBefore;
    public List<Guid> MemberIds { get; set; } = [];

    public static PoolInput From(PoolSummary summary)
    {
        var p = summary.Pool;
        return new PoolInput
        {
            Name = p.Name, Description = p.Description, HoldingCap = p.HoldingCap, DailyClaimCap = p.DailyClaimCap,
            CooldownDays = p.CooldownDays, ReturnDaysHigh = p.ReturnDaysHigh, ReturnDaysMid = p.ReturnDaysMid,
            ReturnDaysLow = p.ReturnDaysLow, ReturnDaysUnrated = p.ReturnDaysUnrated, WarnDaysBefore = p.WarnDaysBefore,
            MemberIds = summary.Members.Select(m => m.UserId).ToList(),
        };
    }

    internal void ApplyTo(CustomerPool p)
    {
        p.Name = Name; p.Description = string.IsNullOrWhiteSpace(Description) ? null : Description.Trim();
        p.HoldingCap = HoldingCap; p.DailyClaimCap = DailyClaimCap; p.CooldownDays = CooldownDays;
        p.ReturnDaysHigh = ReturnDaysHigh; p.ReturnDaysMid = ReturnDaysMid; p.ReturnDaysLow = ReturnDaysLow;
        p.ReturnDaysUnrated = ReturnDaysUnrated; p.WarnDaysBefore = WarnDaysBefore;
    }
}

/// <summary>
/// Customer pools (公海, R13.1): claim within the holding and daily caps, release, cool-down,
/// assignment by managers, and the automatic return of customers nobody follows up.
/// </summary>
public sealed class PoolService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, AuditLog audit, IHttpContextAccessor http)
{
    /// <summary>Days are counted in China time (UTC+8): "20 per day" resets at midnight in Beijing.</summary>
    private static readonly TimeSpan ChinaOffset = TimeSpan.FromHours(8);

    private DateTime Now => clock.GetUtcNow().UtcDateTime;

    private static bool ManagesPools(Actor a) => a.IsInRole(Roles.Admin) || a.IsInRole(Roles.Manager) || a.IsInRole(Roles.Auditor);

    public async Task<List<PoolSummary>> ListAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        await EnsureDefaultPoolAsync(db, ct);
        var pools = await db.Set<CustomerPool>().AsNoTracking().OrderByDescending(p => p.IsDefault).ThenBy(p => p.Name).ToListAsync(ct);
        var members = await (from m in db.Set<PoolMember>() join u in db.Users on m.UserId equals u.Id
                             select new { m.PoolId, u.Id, u.DisplayName, u.Email }).ToListAsync(ct);
        var waiting = await db.Set<Customer>().Where(c => c.OwnerId == null).GroupBy(c => c.PoolId)
            .Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var defaultId = pools.Single(p => p.IsDefault).Id;
        return pools
            .Select(p => new PoolSummary(p,
                members.Where(m => m.PoolId == p.Id).Select(m => new TeamMemberInfo(m.Id, m.DisplayName, m.Email ?? "")).ToList(),
                waiting.Where(w => (w.Key ?? defaultId) == p.Id).Sum(w => w.Count),
                IsMember(p, members.Where(m => m.PoolId == p.Id).Select(m => m.Id), actor)))
            .Where(p => p.IsMember || ManagesPools(actor))
            .ToList();
    }

    /// <summary>
    /// The default pool has no member list: every user belongs to it. Other pools are open to
    /// their members.
    /// </summary>
    private static bool IsMember(CustomerPool pool, IEnumerable<Guid> memberIds, Actor actor) =>
        pool.IsDefault || (actor.UserId is { } me && memberIds.Contains(me));

    public async Task<CustomerPool> SaveAsync(Guid? id, PoolInput input, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        var e = new ValidationErrors();
        input.Name = (input.Name ?? "").Trim();
        if (input.Name.Length == 0) e.Add("name", "请填写公海名称");
        else if (input.Name.Length > 50) e.Add("name", "公海名称不能超过 50 个字");
        if (input.HoldingCap is < 1 or > 100_000) e.Add("holdingCap", "库容应在 1 到 100000 之间");
        if (input.DailyClaimCap is < 1 or > 10_000) e.Add("dailyClaimCap", "每日领取上限应在 1 到 10000 之间");
        if (input.CooldownDays is < 0 or > 365) e.Add("cooldownDays", "冷却期应在 0 到 365 天之间");
        foreach (var (field, days) in new[] { ("returnDaysHigh", input.ReturnDaysHigh), ("returnDaysMid", input.ReturnDaysMid),
                     ("returnDaysLow", input.ReturnDaysLow), ("returnDaysUnrated", input.ReturnDaysUnrated) })
            if (days is < 0 or > 3650) e.Add(field, "回收天数应在 0（不回收）到 3650 之间");
        if (input.WarnDaysBefore is < 0 or > 60) e.Add("warnDaysBefore", "提前提醒天数应在 0 到 60 之间");
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (input.Name.Length > 0 && await db.Set<CustomerPool>().AnyAsync(p => p.Name == input.Name && p.Id != id, ct))
            e.Add("name", $"公海“{input.Name}”已存在");
        var memberIds = input.MemberIds.Distinct().ToList();
        if (await db.Users.CountAsync(u => memberIds.Contains(u.Id) && u.IsActive, ct) != memberIds.Count)
            e.Add("memberIds", "成员中有不存在或已停用的用户");
        e.ThrowIfAny();

        CustomerPool pool;
        if (id is { } existing)
        {
            pool = await db.Set<CustomerPool>().SingleOrDefaultAsync(p => p.Id == existing, ct) ?? throw new NotFoundException("公海不存在");
            db.RemoveRange(await db.Set<PoolMember>().Where(m => m.PoolId == pool.Id).ToListAsync(ct));
        }
        else db.Add(pool = new CustomerPool { CreatedAt = Now });
        input.ApplyTo(pool);
        if (!pool.IsDefault) foreach (var m in memberIds) db.Add(new PoolMember { PoolId = pool.Id, UserId = m });
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(AuditActions.SettingsChanged, true, http.HttpContext, admin.UserId, admin.Name, "公海：" + pool.Name,
            $"库容 {pool.HoldingCap}，每日 {pool.DailyClaimCap}，冷却 {pool.CooldownDays} 天，回收 高{pool.ReturnDaysHigh}/中{pool.ReturnDaysMid}/低{pool.ReturnDaysLow}/未分层{pool.ReturnDaysUnrated} 天，{memberIds.Count} 名成员", ct);
        return pool;
    }

    /// <summary>The customers waiting in a pool (members, managers, admins and auditors).</summary>
    public async Task<PagedResult<PoolCustomer>> CustomersAsync(Guid poolId, string? q = null, int page = 1, int pageSize = 50, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var pool = await PoolForAsync(db, poolId, actor, ct);
        var waiting = InPool(db.Set<Customer>().AsNoTracking(), pool).Where(c => c.OwnerId == null);
        if (!string.IsNullOrWhiteSpace(q)) { var t = q.Trim(); var upper = t.ToUpperInvariant(); waiting = waiting.Where(c => c.Name.Contains(t) || c.Number == upper); }
        var total = await waiting.CountAsync(ct);
        var rows = await waiting.OrderByDescending(c => c.UpdatedAt).ThenBy(c => c.Id)
            .Page(page, Math.Clamp(pageSize, 1, 500)).ToListAsync(ct);
        var ids = rows.Select(r => r.Id).ToList();
        var left = await (from e in db.Set<PoolEvent>()
                          where ids.Contains(e.CustomerId) && (e.Kind == PoolEventKind.Released || e.Kind == PoolEventKind.Returned || e.Kind == PoolEventKind.HandedOver)
                          join u in db.Users on e.UserId equals u.Id into owners
                          from u in owners.DefaultIfEmpty()
                          select new { e.CustomerId, e.At, Name = u == null ? null : u.DisplayName }).ToListAsync(ct);
        return new PagedResult<PoolCustomer>(rows.Select(c =>
        {
            var last = left.Where(l => l.CustomerId == c.Id).MaxBy(l => l.At);
            return new PoolCustomer(c.Number, c.Name, c.Kind, c.Industry, c.Region, c.City, c.ValueTier, c.Intent, c.Stage, last?.At, last?.Name);
        }).ToList(), total);
    }

    /// <summary>A member takes a customer from the pool, within the holding cap, the daily cap and the cool-down.</summary>
    public async Task ClaimAsync(Guid poolId, string number, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色");
        var me = actor.UserId ?? throw new ForbiddenException("请先登录");
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var pool = await PoolForAsync(db, poolId, actor, ct, mustBeMember: true);
        var customer = await WaitingAsync(db, pool, number, ct);

        var now = Now;
        var owned = await InPool(db.Set<Customer>(), pool).CountAsync(c => c.OwnerId == me, ct);
        if (owned >= pool.HoldingCap) throw new PoolRuleException($"已达库容上限：您在“{pool.Name}”中已有 {owned} 个客户（上限 {pool.HoldingCap}），请先跟进或释放部分客户");
        var dayStart = (now + ChinaOffset).Date - ChinaOffset;
        var today = await db.Set<PoolEvent>().CountAsync(e => e.UserId == me && e.Kind == PoolEventKind.Claimed && e.At >= dayStart, ct);
        if (today >= pool.DailyClaimCap) throw new PoolRuleException($"今日领取已达上限 {pool.DailyClaimCap} 个，明天再来");
        var since = now.AddDays(-pool.CooldownDays);
        var lost = await db.Set<PoolEvent>().Where(e => e.CustomerId == customer.Id && e.UserId == me && e.At > since
                && (e.Kind == PoolEventKind.Released || e.Kind == PoolEventKind.Returned))
            .OrderByDescending(e => e.At).Select(e => (DateTime?)e.At).FirstOrDefaultAsync(ct);
        if (lost is { } at)
            throw new PoolRuleException($"您于 {at.Add(ChinaOffset):yyyy-MM-dd} 释放了该客户，{pool.CooldownDays} 天冷却期内不能再次领取（{at.AddDays(pool.CooldownDays).Add(ChinaOffset):yyyy-MM-dd HH:mm} 后可领）");

        customer.GiveTo(me, now);
        customer.PoolId = pool.Id;
        db.Add(new PoolEvent { PoolId = pool.Id, CustomerId = customer.Id, UserId = me, Kind = PoolEventKind.Claimed, At = now, ByName = actor.Name });
        await SaveRacingAsync(db, ct);
    }

    /// <summary>An admin gives a waiting customer to anyone; a manager to their team members or themselves.</summary>
    public async Task AssignAsync(Guid poolId, string number, Guid userId, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        var isAdmin = actor.IsInRole(Roles.Admin);
        if (!isAdmin && !actor.IsInRole(Roles.Manager)) throw new ForbiddenException("只有管理员和销售经理可以从公海分配客户");
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var pool = await PoolForAsync(db, poolId, actor, ct);
        var customer = await WaitingAsync(db, pool, number, ct);
        if (!isAdmin && userId != actor.UserId && !actor.ManagedUserIds.Contains(userId))
            throw new ValidationFailedException(new ValidationErrors().Also("userId", "只能分配给您团队中的成员"));
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.IsActive, ct))
            throw new ValidationFailedException(new ValidationErrors().Also("userId", "接收人不存在或已停用"));
        customer.GiveTo(userId, Now);
        customer.PoolId = pool.Id;
        db.Add(new PoolEvent { PoolId = pool.Id, CustomerId = customer.Id, UserId = userId, Kind = PoolEventKind.Assigned, At = Now, ByName = actor.Name });
        await SaveRacingAsync(db, ct);
        await audit.WriteAsync(AuditActions.OwnerChanged, true, http.HttpContext, actor.UserId, actor.Name, customer.Number, $"从公海“{pool.Name}”分配", ct);
    }

    /// <summary>The owner (or their manager, or an admin) puts a customer back into its pool.</summary>
    public async Task ReleaseAsync(string number, string? reason = null, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色");
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct, tracking: true);
        if (customer.OwnerId is not { } owner) throw new PoolRuleException("该客户已在公海中");
        var pool = await PoolOfAsync(db, customer, ct);
        customer.GiveTo(null, Now);
        customer.PoolId = pool.Id;
        db.Add(new PoolEvent { PoolId = pool.Id, CustomerId = customer.Id, UserId = owner, Kind = PoolEventKind.Released, At = Now, ByName = actor.Name,
            Reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim()[..Math.Min(reason.Trim().Length, 200)] });
        await SaveRacingAsync(db, ct);
    }

    /// <summary>The signed-in user's customers that return to the pool within the warning period.</summary>
    public async Task<List<DueCustomer>> DueSoonAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        var me = actor.UserId;
        await using var db = await dbs.CreateDbContextAsync(ct);
        await EnsureDefaultPoolAsync(db, ct);
        var now = Now;
        var result = new List<DueCustomer>();
        foreach (var pool in await db.Set<CustomerPool>().AsNoTracking().ToListAsync(ct))
        {
            foreach (var (tier, days) in Rules(pool))
            {
                var warnFrom = now.AddDays(-(days - pool.WarnDaysBefore));
                var rows = await QuietSince(InTier(InPool(db.Set<Customer>().AsNoTracking(), pool).Where(c => c.OwnerId == me), tier), warnFrom)
                    .Select(c => new { c.Number, c.Name, Since = c.LastFollowUpAt ?? c.OwnedSince ?? c.CreatedAt }).Take(200).ToListAsync(ct);
                result.AddRange(rows.Select(r => new DueCustomer(r.Number, r.Name, r.Since.AddDays(days),
                    Math.Max(0, (int)Math.Ceiling((r.Since.AddDays(days) - now).TotalDays)))));
            }
        }
        return result.OrderBy(r => r.ReturnsAt).ToList();
    }

    /// <summary>
    /// The automatic return (run by <see cref="PoolReturnJob"/>): owned customers without
    /// follow-up for their tier's number of days go back to their pool; owners whose customers
    /// are within the warning period get one warning per ownership. Returns (returned, warned).
    /// </summary>
    public async Task<(int Returned, int Warned)> RunReturnsAsync(CancellationToken ct = default)
    {
        var now = Now;
        int returned = 0, warned = 0;
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = Actor.System.Via(ChangeSource.Automation);
        await EnsureDefaultPoolAsync(db, ct);
        foreach (var pool in await db.Set<CustomerPool>().AsNoTracking().ToListAsync(ct))
        {
            foreach (var (tier, days) in Rules(pool))
            {
                var cutoff = now.AddDays(-days);
                while (true)
                {
                    var due = await QuietSince(InTier(InPool(db.Set<Customer>(), pool).Where(c => c.OwnerId != null), tier), cutoff)
                        .OrderBy(c => c.Id).Take(500).ToListAsync(ct);
                    if (due.Count == 0) break;
                    foreach (var c in due)
                    {
                        db.Add(new PoolEvent { PoolId = pool.Id, CustomerId = c.Id, UserId = c.OwnerId, Kind = PoolEventKind.Returned, At = now,
                            ByName = "系统", Reason = $"{days} 天未跟进，自动回收" });
                        c.GiveTo(null, now);
                        c.PoolId = pool.Id;
                    }
                    await db.SaveChangesAsync(ct);
                    db.ChangeTracker.Clear();
                    returned += due.Count;
                    // A first sweep over a big imported base can return many thousands: leave the single
                    // SQLite writer to user requests between batches.
                    await Task.Delay(TimeSpan.FromMilliseconds(20), CancellationToken.None);
                }

                var warnFrom = now.AddDays(-(days - pool.WarnDaysBefore));
                var toWarn = await QuietSince(InTier(InPool(db.Set<Customer>().AsNoTracking(), pool).Where(c => c.OwnerId != null), tier), warnFrom)
                    .Where(c => !db.Set<PoolEvent>().Any(e => e.CustomerId == c.Id && e.Kind == PoolEventKind.Warned && e.UserId == c.OwnerId
                        && e.At >= (c.LastFollowUpAt ?? c.OwnedSince ?? c.CreatedAt)))
                    .Select(c => new { c.Id, c.OwnerId }).Take(5000).ToListAsync(ct);
                foreach (var w in toWarn)
                    db.Add(new PoolEvent { PoolId = pool.Id, CustomerId = w.Id, UserId = w.OwnerId, Kind = PoolEventKind.Warned, At = now,
                        ByName = "系统", Reason = $"{pool.WarnDaysBefore} 天内将回收公海" });
                await db.SaveChangesAsync(ct);
                warned += toWarn.Count;
            }
        }
        return (returned, warned);
    }

    // ---- Helpers ------------------------------------------------------------------------------

    private static IEnumerable<(Level? Tier, int Days)> Rules(CustomerPool p) =>
        new (Level?, int)[] { (Level.High, p.ReturnDaysHigh), (Level.Mid, p.ReturnDaysMid), (Level.Low, p.ReturnDaysLow), (null, p.ReturnDaysUnrated) }
            .Where(r => r.Item2 > 0);

    /// <summary>Customers whose last activity (follow-up, else getting the owner, else creation) is before <paramref name="cutoff"/>.</summary>
    private static IQueryable<Customer> QuietSince(IQueryable<Customer> q, DateTime cutoff) =>
        q.Where(c => (c.LastFollowUpAt ?? c.OwnedSince ?? c.CreatedAt) < cutoff);

    private static IQueryable<Customer> InTier(IQueryable<Customer> q, Level? tier) =>
        tier is { } t ? q.Where(c => c.ValueTier == t) : q.Where(c => c.ValueTier == null);

    private static IQueryable<Customer> InPool(IQueryable<Customer> q, CustomerPool pool) =>
        pool.IsDefault ? q.Where(c => c.PoolId == pool.Id || c.PoolId == null) : q.Where(c => c.PoolId == pool.Id);

    private static async Task<CustomerPool> EnsureDefaultPoolAsync(RenmaiDb db, CancellationToken ct)
    {
        var pool = await db.Set<CustomerPool>().AsNoTracking().SingleOrDefaultAsync(p => p.IsDefault, ct);
        if (pool is not null) return pool;
        pool = new CustomerPool { Name = "公共公海", IsDefault = true, CreatedAt = DateTime.UtcNow, Description = "所有用户都可以从这里领取客户" };
        db.Add(pool);
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException)
        {
            // Another request created it at the same moment (the name is unique).
            db.ChangeTracker.Clear();
            pool = await db.Set<CustomerPool>().AsNoTracking().SingleAsync(p => p.IsDefault, ct);
        }
        db.ChangeTracker.Clear();
        return pool;
    }

    private async Task<CustomerPool> PoolForAsync(RenmaiDb db, Guid poolId, Actor actor, CancellationToken ct, bool mustBeMember = false)
    {
        await EnsureDefaultPoolAsync(db, ct);
        var pool = await db.Set<CustomerPool>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == poolId, ct) ?? throw new NotFoundException("公海不存在");
        var member = pool.IsDefault || await db.Set<PoolMember>().AnyAsync(m => m.PoolId == pool.Id && m.UserId == actor.UserId, ct);
        if (!member && (mustBeMember || !ManagesPools(actor))) throw new NotFoundException("公海不存在");
        return pool;
    }

    private static async Task<CustomerPool> PoolOfAsync(RenmaiDb db, Customer customer, CancellationToken ct) =>
        customer.PoolId is { } id && await db.Set<CustomerPool>().AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, ct) is { } pool
            ? pool : await EnsureDefaultPoolAsync(db, ct);

    private static async Task<Customer> WaitingAsync(RenmaiDb db, CustomerPool pool, string number, CancellationToken ct)
    {
        var key = CustomerNumbers.Normalize(number);
        return await InPool(db.Set<Customer>(), pool).SingleOrDefaultAsync(c => c.Number == key && c.OwnerId == null, ct)
            ?? throw new NotFoundException($"公海中没有客户 {key}（可能刚被他人领取）");
    }

    private static async Task SaveRacingAsync(RenmaiDb db, CancellationToken ct)
    {
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateConcurrencyException) { throw new PoolRuleException("该客户刚刚被其他人领取或变更，请刷新后重试"); }
    }
}

/// <summary>A pool rule refused the action (cap, cool-down, already taken); the message says which, in Chinese.</summary>
public sealed class PoolRuleException(string message) : Exception(message);
