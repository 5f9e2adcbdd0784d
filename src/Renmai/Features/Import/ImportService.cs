using System.Globalization;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Export;
using Renmai.Features.Users;

namespace Renmai.Features.Import;

/// <summary>An uploaded file before it runs: what was detected and the proposed column mapping.</summary>
public sealed record ImportDraft(Guid Id, string FileName, string Description, long EstimatedRows, IReadOnlyList<string> Headers,
    Dictionary<int, string> Mapping, IReadOnlyList<ImportFieldInfo> Fields, IReadOnlyList<IReadOnlyList<string?>> Sample);

public sealed record ImportFieldInfo(string Key, string Label, IReadOnlyList<string> Options);

public sealed record ImportPreview(long Rows, long Creates, long Updates, long Skips, long Errors, IReadOnlyList<PreviewRow> Items, string? Problem);

/// <summary>An import's state for the status endpoint and the progress bar.</summary>
public sealed record ImportStatusView(Guid Id, string FileName, ImportStatus Status, string StatusLabel, bool DryRun, string? Phase, long RowsDone, long RowsTotal,
    double RowsPerSecond, long Created, long Updated, long Skipped, long Failed, string? Message, bool HasErrorFile, DateTime CreatedAt,
    DateTime? FinishedAt, string UserName, ImportOptions Options);

/// <summary>
/// Imports as the UI, the API and the CLI see them: upload, mapping, preview, start, status, cancel,
/// error file, undo, template. Jobs are the importer's own (admins see all); the rows they write go
/// through <see cref="ImportEngine"/> within the importer's record scope.
/// </summary>
public sealed class ImportService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, ImportEngine engine, ImportBoard board, TimeProvider clock)
{
    public const int PreviewRows = 200;

    private static void EnsureCanImport(Actor actor)
    {
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色，不能导入客户");
    }

    /// <summary>Stores the upload in the data folder, checks that it can be read and proposes a mapping.</summary>
    public async Task<ImportDraft> UploadAsync(Stream content, string fileName, string? encoding = null, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanImport(actor);
        fileName = Path.GetFileName(fileName ?? "");
        if (fileName.Length == 0) throw new ImportFileException("请选择要导入的文件");
        ImportTable.CheckExtension(fileName);
        var job = new ImportJob
        {
            FileName = fileName.Length > 200 ? fileName[^200..] : fileName, UserId = actor.UserId, UserName = actor.Name,
            Status = ImportStatus.Draft, CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        job.StoredFile = job.Id.ToString("N") + Path.GetExtension(fileName).ToLowerInvariant();
        var path = Path.Combine(engine.Folder, job.StoredFile);
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                var buffer = new byte[1 << 16];
                long total = 0;
                int n;
                while ((n = await content.ReadAsync(buffer, ct)) > 0)
                {
                    total += n;
                    if (total > engine.Limits.MaxFileBytes)
                        throw new ImportFileException($"文件过大，上限为 {engine.Limits.MaxFileBytes / 1048576} MB");
                    await file.WriteAsync(buffer.AsMemory(0, n), ct);
                }
            }
            await using var db = await dbs.CreateDbContextAsync(ct);
            var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
            var fields = ImportFields.All(defs);
            using var table = engine.Open(job, encoding);
            var mapping = ImportFields.AutoMap(table.Headers, fields);
            // Remembered: the mapping this user chose last time, for the headers that appear again.
            var last = await db.Set<ImportJob>().AsNoTracking().Where(j => j.UserId == actor.UserId && j.Status != ImportStatus.Draft)
                .OrderByDescending(j => j.CreatedAt).Select(j => new { j.OptionsJson, j.HeadersJson }).FirstOrDefaultAsync(ct);
            if (last is not null) Remember(mapping, table.Headers, last.OptionsJson, last.HeadersJson, fields);
            var sample = table.Rows().Take(5).Select(r => (IReadOnlyList<string?>)[.. r.Cells.Take(table.Headers.Count).Select(ImportTable.Text)]).ToList();
            job.Options = new ImportOptions { Mapping = mapping, Encoding = encoding };
            job.HeadersJson = JsonStorage.Serialize(table.Headers);
            job.TotalRows = table.EstimatedRows;
            db.Add(job);
            await db.SaveChangesAsync(ct);
            return new ImportDraft(job.Id, job.FileName, table.Description, table.EstimatedRows, table.Headers, mapping, Infos(fields), sample);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private static void Remember(Dictionary<int, string> mapping, IReadOnlyList<string> headers, string optionsJson, string? headersJson, IReadOnlyList<ImportField> fields)
    {
        var lastHeaders = headersJson is null ? null : JsonStorage.Deserialize<List<string>>(headersJson);
        var lastMapping = (JsonStorage.Deserialize<ImportOptions>(optionsJson) ?? new()).Mapping;
        if (lastHeaders is null) return;
        var known = fields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < headers.Count; i++)
        {
            var j = lastHeaders.FindIndex(h => h == headers[i]);
            if (j < 0) continue;
            if (lastMapping.TryGetValue(j, out var key) && known.Contains(key))
            {
                foreach (var other in mapping.Where(m => m.Value == key && m.Key != i).Select(m => m.Key).ToList()) mapping.Remove(other);
                mapping[i] = key;
            }
            else mapping.Remove(i);
        }
    }

