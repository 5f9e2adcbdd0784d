using System.Text.Json.Serialization;

namespace Renmai.Features.Classification;

// Enum values are stored as integers and exposed in the API as camelCase names.
// Their Chinese labels live in ClassificationLabels (and the English ones in the resources).

public enum CustomerKind { Individual = 0, Company = 1 }

/// <summary>R2.1 客户类型.</summary>
public enum CustomerType { Potential = 0, Existing = 1, Partner = 2 }

/// <summary>R2.1 合作伙伴领域.</summary>
public enum PartnerField { Supplier = 0, Distributor = 1, Agent = 2, Other = 9 }

/// <summary>R2.1 潜在客户来源.</summary>
public enum LeadSource { Online = 0, Offline = 1, Exhibition = 2, Inbound = 3, Referral = 4, Ads = 5, Other = 9 }

/// <summary>R2.2 意向度: A closest to closing … E not interested yet.</summary>
public enum IntentGrade
{
    [JsonStringEnumMemberName("A")] A = 0,
    [JsonStringEnumMemberName("B")] B = 1,
    [JsonStringEnumMemberName("C")] C = 2,
    [JsonStringEnumMemberName("D")] D = 3,
    [JsonStringEnumMemberName("E")] E = 4,
}

/// <summary>R2.5 生命周期阶段.</summary>
public enum LifecycleStage { Potential = 0, Intention = 1, FirstPurchase = 2, Repeat = 3, Loyal = 4, Lost = 5 }

/// <summary>R2.3 价值分层, and R2.6 potential: high / mid / low.</summary>
public enum Level { High = 0, Mid = 1, Low = 2 }

/// <summary>R1.6 风险等级.</summary>
public enum RiskLevel { None = 0, Potential = 1, High = 2 }

public enum Gender { Unknown = 0, Male = 1, Female = 2 }

/// <summary>R1.2 / R1.3 role in the decision chain.</summary>
public enum DecisionRole { None = 0, KeyDecisionMaker = 1, DecisionMaker = 2, Approver = 3, Influencer = 4, Contact = 5, User = 6, Gatekeeper = 7 }

public enum Urgency { Low = 0, Normal = 1, High = 2, Urgent = 3 }

public enum PhoneKind { Mobile = 0, Landline = 1, Fax = 2, Other = 9 }

public enum SocialKind { WeChat = 0, QQ = 1, Weibo = 2, DingTalk = 3, Douyin = 4, Other = 9 }

public enum CalendarKind { Solar = 0, Lunar = 1 }
