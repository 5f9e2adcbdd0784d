using Renmai.Features.Classification;
using Renmai.Features.Customers;

namespace Renmai.Features.Privacy;

/// <summary>Validation of the sensitive categories: refused while disabled, checked when enabled.</summary>
public static class SensitiveValidation
{
    private static readonly int[] IdWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string IdChecks = "10X98765432";

    /// <summary>GB 11643-1999: 17 digits and a check character (0–9 or X). Returns a message or null.</summary>
    public static string? CheckIdNumber(string id)
    {
        if (id.Length != 18) return $"身份证号应为 18 位，现为 {id.Length} 位";
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            if (!char.IsAsciiDigit(id[i])) return $"身份证号第 {i + 1} 位应为数字";
            sum += (id[i] - '0') * IdWeights[i];
        }
        return id[17] == IdChecks[sum % 11] ? null : "身份证号校验位不正确，请核对";
    }

    /// <summary>The check character for 17 digits (tests and demo data).</summary>
    public static char IdCheckCharacter(string first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += (first17[i] - '0') * IdWeights[i];
        return IdChecks[sum % 11];
    }

    public static void Check(CustomerForm form, PrivacySettings privacy, ValidationErrors e)
    {
        form.IdNumber = Blank(form.IdNumber)?.ToUpperInvariant();
        form.BankName = Blank(form.BankName);
        form.BankAccount = Blank(form.BankAccount);
        if (form.BankAccount is not null) form.BankAccount = new string([.. form.BankAccount.Where(c => !char.IsWhiteSpace(c) && c != '-')]);

        if (form.IdNumber is not null)
        {
            if (!privacy.IdNumbersEnabled) e.Add("idNumber", "身份证号未启用：管理员可在“设置 › 隐私”中开启（ID numbers are disabled）");
            else if (form.Kind != CustomerKind.Individual) e.Add("idNumber", "身份证号只用于个人客户");
            else if (CheckIdNumber(form.IdNumber) is { } error) e.Add("idNumber", error);
        }
        if (form.BankName is not null || form.BankAccount is not null)
        {
            if (!privacy.BankAccountsEnabled)
            {
                e.Add(form.BankAccount is not null ? "bankAccount" : "bankName", "银行账户未启用：管理员可在“设置 › 隐私”中开启（bank accounts are disabled）");
            }
            else if (form.Kind != CustomerKind.Company) e.Add("bankAccount", "银行账户只用于企业客户");
            else
            {
                if (form.BankName is { Length: > 100 }) e.Add("bankName", "开户银行不能超过 100 个字");
                if (form.BankAccount is { } acc && (acc.Length is < 8 or > 30 || !acc.All(char.IsAsciiDigit)))
                    e.Add("bankAccount", "银行账号应为 8 到 30 位数字");
            }
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : Validators.ToHalfWidth(s).Trim();
}

/// <summary>Turns a search text into blind-index hashes when it looks like a phone, ID or bank number.</summary>
public static class SensitiveLookup
{
    public static (List<SensitiveKind> Kinds, List<string> Hashes) Hashes(SensitiveCipher cipher, string text)
    {
        var t = Validators.ToHalfWidth(text).Trim();
        var hashes = new List<string>();
        var none = (new List<SensitiveKind>(), hashes);
        if (t.Length == 0 || !t.All(c => char.IsAsciiDigit(c) || c is ' ' or '-' or '+' or '(' or ')' or 'x' or 'X')) return none;
        var digits = SensitiveStore.PhoneDigits(t);
        if (digits.Length < 4) return none;
        if (digits.Length == 4) return ([SensitiveKind.PhoneLast4], cipher.LookupHashes(SensitiveKind.PhoneLast4, digits));
        hashes.AddRange(cipher.LookupHashes(SensitiveKind.PhoneFull, digits));
        // +86 138…, 86-10-8888…: the app stores Chinese numbers without the country code.
        foreach (var kind in new[] { PhoneKind.Mobile, PhoneKind.Landline })
        {
            if (Validators.CheckPhone(t, kind) is ({ } normalized, null) && SensitiveStore.PhoneDigits(normalized) != digits)
                hashes.AddRange(cipher.LookupHashes(SensitiveKind.PhoneFull, SensitiveStore.PhoneDigits(normalized)));
        }
        if (t.Length == 18 && t[..17].All(char.IsAsciiDigit)) hashes.AddRange(cipher.LookupHashes(SensitiveKind.IdNumber, t.ToUpperInvariant()));
        if (digits.Length >= 8) hashes.AddRange(cipher.LookupHashes(SensitiveKind.BankAccount, digits));
        return ([SensitiveKind.PhoneFull, SensitiveKind.IdNumber, SensitiveKind.BankAccount], hashes.Distinct().ToList());
    }
}

/// <summary>The plaintext sensitive values of one customer, returned by a (logged) reveal.</summary>
public sealed class RevealedValues
{
    public string Number { get; set; } = "";
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? IdNumber { get; set; }
    public string? BankName { get; set; }
    public string? BankAccount { get; set; }
    /// <summary>Values of custom text fields marked sensitive, by key.</summary>
    public Dictionary<string, string> CustomFields { get; set; } = [];
    public List<RevealedContact> Contacts { get; set; } = [];
}

public sealed record RevealedContact(Guid Id, string Name, List<PhoneEntry> Phones);
