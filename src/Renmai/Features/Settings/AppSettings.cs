using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Settings;

/// <summary>
/// One section of organisation-wide settings (security, privacy, pools…), stored as a JSON
/// document under <see cref="Key"/>. A section validates itself; defaults are its initial values.
/// </summary>
public interface ISettingsSection
{
    static abstract string Key { get; }
    /// <summary>The section's name in the audit log.</summary>
    static abstract string Label { get; }
    void Validate(ValidationErrors errors);
}

/// <summary>A stored settings section.</summary>
public sealed class AppSetting
{
    public string Key { get; set; } = "";
    public string Json { get; set; } = "{}";
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

internal sealed class AppSettingMapping : IEntityTypeConfiguration<AppSetting>
{
    public void Configure(EntityTypeBuilder<AppSetting> b)
    {
        b.ToTable("AppSettings");
        b.HasKey(s => s.Key);
        b.Property(s => s.Key).HasMaxLength(64);
        b.Property(s => s.UpdatedBy).HasMaxLength(200);
    }
}

/// <summary>
/// Reads settings sections (cached; singletons such as authentication handlers read them on
/// every request) and lets admins change them, each change audited with the old and new values.
/// </summary>
public sealed class AppSettings(IDbContextFactory<RenmaiDb> dbs, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ConcurrentDictionary<string, object> _cache = new(StringComparer.Ordinal);

    /// <summary>
    /// The current values, shared by every caller: read them, never change them (they are read on
    /// hot paths such as masking every customer). Forms edit <see cref="SettingsService.GetAsync{T}"/>'s copy.
    /// </summary>
    public async Task<T> GetAsync<T>(CancellationToken ct = default) where T : class, ISettingsSection, new()
    {
        if (_cache.TryGetValue(T.Key, out var cached)) return (T)cached;
        var key = T.Key;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Set<AppSetting>().AsNoTracking().SingleOrDefaultAsync(s => s.Key == key, ct);
        var value = row is null ? new T() : JsonSerializer.Deserialize<T>(row.Json, Json) ?? new T();
        _cache[T.Key] = value;
        return value;
    }

    /// <summary>Validates and stores a section; only for callers that checked the admin role.</summary>
    internal async Task<(string Old, string New)> SaveAsync<T>(T value, string updatedBy, CancellationToken ct = default)
        where T : class, ISettingsSection, new()
    {
        var e = new ValidationErrors();
        value.Validate(e);
        e.ThrowIfAny();
        var json = JsonSerializer.Serialize(value, Json);
        var key = T.Key;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var row = await db.Set<AppSetting>().SingleOrDefaultAsync(s => s.Key == key, ct);
        var old = row?.Json ?? JsonSerializer.Serialize(new T(), Json);
        if (row is null) db.Add(row = new AppSetting { Key = T.Key });
        row.Json = json;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        row.UpdatedBy = updatedBy;
        await db.SaveChangesAsync(ct);
        _cache[T.Key] = JsonSerializer.Deserialize<T>(json, Json)!;
        return (old, json);
    }

    /// <summary>A private copy, so editing a settings form never changes the shared values.</summary>
    internal static T Clone<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Json), Json)!;
}

/// <summary>The admin's way to change settings: role check, validation, audit.</summary>
public sealed class SettingsService(AppSettings settings, CurrentActor current, AuditLog audit, IHttpContextAccessor http)
{
    /// <summary>A copy of the current values for a settings form to edit.</summary>
    public async Task<T> GetAsync<T>(CancellationToken ct = default) where T : class, ISettingsSection, new() =>
        AppSettings.Clone(await settings.GetAsync<T>(ct));

    public async Task SaveAsync<T>(T value, CancellationToken ct = default) where T : class, ISettingsSection, new()
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        var (old, @new) = await settings.SaveAsync(value, actor.Name, ct);
        if (old != @new)
            await audit.WriteAsync(AuditActions.SettingsChanged, true, http.HttpContext, actor.UserId, actor.Name, T.Label,
                $"{old} → {@new}", ct);
    }
}
