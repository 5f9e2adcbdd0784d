using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Settings;

namespace Renmai.Features.Users;

/// <summary>Claims Renmai adds to the login cookie (see docs/adr/0011-ending-sessions.md).</summary>
public static class SessionClaims
{
    /// <summary>When the user entered the password (UTC, round-trip format): the absolute timeout counts from here.</summary>
    public const string AuthTime = "auth_time";
    /// <summary>A random id per login session, so one session can be spared when the others are ended.</summary>
    public const string SessionId = "sid";
    /// <summary>"1" when the user had two-factor login on when the cookie was issued.</summary>
    public const string TwoFactor = "tfa";
    /// <summary>When the password was set (UTC, round-trip format).</summary>
    public const string PasswordAt = "pwd_at";

    public static DateTime? Time(ClaimsPrincipal p, string type) =>
        DateTime.TryParse(p.FindFirstValue(type), System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.RoundtripKind, out var t) ? t : null;

    public static string Format(DateTime t) => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture);

    public static Guid? UserId(ClaimsPrincipal p) => Guid.TryParse(p.FindFirstValue(ClaimTypes.NameIdentifier), out var g) ? g : null;
}

/// <summary>
/// In-memory notices "every session of user X issued before security stamp S is over" (singleton).
/// Cookie validation checks it on every request and open Blazor circuits are told at once, so
/// ending sessions does not wait for the periodic security-stamp check. One session (the one that
/// asked, e.g. after its own password change) can be spared.
/// </summary>
public sealed class SessionRevocations
{
    private sealed record Notice(string Stamp, string? SparedSession);

    private readonly ConcurrentDictionary<Guid, Notice> _notices = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<RenmaiAuthStateProvider, byte>> _circuits = new();

    public void Revoke(Guid userId, string newStamp, string? spareSession)
    {
        _notices[userId] = new Notice(newStamp, spareSession);
        if (_circuits.TryGetValue(userId, out var circuits))
            foreach (var c in circuits.Keys)
                if (spareSession is null || c.SessionId != spareSession) c.EndNow();
    }

    /// <summary>True when the principal's session was ended (its stamp is older than the notice and it was not spared).</summary>
    public bool IsRevoked(ClaimsPrincipal p, string stampClaimType) =>
        Check(p, stampClaimType) == State.Revoked;

    /// <summary>True when the session was spared but carries the old stamp: reissue its cookie.</summary>
    public bool IsSparedButStale(ClaimsPrincipal p, string stampClaimType) =>
        Check(p, stampClaimType) == State.Spared;

    private enum State { Fine, Revoked, Spared }

    private State Check(ClaimsPrincipal p, string stampClaimType)
    {
        if (SessionClaims.UserId(p) is not { } id || !_notices.TryGetValue(id, out var notice)) return State.Fine;
        if (p.FindFirstValue(stampClaimType) == notice.Stamp) return State.Fine;
        return notice.SparedSession is not null && p.FindFirstValue(SessionClaims.SessionId) == notice.SparedSession ? State.Spared : State.Revoked;
    }

    internal void Attach(Guid userId, RenmaiAuthStateProvider circuit) =>
        _circuits.GetOrAdd(userId, _ => new())[circuit] = 0;

    internal void Detach(Guid userId, RenmaiAuthStateProvider circuit)
    {
        if (_circuits.TryGetValue(userId, out var set)) set.TryRemove(circuit, out _);
    }
}

