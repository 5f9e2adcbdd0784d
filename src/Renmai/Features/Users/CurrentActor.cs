using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

/// <summary>
/// The signed-in user of this scope (an HTTP request, a Blazor circuit, or a CLI command),
/// turned into the <see cref="Actor"/> that services check permissions against and stamp changes with.
/// </summary>
public sealed class CurrentActor(IServiceProvider services)
{
    public const string ApiScheme = "ApiToken";
    private Actor? _actor;

    /// <summary>The CLI and background jobs set the actor explicitly.</summary>
    public void Set(Actor actor) => _actor = actor;

    /// <summary>Acts as the named (active) user from here on: the CLI's <c>--as</c>, tests, jobs run for a user.</summary>
    public async Task<Actor> SetUserAsync(string email, ChangeSource source)
    {
        var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<RenmaiUser>>();
        var user = await users.FindByEmailAsync(email);
        if (user is null || !user.IsActive) throw new NotFoundException($"用户 {email} 不存在或已停用");
        var roles = (await users.GetRolesAsync(user)).ToArray();
        return _actor = new Actor(user.Id, user.DisplayName, source, roles)
        {
            ManagedUserIds = roles.Contains(Roles.Manager) ? await ManagedUserIdsAsync(user.Id) : [],
        };
    }

    public async ValueTask<Actor?> GetAsync()
    {
        // Only an explicitly set actor is kept: a circuit's login can end mid-way (UserSessions), so
        // a principal-derived actor is read afresh each time (cheap: the state is a cached task).
        if (_actor is not null) return _actor;
        var principal = services.GetService<IHttpContextAccessor>()?.HttpContext?.User;
        if (principal?.Identity?.IsAuthenticated != true)
        {
            var auth = services.GetService<AuthenticationStateProvider>();
            if (auth is not null)
            {
                try { principal = (await auth.GetAuthenticationStateAsync()).User; }
                catch (InvalidOperationException) { principal = null; } // not inside a Blazor circuit
            }
        }
        if (principal?.Identity?.IsAuthenticated != true) return null;
        var actor = FromPrincipal(principal);
        if (actor.IsInRole(Roles.Manager) && actor.UserId is { } me)
            actor = new Actor(actor.UserId, actor.Name, actor.Source, actor.Roles) { ManagedUserIds = await CachedManagedUserIdsAsync(me) };
        return actor;
    }

    private (Guid Manager, DateTime At, IReadOnlyCollection<Guid> Members)? _managed;

    /// <summary>
    /// A circuit lives for hours: team membership is re-read when older than 30 seconds, so a team
    /// change reaches open pages quickly without a query on every service call.
    /// </summary>
    private async Task<IReadOnlyCollection<Guid>> CachedManagedUserIdsAsync(Guid managerId)
    {
        var now = DateTime.UtcNow;
        if (_managed is { } m && m.Manager == managerId && now - m.At < TimeSpan.FromSeconds(30)) return m.Members;
        var members = await ManagedUserIdsAsync(managerId);
        _managed = (managerId, now, members);
        return members;
    }

    /// <summary>The members of the teams a manager leads.</summary>
    public async Task<IReadOnlyCollection<Guid>> ManagedUserIdsAsync(Guid managerId)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync();
        return await db.Set<TeamMember>().AsNoTracking()
            .Where(m => db.Set<Team>().Any(t => t.Id == m.TeamId && t.ManagerId == managerId))
            .Select(m => m.UserId).Distinct().ToListAsync();
    }

    public async ValueTask<Actor> RequireAsync() =>
        await GetAsync() ?? throw new ForbiddenException("请先登录");

    public async ValueTask<Actor> RequireRoleAsync(params string[] roles)
    {
        var actor = await RequireAsync();
        if (!roles.Any(actor.IsInRole)) throw new ForbiddenException("您没有权限执行此操作");
        return actor;
    }

    public static Actor FromPrincipal(ClaimsPrincipal principal)
    {
        var id = Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var g) ? g : (Guid?)null;
        var name = principal.FindFirstValue("display_name") ?? principal.Identity?.Name ?? "?";
        var roles = principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray();
        var source = principal.Identity?.AuthenticationType == ApiScheme ? ChangeSource.Api : ChangeSource.User;
        return new Actor(id, name, source, roles);
    }
}
