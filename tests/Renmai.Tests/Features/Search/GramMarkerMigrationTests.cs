using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Renmai.Data;
using Renmai.Features.Search;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Search;

/// <summary>PostgreSQL keeps the gram marker as a letter pg_trgm does not split on; the migration to Ǥ rewrites stored rows.</summary>
public sealed class GramMarkerMigrationTests
{
    [Fact]
    public async Task Search_rows_stored_with_the_old_G_marker_are_rewritten_and_still_found()
    {
        var name = "renmai_t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(TestApp.PostgresServer))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(TestApp.PostgresServer) { Database = name }.ToString();
            var options = (DbContextOptions<PostgresRenmaiDb>)DataSetup.ConfigurePostgres(new DbContextOptionsBuilder<PostgresRenmaiDb>(), cs).Options;
            await using var db = new PostgresRenmaiDb(options);
            var migrator = db.GetService<IMigrator>();
            // The schema as it was with the G marker, and a row as that version wrote it.
            await migrator.MigrateAsync("20261207161543_SearchPhoneTokens_WordIndex");
            var id = Guid.CreateVersion7();
            await db.Database.ExecuteSqlAsync($"""INSERT INTO "CustomerSearch" ("Id", "CustomerId", "Text", "PhoneGrams") VALUES (7, {id}, '|kh000007|张伟华|zhangweihua|zwh|G张伟G伟华Gzw', '')""");

            await migrator.MigrateAsync();

            var stored = await db.Database.SqlQuery<string>($"""SELECT "Text" AS "Value" FROM "CustomerSearch" WHERE "Id" = 7""").SingleAsync();
            Assert.Equal("|kh000007|张伟华|zhangweihua|zwh|Ǥ张伟Ǥ伟华Ǥzw", stored);
            Assert.Equal('Ǥ', CustomerSearchRows.PostgresGramMarker);
            // Read through the model, the marker is '^' again; the trigram index finds the gram, and an initials query
            // containing g no longer hits the marker (the G form gave "gzw" to every row with the gram zw).
            Assert.Equal("|kh000007|张伟华|zhangweihua|zwh|^张伟^伟华^zw", (await db.Set<CustomerSearchRow>().SingleAsync()).Text);
            Assert.Equal(1, await db.Set<CustomerSearchRow>().CountAsync(s => EF.Functions.Like(s.Text, "%Ǥ张伟%")));
            Assert.Equal(0, await db.Set<CustomerSearchRow>().CountAsync(s => EF.Functions.ILike(s.Text, "%gzw%")));

            // The whole fields as an indexed array (the expression the search uses): fields are elements, grams are not.
            Assert.Contains("'" + CustomerSearchRows.PostgresGramMarker + "'", CustomerSearchMapping.PostgresFields);
            Assert.Equal(1, await db.Database.SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM pg_indexes WHERE indexname = 'IX_CustomerSearch_Fields'").SingleAsync());
            var wholeField = "SELECT s.* FROM \"CustomerSearch\" s WHERE " + CustomerSearchMapping.PostgresFields + " @> ARRAY[{0}]";
            int Whole(string field) => db.Set<CustomerSearchRow>().FromSqlRaw(wholeField, field).Count();
            Assert.Equal(1, Whole("张伟华"));
            Assert.Equal(1, Whole("zwh"));
            Assert.Equal(0, Whole("张伟"));
            Assert.Equal(0, Whole("zw"));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(TestApp.PostgresServer);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
