using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

/// <summary>A user as the admin's user table shows it.</summary>
public sealed record UserSummary(Guid Id, string Email, string DisplayName, string Role, bool IsActive, bool TwoFactor,
    IReadOnlyList<string> Teams, int CustomerCount, DateTime CreatedAt);

/// <summary>
/// Accounts: the setup page, the admin's user pages and the CLI. The first account may be created
/// without a signed-in user (the setup code guards that); everything else needs an admin.
/// </summary>
public sealed class UserService(UserManager<RenmaiUser> users, RoleManager<RenmaiRole> roles,
    IDbContextFactory<RenmaiDb> dbs, TimeProvider clock, SetupState setupState, CurrentActor current,
    AuditLog audit, IHttpContextAccessor http, ApiTokenCache tokenCache, CustomerService customers, UserSessions sessions)
{
    public async Task<bool> AnyUsersAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AnyAsync(ct);
    }

    public async Task EnsureRolesAsync()
    {
        foreach (var role in Roles.All)
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new RenmaiRole(role));
    }

    public async Task<RenmaiUser> CreateAsync(string email, string password, string role, string? displayName = null, string? team = null)
    {
        var admin = await AnyUsersAsync() ? await current.RequireRoleAsync(Roles.Admin) : null;
        var e = new ValidationErrors();
        email = (email ?? "").Trim();
        if (Validators.CheckEmail(email) is { } emailError) e.Add("email", emailError);
        if (!Roles.All.Contains(role)) e.Add("role", $"未知的角色“{role}”，可选：{string.Join(", ", Roles.All)}");
        Team? joining = null;
        if (!string.IsNullOrWhiteSpace(team))
        {
            await using var db = await dbs.CreateDbContextAsync();
            var teamName = team.Trim();
            joining = await db.Set<Team>().AsNoTracking().SingleOrDefaultAsync(t => t.Name == teamName);
            if (joining is null) e.Add("team", $"团队“{teamName}”不存在");
        }
        e.ThrowIfAny();
        await EnsureRolesAsync();
        var user = new RenmaiUser
        {
            UserName = email, Email = email, EmailConfirmed = true,
            DisplayName = string.IsNullOrWhiteSpace(displayName) ? email.Split('@')[0] : displayName.Trim(),
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        user.PasswordChangedAt = user.CreatedAt;
        var result = await users.CreateAsync(user, password ?? "");
        if (!result.Succeeded)
        {
            foreach (var error in result.Errors)
                e.Add(error.Code.Contains("Password", StringComparison.Ordinal) ? "password" : "email", error.Description);
            e.ThrowIfAny();
        }
        await users.AddToRoleAsync(user, role);
        // Any first account (setup page, CLI, admin page) ends first-run mode at once.
        setupState.HasUsers = true;
        if (joining is not null)
        {
            await using var db = await dbs.CreateDbContextAsync();
            db.Add(new TeamMember { TeamId = joining.Id, UserId = user.Id });
            await db.SaveChangesAsync();
        }
        if (admin is not null)
            await audit.WriteAsync(AuditActions.UserCreated, true, http.HttpContext, admin.UserId, admin.Name, email,
                Roles.Label(role) + (joining is null ? "" : $"，团队：{joining.Name}"));
        return user;
    }

    /// <summary>Every account with its role, teams and number of owned customers (admin only).</summary>
    public async Task<List<UserSummary>> ListAsync(CancellationToken ct = default)
    {
        await current.RequireRoleAsync(Roles.Admin);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var roleOf = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id select new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var teamsOf = await (from m in db.Set<TeamMember>() join t in db.Set<Team>() on m.TeamId equals t.Id select new { m.UserId, t.Name })
            .ToListAsync(ct);
        var led = await db.Set<Team>().Where(t => t.ManagerId != null).Select(t => new { UserId = t.ManagerId!.Value, t.Name }).ToListAsync(ct);
        var owned = await db.Set<Customer>().Where(c => c.OwnerId != null).GroupBy(c => c.OwnerId!.Value)
            .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        var list = await db.Users.AsNoTracking().OrderByDescending(u => u.IsActive).ThenBy(u => u.CreatedAt).ToListAsync(ct);
        return list.Select(u => new UserSummary(u.Id, u.Email ?? "", u.DisplayName,
            roleOf.FirstOrDefault(r => r.UserId == u.Id)?.Name ?? "", u.IsActive, u.TwoFactorEnabled,
            teamsOf.Where(t => t.UserId == u.Id).Select(t => t.Name)
                .Concat(led.Where(t => t.UserId == u.Id).Select(t => t.Name + "（经理）")).Distinct().ToList(),
            owned.GetValueOrDefault(u.Id), u.CreatedAt)).ToList();
    }

    /// <summary>Changes a user's role. The last active admin cannot be demoted; the user's sessions end.</summary>
    public async Task ChangeRoleAsync(Guid userId, string role, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        if (!Roles.All.Contains(role)) new ValidationErrors().Also("role", $"未知的角色“{role}”").ThrowIfAny();
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        var old = (await users.GetRolesAsync(user)).ToList();
        if (old.SequenceEqual([role])) return;
        if (old.Contains(Roles.Admin) && role != Roles.Admin) await EnsureAnotherAdminAsync(user, ct);
        await users.RemoveFromRolesAsync(user, old);
        await users.AddToRoleAsync(user, role);
        // The role travels in the login cookie: make the user sign in again to pick up the new one.
        await sessions.EndSessionsAsync(user.Id);
        await audit.WriteAsync(AuditActions.RoleChanged, true, http.HttpContext, admin.UserId, admin.Name, user.Email,
            $"{string.Join("/", old.Select(Roles.Label))} → {Roles.Label(role)}", ct);
    }

    /// <summary>
    /// Deactivates a user in one step (R13.2): their customers go to <paramref name="handoverTo"/>
    /// (or to the pool when null), their API tokens are revoked, their sessions end, and they can no
    /// longer sign in. Returns the number of customers handed over.
    /// </summary>
    public async Task<int> DeactivateAsync(Guid userId, Guid? handoverTo, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        var e = new ValidationErrors();
        if (user.Id == admin.UserId) e.Add("user", "不能停用自己的账号");
        RenmaiUser? heir = null;
        if (handoverTo is { } h)
        {
            heir = await users.FindByIdAsync(h.ToString());
            if (heir is null || !heir.IsActive) e.Add("handoverTo", "接收人不存在或已停用");
            else if (heir.Id == user.Id) e.Add("handoverTo", "接收人不能是被停用的用户本人");
        }
        e.ThrowIfAny();
        if ((await users.GetRolesAsync(user)).Contains(Roles.Admin)) await EnsureAnotherAdminAsync(user, ct);

        var moved = await customers.HandOverAsync(user.Id, heir?.Id, ct);
        if (user.IsActive)
        {
            user.IsActive = false;
            await users.UpdateAsync(user);
        }
        // Every login cookie and open page of this user stops working now.
        await sessions.EndSessionsAsync(user.Id);
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Set<ApiToken>().Where(t => t.UserId == user.Id && t.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, now), ct);
            await db.Set<Team>().Where(t => t.ManagerId == user.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ManagerId, (Guid?)null), ct);
            await db.Set<TeamMember>().Where(m => m.UserId == user.Id).ExecuteDeleteAsync(ct);
        }
        tokenCache.Clear();
        await audit.WriteAsync(AuditActions.UserDeactivated, true, http.HttpContext, admin.UserId, admin.Name, user.Email,
            $"{moved} 个客户移交给 {(heir is null ? "公海" : $"{heir.DisplayName}（{heir.Email}）")}", ct);
        return moved;
    }

    public async Task ReactivateAsync(Guid userId, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        if (user.IsActive) return;
        user.IsActive = true;
        await users.UpdateAsync(user);
        await users.SetLockoutEndDateAsync(user, null);
        await audit.WriteAsync(AuditActions.UserReactivated, true, http.HttpContext, admin.UserId, admin.Name, user.Email, ct: ct);
    }

    /// <summary>Sets a new password for a user who lost theirs; their sessions end.</summary>
    public async Task ResetPasswordAsync(Guid userId, string newPassword, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var result = await users.ResetPasswordAsync(user, token, newPassword ?? "");
        if (!result.Succeeded)
        {
            var e = new ValidationErrors();
            foreach (var error in result.Errors) e.Add("password", error.Description);
            e.ThrowIfAny();
        }
        await users.SetLockoutEndDateAsync(user, null);
        await sessions.EndSessionsAsync(user.Id);
        await audit.WriteAsync(AuditActions.PasswordReset, true, http.HttpContext, admin.UserId, admin.Name, user.Email, ct: ct);
    }

    /// <summary>Active users who can own customers, for handover and owner pickers.</summary>
    public async Task<List<RenmaiUser>> ActiveUsersAsync(CancellationToken ct = default)
    {
        await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().Where(u => u.IsActive).OrderBy(u => u.DisplayName).ToListAsync(ct);
    }

    /// <summary>Display names by user id, to show owners and history; names are not secret inside the company.</summary>
    public async Task<Dictionary<Guid, string>> NamesAsync(CancellationToken ct = default)
    {
        await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Users.AsNoTracking().ToDictionaryAsync(u => u.Id, u => u.IsActive ? u.DisplayName : u.DisplayName + "（已停用）", ct);
    }

    /// <summary>Who the actor may give a customer to: admins anyone active, managers themselves and their teams, others nobody.</summary>
    public async Task<List<(Guid Id, string Name)>> OwnerChoicesAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (!actor.IsInRole(Roles.Admin) && !actor.IsInRole(Roles.Manager)) return [];
        await using var db = await dbs.CreateDbContextAsync(ct);
        var allowed = actor.ManagedUserIds.Append(actor.UserId ?? Guid.Empty).ToList();
        var q = db.Users.AsNoTracking().Where(u => u.IsActive);
        if (!actor.IsInRole(Roles.Admin)) q = q.Where(u => allowed.Contains(u.Id));
        var list = await q.OrderBy(u => u.DisplayName).Select(u => new { u.Id, u.DisplayName }).ToListAsync(ct);
        return list.Select(u => (u.Id, u.DisplayName)).ToList();
    }

    public async Task<RenmaiUser> FindByEmailAsync(string email) =>
        await users.FindByEmailAsync((email ?? "").Trim()) ?? throw new NotFoundException($"用户 {email} 不存在");

    private async Task EnsureAnotherAdminAsync(RenmaiUser user, CancellationToken ct)
    {
        var admins = await users.GetUsersInRoleAsync(Roles.Admin);
        if (!admins.Any(a => a.Id != user.Id && a.IsActive))
            throw new ValidationFailedException(new ValidationErrors().Also("role", "至少需要保留一个启用的管理员"));
    }

    public async Task<(ApiToken Token, string Secret)> CreateTokenAsync(string email, string name, bool readOnly = false,
        DateTime? expiresAt = null, CancellationToken ct = default)
    {
        var user = await users.FindByEmailAsync(email) ?? throw new NotFoundException($"用户 {email} 不存在");
        if (!user.IsActive) throw new InvalidOperationException($"用户 {email} 已停用");
        var (token, secret) = ApiToken.Issue(user.Id, string.IsNullOrWhiteSpace(name) ? "API" : name.Trim(), readOnly,
            clock.GetUtcNow().UtcDateTime, expiresAt);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Add(token);
        await db.SaveChangesAsync(ct);
        return (token, secret);
    }
}

