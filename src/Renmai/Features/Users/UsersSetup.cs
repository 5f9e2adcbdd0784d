using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Renmai.Data;

namespace Renmai.Features.Users;

public static class UsersSetup
{
    public const string SmartScheme = "RenmaiSmart";

    public static IServiceCollection AddRenmaiUsers(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddScoped<CurrentActor>();
        services.AddScoped<UserService>();
        services.AddScoped<ApiTokenService>();
        services.AddScoped<TeamService>();
        services.AddSingleton<SetupCode>();
        services.AddSingleton<ApiTokenCache>();
        services.AddSingleton<SetupState>();
        services.AddSingleton<SessionRevocations>();
        services.AddSingleton<LoginGate>();
        services.AddScoped<UserSessions>();
        services.AddScoped<AccountSecurityService>();
        // Blazor circuits: revalidated every minute, ended at once by UserSessions (registered before
        // AddRazorComponents, whose TryAdd then keeps this one).
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, RenmaiAuthStateProvider>();

        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SmartScheme;
                o.DefaultChallengeScheme = SmartScheme;
            })
            .AddPolicyScheme(SmartScheme, "Cookie or API token", o =>
            {
                // API clients send a bearer token; browsers carry the login cookie.
                o.ForwardDefaultSelector = ctx =>
                    ctx.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                        ? CurrentActor.ApiScheme : IdentityConstants.ApplicationScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthentication>(CurrentActor.ApiScheme, null)
            .AddIdentityCookies();

        services.AddIdentityCore<RenmaiUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                // PasswordPolicy decides (settings-dependent, Chinese messages); Identity's own rules are off.
                o.Password.RequiredLength = 1;
                o.Password.RequiredUniqueChars = 1;
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Lockout.AllowedForNewUsers = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
            })
            .AddRoles<RenmaiRole>()
            .AddEntityFrameworkStores<RenmaiDb>()
            .AddSignInManager<RenmaiSignInManager>()
            .AddDefaultTokenProviders()
            .AddPasswordValidator<PasswordPolicy>()
            .AddErrorDescriber<ChineseIdentityErrors>()
            .AddClaimsPrincipalFactory<RenmaiClaimsFactory>();

        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/login";
            o.LogoutPath = "/logout";
            o.AccessDeniedPath = "/login";
            o.Cookie.Name = "renmai.auth";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            // Idle and absolute timeouts come from SecuritySettings (SessionCookie); this is only the fallback.
            o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
            o.SlidingExpiration = true;
            o.Events.OnSigningIn = SessionCookie.SigningIn;
            o.Events.OnValidatePrincipal = SessionCookie.ValidatePrincipal;
            o.Events.OnRedirectToLogin = ctx => ApiAware(ctx, 401);
            o.Events.OnRedirectToAccessDenied = ctx => ApiAware(ctx, 403);
        });

        services.Configure<SecurityStampValidatorOptions>(o =>
        {
            // Other nodes and stamp changes without a revocation notice are caught within a minute.
            o.ValidationInterval = TimeSpan.FromMinutes(1);
            o.OnRefreshingPrincipal = SessionCookie.RefreshingPrincipal;
        });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(ApiWritePolicy, p => p.RequireAuthenticatedUser().RequireAssertion(ctx =>
                !ctx.User.HasClaim(ApiTokenAuthentication.ReadOnlyClaim, "true")));
        return services;
    }

    public const string ApiWritePolicy = "api-write";

    private static Task ApiAware(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx, int status)
    {
        if (ctx.Request.Path.StartsWithSegments("/api")) { ctx.Response.StatusCode = status; return Task.CompletedTask; }
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Until the first account exists every page leads to /setup; the setup code goes to the log.
    /// </summary>
    public static async Task UseFirstRunSetupAsync(this WebApplication app)
    {
        var state = app.Services.GetRequiredService<SetupState>();
        using (var scope = app.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            await users.EnsureRolesAsync();
            state.HasUsers = await users.AnyUsersAsync();
        }
        if (!state.HasUsers)
        {
            var code = app.Services.GetRequiredService<SetupCode>().Current;
            app.Logger.LogWarning("首次运行：请在浏览器打开 /setup 创建管理员账号，一次性设置代码 / First-run setup code: {SetupCode}", code);
        }
        app.Use(async (ctx, next) =>
        {
            var path = ctx.Request.Path;
            if (!state.HasUsers && !path.StartsWithSegments("/setup") && !path.StartsWithSegments("/health")
                && !path.StartsWithSegments("/_framework") && !path.StartsWithSegments("/_content") && !path.StartsWithSegments("/api")
                && !Path.HasExtension(path.Value))
            {
                ctx.Response.Redirect("/setup");
                return;
            }
            await next();
        });
    }
}

/// <summary>Whether the first account exists yet (checked once at start, then set by setup).</summary>
public sealed class SetupState
{
    private volatile bool _hasUsers;

    public bool HasUsers { get => _hasUsers; set => _hasUsers = value; }
}

/// <summary>Adds the display name to the login cookie so pages and history can show it.</summary>
public sealed class RenmaiClaimsFactory(UserManager<RenmaiUser> users, RoleManager<RenmaiRole> roles, IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<RenmaiUser, RenmaiRole>(users, roles, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(RenmaiUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim("display_name", user.DisplayName));
        // For LoginGate's cheap per-request check; refreshed whenever the cookie is reissued.
        identity.AddClaim(new Claim(SessionClaims.TwoFactor, user.TwoFactorEnabled ? "1" : "0"));
        identity.AddClaim(new Claim(SessionClaims.PasswordAt, SessionClaims.Format(user.PasswordChangedAt ?? user.CreatedAt)));
        return identity;
    }
}
