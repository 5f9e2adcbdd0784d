using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Privacy;

namespace Renmai.Features.Customers;

/// <summary>A customer (R1): an individual or a company, keyed for humans by <see cref="Number"/>.</summary>
public sealed class Customer : AuditableEntity, ICustomerOwned, IHasSensitiveData
{
    /// <summary>客户编号, e.g. KH000123. Assigned once on creation, never changed.</summary>
    public string Number { get; set; } = "";
    public CustomerKind Kind { get; set; }
    public string Name { get; set; } = "";

    // Person details (individual customers).
    public Gender Gender { get; set; }
    public DateOnly? BirthDate { get; set; }
    public CalendarKind BirthCalendar { get; set; }
    public int? Age { get; set; }
    public string? Title { get; set; }
    /// <summary>所在公司: where an individual customer works (the 公司 column of a contacts sheet); companies leave it empty.</summary>
    public string? Company { get; set; }
    public DecisionRole DecisionRole { get; set; }
    public string? Interests { get; set; }
    public List<Anniversary> Anniversaries { get; set; } = [];

    // Reachability. Phones are sensitive: not mapped, stored encrypted in SensitiveData (ADR 0012).
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? Email { get; set; }
    public List<SocialAccount> SocialAccounts { get; set; } = [];
    public string? Province { get; set; }
    public string? City { get; set; }
    public string? District { get; set; }
    public string? Street { get; set; }
    public string? RegisteredAddress { get; set; }

    // Company details.
    public string? Industry { get; set; }
    public int? StaffCount { get; set; }
    public long? AnnualRevenueFen { get; set; }
    public string? MainBusiness { get; set; }
    public string? MarketPosition { get; set; }
    /// <summary>统一社会信用代码 (18 chars, GB 32100-2015 checksum).</summary>
    public string? Uscc { get; set; }

    // Sensitive categories (R12.6), off unless enabled in PrivacySettings; stored encrypted.
    /// <summary>身份证号 (individuals; GB 11643 checksum).</summary>
    public string? IdNumber { get; set; }
    /// <summary>开户银行 (companies).</summary>
    public string? BankName { get; set; }
    /// <summary>银行账号 (companies).</summary>
    public string? BankAccount { get; set; }

    /// <summary>The encrypted envelope of phones, ID number and bank account.</summary>
    public string? SensitiveData { get; set; }
    public string? SensitiveSnapshot { get; set; }
    Guid IHasSensitiveData.IndexCustomerId => Id;

    /// <summary>Values of custom fields marked sensitive (not in <see cref="CustomFieldsJson"/>).</summary>
    public Dictionary<string, string> SensitiveCustomFields { get; set; } = [];

    public SensitiveValues ReadSensitive() => new()
    {
        Phones = Phones, IdNumber = IdNumber, BankName = BankName, BankAccount = BankAccount,
        CustomFields = SensitiveCustomFields.Count == 0 ? null : new SortedDictionary<string, string>(SensitiveCustomFields, StringComparer.Ordinal).ToDictionary(),
    };

    public void WriteSensitive(SensitiveValues values)
    {
        Phones = values.Phones; IdNumber = values.IdNumber; BankName = values.BankName; BankAccount = values.BankAccount;
        SensitiveCustomFields = values.CustomFields ?? [];
    }

    // Needs (R1.4).
    public string? ProductsOfInterest { get; set; }
    public long? BudgetMinFen { get; set; }
    public long? BudgetMaxFen { get; set; }
    public Urgency Urgency { get; set; } = Urgency.Normal;
    public string? DecisionProcess { get; set; }

    // Credit (R1.6).
    public long? CreditLimitFen { get; set; }
    public string? CreditNotes { get; set; }
    public RiskLevel RiskLevel { get; set; }

    // Classification (R2).
    public CustomerType Type { get; set; }
    public PartnerField? PartnerField { get; set; }
    public LeadSource? LeadSource { get; set; }
    public IntentGrade? Intent { get; set; }
    public LifecycleStage Stage { get; set; }
    public Level? ValueTier { get; set; }
    public Level? Potential { get; set; }
    public string? Region { get; set; }

    /// <summary>Tags stored as "|a|b|" so that a tag filter is one LIKE '%|a|%' on every provider.</summary>
    public string TagsText { get; set; } = "";

    public string? Notes { get; set; }

    /// <summary>The user who owns this customer; null means it is in the pool.</summary>
    public Guid? OwnerId { get; private set; }

    /// <summary>The pool (公海) this customer belongs to: where it waits without owner, and where it returns to.</summary>
    public Guid? PoolId { get; set; }

    /// <summary>When the current owner got it; with <see cref="LastFollowUpAt"/> it decides the automatic return.</summary>
    public DateTime? OwnedSince { get; private set; }

    /// <summary>Set when a merge folded this customer into another (it then sits in the recycle bin; R10.3).</summary>
    public Guid? MergedIntoId { get; set; }

    /// <summary>The last follow-up with this customer (interactions set it).</summary>
    public DateTime? LastFollowUpAt { get; set; }

