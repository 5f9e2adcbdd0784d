using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Renmai.Data;

public enum ChangeAction
{
    Created = 0,
    Updated = 1,
    Deleted = 2,
    Restored = 3,
}

/// <summary>One field-level change (or a create/delete/restore event) of a record, append-only.</summary>
public sealed class ChangeRecord : IAppendOnly
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    /// <summary>The customer whose timeline shows this change (the record itself or its parent).</summary>
    public Guid? CustomerId { get; set; }
    public string EntityType { get; set; } = "";
    public Guid EntityId { get; set; }
    public string? EntityLabel { get; set; }
    public ChangeAction Action { get; set; }
    public string? Field { get; set; }
    public string? OldValue { get; set; }
    public string? NewValue { get; set; }
    public DateTime At { get; set; }
    public Guid? UserId { get; set; }
    public string UserName { get; set; } = "";
    public ChangeSource Source { get; set; }
}

internal sealed class ChangeRecordMapping : IEntityTypeConfiguration<ChangeRecord>
{
    public void Configure(EntityTypeBuilder<ChangeRecord> b)
    {
        b.ToTable("ChangeRecords");
        b.Property(x => x.EntityType).HasMaxLength(64);
        b.Property(x => x.Field).HasMaxLength(128);
        b.Property(x => x.EntityLabel).HasMaxLength(200);
        b.Property(x => x.UserName).HasMaxLength(200);
        b.HasIndex(x => new { x.CustomerId, x.At });
        b.HasIndex(x => new { x.EntityType, x.EntityId });
    }
}
