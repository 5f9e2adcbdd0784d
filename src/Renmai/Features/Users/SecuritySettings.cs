using Renmai.Features.Customers;
using Renmai.Features.Settings;

namespace Renmai.Features.Users;

/// <summary>The password rules an organisation chooses.</summary>
public enum PasswordPreset
{
    /// <summary>OWASP ASVS 5 / NIST 800-63B: length, no composition rules, common passwords blocked.</summary>
    Asvs = 0,
    /// <summary>等保 2.0 (GB/T 22239-2019): 3 of 4 character classes and a regular change.</summary>
    DengBao = 1,
}

/// <summary>Organisation-wide login security (R12.2): password rules, required 2FA, session limits.</summary>
public sealed class SecuritySettings : ISettingsSection
{
    public static string Key => "security";
    public static string Label => "安全设置";

    public PasswordPreset PasswordPreset { get; set; } = PasswordPreset.Asvs;
    /// <summary>Days a password stays valid under <see cref="PasswordPreset.DengBao"/>.</summary>
    public int PasswordMaxAgeDays { get; set; } = 90;
    /// <summary>Role names (<see cref="Roles.All"/>) whose members must use two-factor login.</summary>
    public List<string> Require2FaRoles { get; set; } = [];
    public int IdleTimeoutMinutes { get; set; } = 30;
    public int AbsoluteTimeoutHours { get; set; } = 12;

    public const int MinIdleMinutes = 5, MaxIdleMinutes = 1440, MaxAbsoluteHours = 720, MaxAgeDaysLimit = 3650;

    public void Validate(ValidationErrors errors)
    {
        if (!Enum.IsDefined(PasswordPreset)) errors.Add("passwordPreset", "请选择密码策略");
        if (PasswordMaxAgeDays is < 1 or > MaxAgeDaysLimit) errors.Add("passwordMaxAgeDays", $"密码有效期应在 1 到 {MaxAgeDaysLimit} 天之间");
        Require2FaRoles ??= [];
        foreach (var role in Require2FaRoles.Where(r => !Roles.All.Contains(r)))
            errors.Add("require2FaRoles", $"未知的角色“{role}”");
        Require2FaRoles = Require2FaRoles.Distinct(StringComparer.Ordinal).ToList();
        if (IdleTimeoutMinutes is < MinIdleMinutes or > MaxIdleMinutes)
            errors.Add("idleTimeoutMinutes", $"空闲超时应在 {MinIdleMinutes} 到 {MaxIdleMinutes} 分钟之间");
        if (AbsoluteTimeoutHours is < 1 or > MaxAbsoluteHours)
            errors.Add("absoluteTimeoutHours", $"最长登录时间应在 1 到 {MaxAbsoluteHours} 小时之间");
        else if (IdleTimeoutMinutes > AbsoluteTimeoutHours * 60)
            errors.Add("idleTimeoutMinutes", "空闲超时不能长于最长登录时间");
    }

    public TimeSpan IdleTimeout => TimeSpan.FromMinutes(IdleTimeoutMinutes);
    public TimeSpan AbsoluteTimeout => TimeSpan.FromHours(AbsoluteTimeoutHours);

    public bool Requires2Fa(IEnumerable<string> roles) => roles.Any(r => Require2FaRoles.Contains(r));

    /// <summary>Whether a password set at <paramref name="changedAt"/> must be changed now.</summary>
    public bool PasswordExpired(DateTime? changedAt, DateTime now) =>
        PasswordPreset == PasswordPreset.DengBao && changedAt is { } at && now - at > TimeSpan.FromDays(PasswordMaxAgeDays);

    public static string PresetLabel(PasswordPreset preset) => preset switch
    {
        PasswordPreset.DengBao => "等保 2.0（大小写字母、数字、符号至少三类，定期更换）",
        _ => "ASVS（至少 8 位，不限字符类型，禁止常见密码）",
    };
}
