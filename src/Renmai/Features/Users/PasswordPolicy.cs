using System.Collections.Frozen;
using Microsoft.AspNetCore.Identity;
using Renmai.Features.Settings;

namespace Renmai.Features.Users;

/// <summary>
/// The organisation's password rules (<see cref="SecuritySettings.PasswordPreset"/>) as Identity's
/// password validator: every place that sets a password (setup, CLI, change form) goes through it.
/// Identity's own length and class rules are switched off in <see cref="UsersSetup"/>, so this decides.
/// </summary>
public sealed class PasswordPolicy(AppSettings settings) : IPasswordValidator<RenmaiUser>
{
    public const int MinLength = 8;
    public const int MaxLength = 128;

    public async Task<IdentityResult> ValidateAsync(UserManager<RenmaiUser> manager, RenmaiUser user, string? password)
    {
        var preset = (await settings.GetAsync<SecuritySettings>()).PasswordPreset;
        var errors = Check(password ?? "", preset).Select(m => new IdentityError { Code = "PasswordPolicy", Description = m }).ToList();
        // Setting the same password again is no change (等保: the new password must differ from the current one).
        if (errors.Count == 0 && user.PasswordHash is { } hash
            && manager.PasswordHasher.VerifyHashedPassword(user, hash, password ?? "") != PasswordVerificationResult.Failed)
            errors.Add(new IdentityError { Code = "PasswordReused", Description = "新密码不能与当前密码相同" });
        return errors.Count == 0 ? IdentityResult.Success : IdentityResult.Failed([.. errors]);
    }

    /// <summary>The Chinese messages for what is wrong with <paramref name="password"/> under <paramref name="preset"/>.</summary>
    public static List<string> Check(string password, PasswordPreset preset)
    {
        var errors = new List<string>();
        if (password.Length < MinLength) errors.Add($"密码至少需要 {MinLength} 位");
        if (password.Length > MaxLength) errors.Add($"密码不能超过 {MaxLength} 位");
        if (preset == PasswordPreset.DengBao)
        {
            var classes = (password.Any(char.IsUpper) ? 1 : 0) + (password.Any(char.IsLower) ? 1 : 0)
                + (password.Any(char.IsDigit) ? 1 : 0) + (password.Any(c => !char.IsLetterOrDigit(c)) ? 1 : 0);
            if (classes < 3) errors.Add("密码需要包含大写字母、小写字母、数字、符号中的至少三类");
        }
        if (IsCommon(password)) errors.Add("这是常见密码，很容易被猜到，请换一个");
        return errors;
    }

    /// <summary>Whether the password is on the shipped list of common passwords (case-insensitive).</summary>
    public static bool IsCommon(string password) => Common.Value.Contains(password.Trim());

    public static int CommonCount => Common.Value.Count;

    private static readonly Lazy<FrozenSet<string>> Common = new(() =>
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("Renmai.common-passwords.txt")
            ?? throw new InvalidOperationException("common-passwords.txt is not embedded");
        using var reader = new StreamReader(stream);
        var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0 && line[0] != '#') set.Add(line.Trim());
        return set.ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    });
}