/// <summary>Ends a user's login sessions (cookies and open Blazor circuits) at once.</summary>
public sealed class UserSessions(UserManager<RenmaiUser> users, CurrentActor current, SessionRevocations revocations,
    ApiTokenCache tokens, AuditLog audit, IHttpContextAccessor http)
{
    /// <summary>
    /// Ends every session of the user now: a new security stamp, a revocation notice checked by every
    /// request and circuit, and the API token cache cleared (a deactivated user's tokens stop at once).
    /// The user themself or an admin may call it.
    /// </summary>
    public async Task EndSessionsAsync(Guid userId)
    {
        var actor = await current.RequireAsync();
        if (actor.UserId != userId && !actor.IsInRole(Roles.Admin)) throw new ForbiddenException("您没有权限结束其他用户的登录");
        var user = await users.FindByIdAsync(userId.ToString()) ?? throw new NotFoundException("用户不存在");
        await EndAsync(user, null);
        await audit.WriteAsync(AuditActions.SessionsEnded, true, http.HttpContext, actor.UserId, actor.Name, user.Email);
    }

    /// <summary>Ends the user's other sessions after a security change made in session <paramref name="currentSession"/>.</summary>
    internal async Task EndOtherSessionsAsync(RenmaiUser user, string? currentSession) => await EndAsync(user, currentSession);

    private async Task EndAsync(RenmaiUser user, string? spare)
    {
        await users.UpdateSecurityStampAsync(user);
        revocations.Revoke(user.Id, await users.GetSecurityStampAsync(user), spare);
        tokens.Clear();
    }
}

/// <summary>
/// The Blazor circuit's view of the login: revalidated every minute (security stamp, active,
/// absolute timeout) and ended at once when <see cref="SessionRevocations"/> says so.
/// </summary>
public sealed class RenmaiAuthStateProvider : RevalidatingServerAuthenticationStateProvider
{
    private readonly IServiceScopeFactory _scopes;
    private readonly SessionRevocations _revocations;
    private readonly AppSettings _settings;
    private readonly TimeProvider _clock;
    private readonly string _stampClaim;
    private Guid? _userId;

    public RenmaiAuthStateProvider(ILoggerFactory logger, IServiceScopeFactory scopes, SessionRevocations revocations,
        AppSettings settings, TimeProvider clock, IOptions<IdentityOptions> identity) : base(logger)
    {
        _scopes = scopes;
        _revocations = revocations;
        _settings = settings;
        _clock = clock;
        _stampClaim = identity.Value.ClaimsIdentity.SecurityStampClaimType;
        AuthenticationStateChanged += OnChanged;
    }

    public string? SessionId { get; private set; }

    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    private async void OnChanged(Task<AuthenticationState> task)
    {
        try
        {
            var user = (await task).User;
            var id = SessionClaims.UserId(user);
            if (id == _userId) return;
            if (_userId is { } old) _revocations.Detach(old, this);
            _userId = id;
            SessionId = user.FindFirstValue(SessionClaims.SessionId);
            if (id is { } now) _revocations.Attach(now, this);
        }
        catch (Exception)
        {
            // A failed authentication task leaves the circuit signed out anyway.
        }
    }

    /// <summary>Signs the circuit out now (its pages show the login redirect).</summary>
    internal void EndNow() =>
        NotifyAuthenticationStateChanged(Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity()))));

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var p = authenticationState.User;
        if (SessionClaims.UserId(p) is not { } id) return false;
        if (_revocations.IsRevoked(p, _stampClaim)) return false;
        var settings = await _settings.GetAsync<SecuritySettings>(cancellationToken);
        if (SessionClaims.Time(p, SessionClaims.AuthTime) is not { } at || _clock.GetUtcNow().UtcDateTime - at > settings.AbsoluteTimeout) return false;
        await using var scope = _scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<RenmaiUser>>();
        var user = await users.FindByIdAsync(id.ToString());
        if (user is null || !user.IsActive) return false;
        // The circuit that changed its own password (or 2FA) keeps going with the old stamp.
        if (_revocations.IsSparedButStale(p, _stampClaim)) return true;
        return p.FindFirstValue(_stampClaim) == await users.GetSecurityStampAsync(user);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _userId is { } id) _revocations.Detach(id, this);
        AuthenticationStateChanged -= OnChanged;
        base.Dispose(disposing);
    }
}

/// <summary>Login cookie events: session claims at sign-in, idle/absolute timeout and revocation on every request.</summary>
internal static class SessionCookie
{
    private const string AuthTimeItem = "renmai.auth_time", SessionItem = "renmai.sid";

