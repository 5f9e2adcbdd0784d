using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Export;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Export;

/// <summary>R10.2: a customer view to xlsx/csv, streamed, within the user's scope, neutralised, audited.</summary>
public abstract class ExportTests(TestDatabase database) : IAsyncLifetime
{
    private const string Admin = "admin@example.com";
    private const string Zhang = "zhang@example.com";
    private const string Li = "li@example.com";
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database);
        await _app.AddUserAsync(Admin, Roles.Admin, "王管理");
        await _app.AddUserAsync(Zhang, Roles.Rep, "张伟");
        await _app.AddUserAsync(Li, Roles.Rep, "李娜");
        await CreateAsync(Zhang, new CustomerForm
        {
            Kind = CustomerKind.Company, Name = "上海浦江机电有限公司", Industry = "制造业", Type = CustomerType.Existing, Intent = IntentGrade.A,
            Stage = LifecycleStage.Repeat, ValueTier = Level.High, CreditLimitFen = 12_345_678, Tags = ["展会", "重点跟进"],
            Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = "13812345678" }], Uscc = Samples.Uscc(),
        });
        await CreateAsync(Zhang, new CustomerForm
        {
            Kind = CustomerKind.Individual, Name = "=HYPERLINK(\"http://evil.example\")", Industry = "-2+3", Type = CustomerType.Potential,
            BirthDate = new DateOnly(1985, 6, 18), Title = "@总经理",
        });
        await CreateAsync(Li, new CustomerForm { Kind = CustomerKind.Company, Name = "杭州西湖茶业有限公司", Industry = "农业", Type = CustomerType.Potential });
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<CustomerForm> CreateAsync(string email, CustomerForm form) =>
        _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerService>().CreateAsync(form));

    private async Task<(MemoryStream File, CustomerExportResult Result)> ExportAsync(string email, CustomerExportRequest request)
    {
        var file = new MemoryStream();
        var result = await _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerExportService>().ExportAsync(request, file));
        file.Position = 0;
        return (file, result);
    }

    private static List<IDictionary<string, object?>> ReadXlsx(Stream file) =>
        file.Query(useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();

    [Fact]
    public async Task Xlsx_has_chinese_headers_labels_yuan_dates_masked_phones_and_neutralised_cells()
    {
        var (file, result) = await ExportAsync(Admin, new CustomerExportRequest
        {
            Sort = "name",
            Columns = ["number", "name", "type", "intent", "stage", "valueTier", "industry", "tags", "creditLimitFen", "birthDate", "title", "combinedLabel"],
        });
        Assert.Equal(3, result.Rows);
        Assert.EndsWith(".xlsx", result.FileName, StringComparison.Ordinal);
        var rows = ReadXlsx(file);
        Assert.Equal(3, rows.Count);
        Assert.Equal(["客户编号", "客户名称", "客户类型", "意向度", "生命周期", "价值分层", "行业", "标签", "信用额度", "生日", "职务", "组合标签", "电话"], rows[0].Keys);

        var pujiang = rows.Single(r => (string?)r["客户名称"] == "上海浦江机电有限公司");
        Assert.Equal("现有客户", pujiang["客户类型"]);
        Assert.Equal("A级", pujiang["意向度"]);
        Assert.Equal("重复购买", pujiang["生命周期"]);
        Assert.Equal(ClassificationLabels.ValueTier(Level.High), pujiang["价值分层"]);
        Assert.Equal("展会、重点跟进", pujiang["标签"]);
        Assert.Equal(123456.78m, Convert.ToDecimal(pujiang["信用额度"], System.Globalization.CultureInfo.InvariantCulture));
        // Phones are masked unless asked for (and allowed); a mask always contains '*' (ADR 0022).
        Assert.Equal("138****5678", pujiang["电话"]);

        var evil = rows.Single(r => ((string?)r["客户名称"])?.Contains("HYPERLINK", StringComparison.Ordinal) == true);
        Assert.Equal("'=HYPERLINK(\"http://evil.example\")", evil["客户名称"]);
        Assert.Equal("'-2+3", evil["行业"]);
        Assert.Equal("'@总经理", evil["职务"]);
        Assert.Equal("1985-06-18", evil["生日"]);
        Assert.Equal("潜在客户", evil["客户类型"]);
    }

    [Fact]
    public async Task Custom_fields_export_as_labels_yuan_lists_and_masked_sensitive_values()
    {
        async Task<string> Field(CustomFieldInput input) =>
            (await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<CustomFieldService>().CreateAsync(input))).Key;
        var budget = await Field(new CustomFieldInput { Label = "年度预算", Type = CustomFieldType.Money });
        var channels = await Field(new CustomFieldInput { Label = "渠道", Type = CustomFieldType.MultiSelect, Options = ["线上", "门店"] });
        var vip = await Field(new CustomFieldInput { Label = "是否VIP", Type = CustomFieldType.Boolean });
        var wechat = await Field(new CustomFieldInput { Label = "私人微信", Type = CustomFieldType.Text, Sensitive = true });
        var form = new CustomerForm { Kind = CustomerKind.Company, Name = "苏州园林设计有限公司" };
        form.CustomFields[budget] = System.Text.Json.Nodes.JsonNode.Parse("1234500");
        form.CustomFields[vip] = System.Text.Json.Nodes.JsonNode.Parse("true");
        form.CustomFields[channels] = new System.Text.Json.Nodes.JsonArray("线上", "门店");

        form.CustomFields[wechat] = "suzhou_yuanlin_2026";
        await CreateAsync(Admin, form);

        var columns = new List<string> { "name", "cf." + budget, "cf." + channels, "cf." + vip, "cf." + wechat };
        var (file, _) = await ExportAsync(Admin, new CustomerExportRequest { Q = "苏州园林", Columns = columns });
        var row = ReadXlsx(file).Single();
        Assert.Equal(12345m, Convert.ToDecimal(row["年度预算"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("线上、门店", row["渠道"]);
        Assert.Equal("是", row["是否VIP"]);
        Assert.Equal("s****26", row["私人微信"]);
        (file, _) = await ExportAsync(Admin, new CustomerExportRequest { Q = "苏州园林", Columns = columns, PlainPhones = true });
        Assert.Equal("suzhou_yuanlin_2026", ReadXlsx(file).Single()["私人微信"]);
    }

    [Fact]
    public async Task Csv_is_utf8_with_bom_or_gbk_and_neutralised()
    {
        var (file, result) = await ExportAsync(Admin, new CustomerExportRequest { Format = ExportFormat.Csv, Sort = "name", Columns = ["name", "industry"] });
        Assert.Equal(3, result.Rows);
        var bytes = file.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries)
            .Concat([]).SelectMany(l => l.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal("客户名称,行业,电话", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\",'-2+3,", lines);
        Assert.Contains("上海浦江机电有限公司,制造业,138****5678", lines);

        // MiniExcel reads our csv back with the same headers.
        file.Position = 0;
        var read = file.Query(useHeaderRow: true, excelType: ExcelType.CSV).Cast<IDictionary<string, object?>>().ToList();
        Assert.Contains(read, r => (string?)r["客户名称"] == "杭州西湖茶业有限公司" && (string?)r["行业"] == "农业");

        var (gbkFile, _) = await ExportAsync(Admin, new CustomerExportRequest { Format = ExportFormat.Csv, Gbk = true, Columns = ["name"] });
        var gbk = gbkFile.ToArray();
        Assert.NotEqual(0xEF, gbk[0]);
        Assert.Contains("杭州西湖茶业有限公司", Encoding.GetEncoding("GB18030").GetString(gbk), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rep_exports_only_own_customers_by_service_and_api()
    {
        var (file, result) = await ExportAsync(Li, new CustomerExportRequest { Columns = ["name"] });
        Assert.Equal(1, result.Rows);
        Assert.Equal(["杭州西湖茶业有限公司"], ReadXlsx(file).Select(r => (string?)r["客户名称"]));

        // A filter cannot widen the scope: the other rep's customer is simply not there.
        (file, result) = await ExportAsync(Li, new CustomerExportRequest { Q = "浦江", Columns = ["name"] });
        Assert.Equal(0, result.Rows);

        using var client = await _app.ClientForAsync(Li);
        var response = await client.GetAsync("/api/v1/customers/export?format=csv&columns=name,industry&industry=制造业");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());
        Assert.DoesNotContain("浦江", text, StringComparison.Ordinal);
        Assert.StartsWith("\uFEFF客户名称,行业,电话", text, StringComparison.Ordinal);

        using var admin = await _app.ClientForAsync(Admin);
        response = await admin.GetAsync("/api/v1/customers/export?format=xlsx&industry=制造业&columns=name,industry");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(".xlsx", response.Content.Headers.ContentDisposition?.FileNameStar, StringComparison.Ordinal);
        var rows = ReadXlsx(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        Assert.Equal(["上海浦江机电有限公司"], rows.Select(r => (string?)r["客户名称"]));
    }

    [Fact]
    public async Task Bad_parameters_get_a_chinese_error_and_no_file()
    {
        using var admin = await _app.ClientForAsync(Admin);
        var response = await admin.GetAsync("/api/v1/customers/export?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("导出格式应为 xlsx 或 csv", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        response = await admin.GetAsync("/api/v1/customers/export?columns=name,nosuch");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("未知的列“nosuch”", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        response = await admin.GetAsync("/api/v1/customers/export?filter=staffCount:gte:很多");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(0, await _app.WithDbAsync(db => db.Set<AuditEvent>().CountAsync(e => e.Action == AuditActions.CustomersExported)));
    }

    [Fact]
    public async Task Export_is_audited_and_plain_phones_are_for_admins_and_managers_only()
    {
        await ExportAsync(Zhang, new CustomerExportRequest { Format = ExportFormat.Csv, Q = "浦江", Filters = [new CustomerFilter("industry", FilterOp.Eq, "制造业")] });
        var e = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(a => a.Action == AuditActions.CustomersExported));
        Assert.Equal("张伟", e.UserName);
        Assert.StartsWith("1 条；csv；搜索 浦江；筛选 industry:Eq:制造业", e.Detail, StringComparison.Ordinal);
        Assert.Contains("电话已掩码", e.Detail, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ForbiddenException>(() => ExportAsync(Zhang, new CustomerExportRequest { PlainPhones = true }));

        var (file, _) = await ExportAsync(Admin, new CustomerExportRequest { PlainPhones = true, Q = "浦江", Columns = ["name"] });
        Assert.Equal("13812345678", ReadXlsx(file).Single()["电话"]?.ToString());
        var reveal = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(a => a.Action == AuditActions.SensitiveRevealed));
        Assert.Equal("批量导出明文电话：1 个客户", reveal.Detail);
    }

    [Fact]
    public async Task A_saved_view_gives_filters_sort_and_columns()
    {
        await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<SavedViewService>().SaveAsync("潜在客户清单", new CustomerViewDefinition
        {
            Filters = [new CustomerFilter("type", FilterOp.Eq, "potential")], Sort = "-name", Columns = ["name", "type"],
        }, shared: true));
        var (file, result) = await ExportAsync(Admin, new CustomerExportRequest { View = "潜在客户清单" });
        Assert.Equal(2, result.Rows);
        var rows = ReadXlsx(file);
        Assert.Equal(["客户名称", "客户类型", "电话"], rows[0].Keys);
        Assert.All(rows, r => Assert.Equal("潜在客户", r["客户类型"]));
        await Assert.ThrowsAsync<NotFoundException>(() => ExportAsync(Admin, new CustomerExportRequest { View = "没有这个视图" }));
        var audit = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(a => a.Action == AuditActions.CustomersExported));
        Assert.Contains("视图 潜在客户清单", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_export_still_has_the_header_row()
    {
        var (file, result) = await ExportAsync(Admin, new CustomerExportRequest { Q = "没有匹配的客户", Columns = ["number", "name"] });
        Assert.Equal(0, result.Rows);
        var header = file.Query(useHeaderRow: false, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().First();
        Assert.Equal(["客户编号", "客户名称", "电话"], header.Values.Select(v => v?.ToString()));
    }
}

public sealed class ExportTestsOnSqlite() : ExportTests(TestDatabase.Sqlite);

public sealed class ExportTestsOnPostgres() : ExportTests(TestDatabase.Postgres);
