using Microsoft.Extensions.Localization;

namespace Renmai.Features.Classification;

/// <summary>
/// Chinese display names of every classification value. The Chinese text is the resource key;
/// the English resource translates it (see docs/adr/0003-chinese-text-as-resource-key.md).
/// </summary>
public static class ClassificationLabels
{
    public static string Of(Enum value) => value switch
    {
        CustomerKind.Individual => "个人客户",
        CustomerKind.Company => "企业客户",
        CustomerType.Potential => "潜在客户",
        CustomerType.Existing => "现有客户",
        CustomerType.Partner => "合作伙伴",
        PartnerField.Supplier => "供应商",
        PartnerField.Distributor => "分销商",
        PartnerField.Agent => "代理商",
        PartnerField.Other => "其他伙伴",
        LeadSource.Online => "线上",
        LeadSource.Offline => "线下",
        LeadSource.Exhibition => "展会",
        LeadSource.Inbound => "主动咨询",
        LeadSource.Referral => "转介绍",
        LeadSource.Ads => "广告",
        LeadSource.Other => "其他来源",
        IntentGrade g => g.ToString() + "级",
        LifecycleStage.Potential => "潜在",
        LifecycleStage.Intention => "意向",
        LifecycleStage.FirstPurchase => "首次成交",
        LifecycleStage.Repeat => "重复购买",
        LifecycleStage.Loyal => "忠诚客户",
        LifecycleStage.Lost => "流失",
        Level.High => "高",
        Level.Mid => "中",
        Level.Low => "低",
        RiskLevel.None => "无风险",
        RiskLevel.Potential => "潜在风险",
        RiskLevel.High => "高风险",
        Gender.Unknown => "未知",
        Gender.Male => "男",
        Gender.Female => "女",
        DecisionRole.None => "未设定",
        DecisionRole.KeyDecisionMaker => "关键决策人",
        DecisionRole.DecisionMaker => "决策人",
        DecisionRole.Approver => "审批人",
        DecisionRole.Influencer => "影响者",
        DecisionRole.Contact => "联系人",
        DecisionRole.User => "使用者",
        DecisionRole.Gatekeeper => "把关人",
        Urgency.Low => "不急",
        Urgency.Normal => "一般",
        Urgency.High => "较急",
        Urgency.Urgent => "紧急",
        PhoneKind.Mobile => "手机",
        PhoneKind.Landline => "座机",
        PhoneKind.Fax => "传真",
        PhoneKind.Other => "其他电话",
        SocialKind.WeChat => "微信",
        SocialKind.QQ => "QQ",
        SocialKind.Weibo => "微博",
        SocialKind.DingTalk => "钉钉",
        SocialKind.Douyin => "抖音",
        SocialKind.Other => "其他账号",
        CalendarKind.Solar => "公历",
        CalendarKind.Lunar => "农历",
        _ => value.ToString(),
    };

    public static string Of(Enum value, IStringLocalizer l) => l[Of(value)];

    /// <summary>Value tier reads "高价值" rather than just "高".</summary>
    public static string ValueTier(Level level) => Of(level) + "价值";

    /// <summary>MudBlazor colour names per value, so the same grade looks the same everywhere.</summary>
    public static string Color(Enum value) => value switch
    {
        IntentGrade.A => "error",
        IntentGrade.B => "warning",
        IntentGrade.C => "info",
        IntentGrade.D => "default",
        IntentGrade.E => "dark",
        Level.High => "error",
        Level.Mid => "warning",
        Level.Low => "default",
        RiskLevel.High => "error",
        RiskLevel.Potential => "warning",
        RiskLevel.None => "success",
        CustomerType.Existing => "success",
        CustomerType.Potential => "info",
        CustomerType.Partner => "secondary",
        LifecycleStage.Lost => "dark",
        LifecycleStage.Loyal => "success",
        LifecycleStage.Repeat => "success",
        LifecycleStage.FirstPurchase => "primary",
        LifecycleStage.Intention => "warning",
        LifecycleStage.Potential => "info",
        _ => "default",
    };
}
