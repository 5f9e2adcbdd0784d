using Renmai.Features.Customers;

namespace Renmai.Features.Export;

/// <summary>GET /api/v1/customers/export: the customer table (a view, or the list's own parameters) as a file.</summary>
public static class ExportApi
{
    private static readonly HashSet<string> NonFilterParams =
        ["q", "sort", "page", "pageSize", "filter", "format", "view", "columns", "encoding", "phones"];

    public static RouteGroupBuilder MapExportApi(this RouteGroupBuilder api)
    {
        api.MapGet("/customers/export", Export).WithName("ExportCustomers").WithTags("Customers")
            .Produces(StatusCodes.Status200OK, contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", additionalContentTypes: "text/csv")
            .WithSummary("Exports every customer of a view or query within your scope: format=xlsx|csv, encoding=utf8|gbk (csv), " +
                "view=NAME|ID, q, sort, columns=a,b,cf.x, the list's filters (field=value, filter=field:op:value), " +
                "phones=masked|plain (plain: admins and managers; audited). Headers are the Chinese column labels.");
        return api;
    }

    private static async Task Export(HttpContext context, CustomerExportService service, TimeProvider clock, CancellationToken ct,
        string? format = null, string? view = null, string? q = null, string? sort = null, string? columns = null,
        string? encoding = null, string? phones = null)
    {
        var e = new ValidationErrors();
        var parsed = CustomerExportRequest.ParseFormat(format);
        if (parsed is null) e.Add("format", "导出格式应为 xlsx 或 csv");
        var gbk = encoding?.Trim().ToLowerInvariant() switch
        {
            null or "" or "utf8" or "utf-8" => false,
            "gbk" or "gb18030" => true,
            _ => (bool?)null,
        };
        if (gbk is null) e.Add("encoding", "编码应为 utf8 或 gbk");
        var plain = phones?.Trim().ToLowerInvariant() switch { null or "" or "masked" => false, "plain" => true, _ => (bool?)null };
        if (plain is null) e.Add("phones", "phones 应为 masked 或 plain");
        e.ThrowIfAny();
        var request = new CustomerExportRequest
        {
            Format = parsed!.Value, Gbk = gbk!.Value, View = view, Q = q, Sort = sort, PlainPhones = plain!.Value,
            Filters = CustomersApi.Filters(context.Request, NonFilterParams),
            Columns = string.IsNullOrWhiteSpace(columns) ? null : [.. columns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)],
        };
        var response = context.Response;
        // Headers first: the body is written as the rows come (nothing is sent before the query is validated).
        response.ContentType = CustomerExportService.ContentType(request);
        response.Headers.ContentDisposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue("attachment")
        {
            FileNameStar = CustomerExportService.FileName(request, clock),
        }.ToString();
        await service.ExportAsync(request, response.Body, ct);
    }
}