    public static async Task SigningIn(CookieSigningInContext ctx)
    {
        var sp = ctx.HttpContext.RequestServices;
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        var settings = await sp.GetRequiredService<AppSettings>().GetAsync<SecuritySettings>();
        // A refreshed sign-in (RefreshSignInAsync) carries the original login's properties: keep its time and id.
        var authTime = ctx.Properties.Items.TryGetValue(AuthTimeItem, out var a) && a is not null ? a : SessionClaims.Format(now.UtcDateTime);
        var sid = ctx.Properties.Items.TryGetValue(SessionItem, out var s) && s is not null ? s : Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        ctx.Properties.Items[AuthTimeItem] = authTime;
        ctx.Properties.Items[SessionItem] = sid;
        if (ctx.Principal?.Identity is ClaimsIdentity identity)
        {
            Replace(identity, SessionClaims.AuthTime, authTime);
            Replace(identity, SessionClaims.SessionId, sid);
        }
        // Idle timeout: the cookie lives this long after the last (sliding) renewal.
        ctx.Properties.IssuedUtc = now;
        ctx.Properties.ExpiresUtc = now + settings.IdleTimeout;
    }

    public static async Task ValidatePrincipal(CookieValidatePrincipalContext ctx)
    {
        var sp = ctx.HttpContext.RequestServices;
        var principal = ctx.Principal;
        if (principal is null) return;
        var now = sp.GetRequiredService<TimeProvider>().GetUtcNow();
        var settings = await sp.GetRequiredService<AppSettings>().GetAsync<SecuritySettings>();
        var stampClaim = sp.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        var revocations = sp.GetRequiredService<SessionRevocations>();
        var expired = SessionClaims.Time(principal, SessionClaims.AuthTime) is not { } at || now.UtcDateTime - at > settings.AbsoluteTimeout
            || ctx.Properties.IssuedUtc is not { } issued || now - issued > settings.IdleTimeout;
        if (expired || revocations.IsRevoked(principal, stampClaim))
        {
            ctx.RejectPrincipal();
            await ctx.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        if (revocations.IsSparedButStale(principal, stampClaim))
        {
            // This session made the change that ended the others: give it a cookie with the new stamp.
            var signIn = sp.GetRequiredService<SignInManager<RenmaiUser>>();
            var user = await signIn.UserManager.GetUserAsync(principal);
            if (user is null) { ctx.RejectPrincipal(); return; }
            var fresh = await signIn.CreateUserPrincipalAsync(user);
            CopySessionClaims(principal, fresh);
            ctx.ReplacePrincipal(fresh);
            ctx.ShouldRenew = true;
            return;
        }
        await SecurityStampValidator.ValidatePrincipalAsync(ctx);
    }

    /// <summary>Identity rebuilds the principal when it re-checks the security stamp; keep the session's claims.</summary>
    public static Task RefreshingPrincipal(SecurityStampRefreshingPrincipalContext ctx)
    {
        if (ctx.CurrentPrincipal is { } old && ctx.NewPrincipal is { } fresh) CopySessionClaims(old, fresh);
        return Task.CompletedTask;
    }

    private static void CopySessionClaims(ClaimsPrincipal from, ClaimsPrincipal to)
    {
        if (to.Identity is not ClaimsIdentity identity) return;
        foreach (var type in new[] { SessionClaims.AuthTime, SessionClaims.SessionId })
            if (from.FindFirstValue(type) is { } v) Replace(identity, type, v);
    }

    private static void Replace(ClaimsIdentity identity, string type, string value)
    {
        foreach (var c in identity.FindAll(type).ToList()) identity.RemoveClaim(c);
        identity.AddClaim(new Claim(type, value));
    }
}

/// <summary>Identity's sign-in rules plus: a deactivated account cannot sign in (or stay signed in).</summary>
public sealed class RenmaiSignInManager(UserManager<RenmaiUser> users, IHttpContextAccessor http,
    IUserClaimsPrincipalFactory<RenmaiUser> claims, IOptions<IdentityOptions> options, ILogger<SignInManager<RenmaiUser>> logger,
    IAuthenticationSchemeProvider schemes, IUserConfirmation<RenmaiUser> confirmation)
    : SignInManager<RenmaiUser>(users, http, claims, options, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(RenmaiUser user) => user.IsActive && await base.CanSignInAsync(user);
}
