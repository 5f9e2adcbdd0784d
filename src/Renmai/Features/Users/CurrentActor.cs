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
        var actor = new Actor(user.Id, user.DisplayName, source, roles);
        if (actor.IsInRole(Roles.Manager)) actor = new Actor(user.Id, user.DisplayName, source, roles) { ManagedUserIds = await ManagedUserIdsAsync(user.Id) };
        return _actor = actor;
    }

    public async ValueTask<Actor?> GetAsync()
    {
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
            actor = new Actor(actor.UserId, actor.Name, actor.Source, actor.Roles) { ManagedUserIds = await ManagedUserIdsAsync(me) };
        return _actor = actor;
    }

    /// <summary>The members of the teams a manager leads (read per request, so team changes apply at once).</summary>
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
