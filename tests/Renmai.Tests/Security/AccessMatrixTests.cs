using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;
using Xunit.Abstractions;

namespace Renmai.Tests.Security;

/// <summary>
/// The access matrix (R12.1): every API operation of the OpenAPI document — so a new endpoint is
/// covered without touching this test — called by every role whose scope excludes a rep's customer.
/// Nothing may return that customer's data, count it, or change it.
/// </summary>
public abstract class AccessMatrixTests(TestDatabase database, ITestOutputHelper output) : IAsyncLifetime
{
    private const string SecretName = "矩阵测试专用客户甲有限公司";
    private const string SecretEmail = "juzhen-secret@example.com";
    private const string SecretContact = "欧阳秘密";
    private TestApp _app = null!;
    private string _number = "", _deletedNumber = "", _contactId = "";

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database);
        await _app.AddUserAsync("admin@example.com", Roles.Admin, "王管理");
        await _app.AddUserAsync("owner@example.com", Roles.Rep, "张伟");
        var colleague = await _app.AddUserAsync("colleague@example.com", Roles.Rep, "李娜");
        var manager = await _app.AddUserAsync("manager@example.com", Roles.Manager, "赵经理");
        // The manager leads a team, just not the owner's: the team path of the scope is exercised.
        await _app.AsSystemAsync(sp => sp.GetRequiredService<TeamService>().SaveAsync(null, "别的团队", manager.Id, [colleague.Id]));

        var owner = await _app.ClientForAsync("owner@example.com");
        var created = await (await owner.PostJsonAsync("/api/v1/customers", new { kind = "company", name = SecretName, email = SecretEmail }))
            .ReadObjectAsync();
        _number = created["number"].S();
        var contact = await (await owner.PostJsonAsync($"/api/v1/customers/{_number}/contacts", new { name = SecretContact }))
            .ReadObjectAsync();
        _contactId = contact["id"].S();
        var deleted = await (await owner.PostJsonAsync("/api/v1/customers", new { kind = "company", name = SecretName + "（已删）" }))
            .ReadObjectAsync();
        _deletedNumber = deleted["number"].S();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.DeleteAsync($"/api/v1/customers/{_deletedNumber}")).StatusCode);
        await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<Renmai.Features.CustomFields.CustomFieldService>()
            .CreateAsync(new Renmai.Features.CustomFields.CustomFieldInput { Label = "采购周期", Type = Renmai.Features.CustomFields.CustomFieldType.Text }));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private sealed record Operation(string Method, string Path);

    private async Task<List<Operation>> OperationsAsync()
    {
        var doc = JsonNode.Parse(await _app.AnonymousClient().GetStringAsync("/openapi/v1.json"))!;
        return doc["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(m => new Operation(m.Key.ToUpperInvariant(), p.Key)))
            .ToList();
    }

    [Fact]
    public async Task No_role_reads_counts_or_changes_a_customer_outside_its_scope()
    {
        var operations = await OperationsAsync();
        Assert.True(operations.Count >= 15, $"only {operations.Count} operations in the OpenAPI document");
        var key = (await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<Renmai.Features.CustomFields.CustomFieldService>().ListAsync())).Single().Key;
        var poolId = (await _app.AsUserAsync("admin@example.com", sp => sp.GetRequiredService<Renmai.Features.Pool.PoolService>().ListAsync()))
            .Single(p => p.Pool.IsDefault).Pool.Id;
        var before = await SnapshotAsync();

        // Roles whose scope excludes the owner's customer, and the auditor (sees all, writes nothing).
        var callers = new Dictionary<string, HttpClient>
        {
            ["rep"] = await _app.ClientForAsync("colleague@example.com"),
            ["manager"] = await _app.ClientForAsync("manager@example.com"),
            ["service"] = await _app.ClientAsync(Roles.Service),
            ["auditor"] = await _app.ClientAsync(Roles.Auditor),
        };
        var checkedCells = 0;
        var failures = new List<string>();
        foreach (var (role, client) in callers)
        {
            foreach (var op in operations)
            {
                var isWrite = op.Method != "GET";
                if (role == "auditor" && !isWrite) continue; // the auditor may read everything
                var path = op.Path.Replace("{number}", op.Path.Contains("/restore", StringComparison.Ordinal) ? _deletedNumber : _number, StringComparison.Ordinal)
                    .Replace("{id}", _contactId, StringComparison.Ordinal).Replace("{key}", key, StringComparison.Ordinal)
                    .Replace("{poolId}", poolId.ToString(), StringComparison.Ordinal);
                if (path.Contains('{', StringComparison.Ordinal)) { failures.Add($"{op.Method} {op.Path}: unknown path parameter — teach this test its value"); continue; }
                // In the path or, for pool actions, in the body: the request names the protected customer.
                var aboutTheRecord = op.Path.Contains("{number}", StringComparison.Ordinal)
                    || (isWrite && op.Path.StartsWith("/api/v1/pools/", StringComparison.Ordinal));
                if (!path.StartsWith("/api/", StringComparison.Ordinal)) continue;
                if (!aboutTheRecord && !isWrite && path.Contains("/customers", StringComparison.Ordinal)) path += "?q=" + Uri.EscapeDataString("矩阵测试") + "&pageSize=500";

                using var request = new HttpRequestMessage(new HttpMethod(op.Method), path);
                if (isWrite)
                {
                    request.Content = new StringContent(WriteBody(op.Path), Encoding.UTF8, "application/json");
                    request.Headers.TryAddWithoutValidation("If-Match", "\"1\"");
                }
                using var response = await client.SendAsync(request);
                var mediaType = response.Content.Headers.ContentType?.MediaType;
                // A spreadsheet (the customer export) is a zip: search its cells, not its compressed bytes.
                var body = mediaType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                    ? SpreadsheetText(await response.Content.ReadAsByteArrayAsync())
                    : await response.Content.ReadAsStringAsync();
                checkedCells++;
                var status = (int)response.StatusCode;
                if (body.Contains(SecretName, StringComparison.Ordinal) || body.Contains(SecretEmail, StringComparison.Ordinal)
                    || body.Contains(SecretContact, StringComparison.Ordinal))
                    failures.Add($"{role} {op.Method} {path}: {status} returns the customer's data");
                if (aboutTheRecord && status is not (403 or 404))
                    failures.Add($"{role} {op.Method} {path}: {status}, expected 403 or 404");
                if (role == "auditor" && status is not (403 or 404))
                    failures.Add($"auditor {op.Method} {path}: {status}, expected 403 (read-only)");
                // Files (the import template, exports) are not JSON; only JSON lists carry a total.
                if (!aboutTheRecord && !isWrite && status == 200 && mediaType == "application/json" && JsonNode.Parse(body) is JsonObject { } list && list["total"] is { } total
                    && path.Contains("?q=", StringComparison.Ordinal) && total.GetValue<int>() != 0)
                    failures.Add($"{role} {op.Method} {path}: counts {total} hidden customers");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(before, await SnapshotAsync());
        // The figure for the closing note: operations × roles actually called.
        output.WriteLine($"access matrix: {operations.Count} operations, {callers.Count} roles, {checkedCells} calls checked");
        Assert.True(checkedCells >= operations.Count * 3);
    }

    private static string SpreadsheetText(byte[] xlsx) =>
        string.Join("\n", MiniExcelLibs.MiniExcel.Query(new MemoryStream(xlsx), excelType: MiniExcelLibs.ExcelType.XLSX)
            .Cast<IDictionary<string, object?>>().SelectMany(r => r.Values).Select(v => v?.ToString()));

    /// <summary>A plausible body, so a write is refused for scope and not for being empty.</summary>
    private string WriteBody(string path) => path switch
    {
        _ when path.StartsWith("/api/v1/pools/", StringComparison.Ordinal) => JsonSerializer.Serialize(new { number = _number, userId = Guid.Empty }),
        _ when path.EndsWith("/owner", StringComparison.Ordinal) => JsonSerializer.Serialize(new { ownerId = (Guid?)null }),
        _ when path.Contains("/contacts", StringComparison.Ordinal) => JsonSerializer.Serialize(new { name = "王五", title = "经理" }),
        _ when path.Contains("custom-fields", StringComparison.Ordinal) => JsonSerializer.Serialize(new { label = "越权字段", type = "text" }),
        _ => JsonSerializer.Serialize(new { kind = "company", name = "越权改名有限公司", version = 1 }),
    };

    /// <summary>Everything about the two protected customers and their contacts, to prove nothing changed.</summary>
    private Task<string> SnapshotAsync() => _app.WithDbAsync(async db =>
    {
        var customers = await db.Set<Customer>().IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.Number == _number || c.Number == _deletedNumber).OrderBy(c => c.Number)
            .Select(c => new { c.Number, c.Name, c.Email, c.OwnerId, c.Version, c.DeletedAt }).ToListAsync();
        var contacts = await db.Set<Renmai.Features.Contacts.Contact>().IgnoreQueryFilters().AsNoTracking().OrderBy(c => c.Id)
            .Select(c => new { c.Name, c.Title, c.DeletedAt }).ToListAsync();
        return JsonSerializer.Serialize(new { customers, contacts });
    });
}

public sealed class AccessMatrixTestsOnSqlite(ITestOutputHelper output) : AccessMatrixTests(TestDatabase.Sqlite, output);

public sealed class AccessMatrixTestsOnPostgres(ITestOutputHelper output) : AccessMatrixTests(TestDatabase.Postgres, output);
