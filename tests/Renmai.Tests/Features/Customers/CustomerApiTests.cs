using System.Net;
using System.Text.Json.Nodes;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Customers;

/// <summary>The customer REST API end to end, run once on SQLite and once on PostgreSQL.</summary>
public abstract class CustomerApiTests(TestDatabase database) : IAsyncLifetime
{
    protected TestApp App { get; private set; } = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(database);
        _admin = await App.ClientAsync(Roles.Admin, "admin@example.com");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    private async Task<JsonObject> CreateAsync(object body, HttpClient? client = null)
    {
        var response = await (client ?? _admin).PostJsonAsync("/api/v1/customers", body);
        var json = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return json;
    }

    private async Task<int> TotalAsync(string query = "")
    {
        var list = await (await _admin.GetAsync("/api/v1/customers?pageSize=1" + query)).ReadObjectAsync();
        return list["total"]!.GetValue<int>();
    }

    [Fact]
    public async Task Requests_without_a_token_are_refused()
    {
        var response = await App.AnonymousClient().GetAsync("/api/v1/customers");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var bad = App.AnonymousClient();
        bad.DefaultRequestHeaders.Authorization = new("Bearer", "rm_not-a-real-token");
        Assert.Equal(HttpStatusCode.Unauthorized, (await bad.GetAsync("/api/v1/customers")).StatusCode);
    }

