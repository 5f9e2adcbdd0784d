using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Import;

/// <summary>The import as a durable job: cancel rolls back; an app stopped mid-import is taken over by the next start (rolled back, run again).</summary>
public abstract class ImportJobTests(TestDatabase database)
{
    private static byte[] BigCsv(int rows)
    {
        var sb = new StringBuilder("客户名称,手机,备注\r\n");
        for (var i = 0; i < rows; i++) sb.Append($"测试客户{i:D6}有限公司,1{"358"[i % 3]}{i:D9},第 {i} 行\r\n");
        return new UTF8Encoding(false).GetBytes(sb.ToString());
    }

    private static async Task<string> StartAsync(HttpClient client, byte[] file)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(file), "file", "大文件.csv" } };
        var draft = await (await client.PostAsync("/api/v1/imports", form)).ReadObjectAsync();
        var id = draft["id"].S();
        var start = await client.PostJsonAsync($"/api/v1/imports/{id}/start", new JsonObject { ["options"] = new JsonObject { ["mode"] = "create", ["key"] = "phone", ["mapping"] = draft["mapping"]!.DeepClone() } });
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        return id;
    }

    private static async Task<JsonObject> WaitForAsync(HttpClient client, string id, Func<JsonObject, bool> done, int seconds = 120)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var job = await (await client.GetAsync($"/api/v1/imports/{id}")).ReadObjectAsync();
            if (done(job)) return job;
            Assert.True(watch.Elapsed.TotalSeconds < seconds, "timed out: " + job.ToJsonString());
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Cancelling_a_running_import_rolls_back_what_it_wrote()
    {
        await using var app = await TestApp.StartAsync(database);
        var admin = await app.ClientAsync(Roles.Admin, "admin@example.com");
        var id = await StartAsync(admin, BigCsv(30_000));
        await WaitForAsync(admin, id, j => j["rowsDone"]!.GetValue<long>() > 0 || j["status"].S() != "queued");
        var cancel = await admin.PostAsync($"/api/v1/imports/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var job = await WaitForAsync(admin, id, j => j["status"].S() is "cancelled" or "succeeded" or "failed");
        Assert.Equal("cancelled", job["status"].S());
        Assert.Contains("已取消", job["message"].S(), StringComparison.Ordinal);
        Assert.Equal(0, await app.WithDbAsync(db => db.Set<Customer>().IgnoreQueryFilters().CountAsync()));
    }

    [Fact]
    public async Task An_import_interrupted_by_a_restart_is_rolled_back_and_run_again_by_the_next_start()
    {
        var folder = Path.Combine(Path.GetTempPath(), "renmai-restart-" + Guid.NewGuid().ToString("N")[..8]);
        const int rows = 30_000;
        string id;
        string? pg;
        await using (var first = await TestApp.StartAsync(database, dataFolder: folder))
        {
            var admin = await first.ClientAsync(Roles.Admin, "admin@example.com");
            id = await StartAsync(admin, BigCsv(rows));
            await WaitForAsync(admin, id, j => j["status"].S() == "running" && j["rowsDone"]!.GetValue<long>() > 0);
            pg = first.PostgresDatabase;
            first.KeepDatabase = true;
            // Stopping the app cancels the job mid-way; the second app must take it over.
        }
        await using var second = await TestApp.StartAsync(database, dataFolder: folder, pgDatabase: pg);
        try
        {
            var client = await second.ClientForAsync("admin@example.com");
            var job = await WaitForAsync(client, id, j => j["status"].S() is "succeeded" or "failed" or "cancelled", 180);
            Assert.Equal("succeeded", job["status"].S());
            Assert.Contains("中断", job["message"].S(), StringComparison.Ordinal);
            Assert.Equal(rows, job["created"]!.GetValue<int>());
            // Exactly once: no customer of the first, interrupted run is left behind.
            Assert.Equal(rows, await second.WithDbAsync(db => db.Set<Customer>().IgnoreQueryFilters().CountAsync()));
            Assert.Equal(rows, await second.WithDbAsync(db => db.Set<Customer>().Select(c => c.Name).Distinct().CountAsync()));
        }
        finally
        {
            try { Directory.Delete(folder, true); } catch (IOException) { }
        }
    }
}

public sealed class ImportJobTestsOnSqlite() : ImportJobTests(TestDatabase.Sqlite);

public sealed class ImportJobTestsOnPostgres() : ImportJobTests(TestDatabase.Postgres);
