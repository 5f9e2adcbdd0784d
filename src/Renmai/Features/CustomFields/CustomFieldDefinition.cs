using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;

namespace Renmai.Features.CustomFields;

public enum CustomFieldType { Text = 0, Number = 1, Money = 2, Date = 3, SingleSelect = 4, MultiSelect = 5, Boolean = 6 }

/// <summary>An admin-defined customer field (R1.7). Values live in Customer.CustomFieldsJson under <see cref="Key"/>.</summary>
public sealed class CustomFieldDefinition : AuditableEntity
{
    /// <summary>Stable machine key (cf1, cf2 …): labels may be renamed, keys never change.</summary>
    public string Key { get; set; } = "";
    public string Label { get; set; } = "";
    public CustomFieldType Type { get; set; }
    public List<string> Options { get; set; } = [];
    public bool Required { get; set; }
    public int SortOrder { get; set; }
    public bool ShowInList { get; set; } = true;
    public string? HelpText { get; set; }

    /// <summary>Text fields only, chosen at creation: values are stored encrypted with the phones and shown masked (ADR 0012).</summary>
    public bool Sensitive { get; set; }

    public override string ToString() => "自定义字段 " + Label;
}

internal sealed class CustomFieldDefinitionMapping : IEntityTypeConfiguration<CustomFieldDefinition>
{
    public void Configure(EntityTypeBuilder<CustomFieldDefinition> b)
    {
        b.ToTable("CustomFieldDefinitions");
        b.HasQueryFilter(c => c.DeletedAt == null);
        b.Property(c => c.Version).IsConcurrencyToken();
        b.Property(c => c.Key).HasMaxLength(40);
        b.Property(c => c.Label).HasMaxLength(60);
        b.HasIndex(c => c.Key).IsUnique();
        b.Property(c => c.Options).HasJsonListConversion();
    }
}
