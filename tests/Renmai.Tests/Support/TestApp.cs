using System.Net.Http.Headers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Renmai.Data;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Tests.Support;

public enum TestDatabase { Sqlite, Postgres }

/// <summary>
/// The real Renmai app, in process, on a fresh real database: a SQLite file in a temp folder, or a
/// new database on the PostgreSQL server named by RENMAI_TEST_PG (started by scripts/test.sh).
/// </summary>
public sealed class TestApp : IAsyncDisposable
{
    private readonly string? _pgDatabase;
    private bool _ownsFolder;

    private TestApp(WebApplication app, string dataFolder, string? pgDatabase)
    {
        App = app;
        DataFolder = dataFolder;
        _pgDatabase = pgDatabase;
    }

    public WebApplication App { get; }
    /// <summary>The PostgreSQL database's name (null on SQLite), for a second app on the same data.</summary>
    public string? PostgresDatabase => _pgDatabase;
    /// <summary>Stop without dropping the database or deleting the folder: a restart test starts a new app on them.</summary>
    public bool KeepDatabase { get; set; }
    public string DataFolder { get; }
    public IServiceProvider Services => App.Services;

    /// <param name="settings">Extra configuration (e.g. Import:LeaseSeconds); a restart test passes the same data folder and database.</param>
    public static async Task<TestApp> StartAsync(TestDatabase database, TimeProvider? clock = null, string? dataFolder = null,
        IDictionary<string, string?>? settings = null, string? pgDatabase = null)
    {
        var folder = dataFolder ?? Path.Combine(Path.GetTempPath(), "renmai-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var config = new Dictionary<string, string?> { ["Data:Path"] = folder, ["Logging:LogLevel:Default"] = "Warning" };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        string? pgDb = pgDatabase;
        if (database == TestDatabase.Postgres)
        {
            var server = PostgresServer;
            if (pgDb is null)
            {
                pgDb = "renmai_t_" + Guid.NewGuid().ToString("N")[..16];
                await using var conn = new NpgsqlConnection(server);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDb}", conn);
                await cmd.ExecuteNonQueryAsync();
            }
            config["Database:Provider"] = "Postgres";
            config["ConnectionStrings:Renmai"] = new NpgsqlConnectionStringBuilder(server) { Database = pgDb }.ToString();
        }
        var builder = RenmaiApp.CreateBuilder([], b =>
        {
            b.Configuration.AddInMemoryCollection(config);
            b.WebHost.UseTestServer();
            b.Environment.EnvironmentName = "Development";
            if (clock is not null) b.Services.AddSingleton(clock);
        });
        var app = await RenmaiApp.BuildAsync(builder);
        await app.StartAsync();
        return new TestApp(app, folder, pgDb) { _ownsFolder = dataFolder is null };
    }

    /// <summary>The PostgreSQL server for tests. Missing means the test run is broken, not skipped.</summary>
    public static string PostgresServer =>
        Environment.GetEnvironmentVariable("RENMAI_TEST_PG")
        ?? throw new InvalidOperationException("RENMAI_TEST_PG is not set: run the tests with scripts/test.sh, which starts PostgreSQL.");

    public async Task<RenmaiUser> AddUserAsync(string email, string role, string? name = null)
    {
        await using var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
        return await scope.ServiceProvider.GetRequiredService<UserService>().CreateAsync(email, "Renmai#2026-test", role, name);
    }

    /// <summary>An HTTP client authenticated with a fresh API token of a new user in the given role.</summary>
    public async Task<HttpClient> ClientAsync(string role, string? email = null, bool readOnly = false)
    {
        email ??= $"{role}-{Guid.NewGuid():N}@example.com";
        await AddUserAsync(email, role, role switch { Roles.Admin => "王管理", Roles.Rep => "李销售", _ => "赵同事" });
        return await ClientForAsync(email, readOnly);
    }

    public async Task<HttpClient> ClientForAsync(string email, bool readOnly = false)
    {
        await using var scope = Services.CreateAsyncScope();
        var (_, secret) = await scope.ServiceProvider.GetRequiredService<UserService>().CreateTokenAsync(email, "test", readOnly);
        var client = App.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        return client;
    }

    public HttpClient AnonymousClient() => App.GetTestClient();

    public async Task<T> WithDbAsync<T>(Func<RenmaiDb, Task<T>> work)
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync();
        return await work(db);
    }

    /// <summary>Runs a service as the built-in system administrator (what the CLI does).</summary>
    public async Task<T> AsSystemAsync<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
        return await work(scope.ServiceProvider);
    }

    /// <summary>Runs a service as the given user, as a Blazor page or the CLI would.</summary>
    public async Task<T> AsUserAsync<T>(string email, Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        await sp.GetRequiredService<CurrentActor>().SetUserAsync(email, ChangeSource.User);
        return await work(sp);
    }

    public Task AsUserAsync(string email, Func<IServiceProvider, Task> work) =>
        AsUserAsync(email, async sp => { await work(sp); return true; });

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_pgDatabase is not null && !KeepDatabase)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(PostgresServer);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsFolder && !KeepDatabase)
        {
            try { Directory.Delete(DataFolder, recursive: true); } catch (IOException) { }
        }
    }
}
