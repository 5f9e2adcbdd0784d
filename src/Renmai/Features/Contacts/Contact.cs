using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;

namespace Renmai.Features.Contacts;

/// <summary>A contact person of a company customer (R1.3), with their place in the decision chain.</summary>
public sealed class Contact : AuditableEntity, ICustomerOwned, IHasSensitiveData
{
    public Guid CustomerId { get; set; }
    public string Name { get; set; } = "";
    public Gender Gender { get; set; }
    public string? Title { get; set; }
    public string? Department { get; set; }
    public DecisionRole Role { get; set; }
    public List<PhoneEntry> Phones { get; set; } = [];
    public string? Email { get; set; }
    public string? WeChat { get; set; }
    public DateOnly? BirthDate { get; set; }
    public bool IsPrimary { get; set; }
    public string? Notes { get; set; }

    public Guid CustomerIdForHistory => CustomerId;

    /// <summary>The encrypted envelope of the phones (ADR 0012).</summary>
    public string? SensitiveData { get; set; }
    public string? SensitiveSnapshot { get; set; }
    Guid IHasSensitiveData.IndexCustomerId => CustomerId;
    public SensitiveValues ReadSensitive() => new() { Phones = Phones };
    public void WriteSensitive(SensitiveValues values) => Phones = values.Phones;

    public override string ToString() => "联系人 " + Name;
}

internal sealed class ContactMapping : IEntityTypeConfiguration<Contact>
{
    public void Configure(EntityTypeBuilder<Contact> b)
    {
        b.ToTable("Contacts");
        b.HasQueryFilter(c => c.DeletedAt == null);
        b.Ignore(c => c.CustomerIdForHistory);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Property(c => c.Name).HasMaxLength(100);
        b.Property(c => c.Email).HasMaxLength(254);
        b.Ignore(c => c.Phones);
        b.Ignore(c => c.SensitiveSnapshot);
        b.Property(c => c.SensitiveData).HasColumnName("Sensitive");
        b.HasOne<Customer>().WithMany().HasForeignKey(c => c.CustomerId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(c => new { c.CustomerId, c.Name });
    }
}
