using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Features.Users;

namespace Renmai.Features.Pool;

/// <summary>
/// A customer pool (公海, R13.1): customers without an owner wait here for members to claim them,
/// and owned customers nobody follows up return here. Customers whose PoolId is null belong to
/// the default pool.
/// </summary>
public sealed class CustomerPool
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Name { get; set; } = "";
    public string? Description { get; set; }
    public bool IsDefault { get; set; }

    /// <summary>库容: the most customers a member may own at once (claims beyond it are refused).</summary>
    public int HoldingCap { get; set; } = 200;
    /// <summary>The most customers a member may claim per day (China time).</summary>
    public int DailyClaimCap { get; set; } = 20;
    /// <summary>Days after releasing (or losing) a customer before the same rep may claim it again.</summary>
    public int CooldownDays { get; set; } = 7;

    /// <summary>Days without follow-up before an owned customer returns, per value tier; 0 = never.</summary>
    public int ReturnDaysHigh { get; set; } = 60;
    public int ReturnDaysMid { get; set; } = 30;
    public int ReturnDaysLow { get; set; } = 15;
    public int ReturnDaysUnrated { get; set; } = 15;
    /// <summary>How many days before the return the owner is warned.</summary>
    public int WarnDaysBefore { get; set; } = 3;

    public DateTime CreatedAt { get; set; }
}

public sealed class PoolMember
{
    public Guid PoolId { get; set; }
    public Guid UserId { get; set; }
}

public enum PoolEventKind { Claimed = 0, Released = 1, Returned = 2, Assigned = 3, Warned = 4, HandedOver = 5 }

/// <summary>What happened to a customer in a pool, by whom: caps, cool-downs and previous owners are read from here.</summary>
public sealed class PoolEvent
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid PoolId { get; set; }
    public Guid CustomerId { get; set; }
    /// <summary>The rep concerned: who claimed, released, was assigned, lost or was warned about the customer.</summary>
    public Guid? UserId { get; set; }
    public PoolEventKind Kind { get; set; }
    public DateTime At { get; set; }
    /// <summary>Who did it (a user's name, or 系统 for the automatic return).</summary>
    public string ByName { get; set; } = "";
    public string? Reason { get; set; }
}

internal sealed class CustomerPoolMapping : IEntityTypeConfiguration<CustomerPool>
{
    public void Configure(EntityTypeBuilder<CustomerPool> b)
    {
        b.ToTable("CustomerPools");
        b.Property(p => p.Name).HasMaxLength(50);
        b.Property(p => p.Description).HasMaxLength(500);
        b.HasIndex(p => p.Name).IsUnique();
    }
}

internal sealed class PoolMemberMapping : IEntityTypeConfiguration<PoolMember>
{
    public void Configure(EntityTypeBuilder<PoolMember> b)
    {
        b.ToTable("PoolMembers");
        b.HasKey(m => new { m.PoolId, m.UserId });
        b.HasIndex(m => m.UserId);
        b.HasOne<CustomerPool>().WithMany().HasForeignKey(m => m.PoolId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<RenmaiUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class PoolEventMapping : IEntityTypeConfiguration<PoolEvent>
{
    public void Configure(EntityTypeBuilder<PoolEvent> b)
    {
        b.ToTable("PoolEvents");
        b.Property(e => e.ByName).HasMaxLength(200);
        b.Property(e => e.Reason).HasMaxLength(200);
        b.HasIndex(e => new { e.UserId, e.Kind, e.At });
        b.HasIndex(e => new { e.CustomerId, e.At });
    }
}
