using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Users;

namespace Renmai.Features.Customers;

/// <summary>Named customer-table views: one's own, and those shared with the team.</summary>
public sealed class SavedViewService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock)
{
    public async Task<List<SavedView>> ListAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<SavedView>().AsNoTracking()
            .Where(v => v.OwnerUserId == actor.UserId || v.Shared)
            .OrderBy(v => v.Name).ToListAsync(ct);
    }

    public static CustomerViewDefinition Read(SavedView view) =>
        JsonStorage.Deserialize<CustomerViewDefinition>(view.DefinitionJson) ?? new CustomerViewDefinition();

    /// <summary>Saves under a name; saving again under the same name replaces one's own view.</summary>
    public async Task<SavedView> SaveAsync(string name, CustomerViewDefinition definition, bool shared, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        name = (name ?? "").Trim();
        var e = new ValidationErrors();
        if (name.Length == 0) e.Add("name", "请填写视图名称");
        else if (name.Length > 60) e.Add("name", "视图名称不能超过 60 个字");
        var known = CustomerColumns.BuiltIn.Select(c => c.Key).Append(CustomerColumns.CombinedLabel).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var col in definition.Columns.Where(c => !known.Contains(c) && !c.StartsWith("cf.", StringComparison.Ordinal)))
            e.Add("columns", $"未知的列“{col}”");
        e.ThrowIfAny();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var userId = actor.UserId ?? Guid.Empty;
        var view = await db.Set<SavedView>().SingleOrDefaultAsync(v => v.OwnerUserId == userId && v.Name == name, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        if (view is null)
        {
            view = new SavedView { Name = name, OwnerUserId = userId, OwnerName = actor.Name, CreatedAt = now };
            db.Add(view);
        }
        view.Shared = shared;
        view.DefinitionJson = JsonStorage.Serialize(definition);
        view.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return view;
    }

    public async Task DeleteAsync(Guid id, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var view = await db.Set<SavedView>().SingleOrDefaultAsync(v => v.Id == id, ct) ?? throw new NotFoundException("视图不存在");
        if (view.OwnerUserId != actor.UserId && !actor.IsInRole(Roles.Admin)) throw new ForbiddenException("只能删除自己的视图");
        db.Remove(view);
        await db.SaveChangesAsync(ct);
    }
}
