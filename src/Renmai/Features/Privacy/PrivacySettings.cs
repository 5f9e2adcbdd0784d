using Renmai.Features.Customers;
using Renmai.Features.Settings;

namespace Renmai.Features.Privacy;

/// <summary>
/// PIPL minimal collection (R12.6): the sensitive categories beyond phones are off until an admin
/// turns them on. When off, the fields are hidden everywhere and the API refuses them.
/// </summary>
public sealed class PrivacySettings : ISettingsSection
{
    public static string Key => "privacy";
    public static string Label => "隐私与敏感信息";

    /// <summary>身份证号 for individual customers.</summary>
    public bool IdNumbersEnabled { get; set; }

    /// <summary>开户银行 and 银行账号 for company customers.</summary>
    public bool BankAccountsEnabled { get; set; }

    public void Validate(ValidationErrors errors)
    {
    }
}
