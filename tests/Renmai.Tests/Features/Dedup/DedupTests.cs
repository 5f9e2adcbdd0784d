using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Dedup;
using Renmai.Features.Privacy;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Dedup;

/// <summary>Normalisation: the keys duplicates are found by.</summary>
public sealed class DedupKeysTests
{
    [Theory]
    [InlineData("北京华夏科技有限公司", "华夏科技")]
    [InlineData("华夏科技（北京）有限公司", "华夏科技")]
    [InlineData("华夏科技(北京)有限责任公司", "华夏科技")]
    [InlineData("北京市华夏科技股份有限公司", "华夏科技")]
    [InlineData("华夏科技集团", "华夏科技")]
    [InlineData("华夏 科技 有限公司", "华夏科技")]
    [InlineData("ＨＵＡＸＩＡ华夏科技有限公司", "huaxia华夏科技")]
    [InlineData("深圳市腾达电子有限公司", "腾达电子")]
    [InlineData("Acme Co., Ltd.", "acme")]
    public void Company_names_compare_by_their_core(string name, string core) => Assert.Equal(core, DedupKeys.CompanyName(name));

    [Fact]
    public void Email_uscc_and_person_name_are_normalised()
    {
        Assert.Equal("zhang.wei@example.cn", DedupKeys.Email("  Zhang.Wei@Example.CN "));
        Assert.Null(DedupKeys.Email("不是邮箱"));
        Assert.Equal(Samples.Uscc(), DedupKeys.Uscc(" " + Samples.Uscc().ToLowerInvariant() + " "));
        Assert.Null(DedupKeys.Uscc("12345"));
        Assert.Equal("欧阳建国", DedupKeys.PersonName(" 欧阳 建国 "));
        Assert.Equal("阿依古丽买买提", DedupKeys.PersonName("阿依古丽·买买提"));
        Assert.Null(DedupKeys.CompanyName("  "));
        Assert.Null(DedupKeys.PersonName("张"));
        Assert.Equal(DedupKeys.CompanyKey("北京华夏科技有限公司", null), DedupKeys.CompanyKey("华夏科技（北京）有限公司", "上海市"));
        Assert.Equal(DedupKeys.CompanyKey("北京华夏科技有限公司", null), DedupKeys.CompanyKey("华夏科技有限责任公司", "北京市"));
        Assert.NotEqual(DedupKeys.CompanyKey("北京华夏科技有限公司", null), DedupKeys.CompanyKey("上海华夏科技有限公司", null));
        Assert.Null(DedupKeys.PersonalEmail("info@huaxia.cn"));
        Assert.Equal("zhang.wei@huaxia.cn", DedupKeys.PersonalEmail("Zhang.Wei@huaxia.cn"));
        Assert.Equal(DedupKeys.NamePinyin("张伟"), DedupKeys.NamePinyin("章伟"));
        Assert.NotEqual(DedupKeys.NamePinyin("张伟"), DedupKeys.NamePinyin("张薇薇"));
    }

    [Fact]
    public void Confidence_grows_with_independent_rules()
    {
        Assert.Equal(75, DedupService.Confidence(DuplicateRule.CompanyName));
        Assert.True(DedupService.Confidence(DuplicateRule.CompanyName | DuplicateRule.Phone) > DedupService.Confidence(DuplicateRule.Phone));
        Assert.Equal("电话相同、公司名称相同（规范化后）", DedupService.Labels(DuplicateRule.Phone | DuplicateRule.CompanyName));
    }
}

