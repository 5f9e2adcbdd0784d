using System.Net.Mail;
using PhoneNumbers;
using Renmai.Features.Classification;

namespace Renmai.Features.Customers;

/// <summary>Field errors keyed by field path (camelCase, e.g. "phones[1].number", "customFields.cf2").</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;
    public IReadOnlyDictionary<string, List<string>> Fields => _errors;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list)) _errors[field] = list = [];
        list.Add(message);
    }

    /// <summary>Adds and returns itself, for one-line checks.</summary>
    public ValidationErrors Also(string field, string message)
    {
        Add(field, message);
        return this;
    }

    public string? For(string field) => _errors.TryGetValue(field, out var l) ? string.Join("；", l) : null;

    public void ThrowIfAny()
    {
        if (Any) throw new ValidationFailedException(this);
    }
}

public sealed class ValidationFailedException(ValidationErrors errors)
    : Exception("输入有误：" + string.Join("；", errors.Fields.Select(f => f.Key + " " + string.Join("，", f.Value))))
{
    public ValidationErrors Errors { get; } = errors;
}

/// <summary>The record changed since the caller read it (R13.3); carries the current state.</summary>
public sealed class ConcurrencyConflictException(string message, object? current) : Exception(message)
{
    public object? Current { get; } = current;
}

public sealed class NotFoundException(string message) : Exception(message);

public sealed class ForbiddenException(string message) : Exception(message);

/// <summary>Checks for Chinese business identifiers and contact data.</summary>
public static class Validators
{
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    // GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z); the last is a check character.
    private const string UsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static readonly int[] UsccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    public static string NormalizeUscc(string value) => ToHalfWidth(value).Trim().ToUpperInvariant();

