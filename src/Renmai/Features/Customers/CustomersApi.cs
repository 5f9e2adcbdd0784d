using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Renmai.Data;
using Renmai.Features.Contacts;
using Renmai.Features.CustomFields;
using Renmai.Features.Users;

namespace Renmai.Features.Customers;

/// <summary>REST endpoints for customers, their contacts and custom-field definitions under /api/v1.</summary>
public static class CustomersApi
{
    public static RouteGroupBuilder MapCustomersApi(this RouteGroupBuilder api)
    {
        var customers = api.MapGroup("/customers").WithTags("Customers");
        customers.MapGet("/", List).WithName("ListCustomers")
            .WithSummary("List customers: q, filters (field=value or filter=field:op:value), sort (a column, -column for descending, or relevance: best matches of q first), page, pageSize");
        customers.MapPost("/", Create).WithName("CreateCustomer").RequireAuthorization(UsersSetup.ApiWritePolicy);
        customers.MapGet("/{number}", Get).WithName("GetCustomer");
        customers.MapPatch("/{number}", Patch).WithName("PatchCustomer").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("JSON merge patch (RFC 7386). Send If-Match: \"version\" (or \"version\" in the body).");
        customers.MapDelete("/{number}", Delete).WithName("DeleteCustomer").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Moves the customer to the recycle bin.");
        customers.MapPost("/{number}/restore", Restore).WithName("RestoreCustomer").RequireAuthorization(UsersSetup.ApiWritePolicy);
        customers.MapGet("/{number}/history", History).WithName("CustomerHistory");
        customers.MapPut("/{number}/owner", async (string number, OwnerChange body, CustomerService s, CancellationToken ct) =>
                TypedResults.Ok(await s.AssignOwnerAsync(number, body.OwnerId, ct)))
            .WithName("AssignCustomerOwner").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Gives the customer to another user (ownerId null: to the pool). Admins: anyone; managers: within their teams.");
        customers.MapPost("/{number}/reveal", Reveal).WithName("RevealCustomer")
            .WithSummary("Returns the plaintext phones, ID number and bank account (and contacts' phones). Audited; not for auditors.");
        api.MapGet("/recycle-bin/customers", RecycleBin).WithName("ListDeletedCustomers").WithTags("Customers");

        customers.MapGet("/{number}/contacts", ListContacts).WithName("ListContacts").WithTags("Contacts");
        customers.MapPost("/{number}/contacts", AddContact).WithName("AddContact").WithTags("Contacts").RequireAuthorization(UsersSetup.ApiWritePolicy);
        customers.MapPut("/{number}/contacts/{id:guid}", UpdateContact).WithName("UpdateContact").WithTags("Contacts").RequireAuthorization(UsersSetup.ApiWritePolicy);
        customers.MapDelete("/{number}/contacts/{id:guid}", DeleteContact).WithName("DeleteContact").WithTags("Contacts").RequireAuthorization(UsersSetup.ApiWritePolicy);

        var fields = api.MapGroup("/custom-fields").WithTags("Custom fields");
        fields.MapGet("/", async (CustomFieldService s, CancellationToken ct) => TypedResults.Ok(await s.ListAsync(ct))).WithName("ListCustomFields");
        fields.MapPost("/", async (CustomFieldInput input, CustomFieldService s, CancellationToken ct) =>
        {
            var def = await s.CreateAsync(input, ct);
            return TypedResults.Created($"/api/v1/custom-fields/{def.Key}", def);
        }).WithName("CreateCustomField").RequireAuthorization(UsersSetup.ApiWritePolicy);
        fields.MapPut("/{key}", async (string key, CustomFieldInput input, CustomFieldService s, CancellationToken ct) =>
            TypedResults.Ok(await s.UpdateAsync(key, input, ct))).WithName("UpdateCustomField").RequireAuthorization(UsersSetup.ApiWritePolicy);
        fields.MapDelete("/{key}", async (string key, CustomFieldService s, CancellationToken ct) =>
        {
            await s.DeleteAsync(key, ct);
            return TypedResults.NoContent();
        }).WithName("DeleteCustomField").RequireAuthorization(UsersSetup.ApiWritePolicy);

        api.MapGet("/customer-columns", async (CustomFieldService s, CancellationToken ct) =>
            TypedResults.Ok(CustomerColumns.All(await s.ListAsync(ct), postgres: false)
                .Select(c => new { c.Key, c.Label, kind = c.Kind.ToString(), ops = c.Ops.Select(o => o.ToString()) })))
            .WithName("ListCustomerColumns").WithTags("Customers");
        return api;
    }

