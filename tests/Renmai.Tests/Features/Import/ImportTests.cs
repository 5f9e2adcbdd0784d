using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Contacts;
using Renmai.Features.Import;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Import;

/// <summary>
/// Import end to end through the API (upload, mapping, preview, job, status, error file, cancel, undo) with
/// real files: GBK/UTF-16/UTF-8 csv, xlsx from LibreOffice and from MiniExcel, and broken files.
/// </summary>
public abstract class ImportTests(TestDatabase database) : IAsyncLifetime
{
    protected TestApp App { get; private set; } = null!;
    private HttpClient _admin = null!;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "renmai-import-" + Guid.NewGuid().ToString("N")[..8]);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        App = await TestApp.StartAsync(database);
        _admin = await App.ClientAsync(Roles.Admin, "admin@example.com");
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    private static readonly Encoding Gbk = Encoding.GetEncoding("GB18030");

    private static string Csv(params string[][] rows) => string.Join("\r\n", rows.Select(r => string.Join(",", r))) + "\r\n";

    private static async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(HttpClient client, byte[] content, string fileName, string? encoding = null)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        if (encoding is not null) form.Add(new StringContent(encoding), "encoding");
        var response = await client.PostAsync("/api/v1/imports", form);
        return (response.StatusCode, await response.ReadObjectAsync());
    }

    /// <summary>Uploads, starts with the proposed mapping (or a changed one) and waits for the job to finish.</summary>
    private async Task<JsonObject> ImportAsync(HttpClient client, byte[] content, string fileName, string mode = "create", string key = "phone",
        string duplicates = "skip", Action<JsonObject>? editMapping = null, object? owner = null)
    {
        var (status, draft) = await UploadAsync(client, content, fileName);
        Assert.True(status == HttpStatusCode.Created, draft.ToJsonString());
        var mapping = draft["mapping"]!.AsObject();
        editMapping?.Invoke(mapping);
        var options = new JsonObject { ["mode"] = mode, ["key"] = key, ["duplicates"] = duplicates, ["mapping"] = mapping.DeepClone() };
        if (owner is not null) foreach (var (k, v) in JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(owner))!.AsObject()) options[k] = v?.DeepClone();
        var start = await client.PostJsonAsync($"/api/v1/imports/{draft["id"].S()}/start", new JsonObject { ["options"] = options });
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync() + " draft: " + draft.ToJsonString());
        return await WaitAsync(client, draft["id"].S());
    }

    private static async Task<JsonObject> WaitAsync(HttpClient client, string id, int seconds = 90)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var job = await (await client.GetAsync($"/api/v1/imports/{id}")).ReadObjectAsync();
            if (job["status"].S() is "succeeded" or "failed" or "cancelled" or "undone") return job;
            Assert.True(watch.Elapsed.TotalSeconds < seconds, "import did not finish: " + job.ToJsonString());
            await Task.Delay(100);
        }
    }

    private Task<int> CountAsync() => App.WithDbAsync(db => db.Set<Customer>().CountAsync());

    private Task<Customer?> FindByNameAsync(string name) => App.WithDbAsync(async db =>
    {
        var c = await db.Set<Customer>().AsNoTracking().SingleOrDefaultAsync(x => x.Name == name);
        return c;
    });

    [Fact]
    public async Task A_gbk_csv_imports_its_valid_rows_and_reports_each_bad_row_with_line_and_column()
    {
        var csv = Csv(
            ["客户名称", "手机", "电子邮箱", "意向度", "生日", "统一社会信用代码"],
            ["北京华夏科技有限公司", "１３８００１３８０００", "a@huaxia.example.com", "A级", "", "91110108MA0123456" + Validators.UsccCheckChar("91110108MA0123456")],
            ["张伟", "13912345678", "zw@example.com", "B", "1985/3/12", ""],
            ["李娜", "1.38001E+10", "", "C级", "", ""],
            ["王芳", "12345", "不是邮箱", "Z级", "", ""],
            ["张伟（重复）", "13912345678", "", "", "", ""],
            ["=HYPERLINK(\"http://evil\")", "13700001111", "", "", "", "91110108MA012345X"]);
        var job = await ImportAsync(_admin, Gbk.GetBytes(csv), "客户.csv");
        Assert.Equal("succeeded", job["status"].S());
        Assert.Equal(2, job["created"]!.GetValue<int>());
        Assert.Equal(1, job["skipped"]!.GetValue<int>());
        Assert.Equal(3, job["failed"]!.GetValue<int>());
        Assert.True(job["hasErrorFile"]!.GetValue<bool>());

        var company = await FindByNameAsync("北京华夏科技有限公司");
        Assert.NotNull(company);
        Assert.Equal(CustomerKind.Company, company.Kind);
        Assert.Equal(ChangeSource.Import, company.UpdatedVia);
        var zhang = await FindByNameAsync("张伟");
        Assert.Equal(new DateOnly(1985, 3, 12), zhang!.BirthDate);
        // Phones are sealed and blind-indexed as on every other path: the full-width number was normalised.
        var form = await _admin.GetAsync($"/api/v1/customers/{company.Number}");
        Assert.Contains("138****8000", await form.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var indexed = await App.WithDbAsync(db => db.Set<Renmai.Features.Privacy.SensitiveIndexEntry>().CountAsync(x => x.CustomerId == company.Id));
        Assert.True(indexed >= 2);
        var history = await App.WithDbAsync(db => db.Set<ChangeRecord>().Where(r => r.CustomerId == company.Id).ToListAsync());
        var created = Assert.Single(history);
        Assert.Equal(ChangeSource.Import, created.Source);
        Assert.Contains("导入 客户.csv", created.UserName, StringComparison.Ordinal);

        var errors = await _admin.GetAsync($"/api/v1/imports/{job["id"].S()}/errors");
        Assert.Equal(HttpStatusCode.OK, errors.StatusCode);
        var rows = MiniExcel.Query(await errors.Content.ReadAsStreamAsync(), useHeaderRow: true, excelType: ExcelType.XLSX)
            .Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(4, rows.Count);
        Assert.Contains("科学计数法", rows.Single(r => r["行号"]?.ToString() == "4")["错误"]!.ToString(), StringComparison.Ordinal);
        var wang = rows.Single(r => r["行号"]?.ToString() == "5")["错误"]!.ToString()!;
        Assert.Contains("“意向度”列", wang, StringComparison.Ordinal);
        Assert.Contains("“电子邮箱”列", wang, StringComparison.Ordinal);
        Assert.Contains("“手机”列", wang, StringComparison.Ordinal);
        Assert.Contains("与文件第 3 行重复", rows.Single(r => r["行号"]?.ToString() == "6")["错误"]!.ToString(), StringComparison.Ordinal);
        // The original formula-like cell comes back neutralised, with the checksum error in the USCC column.
        var evil = rows.Single(r => r["行号"]?.ToString() == "7");
        Assert.StartsWith("'=", evil["客户名称"]!.ToString(), StringComparison.Ordinal);
        Assert.Contains("统一社会信用代码", evil["错误"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Utf16_utf8_bom_semicolon_and_tab_files_are_detected()
    {
        var rows = new[] { new[] { "公司名称", "联系电话", "邮箱" }, ["上海东方贸易有限公司", "13600001111", "sh@example.com"], ["深圳南方电子有限公司", "0755-88886666", ""] };
        var tab = string.Join("\n", rows.Select(r => string.Join("\t", r)));
        var semi = string.Join("\n", rows.Select(r => string.Join(";", r)));
        var a = await ImportAsync(_admin, Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(tab)).ToArray(), "utf16.txt");
        Assert.Equal(2, a["created"]!.GetValue<int>());
        var (_, draft) = await UploadAsync(_admin, Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(semi.Replace("上海", "杭州", StringComparison.Ordinal))).ToArray(), "bom.csv");
        Assert.Contains("UTF-8", draft["description"].S(), StringComparison.Ordinal);
        Assert.Contains("分号", draft["description"].S(), StringComparison.Ordinal);
        Assert.Equal("name", draft["mapping"]!["0"].S());
        Assert.Equal("mobile", draft["mapping"]!["1"].S());
        Assert.NotNull(await FindByNameAsync("深圳南方电子有限公司"));
        var landline = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Name == "深圳南方电子有限公司"));
        Assert.Equal("075588886666", Assert.Single(landline.Phones).Number);
    }

    [Fact]
    public async Task Xlsx_from_libreoffice_and_from_miniexcel_import_with_dates_and_numeric_phones()
    {
        // LibreOffice turns the csv's phone column into numbers and the birthday into a date cell.
        var csv = Csv(["客户名称", "手机", "生日", "员工人数", "客户类型"],
            ["广州珠江物流有限公司", "13512345678", "1990-05-06", "35", "现有客户"],
            ["陈静", "13698765432", "1979-12-01", "", "潜在客户"]);
        var csvPath = Path.Combine(_dir, "libre.csv");
        await File.WriteAllTextAsync(csvPath, csv, new UTF8Encoding(false));
        var soffice = Process.Start(new ProcessStartInfo("soffice", $"--headless --norestore -env:UserInstallation=file://{_dir}/lo --infilter=CSV:44,34,76,1 --convert-to xlsx --outdir {_dir} {csvPath}")
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        await soffice.WaitForExitAsync();
        var xlsx = Path.Combine(_dir, "libre.xlsx");
        Assert.True(File.Exists(xlsx), "LibreOffice did not convert: " + await soffice.StandardError.ReadToEndAsync());
        var job = await ImportAsync(_admin, await File.ReadAllBytesAsync(xlsx), "libre.xlsx");
        Assert.Equal(2, job["created"]!.GetValue<int>());
        var chen = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Name == "陈静"));
        Assert.Equal("13698765432", chen.Phones[0].Number);
        Assert.Equal(new DateOnly(1979, 12, 1), chen.BirthDate);
        Assert.Equal(CustomerKind.Individual, chen.Kind);
        var gz = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Name == "广州珠江物流有限公司"));
        Assert.Equal(35, gz.StaffCount);

        // MiniExcel (the exporter's library): numbers as doubles, the exporter's own column labels.
        var path = Path.Combine(_dir, "mini.xlsx");
        MiniExcel.SaveAs(path, new[]
        {
            new Dictionary<string, object?> { ["客户名称"] = "成都天府茶业有限公司", ["手机"] = 13811112222d, ["意向度"] = "A级", ["生命周期"] = "意向", ["标签"] = "茶叶,西南" },
        });
        var mini = await ImportAsync(_admin, await File.ReadAllBytesAsync(path), "mini.xlsx");
        Assert.Equal(1, mini["created"]!.GetValue<int>());
        var tea = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Name == "成都天府茶业有限公司"));
        Assert.Equal("13811112222", tea.Phones[0].Number);
        Assert.Equal(["茶叶", "西南"], tea.Tags);
    }

    [Fact]
    public async Task Broken_files_get_a_clear_error_and_change_nothing()
    {
        await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机"], ["已有客户有限公司", "13900000001"])), "seed.csv");
        var before = await CountAsync();

        // Truncated xlsx.
        var good = Path.Combine(_dir, "good.xlsx");
        MiniExcel.SaveAs(good, Enumerable.Range(0, 200).Select(i => new Dictionary<string, object?> { ["客户名称"] = $"截断测试{i}有限公司", ["手机"] = $"1390000{i:D4}" }));
        var bytes = await File.ReadAllBytesAsync(good);
        var (s1, b1) = await UploadAsync(_admin, bytes[..(bytes.Length / 2)], "truncated.xlsx");
        Assert.Equal(HttpStatusCode.BadRequest, s1);
        Assert.Contains("损坏", b1["detail"].S(), StringComparison.Ordinal);

        // A zip bomb: a sheet part of 300 MB of spaces, compressed to a few hundred KB.
        var bomb = Path.Combine(_dir, "bomb.xlsx");
        using (var zip = ZipFile.Open(bomb, ZipArchiveMode.Create))
        {
            foreach (var e in new ZipArchive(new MemoryStream(bytes)).Entries.Where(e => e.FullName != "xl/worksheets/sheet1.xml"))
            {
                using var target = zip.CreateEntry(e.FullName).Open();
                using var source = e.Open();
                await source.CopyToAsync(target);
            }
            using var sheet = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).Open();
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)' ');
            for (var i = 0; i < 300; i++) await sheet.WriteAsync(chunk);
        }
        var (s2, b2) = await UploadAsync(_admin, await File.ReadAllBytesAsync(bomb), "bomb.xlsx");
        Assert.Equal(HttpStatusCode.BadRequest, s2);
        Assert.Contains("压缩炸弹", b2["detail"].S(), StringComparison.Ordinal);

        // Empty file, a header only, and columns that are not customers.
        var (s3, b3) = await UploadAsync(_admin, [], "empty.csv");
        Assert.Equal(HttpStatusCode.BadRequest, s3);
        Assert.Contains("空", b3["detail"].S(), StringComparison.Ordinal);
        var (s4, draft) = await UploadAsync(_admin, Encoding.UTF8.GetBytes(Csv(["订单号", "金额", "日期"], ["D001", "100", "2026-01-01"])), "orders.csv");
        Assert.Equal(HttpStatusCode.Created, s4);
        Assert.Empty(draft["mapping"]!.AsObject());
        var start = await _admin.PostJsonAsync($"/api/v1/imports/{draft["id"].S()}/start", new { options = new { mode = "create", key = "phone", mapping = new { } } });
        Assert.Equal(HttpStatusCode.BadRequest, start.StatusCode);
        Assert.Contains("找不到“客户名称”列", (await start.ReadObjectAsync())["detail"].S(), StringComparison.Ordinal);
        var (s5, b5) = await UploadAsync(_admin, Encoding.UTF8.GetBytes("客户名称,手机\r\n"), "header-only.csv");
        Assert.Equal(HttpStatusCode.Created, s5);
        var none = await _admin.PostJsonAsync($"/api/v1/imports/{b5["id"].S()}/preview", new { mode = "create", key = "phone", mapping = new Dictionary<string, string> { ["0"] = "name", ["1"] = "mobile" } });
        Assert.Equal(0, (await none.ReadObjectAsync())["rows"]!.GetValue<int>());
        var (s6, b6) = await UploadAsync(_admin, Encoding.UTF8.GetBytes("x"), "客户.xls");
        Assert.Equal(HttpStatusCode.BadRequest, s6);
        Assert.Contains(".xls", b6["detail"].S(), StringComparison.Ordinal);

        Assert.Equal(before, await CountAsync());
    }

    [Fact]
    public async Task Modes_keys_and_duplicates_against_the_database()
    {
        var uscc = "91310000MA1K" + "00001";
        uscc += Validators.UsccCheckChar(uscc[..17].PadRight(17, '0'));
        var unknownUscc = "91310000MA1K00002" + Validators.UsccCheckChar("91310000MA1K00002");
        await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "电子邮箱", "统一社会信用代码"],
            ["杭州西湖电子有限公司", "13700000001", "xh@example.com", ""], ["苏州园林设计有限公司", "13700000002", "sz@example.com", uscc])), "first.csv");
        Assert.Equal(2, await CountAsync());

        // update-only by 统一社会信用代码, typed in lower case: the known code updates its customer, an unknown one fails.
        var byUscc = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["统一社会信用代码", "备注"], [uscc.ToLowerInvariant(), "按信用代码更新"], [unknownUscc, "无此客户"])),
            "uscc.csv", mode: "update", key: "uscc");
        Assert.Equal(1, byUscc["updated"]!.GetValue<int>());
        Assert.Equal(1, byUscc["failed"]!.GetValue<int>());
        Assert.Equal("按信用代码更新", (await FindByNameAsync("苏州园林设计有限公司"))!.Notes);
        Assert.Contains(App.Services.GetRequiredService<ImportBoard>().Errors(Guid.Parse(byUscc["id"].S())),
            e => e.Message.Contains("未找到统一社会信用代码为“" + unknownUscc, StringComparison.Ordinal));

        // create + skip: the known phone is reported as a duplicate of the existing customer, the new one created.
        var skip = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机"], ["杭州西湖电子（新）", "137 0000 0001"], ["南京紫金软件有限公司", "13700000003"])), "again.csv");
        Assert.Equal(1, skip["created"]!.GetValue<int>());
        Assert.Equal(1, skip["skipped"]!.GetValue<int>());

        // update-only by email: changes the matched customer, a missing one is a row error, nothing is created.
        var update = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["邮箱", "意向度", "备注"],
            ["xh@example.com", "A级", "导入更新"], ["nobody@example.com", "B级", ""])), "update.csv", mode: "update", key: "email");
        Assert.Equal(1, update["updated"]!.GetValue<int>());
        Assert.Equal(1, update["failed"]!.GetValue<int>());
        Assert.Equal(3, await CountAsync());
        var xh = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Email == "xh@example.com"));
        Assert.Equal(Renmai.Features.Classification.IntentGrade.A, xh.Intent);
        Assert.Equal("导入更新", xh.Notes);
        Assert.Equal("杭州西湖电子有限公司", xh.Name);
        var lines = await App.WithDbAsync(db => db.Set<ChangeRecord>().Where(r => r.CustomerId == xh.Id && r.Action == ChangeAction.Updated).ToListAsync());
        Assert.All(lines, l => Assert.Equal(ChangeSource.Import, l.Source));
        Assert.Contains(lines, l => l.Field == "Intent");

        // upsert by customer number: the export's columns go back in and the same rows change nothing.
        var numbers = await App.WithDbAsync(db => db.Set<Customer>().OrderBy(c => c.Number).Select(c => new { c.Number, c.Name, c.Version }).ToListAsync());
        var upsert = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv([["客户编号", "客户名称"], .. numbers.Select(n => new[] { n.Number, n.Name })])), "export.csv", mode: "upsert", key: "number");
        Assert.Equal(numbers.Count, upsert["updated"]!.GetValue<int>());
        Assert.Equal(numbers, await App.WithDbAsync(db => db.Set<Customer>().OrderBy(c => c.Number).Select(c => new { c.Number, c.Name, c.Version }).ToListAsync()));

        // create anyway makes a second customer with the same phone.
        var anyway = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机"], ["苏州园林（分公司）", "13700000002"])), "dup.csv", duplicates: "createAnyway");
        Assert.Equal(1, anyway["created"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_repeated_key_in_the_file_updates_what_its_first_row_wrote_when_the_choice_is_update()
    {
        await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机"], ["宁波港城物流有限公司", "13600000009"])), "base.csv");
        // Row 2 creates 温州…, row 3 repeats its phone: with "update" it changes the new customer; row 4 repeats the
        // known phone of 宁波… twice over (database match, then an in-file repeat of that match).
        var result = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "意向度", "备注"],
            ["温州瓯江鞋业有限公司", "13600000001", "C级", "第一次"],
            ["温州瓯江鞋业有限公司", "13600000001", "A级", "第二次"],
            ["宁波港城物流有限公司", "13600000009", "B级", "库中已有"],
            ["宁波港城物流有限公司", "13600000009", "", "文件中再次出现"])), "repeat.csv", duplicates: "update");
        Assert.True(result["status"].S() == "succeeded", result.ToJsonString());
        Assert.Equal(1, result["created"]!.GetValue<int>());
        Assert.Equal(3, result["updated"]!.GetValue<int>());
        Assert.Equal(0, result["skipped"]!.GetValue<int>());
        Assert.Equal(2, await CountAsync());
        var wenzhou = await FindByNameAsync("温州瓯江鞋业有限公司");
        Assert.Equal(IntentGrade.A, wenzhou!.Intent);
        Assert.Equal("第二次", wenzhou.Notes);
        var ningbo = await FindByNameAsync("宁波港城物流有限公司");
        Assert.Equal(IntentGrade.B, ningbo!.Intent);
        Assert.Equal("文件中再次出现", ningbo.Notes);

        // With "skip" the repeat is reported and leaves the first row's customer as it was.
        var skip = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "备注"],
            ["台州椒江模具有限公司", "13600000002", "原样"], ["台州椒江模具有限公司", "13600000002", "不应写入"])), "skip.csv");
        Assert.Equal(1, skip["skipped"]!.GetValue<int>());
        Assert.Equal("原样", (await FindByNameAsync("台州椒江模具有限公司"))!.Notes);
    }

    [Fact]
    public async Task A_rep_cannot_update_another_reps_customer_by_matching_its_key()
    {
        var zhang = await App.ClientAsync(Roles.Rep, "zhang@example.com");
        var li = await App.ClientAsync(Roles.Rep, "li@example.com");
        await ImportAsync(zhang, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "备注"], ["张伟的客户有限公司", "13800000009", "原备注"])), "zhang.csv");
        var job = await ImportAsync(li, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "备注"], ["李娜改名有限公司", "13800000009", "被改了"])), "li.csv", mode: "update");
        Assert.Equal(0, job["updated"]!.GetValue<int>());
        Assert.Equal(1, job["failed"]!.GetValue<int>());
        var customer = await App.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Name == "张伟的客户有限公司"));
        Assert.Equal("原备注", customer.Notes);
        Assert.Equal(1, customer.Version);
        // The error file says "not found", never the other rep's customer.
        var errors = await (await li.GetAsync($"/api/v1/imports/{job["id"].S()}/errors")).Content.ReadAsByteArrayAsync();
        var row = MiniExcel.Query(new MemoryStream(errors), useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().Single();
        Assert.Contains("未找到", row["错误"]!.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(customer.Number, row["错误"]!.ToString(), StringComparison.Ordinal);
        // Each rep sees only their own jobs; imported customers belong to the importer.
        Assert.Equal(HttpStatusCode.NotFound, (await zhang.GetAsync($"/api/v1/imports/{job["id"].S()}")).StatusCode);
        Assert.Single(await (await zhang.GetAsync("/api/v1/imports")).ReadArrayAsync());
        var zhangId = await App.WithDbAsync(db => db.Users.Where(u => u.Email == "zhang@example.com").Select(u => u.Id).SingleAsync());
        Assert.Equal(zhangId, customer.OwnerId);
        // A rep may not import into the pool.
        var (_, draft) = await UploadAsync(li, Encoding.UTF8.GetBytes(Csv(["客户名称"], ["公海客户有限公司"])), "pool.csv");
        var start = await li.PostJsonAsync($"/api/v1/imports/{draft["id"].S()}/start", new { options = new { mode = "create", key = "nameCompany", owner = "pool", mapping = new Dictionary<string, string> { ["0"] = "name" } } });
        Assert.Equal(HttpStatusCode.Forbidden, start.StatusCode);
        Assert.Null(await FindByNameAsync("公海客户有限公司"));
    }

    [Fact]
    public async Task Undo_removes_created_customers_and_restores_updated_ones()
    {
        await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "备注"], ["重庆山城火锅有限公司", "13300000001", "原来的"])), "base.csv");
        var job = await ImportAsync(_admin, Encoding.UTF8.GetBytes(Csv(["客户名称", "手机", "备注"],
            ["重庆山城火锅有限公司", "13300000001", "改过的"], ["武汉长江航运有限公司", "13300000002", ""])), "upsert.csv", mode: "upsert");
        Assert.Equal(1, job["created"]!.GetValue<int>());
        Assert.Equal(1, job["updated"]!.GetValue<int>());
        Assert.Equal("改过的", (await FindByNameAsync("重庆山城火锅有限公司"))!.Notes);
        var undo = await (await _admin.PostAsync($"/api/v1/imports/{job["id"].S()}/undo", null)).ReadObjectAsync();
        Assert.Equal("undone", undo["status"].S());
        Assert.Equal("原来的", (await FindByNameAsync("重庆山城火锅有限公司"))!.Notes);
        Assert.Null(await FindByNameAsync("武汉长江航运有限公司"));
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.PostAsync($"/api/v1/imports/{job["id"].S()}/undo", null)).StatusCode);
    }

    [Fact]
    public async Task The_template_has_dropdowns_and_its_example_row_imports()
    {
        var response = await _admin.GetAsync("/api/v1/imports/template");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        using (var zip = new ZipArchive(new MemoryStream(bytes)))
        {
            using var reader = new StreamReader(zip.GetEntry("xl/worksheets/sheet1.xml")!.Open());
            var sheet = await reader.ReadToEndAsync();
            Assert.Contains("<dataValidation type=\"list\"", sheet, StringComparison.Ordinal);
            Assert.Contains("潜在客户,现有客户,合作伙伴", sheet, StringComparison.Ordinal);
            // The contact's decision role has its drop-down too.
            Assert.Contains("未设定,关键决策人,决策人,审批人,影响者,联系人,使用者,把关人", sheet, StringComparison.Ordinal);
        }
        var job = await ImportAsync(_admin, bytes, "客户导入模板.xlsx");
        Assert.Equal(1, job["created"]!.GetValue<int>());
        Assert.Equal(0, job["failed"]!.GetValue<int>());
        // The example company comes with its contact person.
        var contact = await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().SingleAsync());
        Assert.Equal(("王建国", "采购经理", "采购部", "13912345678", "wangjianguo_cg", new DateOnly(1980, 5, 20)),
            (contact.Name, contact.Title, contact.Department, contact.Phones.Single().Number, contact.WeChat, contact.BirthDate));
        Assert.Equal((Gender.Male, DecisionRole.KeyDecisionMaker), (contact.Gender, contact.Role));
    }

    [Fact]
    public void Export_labels_and_synonyms_map_automatically()
    {
        var labels = CustomerColumns.BuiltIn.Select(c => c.Label).ToList();
        var map = ImportFields.AutoMap(labels, ImportFields.BuiltIn);
        foreach (var c in CustomerColumns.BuiltIn.Where(c => c.Key is not ("createdAt" or "updatedAt" or "updatedBy")))
            Assert.True(map.ContainsValue(c.Key), $"export column {c.Label} ({c.Key}) does not map back");
        var synonyms = ImportFields.AutoMap(["姓名", "联系方式", "E-mail", "信用额度（元）", "Company Name"], ImportFields.BuiltIn);
        Assert.Equal("name", synonyms[0]);
        Assert.Equal("mobile", synonyms[1]);
        Assert.Equal("email", synonyms[2]);
        Assert.Equal("creditLimitFen", synonyms[3]);
        Assert.Equal("company", synonyms[4]); // a person's name and a company: the person is the customer, the company theirs

        // A company sheet keeps its company as the customer's name; a contacts sheet swaps whichever comes first.
        Assert.Equal(new Dictionary<int, string> { [0] = "name", [1] = "mobile" }, ImportFields.AutoMap(["公司名称", "联系电话"], ImportFields.BuiltIn));
        Assert.Equal(new Dictionary<int, string> { [0] = "company", [1] = "name", [2] = "title" }, ImportFields.AutoMap(["公司名称", "姓名", "职位"], ImportFields.BuiltIn));
        Assert.Equal(new Dictionary<int, string> { [0] = "name", [1] = "company" }, ImportFields.AutoMap(["姓名", "工作单位"], ImportFields.BuiltIn));
    }

    [Fact]
    public async Task A_contacts_sheet_keeps_where_each_person_works_and_matches_rows_by_name_and_company()
    {
        // The sheet most teams keep: 姓名, 联系方式, 公司, 职位 (GBK, as Excel saves it).
        var csv = Csv(["姓名", "联系方式", "公司", "职位"],
            ["张伟", "13912345601", "北京华夏科技有限公司", "采购经理"],
            ["张伟", "13912345602", "长城汽车股份有限公司", "工程师"],
            ["李娜", "13912345603", "", "自由职业"]);
        var first = await ImportAsync(_admin, Gbk.GetBytes(csv), "人脉.csv", key: "nameCompany");
        Assert.True(first["created"]!.GetValue<int>() == 3, first.ToJsonString());
        var people = await App.WithDbAsync(db => db.Set<Customer>().AsNoTracking().OrderBy(c => c.Number).ToListAsync());
        Assert.All(people, c => Assert.Equal(CustomerKind.Individual, c.Kind));
        Assert.Equal(["北京华夏科技有限公司", "长城汽车股份有限公司", null], people.Select(c => c.Company));
        Assert.Equal("采购经理", people[0].Title);

        // Found by where they work, in characters and in pinyin initials of the company.
        var byCompany = await (await _admin.GetAsync("/api/v1/search?q=" + Uri.EscapeDataString("华夏"))).ReadArrayAsync();
        Assert.Contains(people[0].Number, byCompany.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain(people[1].Number, byCompany.ToJsonString(), StringComparison.Ordinal);
        var byInitials = await (await _admin.GetAsync("/api/v1/search?q=ccqc")).ReadArrayAsync();
        Assert.Contains(people[1].Number, byInitials.ToJsonString(), StringComparison.Ordinal);

        // Name + company: 张伟 of 华夏 (written with spaces) is updated, the same name at another company is a new customer.
        var again = await ImportAsync(_admin, Gbk.GetBytes(Csv(["姓名", "公司", "职位"],
            ["张伟", "北京华夏科技 有限公司", "采购总监"],
            ["张伟", "上海东方明珠有限公司", "销售"],
            ["李娜", "", "设计师"])), "人脉2.csv", mode: "upsert", key: "nameCompany");
        Assert.True(again["updated"]!.GetValue<int>() == 2 && again["created"]!.GetValue<int>() == 1, again.ToJsonString());
        Assert.Equal(4, await CountAsync());
        var zhang = await App.WithDbAsync(db => db.Set<Customer>().AsNoTracking().SingleAsync(c => c.Number == people[0].Number));
        Assert.Equal("采购总监", zhang.Title);
        Assert.Equal("北京华夏科技 有限公司", zhang.Company);
        Assert.Equal("设计师", (await App.WithDbAsync(db => db.Set<Customer>().AsNoTracking().SingleAsync(c => c.Number == people[2].Number))).Title);
        var history = await App.WithDbAsync(db => db.Set<ChangeRecord>().Where(r => r.CustomerId == zhang.Id && r.Field == "Company").ToListAsync());
        Assert.Equal(ChangeSource.Import, Assert.Single(history).Source);

        // A repeat in the file names the person and the company in its note.
        var repeat = await ImportAsync(_admin, Gbk.GetBytes(Csv(["姓名", "公司"], ["王芳", "华夏科技"], ["王芳", "华夏科技"])), "人脉3.csv", key: "nameCompany");
        Assert.Equal(1, repeat["skipped"]!.GetValue<int>());
        var report = await (await _admin.GetAsync($"/api/v1/imports/{repeat["id"].S()}/errors")).Content.ReadAsByteArrayAsync();
        var note = MiniExcel.Query(new MemoryStream(report), useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().Single()["错误"]!.ToString();
        Assert.Contains("王芳/华夏科技", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_company_sheet_with_a_contact_column_gives_each_company_its_contact_person_and_undo_takes_them_back()
    {
        // The layout of the 客户人脉管理表格: the customer, then its contact person, their 职位, 部门 and a phone (GBK, as Excel saves it).
        var csv = Csv(["客户名称", "联系人", "职位", "部门", "联系电话", "联系人邮箱", "联系人微信", "联系人生日", "联系人性别", "联系人角色", "联系人备注"],
            ["北京华夏科技有限公司", "王建国", "采购经理", "采购部", "13812340001", "wangjg@huaxia.example.com", "wangjg_hx", "1978/9/10", "男性", "关键决策人", "负责年度采购"],
            ["上海东方明珠贸易有限公司", "", "", "", "13812340002", "", "", "", "", "", ""],
            ["杭州西湖电子有限公司", "", "总经理", "", "13812340003", "", "", "", "", "", ""],
            ["深圳南山软件有限公司", "刘洋", "", "", "13812340004", "不是邮箱", "", "1990-13-45", "", "老板", ""],
            ["成都天府物流有限公司", "", "", "", "13812340005", "", "tianfu_wl", "", "", "", ""]);
        var (_, draft) = await UploadAsync(_admin, Gbk.GetBytes(csv), "客户人脉.csv");
        var proposed = draft["mapping"]!.AsObject();
        Assert.Equal(["name", "contactName", "contactTitle", "contactDepartment", "mobile", "contactEmail", "contactWeChat", "contactBirthDate", "contactGender", "contactRole", "contactNotes"],
            Enumerable.Range(0, 11).Select(i => proposed[i.ToString(System.Globalization.CultureInfo.InvariantCulture)].S()));
        // On a people sheet (no 联系人 column) the person is the customer, who has no department: 部门 stays unmapped.
        var (_, people) = await UploadAsync(_admin, Gbk.GetBytes(Csv(["姓名", "公司", "部门"], ["张伟", "华夏科技", "市场部"])), "人脉.csv");
        Assert.Null(people["mapping"]!.AsObject()["2"]);
        var first = await ImportAsync(_admin, Gbk.GetBytes(csv), "客户人脉.csv", key: "nameCompany");
        Assert.True(first["created"]!.GetValue<int>() == 2 && first["failed"]!.GetValue<int>() == 3, first.ToJsonString());

        // Each bad row says which column: a title without a name, an email that is not one.
        var report = await (await _admin.GetAsync($"/api/v1/imports/{first["id"].S()}/errors")).Content.ReadAsByteArrayAsync();
        var errors = MiniExcel.Query(new MemoryStream(report), useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>()
            .ToDictionary(r => r["客户名称"]!.ToString()!, r => r["错误"]!.ToString()!);
        Assert.Contains("“联系人”列：填写了联系人的职务、部门、电话、邮箱、微信、生日、性别、决策链角色或备注，但没有联系人姓名", errors["杭州西湖电子有限公司"], StringComparison.Ordinal);
        Assert.Contains("“联系人”列：填写了联系人的职务、部门、电话、邮箱、微信、生日、性别、决策链角色或备注，但没有联系人姓名", errors["成都天府物流有限公司"], StringComparison.Ordinal);
        Assert.Contains("“联系人生日”列：联系人生日“1990-13-45”不是有效日期", errors["深圳南山软件有限公司"], StringComparison.Ordinal);
        Assert.Contains("“联系人角色”列：“老板”不是可选值（未设定、关键决策人、", errors["深圳南山软件有限公司"], StringComparison.Ordinal);
        Assert.Null(await FindByNameAsync("成都天府物流有限公司"));
        Assert.Contains("“联系人邮箱”列：联系人", errors["深圳南山软件有限公司"], StringComparison.Ordinal);
        Assert.Null(await FindByNameAsync("深圳南山软件有限公司"));

        var huaxia = (await FindByNameAsync("北京华夏科技有限公司"))!;
        var dongfang = (await FindByNameAsync("上海东方明珠贸易有限公司"))!;
        Assert.Equal("13812340001", huaxia.Phones[0].Number);
        var wang = await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().SingleAsync(k => k.CustomerId == huaxia.Id));
        Assert.Equal(("王建国", "采购经理", "采购部", "wangjg@huaxia.example.com", "wangjg_hx", new DateOnly(1978, 9, 10), true),
            (wang.Name, wang.Title, wang.Department, wang.Email, wang.WeChat, wang.BirthDate, wang.IsPrimary));
        Assert.Equal((Gender.Male, DecisionRole.KeyDecisionMaker, "负责年度采购"), (wang.Gender, wang.Role, wang.Notes));
        Assert.Empty(wang.Phones);
        Assert.Equal(0, await App.WithDbAsync(db => db.Set<Contact>().CountAsync(k => k.CustomerId == dongfang.Id)));
        // The contact is in the search row the bulk path wrote: the company is found by the contact's pinyin initials.
        Assert.Contains(huaxia.Number, (await (await _admin.GetAsync("/api/v1/search?q=wjg")).ReadArrayAsync()).ToJsonString(), StringComparison.Ordinal);

        // A second sheet, one row per contact: the company repeats. With "update", a known contact gets the new title and
        // phone, a new name becomes another contact; a company without contacts gets its first (primary) one.
        var second = await ImportAsync(_admin, Gbk.GetBytes(Csv(["客户名称", "联系人", "联系人职务", "联系人手机", "联系人部门", "联系人微信", "联系人生日", "联系人性别", "联系人决策角色", "联系人备注"],
            ["北京华夏科技有限公司", "王建国", "采购总监", "13912340009", "供应链部", "", "1978-09-11", "", "", "已调任供应链"],
            ["北京华夏科技有限公司", "赵敏", "财务", "13912340010", "", "zhaomin_cw", "", "女", "审批人", ""],
            ["上海东方明珠贸易有限公司", "钱进", "", "", "", "", "", "", "", ""])), "联系人.csv", mode: "upsert", key: "nameCompany", duplicates: "update");
        Assert.True(second["updated"]!.GetValue<int>() == 3 && second["created"]!.GetValue<int>() == 0, second.ToJsonString());
        var contacts = await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == huaxia.Id).OrderBy(k => k.CreatedAt).ToListAsync());
        Assert.Equal(["王建国", "赵敏"], contacts.Select(k => k.Name));
        // An empty cell changes nothing: 王建国 keeps his WeChat.
        Assert.Equal(("采购总监", "供应链部", "wangjg_hx", new DateOnly(1978, 9, 11), "13912340009", true),
            (contacts[0].Title, contacts[0].Department, contacts[0].WeChat, contacts[0].BirthDate, Assert.Single(contacts[0].Phones).Number, contacts[0].IsPrimary));
        Assert.Equal(("财务", null, "zhaomin_cw", "13912340010", false),
            (contacts[1].Title, contacts[1].Department, contacts[1].WeChat, Assert.Single(contacts[1].Phones).Number, contacts[1].IsPrimary));
        // Gender and role left empty keep what 王建国 had; his notes are replaced.
        Assert.Equal((Gender.Male, DecisionRole.KeyDecisionMaker, "已调任供应链"), (contacts[0].Gender, contacts[0].Role, contacts[0].Notes));
        Assert.Equal((Gender.Female, DecisionRole.Approver, (string?)null), (contacts[1].Gender, contacts[1].Role, contacts[1].Notes));
        Assert.True((await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().SingleAsync(k => k.CustomerId == dongfang.Id))).IsPrimary);
        // The new phone is searchable through the blind index (the EF path re-sealed the contact).
        Assert.Contains(huaxia.Number, (await (await _admin.GetAsync("/api/v1/search?q=13912340010")).ReadArrayAsync()).ToJsonString(), StringComparison.Ordinal);
        // The history says the contacts came from the import.
        var added = await App.WithDbAsync(db => db.Set<ChangeRecord>().AsNoTracking()
            .Where(r => r.CustomerId == huaxia.Id && r.EntityType == nameof(Contact) && r.Action == ChangeAction.Created).ToListAsync());
        Assert.Equal(ChangeSource.Import, Assert.Single(added).Source);

        // A rep cannot add a contact to a customer they cannot see.
        var rep = await App.ClientAsync(Roles.Rep, "li@example.com");
        var sneak = await ImportAsync(rep, Gbk.GetBytes(Csv(["客户名称", "联系人"], ["北京华夏科技有限公司", "孙悟空"])), "sneak.csv", mode: "update", key: "nameCompany");
        Assert.Equal(1, sneak["failed"]!.GetValue<int>());
        Assert.Equal(0, await App.WithDbAsync(db => db.Set<Contact>().CountAsync(k => k.Name == "孙悟空")));

        // Undo: the added contacts go, the updated one is as it was.
        var undo = await (await _admin.PostAsync($"/api/v1/imports/{second["id"].S()}/undo", null)).ReadObjectAsync();
        Assert.Equal("undone", undo["status"].S());
        contacts = await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == huaxia.Id).ToListAsync());
        wang = Assert.Single(contacts);
        Assert.Equal(("王建国", "采购经理", "采购部", "wangjg_hx", new DateOnly(1978, 9, 10)), (wang.Name, wang.Title, wang.Department, wang.WeChat, wang.BirthDate));
        Assert.Equal((Gender.Male, DecisionRole.KeyDecisionMaker, "负责年度采购"), (wang.Gender, wang.Role, wang.Notes));
        Assert.Empty(wang.Phones);
        Assert.Equal(0, await App.WithDbAsync(db => db.Set<Contact>().CountAsync(k => k.CustomerId == dongfang.Id)));
        Assert.DoesNotContain(huaxia.Number, (await (await _admin.GetAsync("/api/v1/search?q=13912340010")).ReadArrayAsync()).ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_with_two_contact_persons_gives_the_customer_both_and_says_which_one_is_wrong()
    {
        var csv = Csv(["客户名称", "联系人1", "联系人1电话", "联系人2", "联系人2电话", "联系人2职务"],
            ["苏州园林设计有限公司", "顾明", "13812350001", "沈洁", "13812350002", "设计总监"],
            ["无锡太湖物流有限公司", "", "", "钱程", "13812350003", ""],
            ["常州恐龙乐园有限公司", "刘畅", "", "", "13812350004", ""],
            ["南通江海纺织有限公司", "张强", "", "张强", "", "厂长"]);
        var (_, draft) = await UploadAsync(_admin, Gbk.GetBytes(csv), "两位联系人.csv");
        var proposed = draft["mapping"]!.AsObject();
        Assert.Equal(["name", "contactName", "contactMobile", "contact2Name", "contact2Mobile", "contact2Title"],
            Enumerable.Range(0, 6).Select(i => proposed[i.ToString(System.Globalization.CultureInfo.InvariantCulture)].S()));
        var first = await ImportAsync(_admin, Gbk.GetBytes(csv), "两位联系人.csv", key: "nameCompany");
        Assert.True(first["created"]!.GetValue<int>() == 2 && first["failed"]!.GetValue<int>() == 2, first.ToJsonString());

        var report = await (await _admin.GetAsync($"/api/v1/imports/{first["id"].S()}/errors")).Content.ReadAsByteArrayAsync();
        var errors = MiniExcel.Query(new MemoryStream(report), useHeaderRow: true, excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>()
            .ToDictionary(r => r["客户名称"]!.ToString()!, r => r["错误"]!.ToString()!);
        Assert.Contains("“联系人2”列：填写了联系人2的职务、部门、电话、邮箱、微信、生日、性别、决策链角色或备注，但没有联系人2姓名", errors["常州恐龙乐园有限公司"], StringComparison.Ordinal);
        Assert.Contains("“联系人2”列：联系人2“张强”与本行另一位联系人同名", errors["南通江海纺织有限公司"], StringComparison.Ordinal);
        Assert.Null(await FindByNameAsync("常州恐龙乐园有限公司"));
        Assert.Null(await FindByNameAsync("南通江海纺织有限公司"));

        // The first named contact is the primary one; each keeps its own phone and title.
        var suzhou = (await FindByNameAsync("苏州园林设计有限公司"))!;
        var both = await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == suzhou.Id).OrderByDescending(k => k.IsPrimary).ToListAsync());
        Assert.Equal([("顾明", null, "13812350001", true), ("沈洁", "设计总监", "13812350002", false)],
            both.Select(k => (k.Name, k.Title, Assert.Single(k.Phones).Number, k.IsPrimary)));
        var wuxi = (await FindByNameAsync("无锡太湖物流有限公司"))!;
        Assert.True((await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().SingleAsync(k => k.CustomerId == wuxi.Id))).IsPrimary);
        // The second contact is in the search row the bulk path wrote, name and phone.
        Assert.Contains(suzhou.Number, (await (await _admin.GetAsync("/api/v1/search?q=" + Uri.EscapeDataString("沈洁"))).ReadArrayAsync()).ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(suzhou.Number, (await (await _admin.GetAsync("/api/v1/search?q=13812350002")).ReadArrayAsync()).ToJsonString(), StringComparison.Ordinal);

        // Updating: a known contact stays as it is, a new 联系人2 is added; undo takes the addition back.
        var second = await ImportAsync(_admin, Gbk.GetBytes(Csv(["客户名称", "联系人", "联系人2"], ["无锡太湖物流有限公司", "钱程", "孙丽"])),
            "补充联系人.csv", mode: "upsert", key: "nameCompany", duplicates: "update");
        Assert.Equal(1, second["updated"]!.GetValue<int>());
        Assert.Equal(["钱程", "孙丽"], await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == wuxi.Id)
            .OrderBy(k => k.CreatedAt).Select(k => k.Name).ToListAsync()));
        var undo = await (await _admin.PostAsync($"/api/v1/imports/{second["id"].S()}/undo", null)).ReadObjectAsync();
        Assert.Equal("undone", undo["status"].S());
        Assert.Equal(["钱程"], await App.WithDbAsync(db => db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == wuxi.Id).Select(k => k.Name).ToListAsync()));
    }
}

public sealed class ImportTestsOnSqlite() : ImportTests(TestDatabase.Sqlite);

public sealed class ImportTestsOnPostgres() : ImportTests(TestDatabase.Postgres);
