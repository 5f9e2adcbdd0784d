using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Renmai.Features.Users;

/// <summary>
/// A sales team (R12.1): one manager and its members. A manager sees and edits the customers
/// of the members of every team they lead; a manager may lead several teams.
/// </summary>
public sealed class Team
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public string Name { get; set; } = "";
    public Guid? ManagerId { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class TeamMember
{
    public Guid TeamId { get; set; }
    public Guid UserId { get; set; }
}

internal sealed class TeamMapping : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> b)
    {
        b.ToTable("Teams");
        b.Property(t => t.Name).HasMaxLength(50);
        b.HasIndex(t => t.Name).IsUnique();
        b.HasIndex(t => t.ManagerId);
        b.HasOne<RenmaiUser>().WithMany().HasForeignKey(t => t.ManagerId).OnDelete(DeleteBehavior.SetNull);
    }
}

internal sealed class TeamMemberMapping : IEntityTypeConfiguration<TeamMember>
{
    public void Configure(EntityTypeBuilder<TeamMember> b)
    {
        b.ToTable("TeamMembers");
        b.HasKey(m => new { m.TeamId, m.UserId });
        b.HasIndex(m => m.UserId);
        b.HasOne<Team>().WithMany().HasForeignKey(m => m.TeamId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<RenmaiUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
