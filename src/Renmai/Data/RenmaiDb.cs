using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Renmai.Features.Users;

namespace Renmai.Data;

/// <summary>
/// The one DbContext. It knows no feature: every <see cref="IEntityTypeConfiguration{T}"/> in the
/// assembly is applied, and features reach their tables through <c>db.Set&lt;T&gt;()</c>.
/// Two subclasses exist only so that each provider keeps its own generated migrations.
/// </summary>
public abstract class RenmaiDb(DbContextOptions options)
    : IdentityDbContext<RenmaiUser, RenmaiRole, Guid>(options)
{
    /// <summary>Who is saving; the history interceptor stamps and logs changes with it.</summary>
    public Actor Actor { get; set; } = Actor.System;

    public abstract bool IsPostgres { get; }

    private Renmai.Features.Privacy.SensitiveStore? _sensitive;

    /// <summary>The app's sensitive-data store (its keys), for the materialisation interceptor.</summary>
    internal Renmai.Features.Privacy.SensitiveStore Sensitive => _sensitive ??=
        this.GetService<Microsoft.EntityFrameworkCore.Infrastructure.IDbContextOptions>()
            .FindExtension<Microsoft.EntityFrameworkCore.Infrastructure.CoreOptionsExtension>()?.ApplicationServiceProvider
            ?.GetService<Renmai.Features.Privacy.SensitiveStore>()
        ?? throw new InvalidOperationException("No SensitiveStore in the application services.");

    // Contexts are pooled: a returned context must not carry its last user into the next lease.
    public override void Dispose()
    {
        Actor = Actor.System;
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    public override async ValueTask DisposeAsync()
    {
        Actor = Actor.System;
        await base.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(RenmaiDb).Assembly);
        JsonFunctions.Register(builder, IsPostgres);
        if (IsPostgres)
        {
            Renmai.Features.Search.CustomerSearchMapping.ConfigurePostgres(builder);
            foreach (var property in builder.Model.GetEntityTypes().SelectMany(t => t.GetProperties()))
            {
                if (property.FindAnnotation(JsonStorage.JsonDocumentAnnotation) is not null)
                    property.SetColumnType("jsonb");
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Every DateTime we store is UTC; make that explicit on read so serialisation says "Z".
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }
}

public sealed class SqliteRenmaiDb(DbContextOptions<SqliteRenmaiDb> options) : RenmaiDb(options)
{
    public override bool IsPostgres => false;
}

public sealed class PostgresRenmaiDb(DbContextOptions<PostgresRenmaiDb> options) : RenmaiDb(options)
{
    public override bool IsPostgres => true;
}
