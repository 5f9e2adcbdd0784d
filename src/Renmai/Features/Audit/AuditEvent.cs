using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;

namespace Renmai.Features.Audit;

/// <summary>One security-relevant event (R12.4): who, when, what, from where. Never changed or deleted.</summary>
public sealed class AuditEvent : IAppendOnly
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public DateTime At { get; set; }
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
    /// <summary>A dotted code such as <c>login.failed</c>; see <see cref="AuditActions"/>.</summary>
    public string Action { get; set; } = "";
    public bool Success { get; set; }
    /// <summary>What the action was about: an e-mail for logins, a customer number, a setting name.</summary>
    public string? Target { get; set; }
    public string? Detail { get; set; }
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
}

public static class AuditActions
{
    /// <summary>Every action code, in declaration order (the audit page's filter list).</summary>
    public static readonly IReadOnlyList<string> All = typeof(AuditActions)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToArray();

    public const string LoginSucceeded = "login.succeeded";
    public const string LoginFailed = "login.failed";
    public const string LoginLockedOut = "login.locked_out";
    public const string Logout = "logout";
    public const string SetupAdminCreated = "setup.admin_created";
    public const string SetupCodeRejected = "setup.code_rejected";
    public const string TokenCreated = "token.created";
    public const string TokenRevoked = "token.revoked";
    public const string SettingsChanged = "settings.changed";
    public const string UserCreated = "user.created";
    public const string RoleChanged = "user.role_changed";
    public const string UserDeactivated = "user.deactivated";
    public const string UserReactivated = "user.reactivated";
    public const string PasswordReset = "user.password_reset";
    public const string TeamChanged = "team.changed";
    public const string OwnerChanged = "customer.owner_changed";
    public const string PermissionDenied = "permission.denied";
    public const string AuditExported = "audit.exported";
    public const string AuditPurged = "audit.purged";
    public const string TwoFactorLoginSucceeded = "login.2fa_succeeded";
    public const string TwoFactorLoginFailed = "login.2fa_failed";
    public const string RecoveryCodeUsed = "login.recovery_code_used";
    public const string TwoFactorEnabled = "2fa.enabled";
    public const string TwoFactorDisabled = "2fa.disabled";
    public const string RecoveryCodesRegenerated = "2fa.recovery_codes_regenerated";
    public const string PasswordChanged = "password.changed";
    public const string EmailChanged = "account.email_changed";
    public const string PhoneChanged = "account.phone_changed";
    public const string SessionsEnded = "sessions.ended";
    public const string SensitiveRevealed = "sensitive.revealed";
    public const string KeysRotated = "keys.rotated";
    public const string PrivacyExported = "privacy.exported";
    public const string PrivacyErased = "privacy.erased";
    public const string CustomersExported = "customers.exported";
    public const string DuplicatesScanned = "duplicates.scanned";
    public const string CustomersMerged = "customers.merged";
    public const string MergeUndone = "customers.merge_undone";

    public static string Label(string action) => action switch
    {
        LoginSucceeded => "登录成功",
        LoginFailed => "登录失败",
        LoginLockedOut => "账号锁定",
        Logout => "退出登录",
        SetupAdminCreated => "首次设置：创建管理员",
        SetupCodeRejected => "首次设置：设置代码错误",
        TokenCreated => "创建 API 令牌",
        TokenRevoked => "吊销 API 令牌",
        SettingsChanged => "修改系统设置",
        UserCreated => "添加用户",
        RoleChanged => "修改角色",
        UserDeactivated => "停用用户并移交客户",
        UserReactivated => "重新启用用户",
        PasswordReset => "重置密码",
        TeamChanged => "修改团队",
        OwnerChanged => "变更客户负责人",
        PermissionDenied => "权限拒绝",
        AuditExported => "导出审计日志",
        AuditPurged => "清理过期审计日志",
        TwoFactorLoginSucceeded => "两步验证登录成功",
        TwoFactorLoginFailed => "两步验证码错误",
        RecoveryCodeUsed => "使用恢复码登录",
        TwoFactorEnabled => "启用两步验证",
        TwoFactorDisabled => "关闭两步验证",
        RecoveryCodesRegenerated => "重新生成恢复码",
        PasswordChanged => "修改密码",
        EmailChanged => "修改邮箱",
        PhoneChanged => "修改手机号",
        SessionsEnded => "结束全部登录会话",
        SensitiveRevealed => "查看敏感信息",
        KeysRotated => "轮换加密密钥",
        PrivacyExported => "导出个人信息",
        PrivacyErased => "删除个人信息",
        CustomersExported => "导出客户",
        DuplicatesScanned => "扫描重复客户",
        CustomersMerged => "合并客户",
        MergeUndone => "撤销合并客户",
        _ => action,
    };
}

internal sealed class AuditEventMapping : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("AuditEvents");
        b.Property(e => e.UserName).HasMaxLength(200);
        b.Property(e => e.Action).HasMaxLength(64);
        b.Property(e => e.Target).HasMaxLength(256);
        b.Property(e => e.Detail).HasMaxLength(2000);
        b.Property(e => e.Ip).HasMaxLength(64);
        b.Property(e => e.UserAgent).HasMaxLength(512);
        b.HasIndex(e => e.At);
        b.HasIndex(e => new { e.UserId, e.At });
        b.HasIndex(e => new { e.Action, e.At });
    }
}