    public sealed record OwnerChange(Guid? OwnerId);

    private static readonly HashSet<string> NonFilterParams = ["q", "sort", "page", "pageSize", "filter"];

    private static async Task<Ok<PagedResult<CustomerForm>>> List(HttpRequest request, CustomerService service, CancellationToken ct,
        string? q = null, string? sort = null, int page = 1, int pageSize = 50)
    {
        var query = new CustomerListQuery { Q = q, Sort = sort, Page = page, PageSize = pageSize, Filters = Filters(request, NonFilterParams) };
        return TypedResults.Ok(await service.ListAsync(query, ct));
    }

    /// <summary>The list's filters from the query string: ?industry=制造业, ?intent=A,B, filter=field:op:value.</summary>
    internal static List<CustomerFilter> Filters(HttpRequest request, IReadOnlySet<string> nonFilterParams)
    {
        var filters = new List<CustomerFilter>();
        foreach (var (key, values) in request.Query)
        {
            if (nonFilterParams.Contains(key)) continue;
            // ?industry=制造业  ?intent=A,B  (several values mean "any of")
            foreach (var v in values)
                filters.Add(new CustomerFilter(key, v?.Contains(',', StringComparison.Ordinal) == true ? FilterOp.In : FilterOp.Eq, v));
        }
        foreach (var f in request.Query["filter"])
        {
            // filter=field:op:value, e.g. filter=name:contains:科技  filter=staffCount:gte:100
            var parts = (f ?? "").Split(':', 3);
            if (parts.Length < 2 || !Enum.TryParse<FilterOp>(parts[1], ignoreCase: true, out var op))
            {
                var e = new ValidationErrors();
                e.Add("filter", $"筛选条件“{f}”格式应为 字段:操作:值");
                throw new ValidationFailedException(e);
            }
            filters.Add(new CustomerFilter(parts[0], op, parts.Length > 2 ? parts[2] : null));
        }
        return filters;
    }

    private static async Task<Ok<CustomerForm>> Get(string number, HttpResponse response, CustomerService service, CancellationToken ct)
    {
        var customer = await service.GetAsync(number, ct);
        response.Headers.ETag = ETag(customer.Version);
        return TypedResults.Ok(customer);
    }

    private static async Task<Created<CustomerForm>> Create(CustomerForm form, HttpResponse response, CustomerService service, CancellationToken ct)
    {
        var created = await service.CreateAsync(form, ct);
        response.Headers.ETag = ETag(created.Version);
        return TypedResults.Created($"/api/v1/customers/{created.Number}", created);
    }

    private static async Task<Ok<CustomerForm>> Patch(string number, [FromBody] JsonObject patch, HttpRequest request, HttpResponse response,
        CustomerService service, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken ct)
    {
        var current = await service.GetAsync(number, ct);
        var expected = ExpectedVersion(request, patch);
        var merged = JsonSerializer.SerializeToNode(current, json.Value.SerializerOptions)!.AsObject();
        MergePatch(merged, patch);
        CustomerForm form;
        try { form = merged.Deserialize<CustomerForm>(json.Value.SerializerOptions)!; }
        catch (JsonException ex)
        {
            var e = new ValidationErrors();
            e.Add(ex.Path?.TrimStart('$', '.') is { Length: > 0 } p ? p : "body", "值的格式不正确");
            throw new ValidationFailedException(e);
        }
        var updated = await service.UpdateAsync(number, form, expected, ct);
        response.Headers.ETag = ETag(updated.Version);
        return TypedResults.Ok(updated);
    }