/// <summary>
/// The one-time code that guards the first-run setup page: printed in the server log, so only
/// whoever can read the log (the person installing) can create the first admin.
/// </summary>
public sealed class SetupCode
{
    private readonly Lock _lock = new();
    private string? _code = FormatCode(RandomNumberGenerator.GetInt32(0, 100_000_000));

    public string? Current { get { lock (_lock) return _code; } }

    public bool TryConsume(string? attempt)
    {
        lock (_lock)
        {
            if (_code is null || attempt is null) return false;
            var a = System.Text.Encoding.UTF8.GetBytes(attempt.Trim().Replace(" ", "", StringComparison.Ordinal));
            var b = System.Text.Encoding.UTF8.GetBytes(_code);
            if (!CryptographicOperations.FixedTimeEquals(a, b)) return false;
            _code = null;
            return true;
        }
    }

    /// <summary>Put back after a failed account creation, so the installer can try again.</summary>
    public void Restore(string code) { lock (_lock) _code ??= code; }

    private static string FormatCode(int n) => n.ToString("D8", System.Globalization.CultureInfo.InvariantCulture).Insert(4, "-");
}

/// <summary>Identity's messages in Chinese.</summary>
public sealed class ChineseIdentityErrors : IdentityErrorDescriber
{
    public override IdentityError DuplicateUserName(string userName) => new() { Code = nameof(DuplicateUserName), Description = $"账号“{userName}”已存在" };
    public override IdentityError DuplicateEmail(string email) => new() { Code = nameof(DuplicateEmail), Description = $"邮箱“{email}”已被使用" };
    public override IdentityError InvalidEmail(string? email) => new() { Code = nameof(InvalidEmail), Description = $"邮箱“{email}”无效" };
    public override IdentityError InvalidUserName(string? userName) => new() { Code = nameof(InvalidUserName), Description = $"账号“{userName}”含有不允许的字符" };
    public override IdentityError PasswordTooShort(int length) => new() { Code = nameof(PasswordTooShort), Description = $"密码至少需要 {length} 位" };
    public override IdentityError PasswordRequiresDigit() => new() { Code = nameof(PasswordRequiresDigit), Description = "密码需要包含数字" };
    public override IdentityError PasswordRequiresLower() => new() { Code = nameof(PasswordRequiresLower), Description = "密码需要包含小写字母" };
    public override IdentityError PasswordRequiresUpper() => new() { Code = nameof(PasswordRequiresUpper), Description = "密码需要包含大写字母" };
    public override IdentityError PasswordRequiresNonAlphanumeric() => new() { Code = nameof(PasswordRequiresNonAlphanumeric), Description = "密码需要包含符号" };
    public override IdentityError PasswordRequiresUniqueChars(int uniqueChars) => new() { Code = nameof(PasswordRequiresUniqueChars), Description = $"密码至少需要 {uniqueChars} 个不同字符" };
    public override IdentityError PasswordMismatch() => new() { Code = nameof(PasswordMismatch), Description = "密码不正确" };
}
