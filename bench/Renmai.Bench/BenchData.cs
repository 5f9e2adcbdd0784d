using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// What every workload starts from: a data folder (fresh, or reused with --data), an admin and nine
/// reps, and the demo customers — made through the app's own services, as the CLI does.
/// </summary>
internal static class BenchData
{
    public const string AdminEmail = "bench-admin@renmai.local";

    /// <summary>Runs <paramref name="work"/> on the data folder (folder, reuse), deleting a temporary one afterwards.</summary>
    public static async Task<int> WithFolderAsync(BenchOptions o, Func<string, bool, Task<int>> work)
    {
        var folder = Path.GetFullPath(o.DataFolder ?? Path.Combine(Path.GetTempPath(), "renmai-bench-" + Guid.NewGuid().ToString("N")[..8]));
        var reuse = File.Exists(Path.Combine(folder, "renmai.db"));
        Directory.CreateDirectory(folder);
        Console.WriteLine($"{o.Workload} workload: {(reuse ? "reusing" : "fresh")} data folder {folder}");
        try
        {
            return await work(folder, reuse);
        }
        finally
        {
            if (!o.Keep && o.DataFolder is null)
            {
                SqliteConnection.ClearAllPools();
                try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
            }
        }
    }

    /// <summary>
    /// Users and (unless reused) <c>o.Rows</c> demo customers; returns an API token of the admin and the fill time.
    /// <paramref name="afterFill"/> runs inside the same host when customers were just generated (e.g. to plant rows).
    /// </summary>
    public static async Task<(string Token, double? FillSeconds)> PrepareAsync(BenchOptions o, string folder, bool reuse,
        Func<IServiceProvider, Task>? afterFill = null)
    {
        var builder = RenmaiApp.CreateBuilder([], b => Configure(b, folder));
        await using var host = builder.Build();
        await DataSetup.MigrateAsync(host.Services);
        await using var scope = host.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Renmai.Data.Actor.System);
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        if (!await users.AnyUsersAsync())
        {
            await users.CreateAsync(AdminEmail, "bench-password-1", Roles.Admin, "压测管理员");
            // Reps to own customers (the generator spreads customers among existing users).
            for (var i = 1; i <= 9; i++)
                await users.CreateAsync($"rep{i:D2}@renmai.local", "bench-password-1", Roles.Rep, $"销售{i:D2}");
        }
        double? fillSeconds = null;
        if (!reuse)
        {
            var watch = Stopwatch.StartNew();
            await DemoData.FillAsync(host.Services, o.Rows, o.Seed, Console.Out, CancellationToken.None);
            if (afterFill is not null) await afterFill(host.Services);
            fillSeconds = watch.Elapsed.TotalSeconds;
        }
        var token = (await users.CreateTokenAsync(AdminEmail, "bench")).Secret;
        return (token, fillSeconds);
    }

    public static void Configure(WebApplicationBuilder b, string folder)
    {
        b.Configuration["Data:Path"] = folder;
        // Measure the workload alone: the hourly pool return would otherwise start its first sweep over the
        // freshly generated (old-dated) demo base in the middle of a phase.
        b.Configuration["Jobs:Enabled"] = "false";
        b.Logging.SetMinimumLevel(LogLevel.Warning);
        b.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
    }

    public static string ConnectionString(string folder) =>
        new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "renmai.db"), Pooling = true }.ToString();

    public static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var c = new SqliteConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
