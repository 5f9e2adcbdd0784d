using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Features.Search;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Search;

/// <summary>Search through the API (global search and the customer list's q), once per database.</summary>
public abstract class SearchTests(TestDatabase database) : IAsyncLifetime
{
    protected TestApp App { get; private set; } = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(database);
        _admin = await App.ClientAsync(Roles.Admin, "admin@example.com");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    protected async Task<string> CreateAsync(object body, HttpClient? client = null)
    {
        var response = await (client ?? _admin).PostJsonAsync("/api/v1/customers", body);
        var json = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return json["number"].S();
    }

    protected static object Person(string name, string phone, string? email = null) =>
        new { kind = "individual", name, phones = new[] { new { kind = "mobile", number = phone } }, email };

    private async Task<JsonObject> AddContactAsync(string number, string name, string phone)
    {
        var r = await _admin.PostJsonAsync($"/api/v1/customers/{number}/contacts",
            new { name, role = "keyDecisionMaker", phones = new[] { new { kind = "mobile", number = phone } } });
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        return await r.ReadObjectAsync();
    }

    private async Task<List<(string Number, string Name, int Rank)>> SearchAsync(string q, HttpClient? client = null)
    {
        var response = await (client ?? _admin).GetAsync("/api/v1/search?limit=20&q=" + Uri.EscapeDataString(q));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hits = await response.ReadArrayAsync();
        return hits.Select(h => (h!["number"].S(), h["name"].S(), h["rank"]!.GetValue<int>())).ToList();
    }

    [Fact]
    public async Task Start_up_backfill_indexes_customers_without_a_search_row_and_is_a_no_op_otherwise()
    {
        await CreateAsync(Person("欧阳明月", "13812345678"));
        Assert.Equal(0, await Renmai.Features.Search.CustomerSearchRows.BackfillAsync(App.Services));
        // A customer whose row is missing (written before the index existed) is found again after the backfill.
        await App.WithDbAsync(db => db.Set<Renmai.Features.Search.CustomerSearchRow>().ExecuteDeleteAsync());
        Assert.Empty(await NamesAsync("oymy"));
        Assert.Equal(1, await Renmai.Features.Search.CustomerSearchRows.BackfillAsync(App.Services));
        Assert.Equal(["欧阳明月"], await NamesAsync("oymy"));
    }

    protected async Task<List<string>> NamesAsync(string q, HttpClient? client = null) => (await SearchAsync(q, client)).Select(h => h.Name).ToList();

    private async Task<int> ListTotalAsync(string q, HttpClient? client = null)
    {
        var response = await (client ?? _admin).GetAsync("/api/v1/customers?pageSize=50&q=" + Uri.EscapeDataString(q));
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var list = await response.ReadObjectAsync();
        return list["total"]!.GetValue<int>();
    }

    [Fact]
    public async Task Finds_by_two_chinese_characters_pinyin_initials_and_mixed_ranked_exact_prefix_substring()
    {
        await CreateAsync(Samples.Company("深圳市张伟贸易有限公司", "批发零售", Samples.Uscc("91440300MA5DC0002")));
        await CreateAsync(Person("张伟华", "13700002222"));
        await CreateAsync(Person("张伟", "13900001111"));
        await CreateAsync(Person("李娜", "13600003333"));

        // Whole field first, then the start of a field, then anywhere.
        Assert.Equal(["张伟", "张伟华", "深圳市张伟贸易有限公司"], await NamesAsync("张伟"));
        Assert.Equal([0, 1, 2], (await SearchAsync("张伟")).Select(h => h.Rank));
        Assert.Equal(["张伟", "张伟华"], (await NamesAsync("zhangwei")).Take(2));
        Assert.Equal(["张伟", "张伟华", "深圳市张伟贸易有限公司"], await NamesAsync("zw"));
        Assert.Equal(["深圳市张伟贸易有限公司"], await NamesAsync("szszwmy"));
        Assert.Equal(["张伟", "张伟华", "深圳市张伟贸易有限公司"], await NamesAsync("zhang伟")); // zhangwei is inside its pinyin too
        Assert.Equal(["张伟华"], await NamesAsync("伟华"));
        Assert.Equal(["李娜"], await NamesAsync("LINA"));
        Assert.Empty(await NamesAsync("张"));   // one character is not a query
        Assert.Empty(await NamesAsync("王五"));

        // The list's q uses the same index.
        Assert.Equal(3, await ListTotalAsync("zw"));
        Assert.Equal(1, await ListTotalAsync("伟华"));
        Assert.Equal(3, await ListTotalAsync("zhang伟"));
    }

