using System.Text.Json.Nodes;
using Renmai.Data;
using Renmai.Features.Classification;

namespace Renmai.Features.Customers;

/// <summary>
/// A customer as the UI form, the API and the CLI see it. Reads return it with number, version and
/// stamps filled in; writes accept it (the number and stamps are ignored on write).
/// Money is in fen (分), integer.
/// </summary>
public sealed class CustomerForm
{
    public string? Number { get; set; }
    public CustomerKind Kind { get; set; }
    public string Name { get; set; } = "";
    public Gender Gender { get; set; }
    public DateOnly? BirthDate { get; set; }
    public CalendarKind BirthCalendar { get; set; }
    public int? Age { get; set; }
    public string? Title { get; set; }
    public string? Company { get; set; }
    public DecisionRole DecisionRole { get; set; }
    public string? Interests { get; set; }
    public List<Anniversary> Anniversaries { get; set; } = [];
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? Email { get; set; }
    public List<SocialAccount> SocialAccounts { get; set; } = [];
    public string? Province { get; set; }
    public string? City { get; set; }
    public string? District { get; set; }
    public string? Street { get; set; }
    public string? RegisteredAddress { get; set; }
    public string? Industry { get; set; }
    public int? StaffCount { get; set; }
    public long? AnnualRevenueFen { get; set; }
    public string? MainBusiness { get; set; }
    public string? MarketPosition { get; set; }
    public string? Uscc { get; set; }
    /// <summary>身份证号; only when the admin enabled ID numbers (PrivacySettings). Masked on read.</summary>
    public string? IdNumber { get; set; }
    /// <summary>开户银行; only when bank accounts are enabled.</summary>
    public string? BankName { get; set; }
    /// <summary>银行账号; only when bank accounts are enabled. Masked on read.</summary>
    public string? BankAccount { get; set; }
    public string? ProductsOfInterest { get; set; }
    public long? BudgetMinFen { get; set; }
    public long? BudgetMaxFen { get; set; }
    public Urgency Urgency { get; set; } = Urgency.Normal;
    public string? DecisionProcess { get; set; }
    public long? CreditLimitFen { get; set; }
    public string? CreditNotes { get; set; }
    public RiskLevel RiskLevel { get; set; }
    public CustomerType Type { get; set; }
    public PartnerField? PartnerField { get; set; }
    public LeadSource? LeadSource { get; set; }
    public IntentGrade? Intent { get; set; }
    public LifecycleStage Stage { get; set; }
    public Level? ValueTier { get; set; }
    public Level? Potential { get; set; }
    public string? Region { get; set; }
    public List<string> Tags { get; set; } = [];
    public string? Notes { get; set; }
    public JsonObject CustomFields { get; set; } = [];

