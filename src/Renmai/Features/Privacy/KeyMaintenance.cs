using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;

namespace Renmai.Features.Privacy;

/// <summary>
/// Key rotation and re-encryption (ADR 0012). Rotation is a sequence of idempotent steps, so an
/// interrupted run is finished by running it again: (1) the key file gets a new active key (the old
/// ones stay); (2) every row not sealed with the active key is re-encrypted, in batches, each batch
/// committed; (3) index rows made with an old index key are recomputed, and with them the phone tokens of
/// the customers' search rows; (4) only then are the old
/// keys removed from the file.
/// </summary>
public static class KeyMaintenance
{
    public const int BatchSize = 500;

    // Rows from before encryption hold the phones JSON array in the same column.
    private static readonly string LegacyPrefix = "[";

    /// <summary>Step 1, before the app loads the keys. Returns false when a rotation is already under way (it is resumed).</summary>
    public static bool BeginRotation(string dataFolder, bool rotateIndexKey, TextWriter log)
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(DataKeyRing.EnvironmentVariable)))
            throw new DataKeyException($"数据密钥来自环境变量 {DataKeyRing.EnvironmentVariable}：请改用密钥文件后再轮换 (rotation works on the key file; unset the environment variable).");
        var path = DataKeyRing.PathIn(dataFolder);
        if (!File.Exists(path)) throw new DataKeyException($"找不到密钥文件 {path}。");
        var file = DataKeyRing.Read(path);
        if (file.DataKeys.Count > 1 || file.IndexSecrets.Count > 1)
        {
            log.WriteLine($"继续上次未完成的轮换（当前数据密钥 {file.ActiveDataKey}，索引密钥 {file.ActiveIndexKey}）。");
            return false;
        }
        var dataId = NextId("d", file.DataKeys.Select(k => k.Id));
        file.DataKeys.Add(new DataKeyRing.KeyEntry { Id = dataId, Secret = DataKeyRing.NewSecret() });
        file.ActiveDataKey = dataId;
        if (rotateIndexKey)
        {
            var indexId = NextId("i", file.IndexSecrets.Select(k => k.Id));
            file.IndexSecrets.Add(new DataKeyRing.KeyEntry { Id = indexId, Secret = DataKeyRing.NewSecret() });
            file.ActiveIndexKey = indexId;
        }
        DataKeyRing.Write(path, file);
        log.WriteLine($"已添加新数据密钥 {dataId}" + (rotateIndexKey ? $" 和新索引密钥 {file.ActiveIndexKey}" : "") + "。请务必备份新的密钥文件。");
        return true;
    }

    private static string NextId(string prefix, IEnumerable<string> ids) =>
        prefix + (ids.Select(i => int.TryParse(i.AsSpan(1), out var n) ? n : 0).DefaultIfEmpty(0).Max() + 1);

    /// <summary>Steps 2 and 3: re-encrypts rows not on the active key (and legacy plaintext rows); recomputes old index rows.</summary>
    public static async Task<(long Rows, long IndexedRecords)> ReencryptAsync(IServiceProvider services, TextWriter? log, CancellationToken ct)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var store = services.GetRequiredService<SensitiveStore>();
        var keys = store.Cipher.Keys;
        var activePrefix = "v1." + keys.ActiveDataKeyId + ".";
        long rows = 0, indexed = 0;
        rows += await ReencryptTableAsync<Customer>(dbs, store, activePrefix, log, ct);
        rows += await ReencryptTableAsync<Contact>(dbs, store, activePrefix, log, ct);

        var activeIndex = keys.ActiveIndexKeyId;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            var ids = await db.Set<SensitiveIndexEntry>().Where(x => x.KeyId != activeIndex).Select(x => x.EntityId).Distinct()
                .Take(BatchSize).ToListAsync(ct);
            if (ids.Count == 0) break;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var records = new List<IHasSensitiveData>();
            records.AddRange(await db.Set<Customer>().IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct));
            records.AddRange(await db.Set<Contact>().IgnoreQueryFilters().AsNoTracking().Where(c => ids.Contains(c.Id)).ToListAsync(ct));
            await db.Set<SensitiveIndexEntry>().Where(x => ids.Contains(x.EntityId)).ExecuteDeleteAsync(ct);
            foreach (var r in records) db.AddRange(store.IndexRows(r, r.ReadSensitive()));
            // The search rows' phone tokens are keyed hashes too: rebuilt under the new index key in the same transaction.
            var customerIds = records.Select(r => r is Contact k ? k.CustomerId : r.Id).ToList();
            await Search.CustomerSearchRows.RebuildAsync(db, customerIds, store.Cipher, ct);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            indexed += ids.Count;
            log?.WriteLine($"已重算 {indexed:N0} 条记录的检索索引");
        }
        return (rows, indexed);
    }

    private static async Task<long> ReencryptTableAsync<T>(IDbContextFactory<RenmaiDb> dbs, SensitiveStore store, string activePrefix,
        TextWriter? log, CancellationToken ct) where T : class, IHasSensitiveData
    {
        long done = 0;
        var lastId = Guid.Empty;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            // Keyset pagination by Id: rows already handled are never read again, even if a batch fails later.
            var batch = await db.Set<T>().IgnoreQueryFilters().AsNoTracking()
                .Where(e => e.SensitiveData != null && !e.SensitiveData.StartsWith(activePrefix) && e.Id.CompareTo(lastId) > 0)
                .OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
            if (batch.Count == 0) break;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var e in batch)
            {
                var json = SensitiveStore.PlainJson(e);
                var envelope = json is null ? null : store.Cipher.Seal(json, e.Id);
                var id = e.Id;
                await db.Set<T>().IgnoreQueryFilters().Where(x => x.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.SensitiveData, envelope), ct);
                if (e.SensitiveSnapshot is null)
                {
                    // A legacy plaintext row has no index rows yet.
                    await db.Set<SensitiveIndexEntry>().Where(x => x.EntityId == id).ExecuteDeleteAsync(ct);
                    db.AddRange(store.IndexRows(e, e.ReadSensitive()));
                }
            }
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            done += batch.Count;
            lastId = batch[^1].Id;
            log?.WriteLine($"{typeof(T).Name}: 已重新加密 {done:N0} 行");
        }
        return done;
    }

    /// <summary>Step 4: removes every key but the active ones from the key file.</summary>
    public static void RetireOldKeys(string dataFolder, TextWriter log)
    {
        var path = DataKeyRing.PathIn(dataFolder);
        var file = DataKeyRing.Read(path);
        var retired = file.DataKeys.Where(k => k.Id != file.ActiveDataKey).Select(k => k.Id)
            .Concat(file.IndexSecrets.Where(k => k.Id != file.ActiveIndexKey).Select(k => k.Id)).ToList();
        file.DataKeys.RemoveAll(k => k.Id != file.ActiveDataKey);
        file.IndexSecrets.RemoveAll(k => k.Id != file.ActiveIndexKey);
        DataKeyRing.Write(path, file);
        log.WriteLine(retired.Count == 0 ? "没有需要停用的旧密钥。" : $"已停用旧密钥：{string.Join("、", retired)}。");
    }

    /// <summary>Key ids and how many rows use each.</summary>
    public static async Task<List<(string What, string KeyId, long Rows, bool Active)>> StatusAsync(IServiceProvider services, CancellationToken ct)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var keys = services.GetRequiredService<DataKeyRing>();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var result = new List<(string, string, long, bool)>();
        foreach (var id in keys.DataKeys.Keys.Order(StringComparer.Ordinal))
        {
            var prefix = "v1." + id + ".";
            var n = await db.Set<Customer>().IgnoreQueryFilters().LongCountAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(prefix), ct)
                + await db.Set<Contact>().IgnoreQueryFilters().LongCountAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(prefix), ct);
            result.Add(("数据密钥", id, n, id == keys.ActiveDataKeyId));
        }
        var legacy = await db.Set<Customer>().IgnoreQueryFilters().LongCountAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(LegacyPrefix), ct)
            + await db.Set<Contact>().IgnoreQueryFilters().LongCountAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(LegacyPrefix), ct);
        if (legacy > 0) result.Add(("未加密（旧数据）", "-", legacy, false));
        var index = await db.Set<SensitiveIndexEntry>().GroupBy(x => x.KeyId).Select(g => new { g.Key, Count = g.LongCount() }).ToListAsync(ct);
        foreach (var id in keys.IndexKeys.Keys.Union(index.Select(i => i.Key)).Order(StringComparer.Ordinal))
            result.Add(("索引密钥", id, index.FirstOrDefault(i => i.Key == id)?.Count ?? 0, id == keys.ActiveIndexKeyId));
        return result;
    }

    /// <summary>At start: seals rows still holding plaintext phones from before encryption (fast no-op otherwise).</summary>
    public static async Task SealLegacyRowsAsync(IServiceProvider services, CancellationToken ct)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            if (!await db.Set<Customer>().IgnoreQueryFilters().AnyAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(LegacyPrefix), ct)
                && !await db.Set<Contact>().IgnoreQueryFilters().AnyAsync(c => c.SensitiveData != null && c.SensitiveData.StartsWith(LegacyPrefix), ct))
                return;
        }
        await ReencryptAsync(services, null, ct);
        await using var vacuum = await dbs.CreateDbContextAsync(ct);
        // The plaintext must not survive in free pages or the WAL.
        if (!vacuum.IsPostgres) await vacuum.Database.ExecuteSqlRawAsync("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", ct);
    }
}
