using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Settings;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Privacy;

/// <summary>Encryption at rest, blind-index lookups, masking and reveal, on SQLite and on PostgreSQL.</summary>
public abstract class EncryptionTests(TestDatabase database) : IAsyncLifetime
{
    // Known values that must never appear in the database.
    private const string Mobile = "13912348765";
    private const string OldMobile = "13811112222";
    private const string Landline = "01066663579";
    private const string ContactMobile = "13700004321";
    private const string BankAccount = "6222021234567890123";
    private static readonly string IdNumber = "11010519491231002" + SensitiveValidation.IdCheckCharacter("11010519491231002");

    protected TestApp App { get; private set; } = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        App = await TestApp.StartAsync(database);
        _admin = await App.ClientAsync(Roles.Admin, "admin@example.com");
    }

    public async Task DisposeAsync() => await App.DisposeAsync();

    private Task EnableCategoriesAsync(bool on = true) => App.AsUserAsync("admin@example.com", sp =>
        sp.GetRequiredService<SettingsService>().SaveAsync(new PrivacySettings { IdNumbersEnabled = on, BankAccountsEnabled = on }));

    private async Task<JsonObject> CreateAsync(object body, HttpClient? client = null)
    {
        var response = await (client ?? _admin).PostJsonAsync("/api/v1/customers", body);
        var json = await response.ReadObjectAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, json.ToJsonString());
        return json;
    }

    private async Task<List<string>> FindAsync(string q)
    {
        var list = await (await _admin.GetAsync("/api/v1/customers?q=" + Uri.EscapeDataString(q))).ReadObjectAsync();
        return list["items"]!.AsArray().Select(i => i!["number"].S()).ToList();
    }

    private async Task<(string Person, string Company)> SeedAsync()
    {
        await EnableCategoriesAsync();
        var person = await CreateAsync(new
        {
            kind = "individual", name = "王敏感", idNumber = IdNumber,
            phones = new[] { new { kind = "mobile", number = OldMobile } },
        });
        var number = person["number"].S();
        // Change the phone, so that history has an old and a new value.
        var patched = await _admin.PatchJsonAsync($"/api/v1/customers/{number}",
            new { phones = new[] { new { kind = "mobile", number = "139 1234 8765" } } }, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var company = await CreateAsync(new
        {
            kind = "company", name = "北京密文科技有限公司", bankName = "中国工商银行北京分行", bankAccount = BankAccount,
            phones = new[] { new { kind = "landline", number = "010-6666 3579" } },
        });
        var companyNumber = company["number"].S();
        var contact = await _admin.PostJsonAsync($"/api/v1/customers/{companyNumber}/contacts",
            new { name = "赵联系", phones = new[] { new { kind = "mobile", number = ContactMobile } } });
        Assert.Equal(HttpStatusCode.Created, contact.StatusCode);
        return (number, companyNumber);
    }

    private static IEnumerable<string> Secrets() =>
    [
        Mobile, "139 1234 8765", "139-1234-8765", OldMobile, Landline, "6666 3579", "66663579", ContactMobile, IdNumber, BankAccount,
        "中国工商银行北京分行",
    ];

    [Fact]
    public async Task Plaintext_never_reaches_the_database_and_blind_index_lookups_still_find_the_customer()
    {
        var (person, company) = await SeedAsync();

        if (database == TestDatabase.Sqlite)
        {
            await App.WithDbAsync(async db => await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);"));
            SqliteConnection.ClearAllPools();
            var bytes = new List<byte>();
            foreach (var f in Directory.GetFiles(App.DataFolder, "renmai.db*")) bytes.AddRange(await File.ReadAllBytesAsync(f));
            var all = bytes.ToArray();
            foreach (var secret in Secrets())
                Assert.True(all.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"“{secret}” found in the SQLite files");
            // Sanity: the scan does see plaintext that is stored (the customer name).
            Assert.True(all.AsSpan().IndexOf(Encoding.UTF8.GetBytes("王敏感")) >= 0);
        }
        else
        {
            var cs = await App.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()!));
            await using var conn = new NpgsqlConnection(cs);
            await conn.OpenAsync();
            var columns = new List<(string Table, string Column, string Type)>();
            await using (var cmd = new NpgsqlCommand("""
                SELECT table_name, column_name, data_type FROM information_schema.columns
                WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'bytea', 'character')
                """, conn))
            await using (var r = await cmd.ExecuteReaderAsync())
                while (await r.ReadAsync()) columns.Add((r.GetString(0), r.GetString(1), r.GetString(2)));
            Assert.Contains(columns, c => c.Table == "Customers" && c.Column == "Sensitive");
            var seenName = false;
            foreach (var (table, column, type) in columns)
            {
                foreach (var secret in Secrets().Append("王敏感"))
                {
                    var condition = type == "bytea"
                        ? $"position(convert_to(@s, 'UTF8') in \"{column}\") > 0"
                        : $"\"{column}\"::text LIKE '%' || @s || '%'";
                    await using var cmd = new NpgsqlCommand($"SELECT count(*) FROM \"{table}\" WHERE {condition}", conn);
                    cmd.Parameters.AddWithValue("s", secret);
                    var n = (long)(await cmd.ExecuteScalarAsync())!;
                    if (secret == "王敏感") { seenName |= n > 0; continue; }
                    Assert.True(n == 0, $"“{secret}” found in {table}.{column}");
                }
            }
            Assert.True(seenName);
        }

        // Exact lookups through the blind index: full number (any format), last 4 digits, ID, bank account, contact phone.
        Assert.Equal([person], await FindAsync(Mobile));
        Assert.Equal([person], await FindAsync("139 1234 8765"));
        Assert.Equal([person], await FindAsync("+86 139 1234 8765"));
        Assert.Equal([person], await FindAsync("8765"));
        Assert.Empty(await FindAsync(OldMobile));
        Assert.Equal([company], await FindAsync("010-66663579"));
        Assert.Equal([company], await FindAsync("3579"));
        Assert.Equal([company], await FindAsync(ContactMobile));
        Assert.Equal([person], await FindAsync(IdNumber));
        Assert.Equal([company], await FindAsync(BankAccount));
        // Any 4+ digits of a phone find it too (issue 4: blind 4-digit grams, verified by decryption); digits
        // that no phone contains find nothing.
        Assert.Equal([person], await FindAsync("139123487"));
        Assert.Empty(await FindAsync("139123400"));

        // Reads are masked; the timeline says what changed without plaintext.
        var read = await (await _admin.GetAsync($"/api/v1/customers/{person}")).ReadObjectAsync();
        Assert.Equal("139****8765", read["phones"]![0]!["number"].S());
        Assert.Equal("1101**********" + IdNumber[^4..], read["idNumber"].S());
        var companyRead = await (await _admin.GetAsync($"/api/v1/customers/{company}")).ReadObjectAsync();
        Assert.Equal("010-****3579", companyRead["phones"]![0]!["number"].S());
        Assert.Equal("****0123", companyRead["bankAccount"].S());
        var contacts = await (await _admin.GetAsync($"/api/v1/customers/{company}/contacts")).ReadArrayAsync();
        Assert.Equal("137****4321", contacts[0]!["phones"]![0]!["number"].S());
        var list = await (await _admin.GetAsync("/api/v1/customers?pageSize=50")).ReadObjectAsync();
        Assert.All(list["items"]!.AsArray(), i => Assert.All(i!["phones"]!.AsArray(), p => Assert.Contains("****", p!["number"].S(), StringComparison.Ordinal)));
        var history = await (await _admin.GetAsync($"/api/v1/customers/{person}/history")).ReadArrayAsync();
        var phoneChange = history.Single(h => h!["field"]?.GetValue<string>() == "Phones");
        Assert.Equal("138****2222", phoneChange!["oldValue"].S());
        Assert.Equal("139****8765", phoneChange["newValue"].S());
    }

    [Fact]
    public async Task Reveal_is_scoped_refused_to_auditors_and_audited()
    {
        var repA = await App.ClientAsync(Roles.Rep, "rep-a@example.com");
        var repB = await App.ClientAsync(Roles.Rep, "rep-b@example.com");
        var auditor = await App.ClientAsync(Roles.Auditor, "auditor@example.com");
        var created = await CreateAsync(new { kind = "individual", name = "李客户", phones = new[] { new { kind = "mobile", number = Mobile } } }, repA);
        var number = created["number"].S();

        Assert.Equal(HttpStatusCode.NotFound, (await repB.PostAsync($"/api/v1/customers/{number}/reveal", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync($"/api/v1/customers/{number}/reveal", null)).StatusCode);
        var own = await repA.PostAsync($"/api/v1/customers/{number}/reveal", null);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(Mobile, (await own.ReadObjectAsync())["phones"]![0]!["number"].S());
        var byAdmin = await (await _admin.PostAsync($"/api/v1/customers/{number}/reveal", null)).ReadObjectAsync();
        Assert.Equal(Mobile, byAdmin["phones"]![0]!["number"].S());

        var events = await App.WithDbAsync(db => db.Set<AuditEvent>().Where(e => e.Action == AuditActions.SensitiveRevealed).OrderBy(e => e.At).ToListAsync());
        Assert.Equal(2, events.Count);
        Assert.All(events, e => Assert.Equal(number, e.Target));
        Assert.Equal(["李销售", "王管理"], events.Select(e => e.UserName));
        Assert.All(events, e => Assert.Contains("电话", e.Detail, StringComparison.Ordinal));
        Assert.All(events, e => Assert.DoesNotContain(Mobile, e.Detail ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Untouched_masked_values_round_trip_through_updates_without_loss()
    {
        await EnableCategoriesAsync();
        var created = await CreateAsync(new
        {
            kind = "individual", name = "周保留", idNumber = IdNumber,
            phones = new[] { new { kind = "mobile", number = Mobile }, new { kind = "landline", number = Landline } },
        });
        var number = created["number"].S();

        // API: a merge patch that does not touch the phones (they come back masked from GET and are merged in).
        var patched = await _admin.PatchJsonAsync($"/api/v1/customers/{number}", new { notes = "改了备注" }, "\"1\"");
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);

        // Form path: the service's masked form saved as it is, then with one phone replaced.
        await App.AsUserAsync("admin@example.com", async sp =>
        {
            var service = sp.GetRequiredService<CustomerService>();
            var form = await service.GetAsync(number);
            Assert.Equal("139****8765", form.Phones[0].Number);
            form.Name = "周保留（改）";
            form = await service.UpdateAsync(number, form, form.Version);
            form.Phones[1] = new PhoneEntry { Kind = PhoneKind.Landline, Number = "021-55554444" };
            await service.UpdateAsync(number, form, form.Version);
        });

        var revealed = await (await _admin.PostAsync($"/api/v1/customers/{number}/reveal", null)).ReadObjectAsync();
        Assert.Equal(Mobile, revealed["phones"]![0]!["number"].S());
        Assert.Equal("02155554444", revealed["phones"]![1]!["number"].S());
        Assert.Equal(IdNumber, revealed["idNumber"].S());
        Assert.Equal([number], await FindAsync(Mobile));
        Assert.Equal([number], await FindAsync("02155554444"));
        Assert.Empty(await FindAsync(Landline));

        // A masked value that matches nothing stored is not a phone number.
        var bad = await _admin.PatchJsonAsync($"/api/v1/customers/{number}",
            new { phones = new[] { new { kind = "mobile", number = "150****0000" } } }, "\"4\"");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Sensitive_categories_are_refused_while_off_and_encrypted_when_on()
    {
        var refused = await _admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "钱未开", idNumber = IdNumber });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.ReadObjectAsync();
        Assert.Contains("未启用", problem["errors"]!["idNumber"]![0].S(), StringComparison.Ordinal);
        var bank = await _admin.PostJsonAsync("/api/v1/customers", new { kind = "company", name = "钱未开公司", bankAccount = BankAccount });
        Assert.Equal(HttpStatusCode.BadRequest, bank.StatusCode);
        Assert.NotNull((await bank.ReadObjectAsync())["errors"]!["bankAccount"]);

        await EnableCategoriesAsync();
        var wrongCheck = await _admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "钱校验", idNumber = "110105194912310021" == IdNumber ? "110105194912310022" : "110105194912310021" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongCheck.StatusCode);
        var created = await CreateAsync(new { kind = "individual", name = "钱已开", idNumber = IdNumber.ToLowerInvariant() });
        Assert.Equal("1101**********" + IdNumber[^4..], created["idNumber"].S());
        var stored = await App.WithDbAsync(db => db.Set<Customer>().AsNoTracking().Where(c => c.Number == created["number"].S())
            .Select(c => c.SensitiveData).SingleAsync());
        Assert.StartsWith("v1.d1.", stored, StringComparison.Ordinal);
        Assert.DoesNotContain(IdNumber, stored!, StringComparison.Ordinal);

        // Turned off again: hidden on read, kept in storage, a save without it does not erase it.
        await EnableCategoriesAsync(false);
        var hidden = await (await _admin.GetAsync($"/api/v1/customers/{created["number"].S()}")).ReadObjectAsync();
        Assert.Null(hidden["idNumber"]);
        Assert.Equal(HttpStatusCode.OK, (await _admin.PatchJsonAsync($"/api/v1/customers/{created["number"].S()}", new { notes = "x" }, "\"1\"")).StatusCode);
        await EnableCategoriesAsync();
        var back = await (await _admin.PostAsync($"/api/v1/customers/{created["number"].S()}/reveal", null)).ReadObjectAsync();
        Assert.Equal(IdNumber, back["idNumber"].S());
    }

    [Fact]
    public async Task Custom_text_fields_marked_sensitive_are_encrypted_masked_and_revealed()
    {
        const string passport = "E12345678护照";
        var def = await _admin.PostJsonAsync("/api/v1/custom-fields", new { label = "护照号", type = "text", sensitive = true });
        Assert.Equal(HttpStatusCode.Created, def.StatusCode);
        var key = (await def.ReadObjectAsync())["key"].S();
        var notText = await _admin.PostJsonAsync("/api/v1/custom-fields", new { label = "敏感数字", type = "number", sensitive = true });
        Assert.Equal(HttpStatusCode.BadRequest, notText.StatusCode);

        var created = await CreateAsync(new { kind = "individual", name = "吴护照", customFields = new Dictionary<string, object> { [key] = passport } });
        var number = created["number"].S();
        Assert.Equal("E****照", created["customFields"]![key].S()[..1] + "****" + created["customFields"]![key].S()[^1..]);
        Assert.DoesNotContain("12345678", created.ToJsonString(), StringComparison.Ordinal);
        var row = await App.WithDbAsync(db => db.Set<Customer>().AsNoTracking().Where(c => c.Number == number)
            .Select(c => new { c.CustomFieldsJson, c.SensitiveData }).SingleAsync());
        Assert.DoesNotContain(passport, row.CustomFieldsJson, StringComparison.Ordinal);
        Assert.DoesNotContain("12345678", row.SensitiveData!, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await _admin.PatchJsonAsync($"/api/v1/customers/{number}", new { notes = "x" }, "\"1\"")).StatusCode);
        var revealed = await (await _admin.PostAsync($"/api/v1/customers/{number}/reveal", null)).ReadObjectAsync();
        Assert.Equal(passport, revealed["customFields"]![key].S());
        var history = await (await _admin.GetAsync($"/api/v1/customers/{number}/history")).ReadArrayAsync();
        Assert.DoesNotContain("12345678", history.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_ciphertext_is_detected_with_a_clear_error()
    {
        var created = await CreateAsync(new { kind = "individual", name = "孙篡改", phones = new[] { new { kind = "mobile", number = Mobile } } });
        var number = created["number"].S();
        await App.WithDbAsync(async db =>
        {
            var envelope = await db.Set<Customer>().AsNoTracking().Where(c => c.Number == number).Select(c => c.SensitiveData!).SingleAsync();
            var i = envelope.Length - 10;
            var flipped = envelope[..i] + (envelope[i] == 'A' ? 'B' : 'A') + envelope[(i + 1)..];
            return await db.Set<Customer>().Where(c => c.Number == number).ExecuteUpdateAsync(s => s.SetProperty(c => c.SensitiveData, flipped));
        });
        var response = await _admin.GetAsync($"/api/v1/customers/{number}");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var problem = await response.ReadObjectAsync();
        Assert.Contains("篡改", problem["detail"].S(), StringComparison.Ordinal);
        Assert.DoesNotContain(Mobile, problem.ToJsonString(), StringComparison.Ordinal);
    }
}

public sealed class EncryptionTestsOnSqlite() : EncryptionTests(TestDatabase.Sqlite);

public sealed class EncryptionTestsOnPostgres() : EncryptionTests(TestDatabase.Postgres);
