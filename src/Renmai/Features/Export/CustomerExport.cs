using System.Globalization;
using System.Text;
using MiniExcelLibs;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Privacy;
using Renmai.Features.Users;

namespace Renmai.Features.Export;

public enum ExportFormat { Xlsx, Csv }

/// <summary>What to export: a saved view and/or the table's own query and columns (explicit values win over the view's).</summary>
public sealed class CustomerExportRequest
{
    public ExportFormat Format { get; set; } = ExportFormat.Xlsx;
    /// <summary>CSV only: GB18030 (what Chinese Excel reads as "ANSI") instead of UTF-8 with BOM.</summary>
    public bool Gbk { get; set; }
    /// <summary>A saved view, by name or id.</summary>
    public string? View { get; set; }
    public string? Q { get; set; }
    public List<CustomerFilter> Filters { get; set; } = [];
    public string? Sort { get; set; }
    public List<string>? Columns { get; set; }
    /// <summary>Phones in plaintext (admins and managers only; audited as a bulk reveal). Otherwise masked (ADR 0022).</summary>
    public bool PlainPhones { get; set; }

    public static ExportFormat? ParseFormat(string? text) => text?.Trim().TrimStart('.').ToLowerInvariant() switch
    {
        null or "" or "xlsx" => ExportFormat.Xlsx,
        "csv" or "txt" => ExportFormat.Csv,
        _ => null,
    };
}

public sealed record CustomerExportResult(int Rows, string FileName, string ContentType);

