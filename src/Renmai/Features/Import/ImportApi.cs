using Renmai.Features.Users;

namespace Renmai.Features.Import;

public sealed record ImportStartRequest(ImportOptions Options, bool DryRun = false);

public static class ImportApi
{
    public static RouteGroupBuilder MapImportApi(this RouteGroupBuilder api)
    {
        var g = api.MapGroup("/imports").WithTags("Import");
        g.MapPost("", async (HttpRequest request, ImportService s, CurrentActor current, CancellationToken ct) =>
            {
                // Permission before the body: a caller who may not import learns nothing from the upload.
                var actor = await current.RequireAsync();
                if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new Customers.ForbiddenException("审计员为只读角色，不能导入客户");
                if (!request.HasFormContentType) throw new ImportFileException("请以 multipart/form-data 上传文件（字段名 file）");
                var form = await request.ReadFormAsync(ct);
                var file = form.Files.GetFile("file") ?? form.Files.FirstOrDefault() ?? throw new ImportFileException("请求中没有文件（字段名 file）");
                await using var stream = file.OpenReadStream();
                var draft = await s.UploadAsync(stream, file.FileName, form["encoding"].FirstOrDefault() is { Length: > 0 } e ? e : null, ct);
                return TypedResults.Created($"/api/v1/imports/{draft.Id}", draft);
            }).WithName("UploadImport").RequireAuthorization(UsersSetup.ApiWritePolicy).DisableAntiforgery()
            // No Accepts<IFormFile> metadata: it would answer 415 before the handler, and a caller without
            // the right to import must get 403 whatever it sends.
            .Produces<ImportDraft>(StatusCodes.Status201Created)
            .WithSummary("Uploads a .xlsx/.csv/.txt file (multipart field 'file', optional 'encoding': utf-8|gbk|utf-16). Returns the detected headers and the proposed column mapping.");
        g.MapGet("", async (ImportService s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(50, ct)))
            .WithName("ListImports").WithSummary("The caller's imports (admins: all), newest first.");
        g.MapGet("/fields", async (ImportService s, CancellationToken ct) => TypedResults.Ok(await s.FieldsAsync(ct)))
            .WithName("ImportFields").WithSummary("Fields a column can be mapped to (key, Chinese label, allowed values).");
        g.MapGet("/template", async (ImportTemplate t, CancellationToken ct) =>
                TypedResults.File(await t.BuildAsync(ct), ImportTemplate.ContentType, ImportTemplate.FileName))
            .WithName("ImportTemplate").WithSummary("客户导入模板.xlsx: Chinese headers, an example row, the custom fields, drop-downs for classification columns.");
        g.MapGet("/{id:guid}", async (Guid id, ImportService s, CancellationToken ct) => TypedResults.Ok(await s.GetAsync(id, ct)))
            .WithName("GetImport").WithSummary("Status and progress: rows done, rows/s, created/updated/skipped/failed.");
        g.MapPost("/{id:guid}/preview", async (Guid id, ImportOptions body, ImportService s, CancellationToken ct) =>
                TypedResults.Ok(await s.PreviewAsync(id, body, ct)))
            .WithName("PreviewImport").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Validates the first 200 rows with the given options (mode create|update|upsert, key, duplicates, mapping column→field) without writing.");
        g.MapPost("/{id:guid}/start", async (Guid id, ImportStartRequest body, ImportService s, CancellationToken ct) =>
                TypedResults.Accepted($"/api/v1/imports/{id}", await s.StartAsync(id, body.Options, body.DryRun, ct)))
            .WithName("StartImport").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Queues the import as a background job (dryRun: validate the whole file, write nothing). Poll GET /imports/{id}.");
        g.MapPost("/{id:guid}/cancel", async (Guid id, ImportService s, CancellationToken ct) => TypedResults.Ok(await s.CancelAsync(id, ct)))
            .WithName("CancelImport").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Cancels a queued or running import; whatever it wrote is rolled back.");
        g.MapPost("/{id:guid}/undo", async (Guid id, ImportService s, CancellationToken ct) => TypedResults.Ok(await s.UndoAsync(id, ct)))
            .WithName("UndoImport").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Undoes a finished import: created customers go to the recycle bin, updated ones get their earlier values back.");
        g.MapGet("/{id:guid}/errors", async (Guid id, ImportService s, CancellationToken ct) =>
            {
                var (content, name) = await s.ErrorFileAsync(id, ct);
                return TypedResults.File(content, ImportTemplate.ContentType, name);
            }).WithName("ImportErrorFile").WithSummary("The rows that failed or were skipped, as in the file, with an 错误 column (xlsx).");
        return api;
    }
}
