using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

/// <summary>Accounts and API tokens. Used by the setup page, the admin pages and the CLI.</summary>
public sealed class UserService(UserManager<RenmaiUser> users, RoleManager<RenmaiRole> roles,
    IDbContextFactory<RenmaiDb> dbs, TimeProvider clock, SetupState setupState)
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

    public async Task<RenmaiUser> CreateAsync(string email, string password, string role, string? displayName = null)
    {
        var e = new ValidationErrors();
        email = (email ?? "").Trim();
        if (Validators.CheckEmail(email) is { } emailError) e.Add("email", emailError);
        if (!Roles.All.Contains(role)) e.Add("role", $"未知的角色“{role}”，可选：{string.Join(", ", Roles.All)}");
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
        return user;
    }

    public async Task<(ApiToken Token, string Secret)> CreateTokenAsync(string email, string name, bool readOnly = false,
        DateTime? expiresAt = null, CancellationToken ct = default)
    {
        var user = await users.FindByEmailAsync(email) ?? throw new NotFoundException($"用户 {email} 不存在");
        var secret = ApiToken.NewSecret();
        var token = new ApiToken
        {
            UserId = user.Id, Name = string.IsNullOrWhiteSpace(name) ? "API" : name.Trim(), Prefix = secret[..10],
            Hash = ApiToken.HashOf(secret), ReadOnly = readOnly, CreatedAt = clock.GetUtcNow().UtcDateTime, ExpiresAt = expiresAt,
        };
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
