using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Renmai.Data;

namespace Renmai.Features.Users;

/// <summary>Authenticates <c>Authorization: Bearer rm_…</c> by the token's hash.</summary>
public sealed class ApiTokenAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger,
    UrlEncoder encoder, IDbContextFactory<RenmaiDb> dbs, TimeProvider clock, ApiTokenCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string ReadOnlyClaim = "token_read_only";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.NoResult();
        var secret = header["Bearer ".Length..].Trim();
        if (!secret.StartsWith(ApiToken.TokenPrefix, StringComparison.Ordinal)) return AuthenticateResult.Fail("无效的 API 令牌");
        var hash = ApiToken.HashOf(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        if (cache.TryGet(hash, now, out var cached))
            return AuthenticateResult.Success(new AuthenticationTicket(cached, CurrentActor.ApiScheme));
        await using var db = await dbs.CreateDbContextAsync(Context.RequestAborted);
        // One connection for the three lookups (opening an EF SQLite connection is not free).
        await db.Database.OpenConnectionAsync(Context.RequestAborted);
        var token = await db.Set<ApiToken>().SingleOrDefaultAsync(t => t.Hash == hash, Context.RequestAborted);
        if (token is null || token.RevokedAt is not null || token.ExpiresAt <= now) return AuthenticateResult.Fail("API 令牌无效、已过期或已吊销");
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == token.UserId, Context.RequestAborted);
        if (user is null || !user.IsActive) return AuthenticateResult.Fail("API 令牌的用户已停用");
        var roles = await (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id
                           where ur.UserId == user.Id select r.Name).ToListAsync(Context.RequestAborted);
        if (token.LastUsedAt is null || now - token.LastUsedAt > TimeSpan.FromMinutes(5))
        {
            token.LastUsedAt = now;
            await db.SaveChangesAsync(Context.RequestAborted);
        }
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString()),
            new(ClaimTypes.Name, user.UserName ?? user.Email ?? ""),
            new("display_name", user.DisplayName),
        };
        claims.AddRange(roles.Where(r => r is not null).Select(r => new Claim(ClaimTypes.Role, r!)));
        if (token.ReadOnly) claims.Add(new Claim(ReadOnlyClaim, "true"));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CurrentActor.ApiScheme));
        cache.Add(hash, principal, now, token.ExpiresAt);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, CurrentActor.ApiScheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer";
        return Task.CompletedTask;
    }
}

/// <summary>
/// Token hash → principal for <see cref="Lifetime"/>, so a busy API client costs no database round
/// trips for authentication. A revoked or expired token, a deactivated user or changed roles take
/// effect within that time (call <see cref="Clear"/> to make them immediate).
/// </summary>
public sealed class ApiTokenCache
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private const int MaxEntries = 10_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (ClaimsPrincipal Principal, DateTime Until)> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string hash, DateTime now, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ClaimsPrincipal? principal)
    {
        principal = null;
        if (!_entries.TryGetValue(hash, out var e)) return false;
        if (e.Until <= now)
        {
            _entries.TryRemove(hash, out _);
            return false;
        }
        // Each request gets its own copy: handlers downstream may add claims or identities.
        principal = e.Principal.Clone();
        return true;
    }

    public void Add(string hash, ClaimsPrincipal principal, DateTime now, DateTime? tokenExpiresAt)
    {
        if (_entries.Count >= MaxEntries) _entries.Clear();
        var until = now + Lifetime;
        if (tokenExpiresAt is { } exp && exp < until) until = exp;
        _entries[hash] = (principal.Clone(), until);
    }

    /// <summary>Forget every cached token (after revoking a token, deactivating a user or changing roles).</summary>
    public void Clear() => _entries.Clear();
}
