using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Renmai.Features.Customers;

/// <summary>A named customer-table view (filters, sort, columns) — saved views are data (R2.7).</summary>
public sealed class SavedView
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Name { get; set; } = "";
    public Guid OwnerUserId { get; set; }
    public string OwnerName { get; set; } = "";
    public bool Shared { get; set; }
    /// <summary>The serialised <see cref="CustomerViewDefinition"/>.</summary>
    public string DefinitionJson { get; set; } = "{}";
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class SavedViewMapping : IEntityTypeConfiguration<SavedView>
{
    public void Configure(EntityTypeBuilder<SavedView> b)
    {
        b.ToTable("SavedViews");
        b.Property(v => v.Name).HasMaxLength(60);
        b.Property(v => v.OwnerName).HasMaxLength(200);
        b.HasIndex(v => new { v.OwnerUserId, v.Name }).IsUnique();
    }
}
