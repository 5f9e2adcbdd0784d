using System.Text;
using System.Text.RegularExpressions;
using Renmai.Features.Customers;

namespace Renmai.Features.Dedup;

/// <summary>
/// The normalised forms two records are compared by (R10.3). Each returns null when there is
/// nothing meaningful left to compare (an empty or too short key would group unrelated records).
/// </summary>
public static partial class DedupKeys
{
    /// <summary>Lower-case, trimmed, full-width folded.</summary>
    public static string? Email(string? email)
    {
        if (string.IsNullOrWhiteSpace(email)) return null;
        var e = Validators.ToHalfWidth(email).Trim().ToLowerInvariant();
        return e.Contains('@', StringComparison.Ordinal) ? e : null;
    }

    /// <summary>统一社会信用代码: upper-case, no spaces (18 characters or nothing).</summary>
    public static string? Uscc(string? uscc)
    {
        if (string.IsNullOrWhiteSpace(uscc)) return null;
        var u = Validators.NormalizeUscc(uscc);
        return u.Length == 18 ? u : null;
    }

    // Legal-form words at the end, longest first so 股份有限公司 is not left as 股份.
    private static readonly string[] LegalForms =
    [
        "集团股份有限公司", "集团有限责任公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "分公司", "集团", "公司",
        "co.,ltd.", "co.,ltd", "co.ltd", "ltd.", "ltd", "inc.", "inc", "limited", "company",
    ];

    // Provinces and the larger cities, as they start a company name (北京华夏…, 广东华夏…, 深圳市华夏…).
    private static readonly string[] Regions =
    [
        "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区", "香港特别行政区", "澳门特别行政区",
        "黑龙江省", "北京市", "上海市", "天津市", "重庆市", "内蒙古", "黑龙江",
        "北京", "上海", "天津", "重庆", "河北", "山西", "辽宁", "吉林", "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北",
        "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
        "广州", "深圳", "杭州", "南京", "苏州", "成都", "武汉", "西安", "郑州", "长沙", "沈阳", "大连", "青岛", "济南", "厦门", "福州",
        "宁波", "无锡", "合肥", "昆明", "南昌", "贵阳", "南宁", "石家庄", "太原", "哈尔滨", "长春", "兰州", "海口", "东莞", "佛山",
        "珠海", "温州", "常州", "南通", "徐州", "烟台", "泉州", "嘉兴", "绍兴", "金华", "台州", "中山", "惠州", "洛阳", "唐山", "保定",
    ];

    [GeneratedRegex(@"[（(][^）)]{0,12}[）)]")]
    private static partial Regex Bracketed();

    /// <summary>
    /// A company name without its region (北京…, …（北京）, 深圳市…), legal form (有限公司, 股份有限公司, 集团 …),
    /// brackets, spaces and punctuation, full-width folded and lower-cased: 北京华夏科技有限公司,
    /// 华夏科技（北京）有限公司 and ＨＵＡＸＩＡ 华夏科技 all compare by their core.
    /// </summary>
    public static string? CompanyName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var s = Validators.ToHalfWidth(name).Trim().ToLowerInvariant();
        s = Bracketed().Replace(s, "");
        s = Letters(s);
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var form in LegalForms)
            {
                var f = Letters(form);
                if (s.Length > f.Length + 1 && s.EndsWith(f, StringComparison.Ordinal)) { s = s[..^f.Length]; changed = true; }
            }
        }
        foreach (var region in Regions)
        {
            if (s.Length <= region.Length + 1 || !s.StartsWith(region, StringComparison.Ordinal)) continue;
            s = s[region.Length..];
            if (s.Length > 2 && s[0] is '市' or '省') s = s[1..];
            break;
        }
        return s.Length >= 2 ? s : null;
    }

    // Role addresses are shared by unrelated records of one organisation and by template data: not a duplicate signal alone.
    private static readonly HashSet<string> RoleMailboxes =
        ["info", "sales", "service", "contact", "hr", "admin", "market", "office", "support", "kefu", "job", "jobs", "marketing", "hello"];

    /// <summary>An e-mail worth comparing: not a role address such as info@ or sales@ (those are kept out of the scan).</summary>
    public static string? PersonalEmail(string? email) =>
        Email(email) is { } e && !RoleMailboxes.Contains(e[..e.IndexOf('@', StringComparison.Ordinal)]) ? e : null;

    /// <summary>
    /// The company key of the scan: the name's core plus its place — the region the name carries (北京…, …（北京）)
    /// or else the customer's city — so 北京华夏科技 matches 华夏科技（北京）but not 上海华夏科技.
    /// </summary>
    public static string? CompanyKey(string? name, string? city)
    {
        if (CompanyName(name) is not { } core) return null;
        var s = Validators.ToHalfWidth(name!).Trim();
        var region = Regions.FirstOrDefault(r => s.StartsWith(r, StringComparison.Ordinal))
            ?? Bracketed().Matches(s).Select(m => m.Value[1..^1]).FirstOrDefault(v => Regions.Any(r => v.StartsWith(r, StringComparison.Ordinal)))
            ?? city;
        return core + "|" + Place(region);
    }

    private static string Place(string? region) =>
        string.IsNullOrWhiteSpace(region) ? "" : region.Trim().TrimEnd('市', '省').Replace("自治区", "", StringComparison.Ordinal);

    /// <summary>A person's name: full-width folded, no spaces or middle dots, lower-case (for Latin names).</summary>
    public static string? PersonName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        var s = Letters(Validators.ToHalfWidth(name).Trim().ToLowerInvariant());
        return s.Length >= 2 ? s : null;
    }

    /// <summary>The full pinyin of a normalised person name (张伟 and 章伟 both zhangwei), or null without pinyin data.</summary>
    public static string? NamePinyin(string normalizedName) =>
        Search.Pinyin.HasHan(normalizedName) && Search.Pinyin.NameFull(normalizedName) is { Length: >= 2 } p ? p : null;

    /// <summary>Letters and digits only (CJK included): drops spaces, punctuation, dots, dashes.</summary>
    private static string Letters(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
            if (char.IsLetterOrDigit(c)) sb.Append(c);
        return sb.ToString();
    }
}
