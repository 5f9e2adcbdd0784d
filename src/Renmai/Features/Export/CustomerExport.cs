using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
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
    IHttpContextAccessor http, TimeProvider clock)
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
        var columns = ExportColumns(columnKeys, stream.CustomFields);
        var plain = request.PlainPhones;
        var rows = 0;
        IEnumerable<object?[]> Rows()
        {
            foreach (var c in stream.Rows)
            {
                ct.ThrowIfCancellationRequested();
                rows++;
                yield return Cells(c, columns, plain);
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

    private sealed record ExportColumn(string Key, string Header, ColumnKind Kind, Func<Customer, object?>? Read, CustomFieldDefinition? Field);

    private static List<ExportColumn> ExportColumns(IEnumerable<string> keys, IReadOnlyList<CustomFieldDefinition> defs)
    {
        var builtIn = CustomerColumns.BuiltIn.ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase);
        var fields = defs.ToDictionary(d => "cf." + d.Key, StringComparer.Ordinal);
        var errors = new ValidationErrors();
        var list = new List<ExportColumn>();
        foreach (var key in keys.Append(PhonesColumn).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (builtIn.TryGetValue(key, out var col))
            {
                // Built-in selectors are plain property reads: compiled once, run per row.
                var sel = col.Selector;
                var read = System.Linq.Expressions.Expression.Lambda<Func<Customer, object?>>(
                    System.Linq.Expressions.Expression.Convert(sel.Body, typeof(object)), sel.Parameters).Compile();
                list.Add(new ExportColumn(col.Key, col.Label, col.Kind, read, null));
            }
            else if (fields.TryGetValue(key, out var d))
            {
                var kind = d.Type switch
                {
                    CustomFieldType.Money => ColumnKind.Money, CustomFieldType.Number => ColumnKind.Number,
                    CustomFieldType.Date => ColumnKind.Date, CustomFieldType.Boolean => ColumnKind.Boolean, _ => ColumnKind.Text,
                };
                list.Add(new ExportColumn(key, d.Label, kind, null, d));
            }
            else if (key.Equals(CustomerColumns.CombinedLabel, StringComparison.OrdinalIgnoreCase))
                list.Add(new ExportColumn(CustomerColumns.CombinedLabel, "组合标签", ColumnKind.Text,
                    c => CustomerLabels.Combined(c.Industry, c.ValueTier, c.Stage, c.Type), null));
            else if (key.Equals(PhonesColumn, StringComparison.OrdinalIgnoreCase))
                list.Add(new ExportColumn(PhonesColumn, PhonesLabel, ColumnKind.Text, null, null));
            else errors.Add("columns", $"未知的列“{key}”");
        }
        errors.ThrowIfAny();
        // Headers must be unique for the importer (a custom field may share a built-in's label).
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return list.Select(c => seen.Add(c.Header) ? c : c with { Header = $"{c.Header}（{c.Key}）" }).ToList();
    }

    private static object?[] Cells(Customer c, List<ExportColumn> columns, bool plainPhones)
    {
        var cells = new object?[columns.Count];
        JsonObject? custom = null;
        for (var i = 0; i < columns.Count; i++)
        {
            var col = columns[i];
            object? value;
            if (col.Key == PhonesColumn)
                value = c.Phones.Count == 0 ? null : string.Join(PhoneSeparator, c.Phones.Select(p => plainPhones ? p.Number : Masking.Phone(p.Number)));
            else if (col.Field is { } d)
            {
                if (c.SensitiveCustomFields.TryGetValue(d.Key, out var secret)) value = plainPhones ? secret : Masking.Text(secret);
                else
                {
                    custom ??= JsonNode.Parse(c.CustomFieldsJson) as JsonObject;
                    value = CustomValue(custom?[d.Key], d);
                }
            }
            else value = Format(col, col.Read!(c));
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

    private static object? CustomValue(JsonNode? node, CustomFieldDefinition d)
    {
        if (node is null) return null;
        if (node is JsonArray list) return string.Join(TagSeparator, list.Select(x => x?.ToString()));
        if (node is not JsonValue value) return node.ToJsonString();
        return d.Type switch
        {
            CustomFieldType.Money when value.TryGetValue<long>(out var fen) => fen / 100m,
            CustomFieldType.Number when value.TryGetValue<double>(out var n) => n,
            CustomFieldType.Boolean when value.TryGetValue<bool>(out var b) => b ? "是" : "否",
            _ => value.ToString(),
        };
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