    private static async Task<NoContent> Delete(string number, HttpRequest request, CustomerService service, CancellationToken ct)
    {
        int? expected = request.Headers.IfMatch.Count > 0 ? ParseETag(request.Headers.IfMatch.ToString()) : null;
        await service.DeleteAsync(number, expected, ct);
        return TypedResults.NoContent();
    }

    private static async Task<Ok<CustomerForm>> Restore(string number, CustomerService service, CancellationToken ct) =>
        TypedResults.Ok(await service.RestoreAsync(number, ct));

    private static async Task<Ok<List<ChangeRecord>>> History(string number, CustomerService service, CancellationToken ct) =>
        TypedResults.Ok(await service.HistoryAsync(number, ct: ct));

    private static async Task<Ok<Privacy.RevealedValues>> Reveal(string number, CustomerService service, CancellationToken ct, string? field = null) =>
        TypedResults.Ok(await service.RevealAsync(number, field, ct));

    private static async Task<Ok<PagedResult<CustomerForm>>> RecycleBin(CustomerService service, CancellationToken ct, int page = 1, int pageSize = 50) =>
        TypedResults.Ok(await service.DeletedAsync(page, Math.Clamp(pageSize, 1, CustomerListQuery.MaxPageSize), ct));

    private static async Task<Ok<List<ContactForm>>> ListContacts(string number, ContactService s, CancellationToken ct) =>
        TypedResults.Ok(await s.ListAsync(number, ct));

    private static async Task<Created<ContactForm>> AddContact(string number, ContactForm form, ContactService s, CancellationToken ct)
    {
        var c = await s.AddAsync(number, form, ct);
        return TypedResults.Created($"/api/v1/customers/{number}/contacts/{c.Id}", c);
    }

    private static async Task<Ok<ContactForm>> UpdateContact(string number, Guid id, ContactForm form, ContactService s, CancellationToken ct) =>
        TypedResults.Ok(await s.UpdateAsync(number, id, form, ct));

    private static async Task<NoContent> DeleteContact(string number, Guid id, ContactService s, CancellationToken ct)
    {
        await s.DeleteAsync(number, id, ct);
        return TypedResults.NoContent();
    }

    private static string ETag(int version) => "\"" + version.ToString(CultureInfo.InvariantCulture) + "\"";

    private static int? ParseETag(string value)
    {
        var v = value.Trim();
        if (v.StartsWith("W/", StringComparison.Ordinal)) v = v[2..];
        return int.TryParse(v.Trim('"'), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }

    /// <summary>If-Match wins; a "version" in the body is accepted too. Neither: 428, so no blind overwrite.</summary>
    private static int ExpectedVersion(HttpRequest request, JsonObject patch)
    {
        if (request.Headers.IfMatch.Count > 0)
            return ParseETag(request.Headers.IfMatch.ToString()) ?? throw new PreconditionRequiredException("If-Match 的值无效");
        if (patch["version"] is JsonValue v && v.TryGetValue<int>(out var n)) return n;
        throw new PreconditionRequiredException("修改客户需要 If-Match 请求头（GET 返回的 ETag）或请求体中的 version");
    }

    /// <summary>RFC 7386: null removes, objects merge recursively, anything else replaces.</summary>
    internal static void MergePatch(JsonObject target, JsonObject patch)
    {
        foreach (var (key, value) in patch.ToList())
        {
            var name = target.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase)) ?? key;
            if (value is null) target[name] = null;
            else if (value is JsonObject obj && target[name] is JsonObject existing) MergePatch(existing, obj);
            else target[name] = value.DeepClone();
        }
    }
}

public sealed class PreconditionRequiredException(string message) : Exception(message);