/// <summary>
/// Exports a customer table view (R10.2) to xlsx or csv: the rows come one by one from
/// <see cref="CustomerService.StreamAsync"/> (record scope, filters and sort of the list), the file
/// is written as they come, and the export is audited. Cells are in the form the importer reads back:
/// Chinese column labels as headers, enum labels, money in yuan, dates yyyy-MM-dd (ADR 0022).
/// </summary>
public sealed class CustomerExportService(CustomerService customers, SavedViewService views, CurrentActor current, AuditLog audit,
    IHttpContextAccessor http, TimeProvider clock, SensitiveStore sensitive)
{
    /// <summary>The export-only column of phone numbers (the table does not show phones).</summary>
    public const string PhonesColumn = "phones";
    public const string PhonesLabel = "电话";
    /// <summary>Phones of one customer are joined with this (never part of a phone number).</summary>
    public const string PhoneSeparator = "；";
    public const string TagSeparator = "、";

    public async Task<CustomerExportResult> ExportAsync(CustomerExportRequest request, Stream output, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        var (query, columnKeys, viewName) = await ResolveAsync(request, ct);
        if (request.PlainPhones && !actor.IsInRole(Roles.Admin) && !actor.IsInRole(Roles.Manager))
            throw new ForbiddenException("只有管理员和销售经理可以导出明文电话");

        await using var stream = await customers.StreamAsync(query, ct);
        var (columns, selectors) = ExportColumns(columnKeys, stream);
        var plain = request.PlainPhones;
        var rows = 0;
        IEnumerable<object?[]> Rows()
        {
            foreach (var values in stream.Select(selectors))
            {
                ct.ThrowIfCancellationRequested();
                rows++;
                yield return Cells(values, columns, plain);
            }
        }

        // The writers pull rows synchronously from the data reader: run them off the request thread,
        // into the caller's stream when it can seek (a file), else into a temporary file first
        // (the xlsx zip needs to seek; an HTTP body must not be written synchronously).
        var direct = output.CanSeek;
        await using var target = direct ? null : new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite,
            FileShare.None, 64 * 1024, FileOptions.DeleteOnClose);
        var sink = target ?? output;
        await Task.Run(() =>
        {
            if (request.Format == ExportFormat.Xlsx) WriteXlsx(sink, columns, Rows());
            else WriteCsv(sink, columns, Rows(), request.Gbk);
        }, ct);
        if (target is not null)
        {
            target.Position = 0;
            await target.CopyToAsync(output, ct);
        }

        var detail = new StringBuilder($"{rows} 条；{(request.Format == ExportFormat.Xlsx ? "xlsx" : request.Gbk ? "csv(GBK)" : "csv")}");
        if (viewName is not null) detail.Append("；视图 ").Append(viewName);
        if (!string.IsNullOrWhiteSpace(query.Q)) detail.Append("；搜索 ").Append(query.Q.Trim());
        if (query.Filters.Count > 0) detail.Append("；筛选 ").Append(string.Join(" ", query.Filters.Select(f => $"{f.Field}:{f.Op}:{f.Value}")));
        if (!string.IsNullOrWhiteSpace(query.Sort)) detail.Append("；排序 ").Append(query.Sort);
        detail.Append("；列 ").Append(string.Join(",", columns.Select(c => c.Key)));
        detail.Append(plain ? "；电话明文" : "；电话已掩码");
        if (actor.Source == Data.ChangeSource.Api) detail.Append("（API）");
        await audit.WriteAsync(AuditActions.CustomersExported, true, http.HttpContext, actor.UserId, actor.Name, "客户", detail.ToString(), ct);
        if (plain && rows > 0)
            await audit.WriteAsync(AuditActions.SensitiveRevealed, true, http.HttpContext, actor.UserId, actor.Name, "客户",
                $"批量导出明文电话：{rows} 个客户", ct);

        return new CustomerExportResult(rows, FileName(request, clock), ContentType(request));
    }

    public static string FileName(CustomerExportRequest request, TimeProvider clock) =>
        $"客户_{clock.GetLocalNow():yyyyMMdd_HHmm}.{(request.Format == ExportFormat.Xlsx ? "xlsx" : "csv")}";

    public static string ContentType(CustomerExportRequest request) => request.Format == ExportFormat.Xlsx
        ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        : request.Gbk ? "text/csv; charset=gb18030" : "text/csv; charset=utf-8";

    /// <summary>The query and columns: the saved view's, with the request's own values on top.</summary>
    private async Task<(CustomerListQuery Query, List<string> Columns, string? ViewName)> ResolveAsync(CustomerExportRequest request, CancellationToken ct)
    {
        CustomerViewDefinition? def = null;
        string? viewName = null;
        if (!string.IsNullOrWhiteSpace(request.View))
        {
            var actor = await current.RequireAsync();
            var key = request.View.Trim();
            var candidates = (await views.ListAsync(ct)).Where(v => v.Name == key || v.Id.ToString() == key).ToList();
            // Own view first, then a shared one of the same name.
            var view = candidates.FirstOrDefault(v => v.OwnerUserId == actor.UserId) ?? candidates.FirstOrDefault()
                ?? throw new NotFoundException($"视图“{key}”不存在");
            def = SavedViewService.Read(view);
            viewName = view.Name;
        }
        var query = new CustomerListQuery
        {
            Q = string.IsNullOrWhiteSpace(request.Q) ? def?.Q : request.Q,
            Filters = [.. def?.Filters ?? [], .. request.Filters],
            Sort = string.IsNullOrWhiteSpace(request.Sort) ? def?.Sort : request.Sort,
        };
        var columns = request.Columns is { Count: > 0 } cols ? cols : def?.Columns is { Count: > 0 } vc ? vc : [.. CustomerColumns.DefaultColumns];
        return (query, columns, viewName);
    }

    private enum Source { Column, CustomField, Phones, SensitiveField, Combined }

    /// <summary>One file column: where its value comes from (<see cref="Slot"/> indexes the selected row values).</summary>
    private sealed record ExportColumn(string Key, string Header, ColumnKind Kind, Source Source, int Slot, CustomFieldDefinition? Field = null);

    // The row values every export selects after the columns' own: what phones, sensitive fields and 组合标签 need.
    private const int IdSlot = 0, SealedSlot = 1, IndustrySlot = 2, TierSlot = 3, StageSlot = 4, TypeSlot = 5;

    private static (List<ExportColumn> Columns, List<System.Linq.Expressions.LambdaExpression> Selectors) ExportColumns(
        IEnumerable<string> keys, CustomerStream stream)
    {
        var selectors = new List<System.Linq.Expressions.LambdaExpression>
        {
            Sel(c => c.Id), Sel(c => c.SensitiveData), Sel(c => c.Industry), Sel(c => c.ValueTier), Sel(c => c.Stage), Sel(c => c.Type),
        };
        var fields = stream.CustomFields.ToDictionary(d => "cf." + d.Key, StringComparer.Ordinal);
        var errors = new ValidationErrors();
        var list = new List<ExportColumn>();
        foreach (var key in keys.Append(PhonesColumn).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (key.Equals(PhonesColumn, StringComparison.OrdinalIgnoreCase))
                list.Add(new ExportColumn(PhonesColumn, PhonesLabel, ColumnKind.Text, Source.Phones, SealedSlot));
            else if (key.Equals(CustomerColumns.CombinedLabel, StringComparison.OrdinalIgnoreCase))
                list.Add(new ExportColumn(CustomerColumns.CombinedLabel, "组合标签", ColumnKind.Text, Source.Combined, IndustrySlot));
            else if (fields.TryGetValue(key, out var d) && d.Sensitive && d.Type == CustomFieldType.Text)
                list.Add(new ExportColumn(key, d.Label, ColumnKind.Text, Source.SensitiveField, SealedSlot, d));
            else if (stream.Columns.TryGetValue(key, out var col))
            {
                // The column's own expression (a property, or the custom field's JSON path): the database reads it.
                selectors.Add(col.Selector);
                list.Add(new ExportColumn(col.Key, col.Label, col.Kind, col.Key.StartsWith("cf.", StringComparison.Ordinal) ? Source.CustomField : Source.Column,
                    selectors.Count - 1, fields.GetValueOrDefault(col.Key)));
            }
            else errors.Add("columns", $"未知的列“{key}”");
        }
        errors.ThrowIfAny();
        // Headers must be unique for the importer (a custom field may share a built-in's label).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return (list.Select(c => seen.Add(c.Header) ? c : c with { Header = $"{c.Header}（{c.Key}）" }).ToList(), selectors);
    }

    private static System.Linq.Expressions.LambdaExpression Sel<T>(System.Linq.Expressions.Expression<Func<Customer, T>> e) => e;

    private object?[] Cells(object?[] values, List<ExportColumn> columns, bool plain)
    {
        var cells = new object?[columns.Count];
        Customer? opened = null;
        Customer Opened()
        {
            if (opened is not null) return opened;
            // The same decryption as EF's materialisation (ADR 0012), for just this row's sealed column.
            opened = new Customer { Id = (Guid)values[IdSlot]!, SensitiveData = (string?)values[SealedSlot] };
            sensitive.Open(opened);
            return opened;
        }
        for (var i = 0; i < columns.Count; i++)
        {
            var col = columns[i];
            object? value = col.Source switch
            {
                Source.Phones => values[SealedSlot] is null ? null : Opened().Phones is { Count: > 0 } phones
                    ? string.Join(PhoneSeparator, phones.Select(p => plain ? p.Number : Masking.Phone(p.Number))) : null,
                Source.SensitiveField => values[SealedSlot] is null ? null
                    : Opened().SensitiveCustomFields.TryGetValue(col.Field!.Key, out var secret) ? plain ? secret : Masking.Text(secret) : null,
                Source.Combined => CustomerLabels.Combined((string?)values[IndustrySlot], (Level?)values[TierSlot],
                    (LifecycleStage)values[StageSlot]!, (CustomerType)values[TypeSlot]!),
                Source.CustomField => CustomValue(values[col.Slot], col.Field!),
                _ => Format(col, values[col.Slot]),
            };
            cells[i] = value is string s ? CellText.Neutralise(s) : value;
        }
        return cells;
    }

    private static object? Format(ExportColumn col, object? v) => v switch
    {
        null => null,
        string s when col.Kind == ColumnKind.Tags => string.Join(TagSeparator, s.Split('|', StringSplitOptions.RemoveEmptyEntries)),
        string s => s.Length == 0 ? null : s,
        Level l when col.Key == "valueTier" => ClassificationLabels.ValueTier(l),
        Enum e => ClassificationLabels.Of(e),
        long fen when col.Kind == ColumnKind.Money => fen / 100m,
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        DateTime t => DateTime.SpecifyKind(t, DateTimeKind.Utc).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
        bool b => b ? "是" : "否",
        _ => v,
    };

    /// <summary>A custom field's value as the JSON path read it (numbers as double, the rest as text).</summary>
    private static object? CustomValue(object? v, CustomFieldDefinition d)
    {
        switch (v)
        {
            case null: return null;
            case double n when d.Type == CustomFieldType.Money: return (decimal)n / 100m;
            case double n: return n;
            case string s when d.Type == CustomFieldType.Boolean: return s is "true" or "1" ? "是" : s is "false" or "0" ? "否" : s;
            case string s when s.StartsWith('['):
                try { return string.Join(TagSeparator, Data.JsonStorage.Deserialize<List<string>>(s) ?? []); }
                catch (System.Text.Json.JsonException) { return s; }
            case string s: return s.Length == 0 ? null : s;
            default: return Format(new ExportColumn(d.Key, d.Label, ColumnKind.Text, Source.CustomField, 0), v);
        }
    }

    private static void WriteXlsx(Stream sink, List<ExportColumn> columns, IEnumerable<object?[]> rows)
    {
        var headers = columns.Select(c => c.Header).ToArray();
        IEnumerable<IDictionary<string, object?>> Dicts()
        {
            var any = false;
            foreach (var row in rows)
            {
                any = true;
                var d = new Dictionary<string, object?>(headers.Length, StringComparer.Ordinal);
                for (var i = 0; i < headers.Length; i++) d[headers[i]] = row[i];
                yield return d;
            }
            // An empty export still carries the header row (MiniExcel takes headers from the first row).
            if (!any) yield return headers.ToDictionary(h => h, _ => (object?)null, StringComparer.Ordinal);
        }
        sink.SaveAs(Dicts(), sheetName: "客户", excelType: ExcelType.XLSX);
    }

    private static void WriteCsv(Stream sink, List<ExportColumn> columns, IEnumerable<object?[]> rows, bool gbk)
    {
        var encoding = gbk ? Encoding.GetEncoding("GB18030") : new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
        using var writer = new StreamWriter(sink, encoding, 64 * 1024, leaveOpen: true);
        writer.WriteLine(string.Join(',', columns.Select(c => CellText.Csv(c.Header))));
        var line = new StringBuilder();
        foreach (var row in rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append(',');
                line.Append(row[i] switch
                {
                    null => "",
                    string s => CellText.Csv(s),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    var o => CellText.Csv(o.ToString()),
                });
            }
            writer.WriteLine(line);
        }
    }
}
