using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Renmai.Features.Dedup;

/// <summary>The rules by which two customers look like the same one, as bit flags (a group keeps every rule that linked it).</summary>
[Flags]
public enum DuplicateRule
{
    None = 0,
    Phone = 1,
    Email = 2,
    Uscc = 4,
    CompanyName = 8,
    PersonName = 16,
    Pinyin = 32,
    /// <summary>An individual's name and the company they work at (所在公司, compared like company names).</summary>
    PersonCompany = 64,
    /// <summary>A contact person's phone is also listed under another customer (one company entered twice).</summary>
    ContactPhone = 128,
    /// <summary>A contact person's personal e-mail is also listed under another customer.</summary>
    ContactEmail = 256,
}

public enum DuplicateStatus { Open = 0, Dismissed = 1, Merged = 2 }

/// <summary>
/// A set of customers a scan found alike, waiting for review (R10.3). A dismissed group is kept, so the
/// next scan does not bring the same set back (<see cref="Signature"/> identifies the set).
/// </summary>
public sealed class DuplicateGroup
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    /// <summary>Hex SHA-256 of the sorted member ids.</summary>
    public string Signature { get; set; } = "";
    public DuplicateStatus Status { get; set; }
    public DuplicateRule Rules { get; set; }
    /// <summary>0–100: how sure the matched rules together make us.</summary>
    public int Confidence { get; set; }
    public int MemberCount { get; set; }
    public DateTime FoundAt { get; set; }
    public DateTime? ResolvedAt { get; set; }
    public string? ResolvedBy { get; set; }
}

public sealed class DuplicateMember
{
    public Guid GroupId { get; set; }
    public Guid CustomerId { get; set; }
}

/// <summary>
/// What a merge changed, so that it can be undone: the survivor's fields before (sensitive values as their
/// sealed envelope, never plaintext), the merged-away customers, and the rows that moved to the survivor.
/// </summary>
public sealed class MergeRecord
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid SurvivorId { get; set; }
    /// <summary>JSON array of the merged-away customers' ids.</summary>
    public string MergedIdsJson { get; set; } = "[]";
    /// <summary>JSON object: property name → the survivor's value before (JsonStorage form).</summary>
    public string SurvivorBeforeJson { get; set; } = "{}";
    /// <summary>The survivor's sealed sensitive column before the merge (ADR 0012 envelope, bound to its id).</summary>
    public string? SurvivorSealedBefore { get; set; }
    /// <summary>JSON object: "contacts"/"consents"/"index" → [[rowId, fromCustomerId], …].</summary>
    public string MovedJson { get; set; } = "{}";
    public DateTime At { get; set; }
    public string ByName { get; set; } = "";
    public DateTime? UndoneAt { get; set; }
}

internal sealed class DuplicateMappings : IEntityTypeConfiguration<DuplicateGroup>, IEntityTypeConfiguration<DuplicateMember>,
    IEntityTypeConfiguration<MergeRecord>
{
    public void Configure(EntityTypeBuilder<DuplicateGroup> b)
    {
        b.ToTable("DuplicateGroups");
        b.Property(g => g.Signature).HasMaxLength(64);
        b.Property(g => g.ResolvedBy).HasMaxLength(200);
        b.HasIndex(g => g.Signature);
        b.HasIndex(g => new { g.Status, g.Confidence });
    }

    public void Configure(EntityTypeBuilder<DuplicateMember> b)
    {
        b.ToTable("DuplicateMembers");
        b.HasKey(m => new { m.GroupId, m.CustomerId });
        b.HasOne<DuplicateGroup>().WithMany().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(m => m.CustomerId);
    }

    public void Configure(EntityTypeBuilder<MergeRecord> b)
    {
        b.ToTable("MergeRecords");
        b.Property(m => m.ByName).HasMaxLength(200);
        b.HasIndex(m => m.SurvivorId);
    }
}