    /// <summary>Gives the customer to a user, or to the pool when <paramref name="owner"/> is null.</summary>
    public void GiveTo(Guid? owner, DateTime now)
    {
        if (owner == OwnerId) return;
        OwnerId = owner;
        OwnedSince = owner is null ? null : now;
    }

    /// <summary>The import that created this customer (undo and an interrupted run remove exactly these rows).</summary>
    public Guid? ImportId { get; set; }

    /// <summary>Custom field values (R1.7), keyed by definition key.</summary>
    public string CustomFieldsJson { get; set; } = "{}";

    public Guid CustomerIdForHistory => Id;

    public IReadOnlyList<string> Tags
    {
        get => TagsText.Split('|', StringSplitOptions.RemoveEmptyEntries);
        set => TagsText = FormatTags(value);
    }

    public static string FormatTags(IEnumerable<string> tags)
    {
        var clean = tags.Select(t => t.Trim().Replace("|", "", StringComparison.Ordinal))
            .Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        return clean.Count == 0 ? "" : "|" + string.Join('|', clean) + "|";
    }

    public override string ToString() => $"{Number} {Name}";
}

public sealed class PhoneEntry
{
    public PhoneKind Kind { get; set; }
    public string Number { get; set; } = "";
    public string? Note { get; set; }

    /// <summary>A separate entry with the same values (lists of phones are replaced, never shared, so the sensitive-data hook sees a change).</summary>
    public PhoneEntry Copy() => new() { Kind = Kind, Number = Number, Note = Note };
}

public sealed class SocialAccount
{
    public SocialKind Kind { get; set; }
    public string Account { get; set; } = "";
}

public sealed class Anniversary
{
    public string Name { get; set; } = "";
    public DateOnly Date { get; set; }
    public CalendarKind Calendar { get; set; }
}

internal sealed class CustomerMapping : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> b)
    {
        b.ToTable("Customers");
        b.HasQueryFilter(c => c.DeletedAt == null);
        b.Ignore(c => c.Tags);
        b.Ignore(c => c.CustomerIdForHistory);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Property(c => c.Number).HasMaxLength(20);
        b.HasIndex(c => c.Number).IsUnique();
        b.Property(c => c.Name).HasMaxLength(200);
        b.Property(c => c.Email).HasMaxLength(254);
        b.Property(c => c.Company).HasMaxLength(200);
        b.Property(c => c.Uscc).HasMaxLength(18);
        b.Property(c => c.Industry).HasMaxLength(50);
        b.Property(c => c.Region).HasMaxLength(50);
        b.Property(c => c.Province).HasMaxLength(30);
        b.Property(c => c.City).HasMaxLength(30);
        b.Property(c => c.District).HasMaxLength(30);
        b.Property(c => c.TagsText).HasMaxLength(1000);
        b.Property(c => c.CustomFieldsJson).IsJsonDocument();
        b.Ignore(c => c.Phones);
        b.Ignore(c => c.IdNumber);
        b.Ignore(c => c.BankName);
        b.Ignore(c => c.BankAccount);
        b.Ignore(c => c.SensitiveSnapshot);
        b.Ignore(c => c.SensitiveCustomFields);
        b.Property(c => c.SensitiveData).HasColumnName("Sensitive");
        b.Property(c => c.SocialAccounts).HasJsonListConversion();
        b.Property(c => c.Anniversaries).HasJsonListConversion();
        b.Property(c => c.PoolId).NotInHistory();
        b.Property(c => c.OwnedSince).NotInHistory();
        b.Property(c => c.LastFollowUpAt).NotInHistory();
        // The merge writes its own readable history lines (DedupService).
        b.Property(c => c.MergedIntoId).NotInHistory();
        b.HasIndex(c => c.MergedIntoId);
        b.Property(c => c.ImportId).NotInHistory();
        b.HasIndex(c => c.ImportId);

        // Indexes for the customer table's common filter + sort pairs at a million rows. Every query
        // carries the soft-delete filter (DeletedAt IS NULL), so it sits after the equality columns,
        // and every list is ordered with Id as a tie-breaker, so each sort index ends with it: the
        // page is read in index order and the COUNT over the filter is an index-only scan.
        b.HasIndex(c => new { c.DeletedAt, c.UpdatedAt, c.Id });
        b.HasIndex(c => new { c.Type, c.Stage, c.DeletedAt, c.UpdatedAt, c.Id });
        b.HasIndex(c => new { c.Intent, c.DeletedAt, c.UpdatedAt, c.Id });
        b.HasIndex(c => new { c.Industry, c.DeletedAt, c.Name, c.Id });
        b.HasIndex(c => new { c.OwnerId, c.DeletedAt, c.UpdatedAt, c.Id });
        b.HasIndex(c => new { c.Province, c.City });
        b.HasIndex(c => new { c.PoolId, c.OwnerId });
        b.HasIndex(c => c.Name);
        b.HasIndex(c => c.Uscc);
        b.HasIndex(c => c.CreatedAt);
    }
}
