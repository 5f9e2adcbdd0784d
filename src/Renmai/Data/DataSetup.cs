using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Renmai.Data;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary>Where Renmai keeps its files and which database it talks to.</summary>
public sealed class RenmaiStorage
{
    public required string DataFolder { get; init; }
    public required DatabaseProvider Provider { get; init; }
    public required string ConnectionString { get; init; }

    public static RenmaiStorage From(IConfiguration config)
    {
        var folder = config["Data:Path"] ?? Environment.GetEnvironmentVariable("RENMAI_DATA") ?? "data";
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);
        var provider = string.Equals(config["Database:Provider"], "Postgres", StringComparison.OrdinalIgnoreCase)
            ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite;
        var cs = config.GetConnectionString("Renmai");
        if (provider == DatabaseProvider.Sqlite && string.IsNullOrWhiteSpace(cs))
            cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "renmai.db"), Pooling = true }.ToString();
        if (string.IsNullOrWhiteSpace(cs))
            throw new InvalidOperationException("Database:Provider=Postgres 需要 ConnectionStrings:Renmai 连接字符串 (ConnectionStrings:Renmai is required for PostgreSQL).");
        return new RenmaiStorage { DataFolder = folder, Provider = provider, ConnectionString = cs };
    }
}

public static class DataSetup
{
    public static IServiceCollection AddRenmaiData(this IServiceCollection services, RenmaiStorage storage)
    {
        services.AddSingleton(storage);
        services.TryAddSingletonTimeProvider();
        // Keys are loaded (or created) now: a missing or unsafe key file stops the start with a clear message.
        var keys = Renmai.Features.Privacy.DataKeyRing.LoadOrCreate(storage.DataFolder);
        services.AddSingleton(keys);
        services.AddSingleton<Renmai.Features.Privacy.SensitiveCipher>();
        services.AddSingleton<Renmai.Features.Privacy.SensitiveStore>();
        services.AddSingleton<HistoryInterceptor>();
        if (storage.Provider == DatabaseProvider.Postgres)
        {
            services.AddPooledDbContextFactory<PostgresRenmaiDb>((sp, o) => ConfigurePostgres(o, storage.ConnectionString)
                .AddInterceptors(sp.GetRequiredService<HistoryInterceptor>(), Renmai.Features.Privacy.SensitiveMaterializer.Instance, DataChanges.Interceptor));
            services.AddSingleton<IDbContextFactory<RenmaiDb>, RenmaiDbFactory<PostgresRenmaiDb>>();
        }
        else
        {
            services.AddPooledDbContextFactory<SqliteRenmaiDb>((sp, o) => ConfigureSqlite(o, storage.ConnectionString)
                .AddInterceptors(sp.GetRequiredService<HistoryInterceptor>(), Renmai.Features.Privacy.SensitiveMaterializer.Instance, DataChanges.Interceptor));
            services.AddSingleton<IDbContextFactory<RenmaiDb>, RenmaiDbFactory<SqliteRenmaiDb>>();
        }
        // Identity's stores want a scoped context.
        services.AddScoped<RenmaiDb>(sp => sp.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContext());
        return services;
    }

    private static void TryAddSingletonTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }

    internal static DbContextOptionsBuilder ConfigureSqlite(DbContextOptionsBuilder o, string cs) =>
        Common(o.UseSqlite(cs, x => x.MigrationsAssembly(typeof(RenmaiDb).Assembly.FullName))
         .AddInterceptors(new SqlitePragmas()));

    internal static DbContextOptionsBuilder ConfigurePostgres(DbContextOptionsBuilder o, string cs) =>
        Common(o.UseNpgsql(cs, x => x.MigrationsAssembly(typeof(RenmaiDb).Assembly.FullName)));

    /// <summary>
    /// Search takes the first matches in the order its index returns them, on purpose (ADR 19, 33): an ORDER BY would
    /// make the database collect every match of a common pattern before returning ten. EF warns about every such
    /// Take at each new query shape, which filled the server's log with warnings that asked for a slower query.
    /// </summary>
    private static DbContextOptionsBuilder Common(DbContextOptionsBuilder o) =>
        o.ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning));

    /// <summary>Creates or upgrades the schema; safe to call on every start.</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync(ct);
        if (!db.IsPostgres)
        {
            // WAL lets readers run while one writer writes; it is a property of the file, set once.
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", ct);
        }
        // A migration that rewrites a table (the search text of a million customers) runs for minutes, far past the
        // 30-second command timeout of requests; it runs in a transaction, so an interrupted one leaves the data as it was.
        db.Database.SetCommandTimeout(TimeSpan.FromHours(2));
        await db.Database.MigrateAsync(ct);
        await Renmai.Features.Privacy.KeyMaintenance.SealLegacyRowsAsync(services, ct);
        await Renmai.Features.Search.SearchSetup.EnsureAsync(services, ct);
    }
}

/// <summary>Hands out the provider-specific context as the common <see cref="RenmaiDb"/>.</summary>
internal sealed class RenmaiDbFactory<T>(IDbContextFactory<T> inner) : IDbContextFactory<RenmaiDb> where T : RenmaiDb
{
    public RenmaiDb CreateDbContext() => inner.CreateDbContext();
}

/// <summary>
/// Per-connection SQLite settings: wait (not fail) on a busy writer, enforce foreign keys, WAL-friendly
/// sync. Applied once per physical connection: pooled connections keep them, and re-running the
/// pragmas on every open of a pooled connection was measurable per-request overhead.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> Configured = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!NeedsPragmas(connection, out var handle)) return;
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        cmd.ExecuteNonQuery();
        Configured.AddOrUpdate(handle, handle);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!NeedsPragmas(connection, out var handle)) return;
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Pragmas;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        Configured.AddOrUpdate(handle, handle);
    }

    /// <summary>The native handle identifies the physical connection behind a pooled SqliteConnection.</summary>
    private static bool NeedsPragmas(DbConnection connection, out object handle)
    {
        handle = (connection as SqliteConnection)?.Handle ?? (object)connection;
        return !Configured.TryGetValue(handle, out _);
    }
}

// Used only by `dotnet ef migrations add`, one per provider.
internal sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteRenmaiDb>
{
    public SqliteRenmaiDb CreateDbContext(string[] args) =>
        new((DbContextOptions<SqliteRenmaiDb>)DataSetup.ConfigureSqlite(new DbContextOptionsBuilder<SqliteRenmaiDb>(), "Data Source=design.db").Options);
}

internal sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresRenmaiDb>
{
    public PostgresRenmaiDb CreateDbContext(string[] args) =>
        new((DbContextOptions<PostgresRenmaiDb>)DataSetup.ConfigurePostgres(new DbContextOptionsBuilder<PostgresRenmaiDb>(), "Host=localhost;Database=renmai_design").Options);
}