/// <summary>R10.3: scan, review in scope, dismiss, merge and undo, and the warning on create.</summary>
public abstract class DedupTests(TestDatabase database) : IAsyncLifetime
{
    private const string Admin = "admin@example.com";
    private const string Zhang = "zhang@example.com";
    private const string Li = "li@example.com";
    private const string Manager = "zhao@example.com";
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(database);
        await _app.AddUserAsync(Admin, Roles.Admin, "王管理");
        var zhang = await _app.AddUserAsync(Zhang, Roles.Rep, "张伟");
        await _app.AddUserAsync(Li, Roles.Rep, "李娜");
        var manager = await _app.AddUserAsync(Manager, Roles.Manager, "赵经理");
        await _app.AsSystemAsync(sp => sp.GetRequiredService<TeamService>().SaveAsync(null, "华东组", manager.Id, [zhang.Id]));
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<CustomerForm> CreateAsync(string email, CustomerForm form) =>
        _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerService>().CreateAsync(form));

    private static CustomerForm Company(string name, string? phone = null, string? uscc = null, string? email = null) => new()
    {
        Kind = CustomerKind.Company, Name = name, Uscc = uscc, Email = email,
        Phones = phone is null ? [] : [new PhoneEntry { Kind = PhoneKind.Mobile, Number = phone }],
    };

    private Task<T> As<T>(string email, Func<DedupService, Task<T>> work) => _app.AsUserAsync(email, sp => work(sp.GetRequiredService<DedupService>()));

    private async Task<List<DuplicateGroupView>> GroupsAsync(string email, DuplicateStatus status = DuplicateStatus.Open) =>
        (await As(email, s => s.ListAsync(status, 1, 100))).Items.ToList();

    private static HashSet<string> Numbers(DuplicateGroupView g) => g.Members.Select(m => m.Number!).ToHashSet();

    [Fact]
    public async Task The_scan_finds_planted_duplicates_by_each_rule_and_nothing_for_distinct_customers()
    {
        var a = await CreateAsync(Zhang, Company("北京华夏科技有限公司"));
        var b = await CreateAsync(Zhang, Company("华夏科技（北京）有限公司"));
        var c = await CreateAsync(Zhang, Company("上海浦江机电有限公司", phone: "13812345678"));
        var d = await CreateAsync(Zhang, Company("浦江机械设备厂", phone: "138 1234 5678"));
        var e = await CreateAsync(Zhang, Company("杭州西湖茶业有限公司", uscc: Samples.Uscc()));
        var f = await CreateAsync(Zhang, Company("西湖龙井茶叶合作社", uscc: Samples.Uscc()));
        var g = await CreateAsync(Zhang, Company("苏州园林设计有限公司", email: "Lin.Hua@YuanLin.cn"));
        var h = await CreateAsync(Zhang, Company("园林景观工程部", email: "lin.hua@yuanlin.cn"));
        var i = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "欧阳建国", BirthDate = new DateOnly(1980, 5, 4) });
        var j = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "欧阳 建国", BirthDate = new DateOnly(1980, 5, 4) });
        var k = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "张伟", BirthDate = new DateOnly(1979, 3, 8) });
        var l = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "章伟", BirthDate = new DateOnly(1979, 3, 8) });
        var m = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "北京华夏科技有限公司" });
        var n = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘 洋", Company = "华夏科技（北京）有限公司" });
        // Alike but not duplicates: same person name, different birthday; the same name at a namesake company elsewhere;
        // different companies.
        await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "欧阳建国", BirthDate = new DateOnly(1991, 1, 2) });
        await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "上海华夏科技有限公司" });
        await CreateAsync(Zhang, Company("广州白云电器有限公司", phone: "13900001111"));
        await CreateAsync(Zhang, Company("成都天府软件有限公司", email: "sales@tianfu.cn"));

        var result = await As(Admin, s => s.ScanAsync());
        Assert.Equal(7, result.Groups);
        Assert.Equal(14, result.InGroups);
        var groups = await GroupsAsync(Admin);
        Assert.Equal(7, groups.Count);
        var expected = new[]
        {
            (new[] { a, b }, DuplicateRule.CompanyName), (new[] { c, d }, DuplicateRule.Phone), (new[] { e, f }, DuplicateRule.Uscc),
            (new[] { g, h }, DuplicateRule.Email), (new[] { i, j }, DuplicateRule.PersonName | DuplicateRule.Pinyin),
            (new[] { k, l }, DuplicateRule.Pinyin), (new[] { m, n }, DuplicateRule.PersonCompany),
        };
        foreach (var (pair, rule) in expected)
        {
            var group = Assert.Single(groups, x => Numbers(x).SetEquals(pair.Select(p => p.Number!)));
            Assert.Equal(rule, group.Rules);
            Assert.Equal(DedupService.Confidence(rule), group.Confidence);
        }
        // Sorted by confidence: the 统一社会信用代码 group first.
        Assert.Equal(DuplicateRule.Uscc, groups[0].Rules);
        // Members are masked like everywhere else.
        Assert.Contains(groups.SelectMany(x => x.Members), m => m.Phones.Any(p => p.Number == "138****5678"));

        // A second scan gives the same groups (replaces, does not add).
        Assert.Equal(7, (await As(Admin, s => s.ScanAsync())).Groups);
        Assert.Equal(7, (await GroupsAsync(Admin)).Count);
    }

    [Fact]
    public async Task Customers_whose_contact_persons_share_a_phone_or_a_personal_email_are_grouped()
    {
        Task<ContactForm> Contact(CustomerForm customer, string name, string? phone = null, string? email = null) =>
            _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<ContactService>().AddAsync(customer.Number!, new ContactForm
            {
                Name = name, Email = email, Phones = phone is null ? [] : [new PhoneEntry { Kind = PhoneKind.Mobile, Number = phone }],
            }));
        var a = await CreateAsync(Zhang, Company("深圳前海云帆科技有限公司"));
        var b = await CreateAsync(Zhang, Company("云帆智能工作室"));
        var c = await CreateAsync(Zhang, Company("南京紫金文化传媒有限公司"));
        var d = await CreateAsync(Zhang, Company("金陵文创工作室"));
        var e = await CreateAsync(Zhang, Company("重庆山城火锅有限公司"));
        var f = await CreateAsync(Zhang, Company("山城餐饮管理部"));
        await Contact(a, "陈晓明", phone: "13711112222");
        await Contact(b, "陈晓明", phone: "137 1111 2222");
        await Contact(c, "周婷", email: "Zhou.Ting@zijin.cn");
        await Contact(d, "周婷", email: "zhou.ting@ZIJIN.cn");
        // Not a signal: a role mailbox shared by two customers, and one customer listing the same phone twice.
        await Contact(e, "前台", email: "info@shancheng.cn");
        await Contact(f, "前台", email: "info@shancheng.cn");
        await Contact(e, "刘强", phone: "13600001111");
        await Contact(e, "刘强（备用）", phone: "13600001111");

        var result = await As(Admin, s => s.ScanAsync());
        Assert.Equal(2, result.Groups);
        var groups = await GroupsAsync(Admin);
        var byPhone = Assert.Single(groups, g => Numbers(g).SetEquals([a.Number!, b.Number!]));
        Assert.Equal(DuplicateRule.ContactPhone, byPhone.Rules);
        Assert.Equal("联系人电话相同", byPhone.RuleLabels);
        var byEmail = Assert.Single(groups, g => Numbers(g).SetEquals([c.Number!, d.Number!]));
        Assert.Equal(DuplicateRule.ContactEmail, byEmail.Rules);

        // A contact removed from one of them is no longer a reason.
        var chen = await _app.WithDbAsync(db => db.Set<Contact>().SingleAsync(k => k.Name == "陈晓明" && db.Set<Customer>().Any(x => x.Id == k.CustomerId && x.Number == b.Number)));
        await _app.AsUserAsync(Zhang, async sp => { await sp.GetRequiredService<ContactService>().DeleteAsync(b.Number!, chen.Id); return 0; });
        Assert.Equal(1, (await As(Admin, s => s.ScanAsync())).Groups);
    }

    [Fact]
    public async Task Groups_are_seen_only_when_every_member_is_in_scope_and_reps_cannot_scan()
    {
        var own = await CreateAsync(Zhang, Company("上海浦江机电有限公司", phone: "13812345678"));
        await CreateAsync(Li, Company("浦江机电（上海）有限公司", phone: "13812345678"));
        var team1 = await CreateAsync(Zhang, Company("北京华夏科技有限公司"));
        var team2 = await CreateAsync(Zhang, Company("华夏科技（北京）有限责任公司"));
        await As(Admin, s => s.ScanAsync());
        Assert.Equal(2, (await GroupsAsync(Admin)).Count);
        // The manager leads 张伟 only: the 浦江 group includes 李娜's customer, so it stays hidden.
        var managerGroups = await GroupsAsync(Manager);
        var only = Assert.Single(managerGroups);
        Assert.Equal(new[] { team1.Number!, team2.Number! }.ToHashSet(), Numbers(only));
        Assert.DoesNotContain(managerGroups.SelectMany(x => x.Members), m => m.Number == own.Number);
        await Assert.ThrowsAsync<ForbiddenException>(() => As(Zhang, s => s.ScanAsync()));
        await Assert.ThrowsAsync<ForbiddenException>(() => As(Li, s => s.ListAsync()));
        // Nor can the manager dismiss a group outside the team.
        var hidden = (await GroupsAsync(Admin)).Single(x => x.Id != only.Id);
        await Assert.ThrowsAsync<NotFoundException>(() => As(Manager, async s => { await s.DismissAsync(hidden.Id); return true; }));
        // A rep cannot merge a customer of another rep.
        var other = (await GroupsAsync(Admin)).Single(x => x.Id == hidden.Id).Members.Single(m => m.Number != own.Number);
        await Assert.ThrowsAsync<NotFoundException>(() => As(Zhang, s => s.MergeAsync(new MergeRequest { Survivor = own.Number!, Others = [other.Number!] })));
    }

    [Fact]
    public async Task A_dismissed_group_stays_dismissed_after_the_next_scan()
    {
        await CreateAsync(Zhang, Company("北京华夏科技有限公司"));
        await CreateAsync(Zhang, Company("华夏科技（北京）有限公司"));
        await As(Admin, s => s.ScanAsync());
        var group = Assert.Single(await GroupsAsync(Manager));
        await As(Manager, async s => { await s.DismissAsync(group.Id); return true; });
        Assert.Empty(await GroupsAsync(Admin));
        Assert.Equal(0, (await As(Admin, s => s.ScanAsync())).Groups);
        Assert.Single(await GroupsAsync(Admin, DuplicateStatus.Dismissed));
    }

    [Fact]
    public async Task Merge_moves_contacts_consents_and_history_to_the_survivor_and_undo_restores_everything()
    {
        var survivor = await CreateAsync(Zhang, Company("北京华夏科技有限公司", phone: "13812345678"));
        var other = await CreateAsync(Zhang, Company("华夏科技（北京）有限公司", phone: "13900001111", uscc: Samples.Uscc()));
        var contact = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<ContactService>().AddAsync(other.Number!,
            new ContactForm { Name = "司马静怡", Title = "采购经理", Phones = [new PhoneEntry { Kind = PhoneKind.Mobile, Number = "13698765432" }] }));
        await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<PrivacyService>().AddConsentAsync(other.Number!, new ConsentInput
        {
            ContactId = contact.Id, Purpose = "营销推广", Channel = ConsentChannel.WeChat, GivenOn = new DateOnly(2026, 11, 1),
        }));
        await As(Admin, s => s.ScanAsync());

        var merge = await As(Zhang, s => s.MergeAsync(new MergeRequest
        {
            Survivor = survivor.Number!, Others = [other.Number!],
            Fields = new() { ["Name"] = other.Number!, ["Uscc"] = other.Number!, ["Phones"] = other.Number! },
        }));
        var customers = _app.Services;
        var after = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().GetAsync(survivor.Number!));
        Assert.Equal("华夏科技（北京）有限公司", after.Name);
        Assert.Equal(Samples.Uscc(), after.Uscc);
        Assert.Equal("139****1111", Assert.Single(after.Phones).Number);
        var contacts = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<ContactService>().ListAsync(survivor.Number!));
        Assert.Equal("司马静怡", Assert.Single(contacts).Name);
        var consents = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<PrivacyService>().ListConsentsAsync(survivor.Number!));
        Assert.NotEmpty(consents);
        // The merged-away customer is in the recycle bin, marked as merged; the contact's phone finds the survivor.
        var gone = await _app.WithDbAsync(db => db.Set<Customer>().IgnoreQueryFilters().SingleAsync(c => c.Number == other.Number));
        Assert.NotNull(gone.DeletedAt);
        Assert.Equal(await _app.WithDbAsync(db => db.Set<Customer>().Where(c => c.Number == survivor.Number).Select(c => c.Id).SingleAsync()), gone.MergedIntoId);
        var found = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery { Q = "13698765432" }));
        Assert.Equal(survivor.Number, Assert.Single(found.Items).Number);
        // Both timelines tell; the survivor's now includes the other's history (its creation).
        var history = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().HistoryAsync(survivor.Number!));
        Assert.Contains(history, r => r.Field == "Merge" && r.NewValue!.Contains(other.Number!, StringComparison.Ordinal));
        Assert.Contains(history, r => r.Action == ChangeAction.Created && r.EntityLabel!.Contains(other.Number!, StringComparison.Ordinal));
        var otherHistory = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().HistoryAsync(other.Number!));
        Assert.Contains(otherHistory, r => r.Field == "MergedInto" && r.NewValue!.Contains(survivor.Number!, StringComparison.Ordinal));
        Assert.Equal(DuplicateStatus.Merged, Assert.Single(await GroupsAsync(Admin, DuplicateStatus.Merged)).Status);
        // No plaintext phone was stored for the undo.
        var record = await _app.WithDbAsync(db => db.Set<MergeRecord>().SingleAsync());
        Assert.DoesNotContain("13812345678", record.SurvivorBeforeJson + record.SurvivorSealedBefore + record.MovedJson, StringComparison.Ordinal);

        await As(Zhang, s => s.UndoMergeAsync(merge.MergeId));
        var restored = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().GetAsync(survivor.Number!));
        Assert.Equal("北京华夏科技有限公司", restored.Name);
        Assert.Null(restored.Uscc);
        Assert.Equal("138****5678", Assert.Single(restored.Phones).Number);
        var back = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().GetAsync(other.Number!));
        Assert.Equal("华夏科技（北京）有限公司", back.Name);
        Assert.Equal("司马静怡", Assert.Single(await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<ContactService>().ListAsync(other.Number!))).Name);
        Assert.Empty(await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<ContactService>().ListAsync(survivor.Number!)));
        found = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery { Q = "13812345678" }));
        Assert.Equal(survivor.Number, Assert.Single(found.Items).Number);
        found = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().ListAsync(new CustomerListQuery { Q = "13698765432" }));
        Assert.Equal(other.Number, Assert.Single(found.Items).Number);
        var statuses = await _app.WithDbAsync(db => db.Set<DuplicateGroup>().Select(x => x.Status).ToListAsync());
        Assert.Equal([DuplicateStatus.Open], statuses);
        Assert.Single(await GroupsAsync(Admin));
        var undoAgain = await Assert.ThrowsAsync<ValidationFailedException>(() => As(Zhang, s => s.UndoMergeAsync(merge.MergeId)));
        Assert.Equal("这次合并已经撤销过了", undoAgain.Errors.For("merge"));
    }

    [Fact]
    public async Task Merge_input_is_validated_in_chinese()
    {
        var a = await CreateAsync(Zhang, Company("北京华夏科技有限公司"));
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => As(Zhang, s => s.MergeAsync(new MergeRequest
        {
            Survivor = a.Number!, Others = [a.Number!], Fields = new() { ["Password"] = a.Number! },
        })));
        Assert.Equal("保留的客户不能同时被合并", bad.Errors.For("others"));
        Assert.Equal("未知的字段“Password”", bad.Errors.For("fields"));
    }

    [Fact]
    public async Task Creating_a_lookalike_warns_with_the_existing_customer_by_service_and_api()
    {
        var existing = await CreateAsync(Zhang, Company("北京华夏科技有限公司", phone: "13812345678"));
        var created = await CreateAsync(Zhang, Company("华夏科技（北京）有限公司"));
        var hint = Assert.Single(created.Duplicates!);
        Assert.Equal(existing.Number, hint.Number);
        Assert.Equal("公司名称相同（规范化后）", hint.Reasons);
        var similar = await _app.AsUserAsync(Zhang, sp => sp.GetRequiredService<CustomerService>().SimilarAsync(Company("随便什么名字", phone: "138-1234-5678")));
        Assert.Equal(existing.Number, Assert.Single(similar).Number);
        // Another rep's customer is not revealed.
        Assert.Empty(await _app.AsUserAsync(Li, sp => sp.GetRequiredService<CustomerService>().SimilarAsync(Company("北京华夏科技有限公司", phone: "13812345678"))));

        using var client = await _app.ClientForAsync(Zhang);
        var response = await client.PostAsJsonAsync("/api/v1/customers", new { kind = "company", name = "北京市华夏科技股份有限公司" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var numbers = body["duplicates"]!.AsArray().Select(x => (string)x!["number"]!).ToList();
        Assert.Contains(existing.Number!, numbers);
        Assert.Contains(created.Number!, numbers);
        response = await client.PostAsJsonAsync("/api/v1/customers", new { kind = "company", name = "完全不同的名字有限公司" });
        Assert.Null(JsonNode.Parse(await response.Content.ReadAsStringAsync())!["duplicates"]?.AsArray().FirstOrDefault());

        // A person: the same name at the same company (written differently) is a lookalike, at another company not.
        var liu = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "北京华夏科技有限公司" });
        var again = await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "华夏科技（北京）" });
        var person = Assert.Single(again.Duplicates!);
        Assert.Equal(liu.Number, person.Number);
        Assert.Equal("姓名和所在公司相同", person.Reasons);
        Assert.Empty((await CreateAsync(Zhang, new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "长城汽车股份有限公司" })).Duplicates ?? []);
        Assert.Empty(await _app.AsUserAsync(Li, sp => sp.GetRequiredService<CustomerService>().SimilarAsync(
            new CustomerForm { Kind = CustomerKind.Individual, Name = "刘洋", Company = "北京华夏科技有限公司" })));
    }
}

public sealed class DedupTestsOnSqlite() : DedupTests(TestDatabase.Sqlite);

public sealed class DedupTestsOnPostgres() : DedupTests(TestDatabase.Postgres);
