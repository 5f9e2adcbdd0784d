using Microsoft.AspNetCore.Identity;

namespace Renmai.Features.Users;

public sealed class RenmaiUser : IdentityUser<Guid>
{
    public RenmaiUser() => Id = Guid.CreateVersion7();

    public string DisplayName { get; set; } = "";
    public bool IsActive { get; set; } = true;
    public DateTime CreatedAt { get; set; }
    /// <summary>When the password was last set (UTC); the 等保 preset makes it expire after N days.</summary>
    public DateTime? PasswordChangedAt { get; set; }
}

public sealed class RenmaiRole : IdentityRole<Guid>
{
    public RenmaiRole() => Id = Guid.CreateVersion7();
    public RenmaiRole(string name) : this() { Name = name; NormalizedName = name.ToUpperInvariant(); }
}

/// <summary>The five roles of R12.1. Record scope per role is decided in the feature services.</summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Manager = "manager";
    public const string Rep = "rep";
    public const string Service = "service";
    public const string Auditor = "auditor";

    public static readonly string[] All = [Admin, Manager, Rep, Service, Auditor];

    public static string Label(string role) => role switch
    {
        Admin => "管理员",
        Manager => "销售经理",
        Rep => "销售代表",
        Service => "客服专员",
        Auditor => "审计员（只读）",
        _ => role,
    };
}
