using System.Globalization;
using System.Reflection;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.CustomFields;

namespace Renmai.Features.Customers;

/// <summary>
/// Chinese labels for customer and contact properties as the change history names them
/// (entity property names, "cf.key" for custom fields), and readable old/new values.
/// </summary>
public static class CustomerFieldLabels
{
    private static readonly Dictionary<string, string> Customer = new(StringComparer.Ordinal)
    {
        ["Number"] = "客户编号", ["Kind"] = "客户性质", ["Name"] = "客户名称", ["Gender"] = "性别", ["BirthDate"] = "生日",
        ["BirthCalendar"] = "生日历法", ["Age"] = "年龄", ["Title"] = "职务", ["Company"] = "所在公司", ["DecisionRole"] = "决策角色", ["Interests"] = "兴趣爱好",
        ["Anniversaries"] = "纪念日", ["Phones"] = "电话", ["Email"] = "电子邮箱", ["SocialAccounts"] = "社交账号",
        ["Province"] = "省份", ["City"] = "城市", ["District"] = "区县", ["Street"] = "详细地址", ["RegisteredAddress"] = "注册地址",
        ["Industry"] = "行业", ["StaffCount"] = "员工人数", ["AnnualRevenueFen"] = "年营业额", ["MainBusiness"] = "主营业务",
        ["MarketPosition"] = "市场地位", ["Uscc"] = "统一社会信用代码", ["ProductsOfInterest"] = "感兴趣的产品/服务",
        ["BudgetMinFen"] = "预算下限", ["BudgetMaxFen"] = "预算上限", ["Urgency"] = "紧迫程度", ["DecisionProcess"] = "决策流程",
        ["CreditLimitFen"] = "信用额度", ["CreditNotes"] = "信用备注", ["RiskLevel"] = "风险等级", ["Type"] = "客户类型",
        ["PartnerField"] = "伙伴领域", ["LeadSource"] = "客户来源", ["Intent"] = "意向度", ["Stage"] = "生命周期",
        ["ValueTier"] = "价值分层", ["Potential"] = "潜力", ["Region"] = "区域", ["TagsText"] = "标签", ["Notes"] = "备注",
        ["OwnerId"] = "负责人", ["IdNumber"] = "身份证号", ["BankName"] = "开户银行", ["BankAccount"] = "银行账号",
        ["Merge"] = "合并", ["MergedInto"] = "并入", ["MergeUndone"] = "撤销合并",
    };

    private static readonly Dictionary<string, string> ContactLabels = new(StringComparer.Ordinal)
    {
        ["Name"] = "姓名", ["Gender"] = "性别", ["Title"] = "职务", ["Department"] = "部门", ["Role"] = "决策角色",
        ["Phones"] = "电话", ["Email"] = "电子邮箱", ["WeChat"] = "微信", ["BirthDate"] = "生日", ["IsPrimary"] = "主要联系人",
        ["Notes"] = "备注",
    };

    private static readonly Dictionary<string, string> ConsentLabels = new(StringComparer.Ordinal)
    {
        ["Purpose"] = "授权目的", ["Channel"] = "授权方式", ["GivenOn"] = "授权日期", ["RecordedByName"] = "记录人", ["Note"] = "备注",
        ["WithdrawnOn"] = "撤回日期", ["WithdrawnByName"] = "撤回人",
    };

    /// <summary>The Chinese label of a changed field of a Customer or Contact record.</summary>
    public static string Label(string entityType, string field, IReadOnlyList<CustomFieldDefinition> customFields)
    {
        if (field.StartsWith("cf.", StringComparison.Ordinal))
            return customFields.FirstOrDefault(d => d.Key == field[3..])?.Label ?? "自定义字段 " + field[3..];
        var map = entityType switch
        {
            nameof(Contact) => ContactLabels,
            nameof(Renmai.Features.Privacy.ConsentRecord) => ConsentLabels,
            _ => Customer,
        };
        return map.TryGetValue(field, out var label) ? label : field;
    }

    /// <summary>A stored history value as people read it: enum names → Chinese labels, fen → ¥, JSON lists → text.</summary>
    public static string Value(string entityType, string field, string? raw, IReadOnlyList<CustomFieldDefinition> customFields)
    {
        if (string.IsNullOrEmpty(raw)) return "（空）";
        if (field.StartsWith("cf.", StringComparison.Ordinal))
        {
            var def = customFields.FirstOrDefault(d => d.Key == field[3..]);
            if (def?.Type == CustomFieldType.Money && long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var cfFen)) return Yuan(cfFen);
            if (def?.Type == CustomFieldType.Boolean) return raw == "true" ? "是" : raw == "false" ? "否" : raw;
            if (raw.StartsWith('[')) return JoinJsonStrings(raw);
            return raw;
        }
        if (entityType == nameof(Renmai.Features.Privacy.ConsentRecord))
            return field == "Channel" && Enum.TryParse<Renmai.Features.Privacy.ConsentChannel>(raw, out var channel)
                ? Renmai.Features.Privacy.ConsentPurposes.ChannelLabel(channel) : raw;
        var type = entityType == nameof(Contact) ? typeof(Contact) : typeof(Customer);
        var property = type.GetProperty(field, BindingFlags.Public | BindingFlags.Instance);
        var propertyType = property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;

        if (field == "TagsText") return string.Join("、", raw.Split('|', StringSplitOptions.RemoveEmptyEntries));
        if (propertyType is { IsEnum: true } && Enum.TryParse(propertyType, raw, ignoreCase: true, out var e) && e is Enum value)
            return field == "ValueTier" && value is Level level ? ClassificationLabels.ValueTier(level) : ClassificationLabels.Of(value);
        if (field.EndsWith("Fen", StringComparison.Ordinal) && long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var fen))
            return Yuan(fen);
        if (propertyType == typeof(bool)) return raw.Equals("true", StringComparison.OrdinalIgnoreCase) ? "是" : "否";
        // Sensitive fields are recorded masked (ADR 0012), never as JSON or plaintext.
        if (propertyType == typeof(List<PhoneEntry>)) return raw.StartsWith('[') ? Phones(raw) : raw;
        if (propertyType == typeof(List<SocialAccount>))
            return string.Join("；", Parse<SocialAccount>(raw).Select(s => ClassificationLabels.Of(s.Kind) + " " + s.Account));
        if (propertyType == typeof(List<Anniversary>))
            return string.Join("；", Parse<Anniversary>(raw).Select(a =>
                $"{a.Name} {a.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}{(a.Calendar == CalendarKind.Lunar ? "（农历）" : "")}"));
        return raw;
    }

    private static string Yuan(long fen) => "¥" + (fen / 100m).ToString("#,##0.00", CultureInfo.InvariantCulture);

    private static string Phones(string json) =>
        string.Join("；", Parse<PhoneEntry>(json).Select(p =>
            ClassificationLabels.Of(p.Kind) + " " + Validators.DisplayPhone(p.Number) + (p.Note is { Length: > 0 } n ? $"（{n}）" : "")));

    private static List<T> Parse<T>(string json)
    {
        try { return Data.JsonStorage.Deserialize<List<T>>(json) ?? []; }
        catch (System.Text.Json.JsonException) { return []; }
    }

    private static string JoinJsonStrings(string json)
    {
        try { return string.Join("、", Data.JsonStorage.Deserialize<List<string>>(json) ?? []); }
        catch (System.Text.Json.JsonException) { return json; }
    }
}
