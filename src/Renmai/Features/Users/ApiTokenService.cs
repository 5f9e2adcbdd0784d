using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;

namespace Renmai.Features.Users;

public sealed record ApiTokenInfo(Guid Id, string Name, string Prefix, bool ReadOnly, DateTime CreatedAt, DateTime? ExpiresAt,
    DateTime? RevokedAt, DateTime? LastUsedAt)
{
    public bool Active(DateTime now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);
}

/// <summary>A user's own personal access tokens: list, create (secret shown once), revoke (effective at once).</summary>
public sealed class ApiTokenService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock,
    ApiTokenCache cache, AuditLog audit, IHttpContextAccessor http)
{
    public const int MaxDays = 3650;

    public async Task<List<ApiTokenInfo>> ListMineAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<ApiToken>().AsNoTracking().Where(t => t.UserId == actor.UserId)
            .OrderByDescending(t => t.CreatedAt)
            .Select(t => new ApiTokenInfo(t.Id, t.Name, t.Prefix, t.ReadOnly, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt))
            .ToListAsync(ct);
    }

    /// <summary>Creates a token for the signed-in user and returns its secret; only the hash is kept.</summary>
    public async Task<(ApiTokenInfo Token, string Secret)> CreateAsync(string name, bool readOnly, int? days, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        var e = new ValidationErrors();
        name = (name ?? "").Trim();
        if (name.Length == 0) e.Add("name", "请填写令牌名称（例如：ERP 同步）");
        else if (name.Length > 100) e.Add("name", "令牌名称不能超过 100 个字");
        if (days is < 1 or > MaxDays) e.Add("days", $"有效天数应在 1 到 {MaxDays} 之间，或留空表示不过期");
        e.ThrowIfAny();
        var now = clock.GetUtcNow().UtcDateTime;
        var (token, secret) = ApiToken.Issue(actor.UserId ?? throw new ForbiddenException("请先登录"), name, readOnly, now,
            days is { } d ? now.AddDays(d) : null);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Add(token);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(AuditActions.TokenCreated, true, http.HttpContext, actor.UserId, actor.Name, $"{token.Name} ({token.Prefix}…)",
            readOnly ? "只读" : "读写", ct);
        return (new ApiTokenInfo(token.Id, token.Name, token.Prefix, token.ReadOnly, token.CreatedAt, token.ExpiresAt, null, null), secret);
    }

    /// <summary>Revokes one of the user's own tokens (admins: anyone's); it stops working immediately.</summary>
    public async Task RevokeAsync(Guid id, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var token = await db.Set<ApiToken>().SingleOrDefaultAsync(t => t.Id == id && (t.UserId == actor.UserId || actor.IsInRole(Roles.Admin)), ct)
            ?? throw new NotFoundException("令牌不存在");
        if (token.RevokedAt is not null) return;
        token.RevokedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        // Authentication caches tokens for a short while; a revocation must not wait for that.
        cache.Clear();
        await audit.WriteAsync(AuditActions.TokenRevoked, true, http.HttpContext, actor.UserId, actor.Name, $"{token.Name} ({token.Prefix}…)", ct: ct);
    }
}
