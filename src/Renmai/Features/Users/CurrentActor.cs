using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
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
        return FromPrincipal(principal);
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