    /// <summary>Validates a 统一社会信用代码; returns a Chinese message or null when valid.</summary>
    public static string? CheckUscc(string value)
    {
        var code = NormalizeUscc(value);
        if (code.Length != 18) return $"统一社会信用代码应为 18 位，现为 {code.Length} 位";
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            var v = UsccAlphabet.IndexOf(code[i], StringComparison.Ordinal);
            if (v < 0) return $"统一社会信用代码第 {i + 1} 位“{code[i]}”不是有效字符";
            sum += v * UsccWeights[i];
        }
        var check = (31 - sum % 31) % 31;
        if (code[17] != UsccAlphabet[check]) return "统一社会信用代码校验位不正确，请核对";
        return null;
    }

    /// <summary>Computes the check character, for generating valid demo and test codes.</summary>
    public static char UsccCheckChar(string first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++) sum += UsccAlphabet.IndexOf(first17[i], StringComparison.Ordinal) * UsccWeights[i];
        return UsccAlphabet[(31 - sum % 31) % 31];
    }

    /// <summary>
    /// Parses a phone number (China by default) and returns it normalised: national digits for
    /// Chinese numbers (13812345678, 01088886666), E.164 for others. Null and a message when invalid.
    /// </summary>
    // Most phones in a ledger (and in an import of a million rows) are mainland mobiles. libphonenumber runs a
    // dozen regexes over each; a number that matches the same metadata's mobile pattern and none of CN's other
    // number types is answered here (a test compares both paths over every 4-digit prefix).
    private static readonly PhoneMetadata CnMetadata = Phones.GetMetadataForRegion("CN");
    private static readonly System.Text.RegularExpressions.Regex CnMobile = Whole(CnMetadata.Mobile);
    private static readonly System.Text.RegularExpressions.Regex[] CnOtherTypes = [.. new[]
    {
        CnMetadata.FixedLine, CnMetadata.PremiumRate, CnMetadata.TollFree, CnMetadata.SharedCost, CnMetadata.Voip,
        CnMetadata.PersonalNumber, CnMetadata.Pager, CnMetadata.Uan, CnMetadata.Voicemail,
    }.Where(d => d?.NationalNumberPattern is { Length: > 0 }).Select(Whole)];

    private static System.Text.RegularExpressions.Regex Whole(PhoneNumberDesc desc) =>
        new("^(?:" + desc.NationalNumberPattern + ")$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>A plain 11-digit mainland mobile ("13812345678"), or null when libphonenumber must decide.</summary>
    internal static string? FastMobile(string raw)
    {
        if (raw.Length != 11 || raw[0] != '1') return null;
        foreach (var c in raw) if (c is < '0' or > '9') return null;
        if (!CnMobile.IsMatch(raw)) return null;
        foreach (var other in CnOtherTypes) if (other.IsMatch(raw)) return null;
        return raw;
    }

    public static (string? Normalized, string? Error) CheckPhone(string value, PhoneKind kind)
    {
        var raw = ToHalfWidth(value).Trim();
        if (raw.Length == 0) return (null, "电话号码不能为空");
        if (FastMobile(raw) is { } mobile)
            return kind == PhoneKind.Landline ? (null, $"“{value}”是手机号码，请选择“手机”类型") : (mobile, null);
        return CheckPhoneSlow(raw, value, kind);
    }

    /// <summary>libphonenumber's verdict (<see cref="CheckPhone"/> without the mobile shortcut; tests compare both).</summary>
    internal static (string? Normalized, string? Error) CheckPhoneSlow(string raw, string value, PhoneKind kind)
    {
        PhoneNumber parsed;
        try { parsed = Phones.Parse(raw, "CN"); }
        catch (NumberParseException) { return (null, $"“{value}”不是有效的电话号码"); }
        if (!Phones.IsValidNumber(parsed)) return (null, $"“{value}”不是有效的电话号码");
        var type = Phones.GetNumberType(parsed);
        if (kind == PhoneKind.Mobile && parsed.CountryCode == 86 && type is not (PhoneNumberType.MOBILE or PhoneNumberType.FIXED_LINE_OR_MOBILE))
            return (null, $"“{value}”不是手机号码（应为 11 位，以 1 开头）");
        if (kind == PhoneKind.Landline && parsed.CountryCode == 86 && type == PhoneNumberType.MOBILE)
            return (null, $"“{value}”是手机号码，请选择“手机”类型");
        if (parsed.CountryCode == 86)
        {
            var national = parsed.NationalNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // Landlines keep their trunk 0 (010…, 0755…) as people write them.
            return (type == PhoneNumberType.MOBILE ? national : "0" + national, null);
        }
        return (Phones.Format(parsed, PhoneNumberFormat.E164), null);
    }

    public static string? CheckEmail(string value)
    {
        var v = value.Trim();
        // The explicit encoding matters: without it MailAddress looks up "utf-8" by name, which goes through the
        // code-page provider (registered for GBK files) and its lock — a sixth of an import's CPU on two cores.
        if (v.Length > 254 || !MailAddress.TryCreate(v, null, System.Text.Encoding.UTF8, out var address) || address.Address != v
            || !v.Contains('.', StringComparison.Ordinal))
            return $"“{value}”不是有效的电子邮箱地址";
        return null;
    }

    /// <summary>Full-width digits, letters and punctuation (common in Chinese input) to half-width.</summary>
    public static string ToHalfWidth(string s)
    {
        Span<char> buffer = s.Length <= 256 ? stackalloc char[s.Length] : new char[s.Length];
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            buffer[i] = c == '\u3000' ? ' ' : c is >= '\uFF01' and <= '\uFF5E' ? (char)(c - 0xFEE0) : c;
        }
        return new string(buffer);
    }

    /// <summary>Formats a stored phone for display: 138 1234 5678 / 010-8888 6666.</summary>
    public static string DisplayPhone(string normalized)
    {
        if (normalized.Contains('*', StringComparison.Ordinal)) return normalized; // masked: 138****1234, 010-****6666
        if (normalized.Length == 11 && normalized[0] == '1') return $"{normalized[..3]} {normalized[3..7]} {normalized[7..]}";
        if (normalized.StartsWith('0') && normalized.Length is >= 10 and <= 12)
        {
            var area = normalized[1] is '1' or '2' ? 3 : 4;
            return normalized[..area] + "-" + normalized[area..];
        }
        return normalized;
    }
}
