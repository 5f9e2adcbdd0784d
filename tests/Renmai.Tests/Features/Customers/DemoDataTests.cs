using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Xunit;

namespace Renmai.Tests.Features.Customers;

public sealed class DemoDataTests
{
    private static readonly DateTime Now = new(2026, 11, 23, 10, 0, 0, DateTimeKind.Utc);

    private static List<(Customer Customer, List<Contact> Contacts)> Sample(int count = 3000, int seed = 7) =>
        [.. new DemoGenerator(seed, [Guid.CreateVersion7(), Guid.CreateVersion7()], Now).Generate(1, count)];

    [Fact]
    public void Every_generated_phone_is_valid_for_its_kind()
    {
        var generator = new DemoGenerator(1, [], Now);
        for (var i = 0; i < 2000; i++)
        {
            var mobile = generator.Mobile();
            Assert.Null(Validators.CheckPhone(mobile, PhoneKind.Mobile).Error);
        }
        foreach (var (c, contacts) in Sample())
        {
            foreach (var p in c.Phones.Concat(contacts.SelectMany(k => k.Phones)))
            {
                var (normalized, error) = Validators.CheckPhone(p.Number, p.Kind);
                Assert.True(error is null, $"{c.City} {p.Kind} {p.Number}: {error}");
                Assert.Equal(p.Number, normalized);
            }
        }
    }

    [Fact]
    public void Credit_codes_and_emails_are_valid()
    {
        var sample = Sample();
        var codes = sample.Select(s => s.Customer.Uscc).OfType<string>().ToList();
        Assert.NotEmpty(codes);
        Assert.All(codes, code => Assert.Null(Validators.CheckUscc(code)));
        var emails = sample.Select(s => s.Customer.Email).Concat(sample.SelectMany(s => s.Contacts.Select(k => k.Email))).OfType<string>().ToList();
        Assert.All(emails, e => Assert.Null(Validators.CheckEmail(e)));
    }

    [Fact]
    public void Data_is_realistic_and_consistent()
    {
        var sample = Sample();
        var customers = sample.Select(s => s.Customer).ToList();
        var companies = customers.Count(c => c.Kind == CustomerKind.Company) / (double)customers.Count;
        Assert.InRange(companies, 0.55, 0.65);
        Assert.All(sample.Where(s => s.Customer.Kind == CustomerKind.Company), s => Assert.InRange(s.Contacts.Count, 1, 3));
        Assert.All(sample.Where(s => s.Customer.Kind == CustomerKind.Individual), s => Assert.Empty(s.Contacts));
        Assert.All(customers, c =>
        {
            Assert.Equal(DateTimeKind.Utc, c.CreatedAt.Kind);
            Assert.InRange(c.CreatedAt, Now.Date.AddYears(-3), Now);
            Assert.InRange(c.UpdatedAt, c.CreatedAt, Now);
            Assert.Equal(DemoGenerator.Author, c.CreatedBy);
            Assert.Equal(ChangeSource.System, c.UpdatedVia);
            Assert.Equal(1, c.Version);
            Assert.NotNull(c.Region);
            Assert.True(c.Type == CustomerType.Partner || c.PartnerField is null);
            Assert.StartsWith(CustomerNumbers.Prefix, c.Number, StringComparison.Ordinal);
        });
        // Numbers and ids ascend with creation time.
        Assert.Equal(customers.OrderBy(c => c.CreatedAt).Select(c => c.Number), customers.Select(c => c.Number));
        Assert.Contains(customers, c => c.OwnerId is null);
        Assert.Contains(customers, c => c.Name.EndsWith("有限公司", StringComparison.Ordinal));
    }

    [Fact]
    public void Same_seed_same_data()
    {
        var a = Sample(200, 42);
        var b = Sample(200, 42).Select(s => (s.Customer.Id, s.Customer.Name, s.Customer.Phones[0].Number)).ToList();
        Assert.Equal(b, a.Select(s => (s.Customer.Id, s.Customer.Name, s.Customer.Phones[0].Number)).ToList());
    }

