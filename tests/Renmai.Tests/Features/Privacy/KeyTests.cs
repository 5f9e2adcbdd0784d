using System.Net;
using Microsoft.EntityFrameworkCore;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Privacy;

/// <summary>The key file and key rotation, on a real SQLite data folder that outlives several app starts.</summary>
public sealed class KeyTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "renmai-keys-" + Guid.NewGuid().ToString("N")[..12]);

    public KeyTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_key_file_is_created_private_and_a_readable_one_is_refused()
    {
        var ring = DataKeyRing.LoadOrCreate(_folder, environmentKey: "");
        var path = DataKeyRing.PathIn(_folder);
        Assert.Equal(path, ring.FilePath);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Equal("d1", ring.ActiveDataKeyId);
        Assert.NotEqual(ring.DataKeys["d1"], ring.IndexKeys["i1"]);

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var ex = Assert.Throws<DataKeyException>(() => DataKeyRing.LoadOrCreate(_folder, environmentKey: ""));
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);

        // The environment variable wins for the data key.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var env = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        var fromEnv = DataKeyRing.LoadOrCreate(_folder, env);
        Assert.StartsWith("env", fromEnv.ActiveDataKeyId, StringComparison.Ordinal);
        Assert.True(fromEnv.FromEnvironment);
        Assert.Throws<DataKeyException>(() => DataKeyRing.LoadOrCreate(_folder, "not base64!"));
    }

    [Fact]
    public async Task Rotation_re_encrypts_every_row_keeps_lookups_and_is_safe_to_re_run()
    {
        const string mobile = "13912348765";
        string number;
        await using (var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _folder))
        {
            var admin = await app.ClientAsync(Roles.Admin, "admin@example.com");
            var r = await admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "轮换客户", phones = new[] { new { kind = "mobile", number = mobile } } });
            number = (await r.ReadObjectAsync())["number"].S();
            for (var i = 0; i < 12; i++)
                Assert.Equal(HttpStatusCode.Created, (await admin.PostJsonAsync("/api/v1/customers",
                    new { kind = "individual", name = "客户" + i, phones = new[] { new { kind = "mobile", number = $"1370000{i:0000}" } } })).StatusCode);
        }

        Assert.True(KeyMaintenance.BeginRotation(_folder, rotateIndexKey: true, TextWriter.Null));
        // An interrupted rotation: the new key is in the file, nothing re-encrypted yet; running again resumes.
        Assert.False(KeyMaintenance.BeginRotation(_folder, rotateIndexKey: true, TextWriter.Null));
        await using (var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _folder))
        {
            var before = await KeyMaintenance.StatusAsync(app.Services, CancellationToken.None);
            Assert.Contains(before, s => s.KeyId == "d1" && s.Rows == 13);
            Assert.Contains(before, s => s.KeyId == "d2" && s.Rows == 0 && s.Active);
            var (rows, indexed) = await KeyMaintenance.ReencryptAsync(app.Services, null, CancellationToken.None);
            Assert.Equal(13, rows);
            Assert.Equal(13, indexed);
            var after = await KeyMaintenance.StatusAsync(app.Services, CancellationToken.None);
            Assert.Contains(after, s => s.KeyId == "d1" && s.Rows == 0);
            Assert.Contains(after, s => s.KeyId == "d2" && s.Rows == 13);
            Assert.Contains(after, s => s.KeyId == "i2" && s.Rows == 26);
            Assert.Equal((0, 0), await KeyMaintenance.ReencryptAsync(app.Services, null, CancellationToken.None));
        }
        KeyMaintenance.RetireOldKeys(_folder, TextWriter.Null);

        await using (var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _folder))
        {
            var ring = app.Services.GetRequiredService<DataKeyRing>();
            Assert.Equal(["d2"], ring.DataKeys.Keys);
            Assert.Equal(["i2"], ring.IndexKeys.Keys);
            var admin = await app.ClientAsync(Roles.Admin, "admin2@example.com");
            var revealed = await (await admin.PostAsync($"/api/v1/customers/{number}/reveal", null)).ReadObjectAsync();
            Assert.Equal(mobile, revealed["phones"]![0]!["number"].S());
            foreach (var q in new[] { mobile, "8765" })
            {
                var list = await (await admin.GetAsync("/api/v1/customers?q=" + q)).ReadObjectAsync();
                Assert.Equal(number, list["items"]![0]!["number"].S());
            }
            // A middle fragment goes through the search rows' phone tokens, rebuilt under the new index key.
            var hits = await (await admin.GetAsync("/api/v1/search?q=9123")).ReadArrayAsync();
            Assert.Equal([number], hits.Select(h => h!["number"].S()));
            var all = await (await admin.GetAsync("/api/v1/customers?pageSize=100")).ReadObjectAsync();
            Assert.Equal(13, all["total"]!.GetValue<int>());
            Assert.All(await app.WithDbAsync(db => db.Set<Customer>().Select(c => c.SensitiveData!).ToListAsync()),
                s => Assert.StartsWith("v1.d2.", s, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Phones_stored_before_encryption_are_sealed_and_indexed_at_the_next_start()
    {
        const string mobile = "13600001357";
        string number;
        await using (var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _folder))
        {
            var admin = await app.ClientAsync(Roles.Admin, "admin@example.com");
            var r = await admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "旧数据客户", phones = new[] { new { kind = "mobile", number = mobile } } });
            number = (await r.ReadObjectAsync())["number"].S();
            // What the Encryption migration leaves behind: the old phones JSON in the column, no index rows.
            await app.WithDbAsync(async db =>
            {
                await db.Set<SensitiveIndexEntry>().ExecuteDeleteAsync();
                return await db.Set<Customer>().Where(c => c.Number == number)
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.SensitiveData, "[{\"kind\":\"mobile\",\"number\":\"" + mobile + "\"}]"));
            });
        }
        await using (var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _folder))
        {
            var stored = await app.WithDbAsync(db => db.Set<Customer>().Where(c => c.Number == number).Select(c => c.SensitiveData!).SingleAsync());
            Assert.StartsWith("v1.d1.", stored, StringComparison.Ordinal);
            var admin = await app.ClientAsync(Roles.Admin, "admin2@example.com");
            var list = await (await admin.GetAsync("/api/v1/customers?q=" + mobile)).ReadObjectAsync();
            Assert.Equal(number, list["items"]![0]!["number"].S());
            var revealed = await (await admin.PostAsync($"/api/v1/customers/{number}/reveal", null)).ReadObjectAsync();
            Assert.Equal(mobile, revealed["phones"]![0]!["number"].S());
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var bytes = Directory.GetFiles(_folder, "renmai.db*").SelectMany(File.ReadAllBytes).ToArray();
        Assert.True(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(mobile)) < 0, "plaintext left in the SQLite files after sealing");
    }
}