    // Read-only on the wire.
    public Guid? OwnerId { get; set; }
    public int Version { get; set; }
    public DateTime? CreatedAt { get; set; }
    public string? CreatedBy { get; set; }
    public DateTime? UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }

    /// <summary>制造业-高价值-成交客户 style label (R2.6).</summary>
    /// <summary>
    /// Only in the answer to a create: existing customers (in the caller's scope) that look like this one
    /// (same phone, email, 统一社会信用代码 or normalised name). The customer is created anyway (ADR 0023).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public List<Dedup.DuplicateHint>? Duplicates { get; set; }

    public string CombinedLabel => CustomerLabels.Combined(Industry, ValueTier, Stage, Type);

    /// <summary>A form over an entity that the caller is done with (its lists are taken over, not copied).</summary>
    public static CustomerForm From(Customer c) => new()
    {
        Number = c.Number, Kind = c.Kind, Name = c.Name, Gender = c.Gender, BirthDate = c.BirthDate,
        BirthCalendar = c.BirthCalendar, Age = c.Age, Title = c.Title, Company = c.Company, DecisionRole = c.DecisionRole,
        Interests = c.Interests, Anniversaries = c.Anniversaries, Phones = c.Phones, Email = c.Email,
        SocialAccounts = c.SocialAccounts, Province = c.Province, City = c.City, District = c.District,
        Street = c.Street, RegisteredAddress = c.RegisteredAddress, Industry = c.Industry, StaffCount = c.StaffCount,
        AnnualRevenueFen = c.AnnualRevenueFen, MainBusiness = c.MainBusiness, MarketPosition = c.MarketPosition,
        Uscc = c.Uscc, IdNumber = c.IdNumber, BankName = c.BankName, BankAccount = c.BankAccount,
        ProductsOfInterest = c.ProductsOfInterest, BudgetMinFen = c.BudgetMinFen,
        BudgetMaxFen = c.BudgetMaxFen, Urgency = c.Urgency, DecisionProcess = c.DecisionProcess,
        CreditLimitFen = c.CreditLimitFen, CreditNotes = c.CreditNotes, RiskLevel = c.RiskLevel, Type = c.Type,
        PartnerField = c.PartnerField, LeadSource = c.LeadSource, Intent = c.Intent, Stage = c.Stage,
        ValueTier = c.ValueTier, Potential = c.Potential, Region = c.Region, Tags = [.. c.Tags], Notes = c.Notes,
        CustomFields = WithSensitive(JsonNode.Parse(string.IsNullOrEmpty(c.CustomFieldsJson) ? "{}" : c.CustomFieldsJson) as JsonObject ?? [], c.SensitiveCustomFields),
        SensitiveCustomFieldKeys = [.. c.SensitiveCustomFields.Keys],
        OwnerId = c.OwnerId, Version = c.Version, CreatedAt = c.CreatedAt, CreatedBy = c.CreatedBy,
        UpdatedAt = c.UpdatedAt, UpdatedBy = c.UpdatedBy,
    };

    /// <summary>Keys of custom-field values that come from the encrypted column (masked by <see cref="Mask"/>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public List<string> SensitiveCustomFieldKeys { get; set; } = [];

    private static JsonObject WithSensitive(JsonObject fields, Dictionary<string, string> sensitive)
    {
        foreach (var (k, v) in sensitive) fields[k] = v;
        return fields;
    }

    /// <summary>Copies the editable fields onto the entity (already validated and normalised).</summary>
    internal void ApplyTo(Customer c, JsonObject customFields, IReadOnlyCollection<string>? sensitiveKeys = null)
    {
        // Values of sensitive custom fields go to the encrypted column, never into CustomFieldsJson.
        var sensitive = new Dictionary<string, string>(StringComparer.Ordinal);
        if (sensitiveKeys is { Count: > 0 })
        {
            customFields = (JsonObject)customFields.DeepClone();
            foreach (var key in sensitiveKeys)
            {
                if (customFields[key] is JsonValue v && v.TryGetValue<string>(out var text)) sensitive[key] = text;
                customFields.Remove(key);
            }
        }
        c.SensitiveCustomFields = sensitive;
        c.Kind = Kind; c.Name = Name; c.Gender = Gender; c.BirthDate = BirthDate; c.BirthCalendar = BirthCalendar;
        c.Age = Age; c.Title = Title; c.Company = Company; c.DecisionRole = DecisionRole; c.Interests = Interests;
        c.Anniversaries = Copy(Anniversaries); c.Phones = Copy(Phones); c.Email = Email;
        c.SocialAccounts = Copy(SocialAccounts); c.Province = Province; c.City = City; c.District = District;
        c.Street = Street; c.RegisteredAddress = RegisteredAddress; c.Industry = Industry; c.StaffCount = StaffCount;
        c.AnnualRevenueFen = AnnualRevenueFen; c.MainBusiness = MainBusiness; c.MarketPosition = MarketPosition;
        c.Uscc = Uscc; c.IdNumber = IdNumber; c.BankName = BankName; c.BankAccount = BankAccount;
        c.ProductsOfInterest = ProductsOfInterest; c.BudgetMinFen = BudgetMinFen;
        c.BudgetMaxFen = BudgetMaxFen; c.Urgency = Urgency; c.DecisionProcess = DecisionProcess;
        c.CreditLimitFen = CreditLimitFen; c.CreditNotes = CreditNotes; c.RiskLevel = RiskLevel; c.Type = Type;
        c.PartnerField = PartnerField; c.LeadSource = LeadSource; c.Intent = Intent; c.Stage = Stage;
        c.ValueTier = ValueTier; c.Potential = Potential; c.Region = Region; c.Tags = Tags; c.Notes = Notes;
        c.CustomFieldsJson = customFields.ToJsonString(JsonStorage.Options);
    }

    /// <summary>Masks the sensitive values in place (every read path; ADR 0013) and hides disabled categories.</summary>
    public CustomerForm Mask(Privacy.PrivacySettings privacy)
    {
        Phones = Privacy.Masking.Phones(Phones);
        IdNumber = privacy.IdNumbersEnabled ? Privacy.Masking.IdNumber(IdNumber) : null;
        BankAccount = privacy.BankAccountsEnabled ? Privacy.Masking.BankAccount(BankAccount) : null;
        if (!privacy.BankAccountsEnabled) BankName = null;
        foreach (var key in SensitiveCustomFieldKeys)
            if (CustomFields[key] is JsonValue v && v.TryGetValue<string>(out var text)) CustomFields[key] = Privacy.Masking.Text(text);
        return this;
    }

    /// <summary>True when a sensitive value is shown masked (the UI offers 显示).</summary>
    public bool HasMaskedValues => Phones.Any(p => Privacy.Masking.IsMasked(p.Number)) || Privacy.Masking.IsMasked(IdNumber) || Privacy.Masking.IsMasked(BankAccount);

    private static List<T> Copy<T>(List<T> list) => JsonStorage.Deserialize<List<T>>(JsonStorage.Serialize(list)) ?? [];
}

public static class CustomerLabels
{
    public static string Combined(string? industry, Level? valueTier, LifecycleStage stage, CustomerType type)
    {
        var parts = new List<string>();
        if (!string.IsNullOrWhiteSpace(industry)) parts.Add(industry);
        if (valueTier is { } v) parts.Add(ClassificationLabels.ValueTier(v));
        parts.Add(stage switch
        {
            LifecycleStage.FirstPurchase or LifecycleStage.Repeat or LifecycleStage.Loyal => "成交客户",
            LifecycleStage.Lost => "流失客户",
            LifecycleStage.Intention => "意向客户",
            _ => type == CustomerType.Partner ? "合作伙伴" : "潜在客户",
        });
        return string.Join('-', parts);
    }
}
