using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Privacy;

/// <summary>PIPL (R12.6): consents, export and erasure of one person's data.</summary>
public abstract class PrivacyTests(TestDatabase database) : IAsyncLifetime
{
    private const string Owner = "zhang@example.com";
    private const string Colleague = "li@example.com";
    private const string Admin = "admin@example.com";
    private const string Auditor = "audit@example.com";

    // The person to erase: every needle must be gone from every table afterwards.
    private const string PersonName = "欧阳建国";
    private const string PersonPhone = "13912345678";
    private const string PersonEmail = "ouyang.jianguo@example.cn";
    private const string PersonOldEmail = "oyjg.old@example.cn";
    private const string PersonStreet = "梅陇路 130 号";
    private const string ContactName = "司马静怡";
    private const string ContactPhone = "13698765432";

    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database);
        await _app.AddUserAsync(Admin, Roles.Admin, "王管理");
        await _app.AddUserAsync(Owner, Roles.Rep, "张伟");
        await _app.AddUserAsync(Colleague, Roles.Rep, "李娜");
        await _app.AddUserAsync(Auditor, Roles.Auditor, "孙审计");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<CustomerForm> CreatePersonAsync() => _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().CreateAsync(new CustomerForm
    {
        Kind = CustomerKind.Individual, Name = PersonName, Gender = Gender.Male, BirthDate = new DateOnly(1980, 5, 4), Age = 46, Title = "总工程师",
        Interests = "钓鱼", Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = PersonPhone }], Email = PersonOldEmail,
        SocialAccounts = [new SocialAccount { Kind = SocialKind.WeChat, Account = "ouyang_jg_wx" }],
        Anniversaries = [new Anniversary { Name = "结婚纪念日", Date = new DateOnly(2008, 8, 8) }],
        Province = "上海市", City = "上海市", District = "徐汇区", Street = PersonStreet, Notes = PersonName + " 喜欢周末联系",
        CreditLimitFen = 8_000_000, BudgetMinFen = 100_000, BudgetMaxFen = 900_000, Type = CustomerType.Existing, ValueTier = Level.High,
        Stage = LifecycleStage.Repeat, Intent = IntentGrade.A,
    }));

    private Task<CustomerForm> CreateCompanyAsync() => _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().CreateAsync(
        new CustomerForm { Kind = CustomerKind.Company, Name = "上海浦江机电有限公司", CreditLimitFen = 50_000_000 }));

    private Task<ConsentView> AddConsentAsync(string number, string email, ConsentInput input) =>
        _app.AsUserAsync(email, sp => sp.GetRequiredService<PrivacyService>().AddConsentAsync(number, input));

    private static ConsentInput Marketing(Guid? contactId = null, string? note = null) => new()
    {
        ContactId = contactId, Purpose = "营销推广", Channel = ConsentChannel.WeChat, GivenOn = new DateOnly(2026, 11, 1), Note = note,
    };

    [Fact]
    public async Task Consents_are_validated_recorded_with_who_and_withdrawn_once()
    {
        var person = await CreatePersonAsync();
        var invalid = await Assert.ThrowsAsync<ValidationFailedException>(() => AddConsentAsync(person.Number!, Owner,
            new ConsentInput { Purpose = " ", GivenOn = DateOnly.FromDateTime(DateTime.Today.AddDays(3)), Note = new string('长', 1001) }));
        Assert.Equal("请选择或填写授权目的", invalid.Errors.For("purpose"));
        Assert.Equal("请选择授权方式", invalid.Errors.For("channel"));
        Assert.Equal("授权日期不能晚于今天", invalid.Errors.For("givenOn"));
        Assert.Equal("备注不能超过 1000 个字", invalid.Errors.For("note"));
        var missingDate = await Assert.ThrowsAsync<ValidationFailedException>(() => AddConsentAsync(person.Number!, Owner,
            new ConsentInput { Purpose = "售后服务", Channel = ConsentChannel.Phone }));
        Assert.Equal("请填写授权日期", missingDate.Errors.For("givenOn"));

        var consent = await AddConsentAsync(person.Number!, Owner, Marketing(note: "微信公众号表单"));
        Assert.Equal("张伟", consent.RecordedBy);
        Assert.Equal(PersonName, consent.Subject);
        Assert.Equal("微信", consent.ChannelLabel);
        Assert.True(consent.IsActive);
        await AddConsentAsync(person.Number!, Owner, new ConsentInput { Purpose = "上门安装回访", Channel = ConsentChannel.InPerson, GivenOn = new DateOnly(2026, 10, 2) });

        var withdrawn = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<PrivacyService>().WithdrawConsentAsync(person.Number!, consent.Id));
        Assert.False(withdrawn.IsActive);
        Assert.Equal("张伟", withdrawn.WithdrawnBy);
        var again = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync(Owner, sp =>
            sp.GetRequiredService<PrivacyService>().WithdrawConsentAsync(person.Number!, consent.Id)));
        Assert.Equal("该授权已撤回", again.Errors.For("consent"));

        var list = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<PrivacyService>().ListConsentsAsync(person.Number!));
        Assert.Equal(["营销推广", "上门安装回访"], list.Select(c => c.Purpose));
        // Both show in the customer's timeline.
        var history = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().HistoryAsync(person.Number!));
        Assert.Equal(2, history.Count(h => h.EntityType == nameof(ConsentRecord) && h.Action == ChangeAction.Created));
        Assert.Contains(history, h => h.EntityType == nameof(ConsentRecord) && h.Field == nameof(ConsentRecord.WithdrawnOn));
        Assert.DoesNotContain(history, h => h.Field == nameof(ConsentRecord.WithdrawnById));
        Assert.Equal("撤回人", CustomerFieldLabels.Label(nameof(ConsentRecord), nameof(ConsentRecord.WithdrawnByName), []));
        Assert.Equal("微信", CustomerFieldLabels.Value(nameof(ConsentRecord), nameof(ConsentRecord.Channel), "WeChat", []));

        // A company consents through its contact persons.
        var company = await CreateCompanyAsync();
        var noContact = await Assert.ThrowsAsync<ValidationFailedException>(() => AddConsentAsync(company.Number!, Owner, Marketing()));
        Assert.Equal("企业客户请选择给出授权的联系人", noContact.Errors.For("contactId"));
        var foreign = await Assert.ThrowsAsync<ValidationFailedException>(() => AddConsentAsync(company.Number!, Owner, Marketing(Guid.NewGuid())));
        Assert.Equal("联系人不存在", foreign.Errors.For("contactId"));
        var contact = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<ContactService>().AddAsync(company.Number!, new ContactForm { Name = ContactName }));
        var contactConsent = await AddConsentAsync(company.Number!, Owner, Marketing(contact.Id));
        Assert.Equal("联系人 " + ContactName, contactConsent.Subject);
    }

    [Fact]
    public async Task Consents_and_export_follow_record_scope_and_the_auditor_only_reads()
    {
        var person = await CreatePersonAsync();
        var consent = await AddConsentAsync(person.Number!, Owner, Marketing());
        var privacy = (string email, Func<PrivacyService, Task> work) => _app.AsUserAsync(email, sp => work(sp.GetRequiredService<PrivacyService>()));

        await Assert.ThrowsAsync<NotFoundException>(() => privacy(Colleague, s => s.ListConsentsAsync(person.Number!)));
        await Assert.ThrowsAsync<NotFoundException>(() => privacy(Colleague, s => s.AddConsentAsync(person.Number!, Marketing())));
        await Assert.ThrowsAsync<NotFoundException>(() => privacy(Colleague, s => s.WithdrawConsentAsync(person.Number!, consent.Id)));
        await Assert.ThrowsAsync<NotFoundException>(() => privacy(Colleague, s => s.ExportAsync(person.Number!, null, "xlsx")));
        await Assert.ThrowsAsync<ForbiddenException>(() => privacy(Auditor, s => s.AddConsentAsync(person.Number!, Marketing())));
        await Assert.ThrowsAsync<ForbiddenException>(() => privacy(Auditor, s => s.WithdrawConsentAsync(person.Number!, consent.Id)));
        await Assert.ThrowsAsync<ForbiddenException>(() => privacy(Owner, s => s.EraseAsync(person.Number!, null, person.Number)));
        await Assert.ThrowsAsync<ForbiddenException>(() => privacy(Auditor, s => s.EraseAsync(person.Number!, null, person.Number)));
        Assert.Single(await _app.AsUserAsync(Auditor, sp => sp.GetRequiredService<PrivacyService>().ListConsentsAsync(person.Number!)));

        // The same over HTTP.
        var colleague = await _app.ClientForAsync(Colleague);
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.GetAsync($"/api/v1/customers/{person.Number}/consents")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.PostAsJsonAsync($"/api/v1/customers/{person.Number}/consents",
            new { purpose = "营销推广", channel = "phone", givenOn = "2026-11-01" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await colleague.GetAsync($"/api/v1/customers/{person.Number}/personal-data?format=json")).StatusCode);
        var auditor = await _app.ClientForAsync(Auditor);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsJsonAsync($"/api/v1/customers/{person.Number}/consents",
            new { purpose = "营销推广", channel = "phone", givenOn = "2026-11-01" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync($"/api/v1/customers/{person.Number}/consents/{consent.Id}/withdraw", null)).StatusCode);

        var owner = await _app.ClientForAsync(Owner);
        var created = await owner.PostAsJsonAsync($"/api/v1/customers/{person.Number}/consents",
            new { purpose = "售后服务", channel = "Phone", givenOn = "2026-11-02", note = "电话录音 20261102-01" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var bad = await owner.PostAsJsonAsync($"/api/v1/customers/{person.Number}/consents", new { channel = "Phone", givenOn = "2026-11-02" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("请选择或填写授权目的", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(2, (await owner.GetFromJsonAsync<JsonArray>($"/api/v1/customers/{person.Number}/consents"))!.Count);
    }

    [Fact]
    public async Task Export_gives_xlsx_and_json_with_everything_audits_it_and_neutralises_formulas()
    {
        var person = await CreatePersonAsync();
        await AddConsentAsync(person.Number!, Owner, Marketing(note: "=HYPERLINK(\"http://evil.example\",\"点我\")"));
        var client = await _app.ClientForAsync(Owner);

        var xlsx = await client.GetAsync($"/api/v1/customers/{person.Number}/personal-data?format=xlsx");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
        Assert.Contains(person.Number!, xlsx.Content.Headers.ContentDisposition?.FileNameStar ?? xlsx.Content.Headers.ContentDisposition?.FileName, StringComparison.Ordinal);
        using var stream = new MemoryStream(await xlsx.Content.ReadAsByteArrayAsync());
        Assert.Equal(["基本信息", "联系人", "授权记录", "变更记录"], MiniExcel.GetSheetNames(stream));
        var basics = stream.Query(useHeaderRow: true, sheetName: "基本信息", excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
        Assert.Contains(basics, r => (string?)r["字段"] == "客户名称" && (string?)r["值"] == PersonName);
        Assert.Contains(basics, r => (string?)r["字段"] == "详细地址" && (string?)r["值"] == PersonStreet);
        var consents = stream.Query(useHeaderRow: true, sheetName: "授权记录", excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
        var consent = Assert.Single(consents);
        Assert.Equal("营销推广", consent["目的"]);
        Assert.Equal("微信", consent["方式"]);
        Assert.Equal("'=HYPERLINK(\"http://evil.example\",\"点我\")", consent["备注"]);
        var history = stream.Query(useHeaderRow: true, sheetName: "变更记录", excelType: ExcelType.XLSX).Cast<IDictionary<string, object?>>().ToList();
        Assert.True(history.Count >= 2);

        var json = await client.GetAsync($"/api/v1/customers/{person.Number}/personal-data?format=json");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        var doc = JsonNode.Parse(await json.Content.ReadAsStringAsync())!;
        Assert.Equal(PersonName, (string?)doc["customer"]!["name"]);
        Assert.Equal(PersonOldEmail, (string?)doc["customer"]!["email"]);
        Assert.Equal("营销推广", (string?)doc["consents"]![0]!["purpose"]);
        Assert.NotEmpty(doc["history"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/api/v1/customers/{person.Number}/personal-data?format=pdf")).StatusCode);

        var events = await _app.WithDbAsync(db => db.Set<AuditEvent>().Where(e => e.Action == AuditActions.PrivacyExported).OrderBy(e => e.At).ToListAsync());
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(person.Number, e.Target));
        Assert.All(events, e => Assert.Equal("张伟", e.UserName));
        Assert.Equal(["格式 xlsx", "格式 json"], events.Select(e => e.Detail));

    }

    [Fact]
    public async Task Erasing_a_person_leaves_no_personal_data_in_any_table_and_keeps_the_business_figures()
    {
        var person = await CreatePersonAsync();
        // History with personal values in old and new: the e-mail changes, the street is cleared and set again.
        var form = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().GetAsync(person.Number!));
        form.Email = PersonEmail;
        form.Street = null;
        form = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().UpdateAsync(person.Number!, form, form.Version));
        form.Street = PersonStreet;
        await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<CustomerService>().UpdateAsync(person.Number!, form, form.Version));
        var contact = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<ContactService>().AddAsync(person.Number!, new ContactForm
        {
            Name = ContactName, Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = ContactPhone }], WeChat = "simajy",
        }));
        var consent = await AddConsentAsync(person.Number!, Owner, Marketing(note: PersonName + " 本人签字"));
        await AddConsentAsync(person.Number!, Owner, Marketing(contact.Id));
        await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<PrivacyService>().ExportAsync(person.Number!, null, "json"));
        string[] needles = [PersonName, PersonPhone, PersonEmail, PersonOldEmail, PersonStreet, ContactName, ContactPhone, "ouyang_jg_wx"];
        Assert.NotEmpty(await FindAsync(needles)); // the scan sees them before

        var wrong = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync(Admin, sp =>
            sp.GetRequiredService<PrivacyService>().EraseAsync(person.Number!, null, "KH999999")));
        Assert.Equal($"请输入客户编号 {person.Number} 以确认", wrong.Errors.For("confirmation"));
        var result = await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<PrivacyService>().EraseAsync(person.Number!, null, person.Number!.ToLowerInvariant()));
        Assert.Equal(1, result.Contacts);
        Assert.Equal(2, result.Consents);

        var leaks = await FindAsync(needles);
        Assert.True(leaks.Count == 0, "personal data left: " + string.Join("; ", leaks));

        var after = await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<CustomerService>().GetAsync(person.Number!));
        Assert.Equal("已删除-" + person.Number, after.Name);
        Assert.Empty(after.Phones);
        Assert.Null(after.Email);
        Assert.Null(after.BirthDate);
        Assert.Null(after.Notes);
        Assert.Empty(after.Anniversaries);
        Assert.Equal(8_000_000, after.CreditLimitFen);
        Assert.Equal(100_000, after.BudgetMinFen);
        Assert.Equal(CustomerType.Existing, after.Type);
        Assert.Equal(Level.High, after.ValueTier);
        Assert.Equal(LifecycleStage.Repeat, after.Stage);
        Assert.Equal("上海市", after.City);

        // Consents stay as proof, without their notes.
        var consents = await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<PrivacyService>().ListConsentsAsync(person.Number!));
        Assert.Equal(2, consents.Count);
        Assert.Null(consents.Single(c => c.Id == consent.Id).Note);

        // The timeline keeps who and when; the erase is one entry without personal data.
        var history = await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<CustomerService>().HistoryAsync(person.Number!));
        Assert.Contains(history, h => h.Field == "Email" && h.OldValue == PrivacyService.Erased && h.NewValue == PrivacyService.Erased && h.UserName == "张伟");
        var erase = history.Single(h => h.Field == "Name" && h.NewValue == "已删除-" + person.Number);
        Assert.Equal(PrivacyService.Erased, erase.OldValue);
        Assert.Equal("王管理", erase.UserName);

        var audit = await _app.WithDbAsync(db => db.Set<AuditEvent>().SingleAsync(e => e.Action == AuditActions.PrivacyErased));
        Assert.Equal(person.Number, audit.Target);
        Assert.Contains("联系人 1 个，授权记录 2 条", audit.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_company_erases_one_contact_person_and_keeps_itself()
    {
        var company = await CreateCompanyAsync();
        var contact = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<ContactService>().AddAsync(company.Number!, new ContactForm
        {
            Name = ContactName, Title = "采购经理", Department = "采购部", Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = ContactPhone }],
            Email = "sima.jy@pujiang.example.cn", Notes = ContactName + " 只接受上午来电",
        }));
        var other = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<ContactService>().AddAsync(company.Number!, new ContactForm { Name = "诸葛明远" }));
        await AddConsentAsync(company.Number!, Owner, Marketing(contact.Id, note: "名片背面签字"));

        // One contact's export holds that contact and its consents, not the colleague.
        var export = await _app.AsUserAsync(Owner, sp => sp.GetRequiredService<PrivacyService>().ExportAsync(company.Number!, contact.Id, "json"));
        var doc = JsonNode.Parse(export.Content)!;
        Assert.Equal("contact", (string?)doc["subject"]);
        Assert.Equal(ContactName, (string?)Assert.Single(doc["contacts"]!.AsArray())!["name"]);
        Assert.Equal("名片背面签字", (string?)Assert.Single(doc["consents"]!.AsArray())!["note"]);
        Assert.DoesNotContain("诸葛明远", System.Text.Encoding.UTF8.GetString(export.Content), StringComparison.Ordinal);

        var whole = await Assert.ThrowsAsync<ValidationFailedException>(() => _app.AsUserAsync(Admin, sp =>
            sp.GetRequiredService<PrivacyService>().EraseAsync(company.Number!, null, company.Number)));
        Assert.Equal("企业客户不是自然人，请选择要删除个人信息的联系人", whole.Errors.For("contactId"));

        var admin = await _app.ClientForAsync(Admin);
        var erased = await admin.PostAsJsonAsync($"/api/v1/customers/{company.Number}/erase", new { contactId = contact.Id, confirmation = company.Number });
        Assert.Equal(HttpStatusCode.OK, erased.StatusCode);

        var leaks = await FindAsync([ContactName, ContactPhone, "sima.jy@pujiang.example.cn", "名片背面签字"]);
        Assert.True(leaks.Count == 0, "personal data left: " + string.Join("; ", leaks));
        Assert.NotEmpty(await FindAsync(["上海浦江机电有限公司", "诸葛明远"]));
        var contacts = await _app.AsUserAsync(Admin, sp => sp.GetRequiredService<ContactService>().ListAsync(company.Number!));
        var anonymised = contacts.Single(k => k.Id == contact.Id);
        Assert.Equal("已删除", anonymised.Name);
        Assert.Equal("采购部", anonymised.Department);
        Assert.Contains(contacts, k => k.Id == other.Id && k.Name == "诸葛明远");
    }

    /// <summary>Every text value of every column of every table that contains one of the needles ("table.column: value").</summary>
    private Task<List<string>> FindAsync(string[] needles) => _app.WithDbAsync(async db =>
    {
        var found = new List<string>();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var columns = new List<(string Table, string Column)>();
        if (db.IsPostgres)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()";
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) columns.Add((r.GetString(0), r.GetString(1)));
        }
        else
        {
            var tables = new List<string>();
            await using (var cmd = connection.CreateCommand())
            {
                cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) tables.Add(r.GetString(0));
            }
            foreach (var t in tables)
            {
                await using var cmd = connection.CreateCommand();
                cmd.CommandText = $"SELECT name FROM pragma_table_info('{t}')";
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync()) columns.Add((t, r.GetString(0)));
            }
        }
        Assert.Contains(columns, c => c.Table == "ChangeRecords");
        foreach (var (table, column) in columns)
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = db.IsPostgres
                ? $"SELECT \"{column}\"::text FROM \"{table}\""
                : $"SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"";
            await using DbDataReader r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
            {
                if (r.IsDBNull(0)) continue;
                var value = r.GetString(0);
                foreach (var n in needles)
                {
                    if (value.Contains(n, StringComparison.Ordinal)) found.Add($"{table}.{column}: {value}");
                }
            }
        }
        return found;
    });
}

public sealed class PrivacyTestsOnSqlite() : PrivacyTests(TestDatabase.Sqlite);

public sealed class PrivacyTestsOnPostgres() : PrivacyTests(TestDatabase.Postgres);