    [Fact]
    public async Task Two_characters_with_a_punctuation_mark_find_only_the_names_with_exactly_those_two()
    {
        // SQLite's word index holds the grams "a." and "-a" both as the word a; the documents tell them apart.
        await CreateAsync(Samples.Company("A.B咨询有限公司", "商务服务业", Samples.Uscc("91440300MA5DC0003")));
        await CreateAsync(Samples.Company("C-A科技有限公司", "软件和信息技术服务业", Samples.Uscc("91440300MA5DC0004")));
        Assert.Equal(["A.B咨询有限公司"], await NamesAsync("a."));
        Assert.Equal(["C-A科技有限公司"], await NamesAsync("-a"));
        Assert.Equal(["A.B咨询有限公司"], await NamesAsync("b咨"));
        Assert.Equal(1, await ListTotalAsync("-a"));
        Assert.Equal(1, await ListTotalAsync("a."));
    }

    [Fact]
    public async Task Finds_by_contact_name_and_its_surname_reading_email_number_and_phone_fragments()
    {
        var number = await CreateAsync(Samples.Company()); // phones 13812345678, 010-88886666; contact@huaxia-tech.cn
        await AddContactAsync(number, "曾志伟", "13512349876");
        var other = await CreateAsync(Person("王芳", "15011112222", "wangfang@qq.com"));

        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("志伟"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("zengzhiwei"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("zzw"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("bjhxkj"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("huaxia-tech"));
        Assert.Equal(["王芳"], await NamesAsync("fang@qq"));
        Assert.Equal(["王芳"], await NamesAsync(other.ToLowerInvariant()));
        Assert.Equal(0, (await SearchAsync(other)).Single().Rank);

        // Phones: last 4 (rank 0), any 4+ digits (rank 2), the whole number, a contact's phone, +86.
        Assert.Equal([("北京华夏科技有限公司", 0)], (await SearchAsync("5678")).Select(h => (h.Name, h.Rank)));
        Assert.Equal([("北京华夏科技有限公司", 2)], (await SearchAsync("1234")).Select(h => (h.Name, h.Rank)));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("13812345678"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("+86 138 1234 5678"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("23498"));
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("8888"));
        Assert.Equal(["王芳"], await NamesAsync("1111222"));
        Assert.Empty(await NamesAsync("13812349999")); // every gram exists somewhere, the number does not
        Assert.Equal(1, await ListTotalAsync("5678"));
        Assert.Equal(1, await ListTotalAsync("34987"));
    }

    [Fact]
    public async Task Bulk_loaded_customers_are_found_and_the_full_text_index_matches_its_content()
    {
        // The bulk path writes the FTS rows itself with the insert trigger suspended (SQLite).
        await Renmai.Features.Customers.DemoData.FillAsync(App.Services, 300, 11, TextWriter.Null, CancellationToken.None);
        var demo = await App.WithDbAsync(db => db.Set<Renmai.Features.Customers.Customer>().OrderBy(c => c.Number).Skip(123).FirstAsync());
        Assert.Contains(demo.Name, await NamesAsync(demo.Name));
        var phone = demo.Phones[0].Number;
        Assert.Contains(demo.Name, await NamesAsync(phone[^4..]));
        if (database == TestDatabase.Sqlite)
        {
            await App.WithDbAsync(async db =>
            {
                // integrity-check with rank 1 compares each index with its content table: a missing or extra FTS row fails it.
                await db.Database.ExecuteSqlRawAsync("INSERT INTO CustomerSearchFts(CustomerSearchFts, rank) VALUES ('integrity-check', 1)");
                await db.Database.ExecuteSqlRawAsync("INSERT INTO CustomerWordFts(CustomerWordFts, rank) VALUES ('integrity-check', 1)");
                var triggers = await db.Database.SqlQuery<string>($"SELECT name AS Value FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'CustomerSearch' ORDER BY name").ToListAsync();
                Assert.Equal(["CustomerSearch_ad", "CustomerSearch_ai", "CustomerSearch_au"], triggers);
                return 0;
            });
        }
        else
        {
            // pg_trgm: the grams are stored glued to a letter marker (a '^' would split them off as words of their own
            // and make every exact or prefix query recheck most of the table), by the bulk path and by EF alike.
            var stored = await App.WithDbAsync(db => db.Database.SqlQuery<string>($"SELECT \"Text\" AS \"Value\" FROM \"CustomerSearch\" ORDER BY \"Id\"").ToListAsync());
            Assert.All(stored, t => Assert.DoesNotContain('^', t));
            Assert.All(stored, t => Assert.Contains(Renmai.Features.Search.CustomerSearchRows.PostgresGramMarker, t));
        }
        // The trigger is back: a customer saved through EF afterwards is indexed as before.
        await CreateAsync(Person("司马相如", "13912340000"));
        Assert.Equal(["司马相如"], await NamesAsync("smxr"));
        Assert.Equal(["司马相如"], await NamesAsync("相如"));
        if (database == TestDatabase.Postgres)
            Assert.Contains(Renmai.Features.Search.CustomerSearchRows.PostgresGramMarker + "司马", (await App.WithDbAsync(db => db.Database.SqlQuery<string>($"SELECT \"Text\" AS \"Value\" FROM \"CustomerSearch\" WHERE \"Text\" LIKE '%|司马相如|%'").SingleAsync())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Common_and_rare_patterns_find_the_same_customers_whichever_way_they_are_read_and_only_in_scope()
    {
        await Renmai.Features.Customers.DemoData.FillAsync(App.Services, 300, 12, TextWriter.Null, CancellationToken.None);
        var repC = await App.ClientAsync(Roles.Rep, "rep-c@example.com");
        var rare = new[] { await CreateAsync(Person("欧阳修文", "13811112201")), await CreateAsync(Person("欧阳修文", "13811112202")) };
        var mine = await CreateAsync(Samples.Company("终南测试有限公司", "批发零售", Samples.Uscc("91610100MA6TEXT01")), repC);
        if (database == TestDatabase.Postgres)
        {
            // PostgreSQL reads a common pattern with a plain scan and a rare one through the trigram index (ADR 0033): both are used here.
            var sample = App.Services.GetRequiredService<SearchSample>();
            Assert.True(await sample.IsCommonAsync(CustomerSearchRows.PostgresGramMarker + "有限", CancellationToken.None));
            Assert.False(await sample.IsCommonAsync("|欧阳修文|", CancellationToken.None));
            Assert.False(await sample.IsCommonAsync(CustomerSearchRows.PostgresGramMarker + "欧阳", CancellationToken.None));
        }

        Assert.Equal(rare.Order(), (await SearchAsync("欧阳修文")).Where(h => h.Rank == 0).Select(h => h.Number).Order());
        Assert.Equal(rare.Order(), (await SearchAsync("oyxw")).Select(h => h.Number).Order());
        Assert.Empty(await SearchAsync("欧阳修文", repC));
        // Phones: a 4-digit token is common in a large base (a scan that stops early on PostgreSQL), a longer number is not.
        Assert.Contains((rare[0], 0), (await SearchAsync("2201")).Select(h => (h.Number, h.Rank)));
        Assert.Equal([rare[1]], (await SearchAsync("13811112202")).Select(h => h.Number));
        Assert.Empty(await SearchAsync("2201", repC));

        // 有限 is in most names: the first 20 are all genuine matches (their name or company has it).
        var common = await SearchAsync("有限");
        Assert.Equal(20, common.Count);
        var numbers = common.Select(h => h.Number).ToList();
        var matched = await App.WithDbAsync(db => db.Set<Renmai.Features.Customers.Customer>()
            .Where(c => numbers.Contains(c.Number) && (c.Name.Contains("有限") || (c.Company != null && c.Company.Contains("有限")))).CountAsync());
        Assert.Equal(20, matched);
        // The rep sees only the one customer of theirs among hundreds of matches.
        Assert.Equal([mine], (await SearchAsync("有限", repC)).Select(h => h.Number));
        // A customer number as the whole query, also without its leading zeros; never outside the user's scope.
        Assert.Equal([mine], (await SearchAsync("KH" + long.Parse(mine[2..], System.Globalization.CultureInfo.InvariantCulture), repC)).Select(h => h.Number));
        Assert.Empty(await SearchAsync(rare[0], repC));
    }

    [Fact]
    public async Task A_rep_cannot_find_another_reps_customer()
    {
        var repA = await App.ClientAsync(Roles.Rep, "rep-a@example.com");
        var repB = await App.ClientAsync(Roles.Rep, "rep-b@example.com");
        var number = await CreateAsync(Person("秦岭雪", "13344445555"), repA);

        foreach (var q in new[] { "秦岭", "qinlingxue", "qlx", "5555", "13344445555", number })
        {
            Assert.Equal(["秦岭雪"], await NamesAsync(q, repA));
            Assert.Empty(await NamesAsync(q, repB));
            Assert.Equal(0, await ListTotalAsync(q, repB));
            Assert.Equal(1, await ListTotalAsync(q, repA));
        }
        // Where a person works is searchable, and as private as the rest.
        await CreateAsync(new { kind = "individual", name = "华山松", company = "终南山茶业有限公司" }, repA);
        foreach (var q in new[] { "终南山", "znscy", "zhongnanshan" })
        {
            Assert.Equal(["华山松"], await NamesAsync(q, repA));
            Assert.Empty(await NamesAsync(q, repB));
        }
        var limit = await repB.GetAsync("/api/v1/search?q=qlx&limit=500");
        Assert.Equal(HttpStatusCode.BadRequest, limit.StatusCode);
    }

    private async Task<List<string>> ListNamesAsync(string query, HttpClient? client = null)
    {
        var response = await (client ?? _admin).GetAsync("/api/v1/customers?pageSize=50&" + query);
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return [.. (await response.ReadObjectAsync())["items"]!.AsArray().Select(i => i!["name"].S())];
    }

    [Fact]
    public async Task The_list_sorted_by_relevance_puts_whole_names_then_name_starts_first_within_the_users_scope()
    {
        var repA = await App.ClientAsync(Roles.Rep, "rep-a@example.com");
        var repB = await App.ClientAsync(Roles.Rep, "rep-b@example.com");
        // Created in this order, so "most recently updated first" is the reverse of the relevance order.
        await CreateAsync(new { kind = "company", name = "华夏" }, repA);
        await CreateAsync(new { kind = "company", name = "华夏银行股份有限公司" }, repA);
        await CreateAsync(new { kind = "company", name = "北京华夏科技有限公司" }, repA);
        await CreateAsync(new { kind = "company", name = "华夏人寿保险股份有限公司" }, repB);

        Assert.Equal(["北京华夏科技有限公司", "华夏银行股份有限公司", "华夏"], await ListNamesAsync("q=" + Uri.EscapeDataString("华夏"), repA));
        Assert.Equal(["华夏", "华夏银行股份有限公司", "北京华夏科技有限公司"], await ListNamesAsync("sort=relevance&q=" + Uri.EscapeDataString("华夏"), repA));
        // Pinyin initials rank the same way: hx is the whole initials of 华夏 and the start of 华夏银行's.
        Assert.Equal(["华夏", "华夏银行股份有限公司", "北京华夏科技有限公司"], await ListNamesAsync("sort=relevance&q=hx", repA));
        // A column sort still orders within the matches; relevance without a search is newest first.
        Assert.Equal(["北京华夏科技有限公司", "华夏", "华夏银行股份有限公司"], await ListNamesAsync("sort=name&q=" + Uri.EscapeDataString("华夏"), repA));
        Assert.Equal("北京华夏科技有限公司", (await ListNamesAsync("sort=relevance", repA))[0]);
        // Another rep's exact match is neither listed nor ranked.
        Assert.Equal(["华夏人寿保险股份有限公司"], await ListNamesAsync("sort=relevance&q=" + Uri.EscapeDataString("华夏"), repB));
        var admin = await ListNamesAsync("sort=relevance&q=" + Uri.EscapeDataString("华夏"));
        // Within a rank, newest first: repB's 华夏人寿 was created after 华夏银行.
        Assert.Equal(["华夏", "华夏人寿保险股份有限公司", "华夏银行股份有限公司", "北京华夏科技有限公司"], admin);
    }

    [Fact]
    public async Task The_index_follows_edits_contacts_deletion_restore_and_erasure()
    {
        var number = await CreateAsync(Person("赵敏", "13922223333"));
        Assert.Equal(["赵敏"], await NamesAsync("zm"));

        var patched = await _admin.PatchJsonAsync($"/api/v1/customers/{number}", new { name = "单小敏", phones = new[] { new { kind = "mobile", number = "13966667777" } } }, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Empty(await NamesAsync("赵敏"));
        Assert.Empty(await NamesAsync("3333"));
        Assert.Equal(["单小敏"], await NamesAsync("shanxiaomin")); // surname reading
        Assert.Equal(["单小敏"], await NamesAsync("7777"));

        var contact = await AddContactAsync(number, "解晓东", "18611112222");
        Assert.Equal(["单小敏"], await NamesAsync("xiexiaodong"));
        Assert.Equal(["单小敏"], await NamesAsync("2222"));
        var id = contact["id"].S();
        var put = await _admin.PutAsJsonAsync($"/api/v1/customers/{number}/contacts/{id}",
            new { name = "解放", role = "keyDecisionMaker", version = contact["version"]!.GetValue<int>(), phones = new[] { new { kind = "mobile", number = "18633334444" } } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.Empty(await NamesAsync("晓东"));
        Assert.Empty(await NamesAsync("18611112222"));
        Assert.Equal(["单小敏"], await NamesAsync("4444"));
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/v1/customers/{number}/contacts/{id}")).StatusCode);
        Assert.Empty(await NamesAsync("解放"));
        Assert.Empty(await NamesAsync("4444"));

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/v1/customers/{number}")).StatusCode);
        Assert.Empty(await NamesAsync("单小敏"));
        Assert.Equal(HttpStatusCode.OK, (await _admin.PostAsync($"/api/v1/customers/{number}/restore", null)).StatusCode);
        Assert.Equal(["单小敏"], await NamesAsync("单小敏"));

        var erase = await _admin.PostJsonAsync($"/api/v1/customers/{number}/erase", new { confirmation = number });
        Assert.True(erase.IsSuccessStatusCode, await erase.Content.ReadAsStringAsync());
        Assert.Empty(await NamesAsync("单小敏"));
        Assert.Empty(await NamesAsync("sxm"));
        Assert.Empty(await NamesAsync("7777"));
    }

    [Fact]
    public async Task No_phone_number_or_digit_fragment_of_one_is_stored_in_the_search_tables()
    {
        var number = await CreateAsync(Samples.Company());
        await AddContactAsync(number, "曾志伟", "13512349876");
        string[] phones = ["13812345678", "01088886666", "13512349876"];
        // Fragments that the customer number or the credit code (not phones) also contain are no evidence.
        var allowed = new[] { number.ToLowerInvariant(), Samples.Uscc().ToLowerInvariant() };
        var fragments = phones.SelectMany(p => Enumerable.Range(0, p.Length - 3).Select(i => p.Substring(i, 4)))
            .Where(f => !allowed.Any(a => a.Contains(f, StringComparison.Ordinal))).Distinct().ToList();
        Assert.True(fragments.Count > 15);

        var texts = await App.WithDbAsync(db => db.Set<CustomerSearchRow>().Select(r => r.Text + " " + r.PhoneGrams).ToListAsync());
        Assert.NotEmpty(texts);
        foreach (var text in texts)
            foreach (var f in fragments) Assert.DoesNotContain(f, text, StringComparison.Ordinal);

        if (database == TestDatabase.Sqlite)
        {
            // The FTS5 index itself: every term (trigram) it holds, listed through fts5vocab.
            var terms = await App.WithDbAsync(async db =>
            {
                await db.Database.OpenConnectionAsync();
                await db.Database.ExecuteSqlRawAsync("CREATE VIRTUAL TABLE IF NOT EXISTS temp.SearchTerms USING fts5vocab(main, 'CustomerSearchFts', 'row');");
                return await db.Database.SqlQueryRaw<string>("SELECT term AS Value FROM temp.SearchTerms").ToListAsync();
            });
            Assert.NotEmpty(terms);
            // A digit trigram of a phone may be there only when the customer number or credit code has it too.
            var digitTerms = terms.Where(t => t.Any(char.IsAsciiDigit)).ToList();
            foreach (var p in phones)
                for (var i = 0; i + 3 <= p.Length; i++)
                {
                    var tri = p.Substring(i, 3);
                    if (!allowed.Any(a => a.Contains(tri, StringComparison.Ordinal))) Assert.DoesNotContain(tri, digitTerms);
                }
            var phoneTerms = await App.WithDbAsync(async db =>
            {
                await db.Database.OpenConnectionAsync();
                await db.Database.ExecuteSqlRawAsync("CREATE VIRTUAL TABLE IF NOT EXISTS temp.PhoneTerms USING fts5vocab(main, 'CustomerWordFts', 'row');");
                return await db.Database.SqlQueryRaw<string>("SELECT term AS Value FROM temp.PhoneTerms").ToListAsync();
            });
            Assert.True(phoneTerms.Count >= fragments.Count);
            Assert.All(phoneTerms, t => Assert.DoesNotContain(t, c => char.IsAsciiDigit(c)));
        }
        Assert.Equal(["北京华夏科技有限公司"], await NamesAsync("9876")); // and still found by it
    }
}

public sealed class SearchTestsOnSqlite() : SearchTests(TestDatabase.Sqlite)
{
    /// <summary>The SQLite search objects before 2026-12-08: the grams inside the trigram text, the phone tokens in a table of their own.</summary>
    private const string EarlierForm = """
        DROP TRIGGER CustomerSearch_ai; DROP TRIGGER CustomerSearch_ad; DROP TRIGGER CustomerSearch_au;
        DROP TABLE CustomerSearchFts; DROP TABLE CustomerWordFts; DROP VIEW CustomerSearchIndexed;
        CREATE VIRTUAL TABLE CustomerSearchFts USING fts5(Text, content='CustomerSearch', content_rowid='Id', tokenize='trigram case_sensitive 1');
        CREATE VIRTUAL TABLE CustomerPhoneFts USING fts5(PhoneGrams, content='CustomerSearch', content_rowid='Id', tokenize='ascii', detail='none');
        CREATE TRIGGER CustomerSearch_ai AFTER INSERT ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, new.Text);
          INSERT INTO CustomerPhoneFts(rowid, PhoneGrams) VALUES (new.Id, new.PhoneGrams);
        END;
        CREATE TRIGGER CustomerSearch_ad AFTER DELETE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, old.Text);
          INSERT INTO CustomerPhoneFts(CustomerPhoneFts, rowid, PhoneGrams) VALUES ('delete', old.Id, old.PhoneGrams);
        END;
        CREATE TRIGGER CustomerSearch_au AFTER UPDATE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, old.Text);
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, new.Text);
          INSERT INTO CustomerPhoneFts(CustomerPhoneFts, rowid, PhoneGrams) VALUES ('delete', old.Id, old.PhoneGrams);
          INSERT INTO CustomerPhoneFts(rowid, PhoneGrams) VALUES (new.Id, new.PhoneGrams);
        END;
        INSERT INTO CustomerSearchFts(CustomerSearchFts) VALUES ('rebuild');
        INSERT INTO CustomerPhoneFts(CustomerPhoneFts) VALUES ('rebuild');
        """;

    private Task<List<string>> ObjectsAsync() => App.WithDbAsync(db =>
        db.Database.SqlQuery<string>($"SELECT name AS Value FROM sqlite_master WHERE name LIKE 'Customer%Fts' OR name = 'CustomerSearchIndexed' OR type = 'trigger' AND tbl_name = 'CustomerSearch' ORDER BY name").ToListAsync());

    [Fact]
    public async Task A_search_index_of_the_earlier_form_is_converted_at_start_up()
    {
        await CreateAsync(Person("欧阳明月", "13812345678"));
        await App.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(EarlierForm));
        Assert.Contains("CustomerPhoneFts", await ObjectsAsync());

        await SearchSetup.EnsureAsync(App.Services);

        Assert.Equal(["CustomerSearchFts", "CustomerSearchIndexed", "CustomerSearch_ad", "CustomerSearch_ai", "CustomerSearch_au", "CustomerWordFts"],
            await ObjectsAsync());
        await App.WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlRawAsync("INSERT INTO CustomerSearchFts(CustomerSearchFts, rank) VALUES ('integrity-check', 1)");
            return await db.Database.ExecuteSqlRawAsync("INSERT INTO CustomerWordFts(CustomerWordFts, rank) VALUES ('integrity-check', 1)");
        });
        // The grams are words now, not trigrams: the trigram table holds the fields only.
        var trigrams = await App.WithDbAsync(async db =>
        {
            await db.Database.OpenConnectionAsync();
            await db.Database.ExecuteSqlRawAsync("CREATE VIRTUAL TABLE IF NOT EXISTS temp.Trigrams USING fts5vocab(main, 'CustomerSearchFts', 'row');");
            return await db.Database.SqlQueryRaw<string>("SELECT term AS Value FROM temp.Trigrams").ToListAsync();
        });
        Assert.Contains("|欧阳", trigrams);
        Assert.DoesNotContain(trigrams, t => t.Contains('^'));
        Assert.Equal(["欧阳明月"], await NamesAsync("阳明"));
        Assert.Equal(["欧阳明月"], await NamesAsync("5678"));
        Assert.Equal(["欧阳明月"], await NamesAsync("oymy"));
        // The triggers of the current form index what is saved afterwards, and a second start-up keeps the current form.
        await CreateAsync(Person("司马相如", "13912340000"));
        await SearchSetup.EnsureAsync(App.Services);
        Assert.Equal(["司马相如"], await NamesAsync("相如"));
        Assert.Equal(["司马相如"], await NamesAsync("0000"));
    }
}

public sealed class SearchTestsOnPostgres() : SearchTests(TestDatabase.Postgres);