    private static List<ImportFieldInfo> Infos(IReadOnlyList<ImportField> fields) =>
        [.. fields.Select(f => new ImportFieldInfo(f.Key, f.Label, ImportFields.Options(f)))];

    public async Task<IReadOnlyList<ImportFieldInfo>> FieldsAsync(CancellationToken ct = default)
    {
        await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return Infos(ImportFields.All(await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct)));
    }

    /// <summary>The job if the actor may see it (their own; admins all); otherwise "not found".</summary>
    private async Task<(ImportJob Job, Actor Actor)> FindAsync(RenmaiDb db, Guid id, CancellationToken ct)
    {
        var actor = await current.RequireAsync();
        var job = await db.Set<ImportJob>().SingleOrDefaultAsync(j => j.Id == id, ct);
        if (job is null || (job.UserId != actor.UserId && !actor.IsInRole(Roles.Admin))) throw new NotFoundException("导入任务不存在");
        return (job, actor);
    }

    /// <summary>Checks the first rows with the given options without writing anything.</summary>
    public async Task<ImportPreview> PreviewAsync(Guid id, ImportOptions options, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, actor) = await FindAsync(db, id, ct);
        EnsureCanImport(actor);
        options.Encoding ??= job.Options.Encoding;
        job.Options = options;
        try
        {
            var outcome = await engine.RunAsync(job, actor, dryRun: true, new ImportProgress(), PreviewRows, ct);
            return new ImportPreview(outcome.Rows, outcome.Created, outcome.Updated, outcome.Skipped, outcome.Failed, outcome.Preview, null);
        }
        catch (ImportFileException ex)
        {
            return new ImportPreview(0, 0, 0, 0, 0, [], ex.Message);
        }
    }

    /// <summary>Queues the import (or a dry run over the whole file) for the background worker.</summary>
    public async Task<ImportStatusView> StartAsync(Guid id, ImportOptions options, bool dryRun = false, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, actor) = await FindAsync(db, id, ct);
        EnsureCanImport(actor);
        if (job.Status != ImportStatus.Draft) throw new InvalidOperationException("该导入已经开始过，不能再次启动；请重新上传文件");
        options.Encoding ??= job.Options.Encoding;
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().ToListAsync(ct);
        using (var table = engine.Open(job, options.Encoding))
        {
            if (ImportFields.CheckMapping(options.Mapping, table.Headers, ImportFields.All(defs), options) is { } problem) throw new ImportFileException(problem);
        }
        if (options.Owner == ImportOwner.Pool && !actor.IsInRole(Roles.Admin) && !actor.IsInRole(Roles.Manager))
            throw new ForbiddenException("只有管理员和销售经理可以把导入的客户放入公海");
        if (options.Owner == ImportOwner.User && options.OwnerUserId is { } u && u != actor.UserId && !actor.IsInRole(Roles.Admin) && !actor.ManagedUserIds.Contains(u))
            throw new ForbiddenException("只能把客户分配给您自己或您团队中的成员");
        job.Options = options;
        job.DryRun = dryRun;
        job.Status = ImportStatus.Queued;
        job.ManagedUserIdsJson = JsonStorage.Serialize(actor.ManagedUserIds);
        job.RolesJson = JsonStorage.Serialize(actor.Roles);
        await db.SaveChangesAsync(ct);
        ImportWorker.Wake();
        return View(job, null);
    }

    public async Task<ImportStatusView> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, _) = await FindAsync(db, id, ct);
        return View(job, board.Progress(job.Id));
    }

    public async Task<IReadOnlyList<ImportStatusView>> ListAsync(int take = 50, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = db.Set<ImportJob>().AsNoTracking().Where(j => j.Status != ImportStatus.Draft);
        if (!actor.IsInRole(Roles.Admin)) q = q.Where(j => j.UserId == actor.UserId);
        var jobs = await q.OrderByDescending(j => j.CreatedAt).Take(Math.Clamp(take, 1, 200)).ToListAsync(ct);
        return [.. jobs.Select(j => View(j, board.Progress(j.Id)))];
    }

    public async Task<ImportStatusView> CancelAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, actor) = await FindAsync(db, id, ct);
        EnsureCanImport(actor);
        if (job.IsFinished) throw new InvalidOperationException("导入已结束，不能取消；如需撤回请使用“撤销导入”");
        // Here: at once. The flag reaches a worker on another node at its next batch.
        board.Cancel(job.Id);
        if (job.Status is ImportStatus.Queued or ImportStatus.Draft)
        {
            job.Status = ImportStatus.Cancelled;
            job.Message = "已取消，未写入任何数据。";
            job.FinishedAt = clock.GetUtcNow().UtcDateTime;
        }
        job.CancelRequested = true;
        await db.SaveChangesAsync(ct);
        return View(job, board.Progress(job.Id));
    }

    /// <summary>Undoes a finished import: customers it created go to the recycle bin, customers it updated get their earlier values back.</summary>
    public async Task<ImportStatusView> UndoAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, actor) = await FindAsync(db, id, ct);
        EnsureCanImport(actor);
        if (job.Status != ImportStatus.Succeeded || job.DryRun) throw new InvalidOperationException("只有已成功完成的导入可以撤销");
        var (restored, removed) = await engine.RollbackAsync(job, actor, hardDelete: false, ct);
        job.Status = ImportStatus.Undone;
        job.Message = $"已撤销：{removed} 个新建客户已移入回收站，{restored} 个被更新的客户已恢复原值。";
        job.FinishedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return View(job, null);
    }

    public async Task<(Stream Content, string FileName)> ErrorFileAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var (job, _) = await FindAsync(db, id, ct);
        if (job.ErrorFile is null) throw new NotFoundException("该导入没有错误行");
        var path = Path.Combine(engine.Folder, job.ErrorFile);
        if (!File.Exists(path)) throw new NotFoundException("错误文件已被清理");
        return (File.OpenRead(path), Path.GetFileNameWithoutExtension(job.FileName) + "-错误行.xlsx");
    }

    /// <summary>The row errors of a run in this process (the CLI prints them; the error file has them all).</summary>
    public IReadOnlyList<ImportRowError> LastErrors(Guid id) => board.Errors(id);

    public static ImportStatusView View(ImportJob job, ImportProgress? live) => new(job.Id, job.FileName, job.Status, StatusLabel(job), job.DryRun,
        live?.Phase, live?.RowsRead ?? job.RowsDone, live is null ? job.TotalRows : Math.Max(live.RowsTotal, live.RowsRead),
        live?.RowsPerSecond ?? 0, live?.Created ?? job.Created, live?.Updated ?? job.Updated, live?.Skipped ?? job.Skipped, live?.Failed ?? job.Failed,
        job.Message, job.ErrorFile is not null, job.CreatedAt, job.FinishedAt, job.UserName, job.Options);

    public static string StatusLabel(ImportJob job) => job.Status switch
    {
        ImportStatus.Draft => "待开始",
        ImportStatus.Queued => "排队中",
        ImportStatus.Running => "导入中",
        ImportStatus.Succeeded => job.DryRun ? "试运行完成" : "已完成",
        ImportStatus.Failed => "失败",
        ImportStatus.Cancelled => "已取消",
        ImportStatus.Undone => "已撤销",
        _ => job.Status.ToString(),
    };

    /// <summary>The error file: line number, the original cells (formula-safe) and an 错误 column.</summary>
    public static void WriteErrorFile(string path, IReadOnlyList<string> headers, ImportOutcome outcome)
    {
        var names = new List<string> { "行号" };
        foreach (var h in headers)
        {
            var name = h.Length == 0 ? "（空列名）" : h;
            while (names.Contains(name)) name += "_";
            names.Add(name);
        }
        var errorName = "错误";
        while (names.Contains(errorName)) errorName += "_";
        IEnumerable<Dictionary<string, object?>> Rows()
        {
            foreach (var (line, (cells, message)) in outcome.ErrorRows)
            {
                var row = new Dictionary<string, object?> { ["行号"] = line.ToString(CultureInfo.InvariantCulture) };
                for (var i = 0; i < headers.Count; i++) row[names[i + 1]] = CellText.Neutralise(ImportTable.Text(i < cells.Length ? cells[i] : null));
                row[errorName] = CellText.Neutralise(message);
                yield return row;
            }
        }
        MiniExcel.SaveAs(path, Rows(), overwriteFile: true);
    }
}