    [Fact]
    public async Task Creates_a_company_customer_with_contacts_and_reads_it_back_by_number()
    {
        var created = await CreateAsync(Samples.Company());
        var number = created["number"].S();
        Assert.Matches("^KH[0-9]{6}$", number);
        Assert.Equal("company", created["kind"].S());
        // Phones come back masked (ADR 0013); the reveal endpoint returns them in full.
        Assert.Equal("138****5678", created["phones"]![0]!["number"].S());
        Assert.Equal("010-****6666", created["phones"]![1]!["number"].S());
        Assert.Equal("制造业-意向客户", created["combinedLabel"].S());

        foreach (var (name, title, role, phone) in new[] { ("张伟", "总经理", "keyDecisionMaker", "13900001111"), ("李娜", "采购经理", "influencer", "13900002222") })
        {
            var r = await _admin.PostJsonAsync($"/api/v1/customers/{number}/contacts",
                new { name, title, role, phones = new[] { new { kind = "mobile", number = phone } } });
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        var get = await _admin.GetAsync($"/api/v1/customers/{number}");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("\"1\"", get.Headers.ETag?.Tag);
        var customer = await get.ReadObjectAsync();
        Assert.Equal("北京华夏科技有限公司", customer["name"].S());
        Assert.Equal("A", customer["intent"].S());
        Assert.Equal(["展会", "重点跟进"], customer["tags"]!.AsArray().Select(t => t.S()));
        Assert.Equal(5_000_000_000L, customer["annualRevenueFen"]!.GetValue<long>());

        var contacts = await (await _admin.GetAsync($"/api/v1/customers/{number}/contacts")).ReadArrayAsync();
        Assert.Equal(2, contacts.Count);
        Assert.Contains(contacts, c => c!["name"].S() == "张伟" && c["role"].S() == "keyDecisionMaker");

        // Lower-case numbers address the same customer.
        Assert.Equal(HttpStatusCode.OK, (await _admin.GetAsync($"/api/v1/customers/{number.ToLowerInvariant()}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync("/api/v1/customers/KH999999")).StatusCode);
    }

    [Fact]
    public async Task Invalid_input_is_rejected_field_by_field_and_nothing_is_saved()
    {
        var before = await TotalAsync();
        var response = await _admin.PostJsonAsync("/api/v1/customers", new
        {
            kind = "company",
            name = "",
            uscc = "91110108MA01ABCD1X",
            email = "not-an-email",
            phones = new[] { new { kind = "mobile", number = "1381234" } },
            budgetMinFen = 500, budgetMaxFen = 100,
        });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadObjectAsync();
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("公司名称", errors["name"]![0].S());
        Assert.Contains("校验位", errors["uscc"]![0].S());
        Assert.Contains("邮箱", errors["email"]![0].S());
        Assert.Contains("1381234", errors["phones[0].number"]![0].S());
        Assert.Contains("上限", errors["budgetMaxFen"]![0].S());
        Assert.Equal(before, await TotalAsync());

        var badEnum = await _admin.PostJsonAsync("/api/v1/customers", new { kind = "company", name = "某公司", intent = "Z" });
        Assert.Equal(HttpStatusCode.BadRequest, badEnum.StatusCode);
        var badEnumProblem = await badEnum.ReadObjectAsync();
        Assert.True(badEnumProblem["errors"]?.AsObject().ContainsKey("intent") == true, badEnumProblem.ToJsonString());
        Assert.Equal(before, await TotalAsync());
    }

    [Fact]
    public async Task Numbers_are_unique_and_sequential_under_concurrent_creation()
    {
        var tasks = Enumerable.Range(0, 24).Select(i => CreateAsync(Samples.Person("并发客户" + i)));
        var created = await Task.WhenAll(tasks);
        var numbers = created.Select(c => c["number"].S()).ToList();
        Assert.Equal(24, numbers.Distinct().Count());
        var values = numbers.Select(n => int.Parse(n[2..], System.Globalization.CultureInfo.InvariantCulture)).Order().ToList();
        Assert.Equal(Enumerable.Range(values[0], 24), values);
    }

    [Fact]
    public async Task Lists_filter_sort_and_page_through_allowlisted_columns_only()
    {
        await CreateAsync(Samples.Company("上海东方贸易有限公司", "批发零售", Samples.Uscc("91310000MA1FL0001")));
        await CreateAsync(Samples.Company("深圳市鑫源电子股份有限公司", "制造业", Samples.Uscc("91440300MA5DC0002")));
        await CreateAsync(Samples.Company("杭州绿洲制造有限公司", "制造业", Samples.Uscc("91330100MA2AB0003")));
        await CreateAsync(Samples.Person("王芳"));

        var byIndustry = await (await _admin.GetAsync("/api/v1/customers?industry=制造业&sort=name")).ReadObjectAsync();
        Assert.Equal(2, byIndustry["total"]!.GetValue<int>());
        var names = byIndustry["items"]!.AsArray().Select(i => i!["name"].S()).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);

        var combined = await (await _admin.GetAsync("/api/v1/customers?kind=company&filter=name:contains:鑫源&intent=A,B")).ReadObjectAsync();
        Assert.Equal("深圳市鑫源电子股份有限公司", Assert.Single(combined["items"]!.AsArray())!["name"].S());

        var staff = await (await _admin.GetAsync("/api/v1/customers?filter=staffCount:gte:300&filter=stage:eq:intention")).ReadObjectAsync();
        Assert.Equal(3, staff["total"]!.GetValue<int>());

        var page2 = await (await _admin.GetAsync("/api/v1/customers?sort=-createdAt&page=2&pageSize=3")).ReadObjectAsync();
        Assert.Equal(4, page2["total"]!.GetValue<int>());
        Assert.Equal("上海东方贸易有限公司", Assert.Single(page2["items"]!.AsArray())!["name"].S());

        var search = await (await _admin.GetAsync("/api/v1/customers?q=东方")).ReadObjectAsync();
        Assert.Equal(1, search["total"]!.GetValue<int>());

        // Anything outside the allowlist is a 400, never SQL.
        foreach (var bad in new[] { "sort=name;DROP TABLE Customers", "sort=CustomFieldsJson", "nosuchfield=1", "filter=name:like:%", "filter=staffCount:gt:abc", "pageSize=100000", "intent=Z" })
        {
            var r = await _admin.GetAsync("/api/v1/customers?" + bad);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, bad + " → " + r.StatusCode);
        }
        Assert.Equal(4, await TotalAsync());
    }

    [Fact]
    public async Task Patch_needs_the_current_version_and_refuses_a_stale_one_with_412()
    {
        var number = (await CreateAsync(Samples.Company()))["number"].S();
        var url = $"/api/v1/customers/{number}";

        var noVersion = await _admin.PatchJsonAsync(url, new { region = "华东" });
        Assert.Equal((HttpStatusCode)428, noVersion.StatusCode);

        var first = await _admin.PatchJsonAsync(url, new { region = "华东", intent = "B" }, ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("\"2\"", first.Headers.ETag?.Tag);
        var updated = await first.ReadObjectAsync();
        Assert.Equal("华东", updated["region"].S());
        Assert.Equal("北京华夏科技有限公司", updated["name"].S()); // untouched fields stay

        // A second writer who read version 1 is refused and sees the current values.
        var stale = await _admin.PatchJsonAsync(url, new { region = "西南" }, ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        var problem = await stale.ReadObjectAsync();
        Assert.Equal("华东", problem["current"]!["region"].S());
        Assert.Equal(2, problem["current"]!["version"]!.GetValue<int>());

        var viaBody = await _admin.PatchJsonAsync(url, new { region = "西南", version = 2 });
        Assert.Equal(HttpStatusCode.OK, viaBody.StatusCode);

        var invalid = await _admin.PatchJsonAsync(url, new { email = "坏邮箱" }, ifMatch: "\"3\"");
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        Assert.Equal("西南", (await (await _admin.GetAsync(url)).ReadObjectAsync())["region"].S());
    }

    [Fact]
    public async Task History_records_who_changed_what_from_where()
    {
        var number = (await CreateAsync(Samples.Company()))["number"].S();
        await _admin.PatchJsonAsync($"/api/v1/customers/{number}", new { industry = "信息技术", tags = new[] { "VIP" } }, "\"1\"");
        var history = await (await _admin.GetAsync($"/api/v1/customers/{number}/history")).ReadArrayAsync();
        Assert.Contains(history, h => h!["action"].S() == "created");
        var industry = history.Single(h => h!["field"]?.GetValue<string>() == "Industry")!;
        Assert.Equal("制造业", industry["oldValue"].S());
        Assert.Equal("信息技术", industry["newValue"].S());
        Assert.Equal("api", industry["source"].S());
        Assert.Equal("王管理", industry["userName"].S());
        Assert.Contains(history, h => h!["field"]?.GetValue<string>() == "TagsText" && h["newValue"].S() == "|VIP|");
    }

    [Fact]
    public async Task Deleted_customers_go_to_the_recycle_bin_and_can_be_restored()
    {
        var number = (await CreateAsync(Samples.Company()))["number"].S();
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.GetAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Equal(0, await TotalAsync());

        var bin = await (await _admin.GetAsync("/api/v1/recycle-bin/customers")).ReadObjectAsync();
        Assert.Equal(number, Assert.Single(bin["items"]!.AsArray())!["number"].S());

        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync($"/api/v1/customers/{number}/restore", null)).StatusCode);
        Assert.Equal(1, await TotalAsync());
        var history = await (await _admin.GetAsync($"/api/v1/customers/{number}/history")).ReadArrayAsync();
        Assert.Contains(history, h => h!["action"].S() == "deleted");
        Assert.Contains(history, h => h!["action"].S() == "restored");
    }

    [Fact]
    public async Task Custom_fields_validate_store_filter_and_sort()
    {
        async Task<string> Define(object body)
        {
            var r = await _admin.PostJsonAsync("/api/v1/custom-fields", body);
            var json = await r.ReadObjectAsync();
            Assert.True(r.StatusCode == HttpStatusCode.Created, json.ToJsonString());
            return json["key"].S();
        }
        var level = await Define(new { label = "客户等级", type = "singleSelect", options = new[] { "金牌", "银牌", "铜牌" }, required = true });
        var orders = await Define(new { label = "年订单数", type = "number" });
        var deposit = await Define(new { label = "保证金", type = "money" });
        var visit = await Define(new { label = "首次拜访", type = "date" });
        var channels = await Define(new { label = "渠道", type = "multiSelect", options = new[] { "天猫", "京东", "线下门店" } });
        var vip = await Define(new { label = "是否签约", type = "boolean" });

        var missing = await _admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "缺字段" });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("必填", (await missing.ReadObjectAsync())["errors"]![$"customFields.{level}"]![0].S());

        var wrong = await _admin.PostJsonAsync("/api/v1/customers", new
        {
            kind = "individual", name = "错值",
            customFields = new Dictionary<string, object> { [level] = "钻石", [orders] = "很多", [visit] = "2026/13/01", [channels] = new[] { "拼多多" }, ["cf999"] = 1 },
        });
        var wrongErrors = (await wrong.ReadObjectAsync())["errors"]!.AsObject();
        Assert.Equal(5, wrongErrors.Count);

        JsonObject Values(string l, int n, long fen, string date, string[] ch, bool v) => new()
        {
            [level] = l, [orders] = n, [deposit] = fen, [visit] = date, [channels] = new JsonArray(ch.Select(c => (JsonNode)c!).ToArray()), [vip] = v,
        };
        var gold = await CreateAsync(new { kind = "company", name = "金牌客户", customFields = Values("金牌", 120, 1_000_000, "2026-03-01", ["天猫", "京东"], true) });
        await CreateAsync(new { kind = "company", name = "银牌客户", customFields = Values("银牌", 30, 50_000, "2025-11-20", ["线下门店"], false) });
        Assert.Equal(120, gold["customFields"]![orders]!.GetValue<int>());

        var byLevel = await (await _admin.GetAsync($"/api/v1/customers?cf.{level}=金牌")).ReadObjectAsync();
        Assert.Equal("金牌客户", Assert.Single(byLevel["items"]!.AsArray())!["name"].S());
        var byNumber = await (await _admin.GetAsync($"/api/v1/customers?filter=cf.{orders}:gt:50")).ReadObjectAsync();
        Assert.Equal("金牌客户", Assert.Single(byNumber["items"]!.AsArray())!["name"].S());
        var byDate = await (await _admin.GetAsync($"/api/v1/customers?filter=cf.{visit}:lt:2026-01-01")).ReadObjectAsync();
        Assert.Equal("银牌客户", Assert.Single(byDate["items"]!.AsArray())!["name"].S());
        var sorted = await (await _admin.GetAsync($"/api/v1/customers?sort=-cf.{orders}")).ReadObjectAsync();
        Assert.Equal("金牌客户", sorted["items"]![0]!["name"].S());

        // Changing one custom field is recorded as that field.
        var number = gold["number"].S();
        var patched = await _admin.PatchJsonAsync($"/api/v1/customers/{number}", new { customFields = new Dictionary<string, object> { [orders] = 150 } }, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var history = await (await _admin.GetAsync($"/api/v1/customers/{number}/history")).ReadArrayAsync();
        var change = history.Single(h => h!["field"]?.GetValue<string>() == $"cf.{orders}")!;
        Assert.Equal("120", change["oldValue"].S());
        Assert.Equal("150", change["newValue"].S());
    }

    [Fact]
    public async Task A_rep_cannot_read_count_or_change_another_reps_customer()
    {
        var repA = await App.ClientAsync(Roles.Rep, "rep-a@example.com");
        var repB = await App.ClientAsync(Roles.Rep, "rep-b@example.com");
        var number = (await CreateAsync(Samples.Company(), repA))["number"].S();

        Assert.Equal(HttpStatusCode.OK, (await repA.GetAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.GetAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.GetAsync($"/api/v1/customers/{number}/history")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.GetAsync($"/api/v1/customers/{number}/contacts")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.PatchJsonAsync($"/api/v1/customers/{number}", new { name = "改名" }, "\"1\"")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.DeleteAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await repB.PostJsonAsync($"/api/v1/customers/{number}/contacts", new { name = "潜入者" })).StatusCode);
        var listB = await (await repB.GetAsync("/api/v1/customers?industry=制造业")).ReadObjectAsync();
        Assert.Equal(0, listB["total"]!.GetValue<int>());
        var listA = await (await repA.GetAsync("/api/v1/customers")).ReadObjectAsync();
        Assert.Equal(1, listA["total"]!.GetValue<int>());
        Assert.Equal(1, await TotalAsync()); // the admin sees everything
    }

    [Fact]
    public async Task A_read_only_token_can_read_but_not_write()
    {
        await App.AddUserAsync("auditor@example.com", Roles.Admin);
        var reader = await App.ClientForAsync("auditor@example.com", readOnly: true);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/api/v1/customers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostJsonAsync("/api/v1/customers", Samples.Person())).StatusCode);
        Assert.Equal(0, await TotalAsync());
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_customer_endpoints()
    {
        var doc = await (await App.AnonymousClient().GetAsync("/openapi/v1.json")).ReadObjectAsync();
        var paths = doc["paths"]!.AsObject();
        Assert.True(paths.ContainsKey("/api/v1/customers"));
        Assert.True(paths.ContainsKey("/api/v1/customers/{number}"));
        Assert.True(paths.ContainsKey("/api/v1/customers/{number}/contacts"));
        Assert.True(paths.ContainsKey("/api/v1/custom-fields"));
        Assert.NotNull(paths["/api/v1/customers/{number}"]!["patch"]);
        Assert.All(paths, p => Assert.StartsWith("/api/v1/", p.Key, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await App.AnonymousClient().GetAsync("/health")).StatusCode);
    }
}

public sealed class CustomerApiTestsOnSqlite() : CustomerApiTests(TestDatabase.Sqlite);

public sealed class CustomerApiTestsOnPostgres() : CustomerApiTests(TestDatabase.Postgres);
