using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>What <see cref="BenchSetup.PrepareAsync"/> leaves ready: a filled SQLite data folder and an admin API token.</summary>
internal sealed record BenchData(string Token, double? FillSeconds, double FillPeakMb, bool PeakReset, string ConnectionString, long Rows, long MaxNumber);

/// <summary>Set-up shared by the workloads: fresh data folder, users, demo customers, token, clients.</summary>
internal static class BenchSetup
{
    public const string AdminEmail = "bench-admin@renmai.local";

    /// <summary>Runs a workload in a fresh temporary data folder (or the one given by --data), deleted afterwards unless --keep.</summary>
    public static async Task<int> WithDataFolderAsync(BenchOptions o, string workload, Func<BenchOptions, string, bool, Task<int>> run)
    {
        var folder = Path.GetFullPath(o.DataFolder ?? Path.Combine(Path.GetTempPath(), "renmai-bench-" + Guid.NewGuid().ToString("N")[..8]));
        var reuse = File.Exists(Path.Combine(folder, "renmai.db"));
        Directory.CreateDirectory(folder);
        Console.WriteLine($"{workload} workload: {(reuse ? "reusing" : "fresh")} data folder {folder}");
        try
        {
            return await run(o, folder, reuse);
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

    /// <summary>Users (an admin, nine reps owning the customers), the demo customers, an admin API token — through the app's own services.</summary>
    /// <param name="afterFill">Runs inside the same host when customers were just generated (e.g. to plant rows).</param>
    public static async Task<BenchData> PrepareAsync(BenchOptions o, string folder, bool reuse, Func<IServiceProvider, Task>? afterFill = null)
    {
        string token;
        double? fillSeconds = null;
        {
            var builder = RenmaiApp.CreateBuilder([], b => Configure(b, folder, o.Postgres));
            await using var host = builder.Build();
            await DataSetup.MigrateAsync(host.Services);
            // PostgreSQL keeps its data outside the folder: reuse it when it already holds customers.
            if (o.Postgres is not null)
                await using (var db = await host.Services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync())
                    reuse = await db.Set<Customer>().AnyAsync();
            await using var scope = host.Services.CreateAsyncScope();
            // Set-up runs as the system administrator, as the CLI does.
            scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Renmai.Data.Actor.System);
            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            if (!await users.AnyUsersAsync())
            {
                await users.CreateAsync(AdminEmail, "bench-password-1", Roles.Admin, "压测管理员");
                // Reps to own customers (the generator spreads customers among existing users).
                for (var i = 1; i <= 9; i++)
                    await users.CreateAsync($"rep{i:D2}@renmai.local", "bench-password-1", Roles.Rep, $"销售{i:D2}");
            }
            if (!reuse)
            {
                var watch = Stopwatch.StartNew();
                await DemoData.FillAsync(host.Services, o.Rows, o.Seed, Console.Out, CancellationToken.None);
                if (afterFill is not null) await afterFill(host.Services);
                fillSeconds = watch.Elapsed.TotalSeconds;
            }
            token = (await users.CreateTokenAsync(AdminEmail, "bench")).Secret;
        }
        var fillPeakMb = Machine.PeakRssMb();
        var peakReset = Machine.ResetPeakRss();
        var connectionString = o.Postgres ?? new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "renmai.db"), Pooling = true }.ToString();
        var rows = await ScalarAsync(o.Postgres, connectionString, "SELECT COUNT(*) FROM \"Customers\" WHERE \"DeletedAt\" IS NULL");
        var maxNumber = await ScalarAsync(o.Postgres, connectionString, "SELECT MAX(CAST(substr(\"Number\", 3) AS INTEGER)) FROM \"Customers\"");
        Console.WriteLine($"{rows:N0} customers" + (fillSeconds is { } fs ? $", filled in {fs:F1} s ({o.Rows / fs:N0} customers/s)" : ""));
        return new BenchData(token, fillSeconds, fillPeakMb, peakReset, connectionString, rows, maxNumber);
    }

    internal static void Configure(WebApplicationBuilder b, string folder, string? postgres = null)
    {
        b.Configuration["Data:Path"] = folder;
        if (postgres is not null)
        {
            b.Configuration["Database:Provider"] = "Postgres";
            b.Configuration["ConnectionStrings:Renmai"] = postgres;
        }
        // Measure serving alone: the hourly pool return would otherwise start its first sweep over the
        // freshly generated (old-dated) demo base in the middle of a phase.
        b.Configuration["Jobs:Enabled"] = "false";
        b.Logging.SetMinimumLevel(LogLevel.Warning);
        b.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
    }


    internal static HttpClient NewClient(string baseUrl, int clients) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = clients * 2,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
    })
    {
        BaseAddress = new Uri(baseUrl),
        Timeout = TimeSpan.FromSeconds(60),
    };


    internal static async Task<long> ScalarAsync(string? postgres, string connectionString, string sql)
    {
        if (postgres is not null)
        {
            await using var pg = new Npgsql.NpgsqlConnection(postgres);
            await pg.OpenAsync();
            await using var pgCmd = new Npgsql.NpgsqlCommand(sql, pg);
            return Convert.ToInt64(await pgCmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
        }
        await using var c = new SqliteConnection(connectionString);
        await c.OpenAsync();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }


    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