    /// <summary>The bulk writer stores every column exactly as EF's SaveChanges does (type and text).</summary>
    [Fact]
    public async Task Bulk_rows_match_rows_saved_by_EF()
    {
        var file = Path.Combine(Path.GetTempPath(), "renmai-bulk-" + Guid.NewGuid().ToString("N") + ".db");
        try
        {
            var options = (DbContextOptions<SqliteRenmaiDb>)DataSetup.ConfigureSqlite(new DbContextOptionsBuilder<SqliteRenmaiDb>(), $"Data Source={file}").Options;
            await using var db = new SqliteRenmaiDb(options);
            await db.Database.MigrateAsync();
            // A pool customer: each sample has its own made-up owners, which are not users of this database.
            var (viaEf, efContacts) = Sample(200).First(s => s.Customer.Kind == CustomerKind.Company && s.Customer.OwnerId is null);
            (Customer, List<Contact>) Same(string? number)
            {
                var (c, people) = Sample(200).First(s => s.Customer.Id == viaEf.Id);
                c.BirthDate = new DateOnly(1980, 2, 29);
                c.Company = "北京华夏科技有限公司";
                c.Anniversaries.Add(new Anniversary { Name = "首次合作日", Date = new DateOnly(2020, 1, 2) });
                if (number is null) return (c, people);
                c.Id = Guid.CreateVersion7();
                c.Number = number;
                foreach (var k in people) { k.Id = Guid.CreateVersion7(); k.CustomerId = c.Id; }
                return (c, people);
            }
            (viaEf, efContacts) = Same(null);
            var (viaBulk, bulkContacts) = Same("KH900001");
            // The import's form of the rows: SQLite's stored values, text in one UTF-8 buffer per row (BulkTable.ToSqlite).
            var (viaStored, storedContacts) = Same("KH900002");
            // This context has no interceptors: seal as SaveChanges and DemoData do (the nonce makes the envelopes differ).
            var keyFolder = Path.Combine(Path.GetTempPath(), "renmai-bulk-keys-" + Guid.NewGuid().ToString("N"));
            var store = new Renmai.Features.Privacy.SensitiveStore(new Renmai.Features.Privacy.SensitiveCipher(
                Renmai.Features.Privacy.DataKeyRing.LoadOrCreate(keyFolder, environmentKey: "")));
            Directory.Delete(keyFolder, recursive: true);
            foreach (var e in new Renmai.Features.Privacy.IHasSensitiveData[] { viaEf, viaBulk, viaStored }.Concat(efContacts).Concat(bulkContacts).Concat(storedContacts))
                store.SealNew(e);

            db.Add(viaEf);
            db.AddRange(efContacts);
            await db.SaveChangesAsync();

            var customers = BulkTable.For<Customer>(db);
            var contacts = BulkTable.For<Contact>(db);
            var batch = new BulkBatch([(customers, [customers.ToRow(viaBulk)]), (contacts, [.. bulkContacts.Select(contacts.ToRow)])]);
            await BulkWriter.WriteAsync(db, [customers, contacts], Batches(batch), 1, 1000, null, null, CancellationToken.None);
            var stored = new BulkBatch([(customers, [customers.ToSqlite(customers.ToRow(viaStored))]),
                (contacts, [.. storedContacts.Select(k => contacts.ToSqlite(contacts.ToRow(k)))])]);
            await BulkWriter.WriteAsync(db, [customers, contacts], Batches(stored), 1, 1000, null, null, CancellationToken.None);

            foreach (var (customer, people) in new[] { (viaBulk, bulkContacts), (viaStored, storedContacts) })
            {
                await CompareAsync(file, "Customers", customers, viaEf.Id, customer.Id, "Id", ["Id", "Number", "Sensitive"]);
                await CompareAsync(file, "Contacts", contacts, efContacts[0].Id, people[0].Id, "Id", ["Id", "CustomerId", "Sensitive"]);
            }

            // And EF reads the bulk row back to the same values.
            db.ChangeTracker.Clear();
            var read = await db.Set<Customer>().AsNoTracking().SingleAsync(c => c.Number == "KH900001");
            Assert.StartsWith("v1.d1.", read.SensitiveData, StringComparison.Ordinal);
            store.Open(read);
            Assert.NotEmpty(read.Phones);
            Assert.Equal(JsonStorage.Serialize(viaBulk.Phones), JsonStorage.Serialize(read.Phones));
            Assert.Equal(viaBulk.UpdatedAt, read.UpdatedAt);
            Assert.Equal(viaBulk.Type, read.Type);
            Assert.Equal(viaBulk.BirthDate, read.BirthDate);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }) File.Delete(f);
        }
    }

    private static async IAsyncEnumerable<BulkBatch> Batches(BulkBatch batch)
    {
        await Task.Yield();
        yield return batch;
    }

    private static async Task CompareAsync(string file, string table, BulkTable shape, Guid efId, Guid bulkId, string key, string[] skip)
    {
        await using var c = new SqliteConnection($"Data Source={file}");
        await c.OpenAsync();
        async Task<List<string>> Row(Guid id)
        {
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"SELECT {string.Join(", ", shape.Columns.Select(x => $"typeof(\"{x.Name}\") || ':' || coalesce(\"{x.Name}\", 'NULL')"))} FROM \"{table}\" WHERE \"{key}\" = $id";
            cmd.Parameters.AddWithValue("$id", id.ToString().ToUpperInvariant());
            await using var r = await cmd.ExecuteReaderAsync();
            Assert.True(await r.ReadAsync(), $"{table} row {id} not found");
            return [.. Enumerable.Range(0, r.FieldCount).Select(i => r.GetString(i))];
        }
        var ef = await Row(efId);
        var bulk = await Row(bulkId);
        for (var i = 0; i < shape.Columns.Count; i++)
        {
            if (skip.Contains(shape.Columns[i].Name)) continue;
            Assert.True(ef[i] == bulk[i], string.Create(CultureInfo.InvariantCulture, $"{table}.{shape.Columns[i].Name}: EF {ef[i]} vs bulk {bulk[i]}"));
        }
    }
}
