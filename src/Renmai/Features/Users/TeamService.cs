using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

public sealed record TeamSummary(Guid Id, string Name, Guid? ManagerId, string? ManagerName, IReadOnlyList<TeamMemberInfo> Members);

public sealed record TeamMemberInfo(Guid UserId, string DisplayName, string Email);

/// <summary>Teams: the admin creates them, names a manager and sets the members (R12.1).</summary>
public sealed class TeamService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, AuditLog audit,
    IHttpContextAccessor http)
{
    /// <summary>All teams for admins and auditors; the teams they lead for managers; none for others.</summary>
    public async Task<List<TeamSummary>> ListAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var teams = db.Set<Team>().AsNoTracking();
        if (!actor.IsInRole(Roles.Admin) && !actor.IsInRole(Roles.Auditor)) teams = teams.Where(t => t.ManagerId == actor.UserId);
        var list = await teams.OrderBy(t => t.Name).ToListAsync(ct);
        var ids = list.Select(t => t.Id).ToList();
        var members = await (from m in db.Set<TeamMember>() join u in db.Users on m.UserId equals u.Id
                             where ids.Contains(m.TeamId)
                             orderby u.DisplayName
                             select new { m.TeamId, u.Id, u.DisplayName, u.Email }).ToListAsync(ct);
        var managerIds = list.Where(t => t.ManagerId != null).Select(t => t.ManagerId!.Value).ToList();
        var managers = await db.Users.Where(u => managerIds.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return list.Select(t => new TeamSummary(t.Id, t.Name, t.ManagerId, t.ManagerId is { } m ? managers.GetValueOrDefault(m) : null,
            members.Where(x => x.TeamId == t.Id).Select(x => new TeamMemberInfo(x.Id, x.DisplayName, x.Email ?? "")).ToList())).ToList();
    }

    /// <summary>Creates a team, or updates the one with <paramref name="id"/>: name, manager, members.</summary>
    public async Task<TeamSummary> SaveAsync(Guid? id, string name, Guid? managerId, IReadOnlyCollection<Guid> memberIds, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        name = (name ?? "").Trim();
        var e = new ValidationErrors();
        if (name.Length == 0) e.Add("name", "请填写团队名称");
        else if (name.Length > 50) e.Add("name", "团队名称不能超过 50 个字");
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (name.Length > 0 && await db.Set<Team>().AnyAsync(t => t.Name == name && t.Id != id, ct)) e.Add("name", $"团队“{name}”已存在");
        if (managerId is { } m)
        {
            var isManager = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id join u in db.Users on ur.UserId equals u.Id
                                   where ur.UserId == m && u.IsActive && (r.Name == Roles.Manager || r.Name == Roles.Admin)
                                   select ur.UserId).AnyAsync(ct);
            if (!isManager) e.Add("managerId", "团队经理必须是启用的销售经理或管理员");
        }
        var members = memberIds.Distinct().ToList();
        var found = await db.Users.Where(u => members.Contains(u.Id) && u.IsActive).CountAsync(ct);
        if (found != members.Count) e.Add("memberIds", "成员中有不存在或已停用的用户");
        e.ThrowIfAny();

        Team team;
        var before = "";
        if (id is { } existing)
        {
            team = await db.Set<Team>().SingleOrDefaultAsync(t => t.Id == existing, ct) ?? throw new NotFoundException("团队不存在");
            var oldMembers = await db.Set<TeamMember>().Where(x => x.TeamId == team.Id).Select(x => x.UserId).ToListAsync(ct);
            before = $"{team.Name}，经理 {team.ManagerId}，{oldMembers.Count} 名成员 → ";
            db.RemoveRange(await db.Set<TeamMember>().Where(x => x.TeamId == team.Id).ToListAsync(ct));
        }
        else
        {
            db.Add(team = new Team { CreatedAt = clock.GetUtcNow().UtcDateTime });
        }
        team.Name = name;
        team.ManagerId = managerId;
        foreach (var u in members) db.Add(new TeamMember { TeamId = team.Id, UserId = u });
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(AuditActions.TeamChanged, true, http.HttpContext, admin.UserId, admin.Name, name,
            before + $"{name}，经理 {managerId}，{members.Count} 名成员", ct);
        return (await ListAsync(ct)).Single(t => t.Id == team.Id);
    }

    /// <summary>For the CLI: <c>renmai team add NAME --manager E</c>.</summary>
    public async Task<TeamSummary> CreateAsync(string name, string? managerEmail, CancellationToken ct = default)
    {
        Guid? managerId = null;
        if (!string.IsNullOrWhiteSpace(managerEmail))
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var email = managerEmail.Trim();
            managerId = await db.Users.Where(u => u.Email == email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync(ct)
                ?? throw new ValidationFailedException(new ValidationErrors().Also("manager", $"用户 {email} 不存在"));
        }
        return await SaveAsync(null, name, managerId, [], ct);
    }

    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var admin = await current.RequireRoleAsync(Roles.Admin);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var team = await db.Set<Team>().SingleOrDefaultAsync(t => t.Id == id, ct) ?? throw new NotFoundException("团队不存在");
        db.Remove(team);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(AuditActions.TeamChanged, true, http.HttpContext, admin.UserId, admin.Name, team.Name, "删除团队", ct);
    }
}
