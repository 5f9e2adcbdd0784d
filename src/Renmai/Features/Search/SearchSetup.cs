using Microsoft.EntityFrameworkCore;
using Renmai.Data;

namespace Renmai.Features.Search;

/// <summary>
/// The SQLite full-text objects EF cannot model: an FTS5 trigram table over CustomerSearch.Text and a word
/// table over CustomerSearch.PhoneGrams (external content, so the text is stored once) and the three triggers that keep it in step with every insert,
/// update and delete — EF saves and bulk inserts alike. Created idempotently at start-up after the
/// migrations (ADR 0019); PostgreSQL gets its pg_trgm index from the migration.
/// </summary>
public static class SearchSetup
{
    /// <summary>The insert trigger, which bulk writers suspend: they write the two FTS rows themselves (<see cref="FtsRows"/>).</summary>
    public const string InsertTrigger = "CustomerSearch_ai";

    /// <summary>The FTS tables as bulk targets (SQLite), and their rows for one search row: what <see cref="InsertTrigger"/> inserts.</summary>
    public static readonly BulkTable TextFts = BulkTable.Raw("CustomerSearchFts", "rowid", "Text");
    public static readonly BulkTable PhoneFts = BulkTable.Raw("CustomerPhoneFts", "rowid", "PhoneGrams");

    public static (object?[] Text, object?[] Phone) FtsRows(CustomerSearchRow row) => ([row.Id, row.Text], [row.Id, row.PhoneGrams]);

    private const string Ddl = """
        CREATE VIRTUAL TABLE IF NOT EXISTS CustomerSearchFts USING fts5(Text, content='CustomerSearch', content_rowid='Id', tokenize='trigram case_sensitive 1');
        CREATE VIRTUAL TABLE IF NOT EXISTS CustomerPhoneFts USING fts5(PhoneGrams, content='CustomerSearch', content_rowid='Id', tokenize='ascii', detail='none');
        CREATE TRIGGER IF NOT EXISTS CustomerSearch_ai AFTER INSERT ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, new.Text);
          INSERT INTO CustomerPhoneFts(rowid, PhoneGrams) VALUES (new.Id, new.PhoneGrams);
        END;
        CREATE TRIGGER IF NOT EXISTS CustomerSearch_ad AFTER DELETE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, old.Text);
          INSERT INTO CustomerPhoneFts(CustomerPhoneFts, rowid, PhoneGrams) VALUES ('delete', old.Id, old.PhoneGrams);
        END;
        CREATE TRIGGER IF NOT EXISTS CustomerSearch_au AFTER UPDATE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, old.Text);
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, new.Text);
          INSERT INTO CustomerPhoneFts(CustomerPhoneFts, rowid, PhoneGrams) VALUES ('delete', old.Id, old.PhoneGrams);
          INSERT INTO CustomerPhoneFts(rowid, PhoneGrams) VALUES (new.Id, new.PhoneGrams);
        END;
        """;

    public static async Task EnsureAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using (var db = await services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync(ct))
        {
            if (!db.IsPostgres)
            {
                var exists = await db.Database.SqlQuery<long>($"SELECT count(*) AS Value FROM sqlite_master WHERE name = 'CustomerSearchFts'").SingleAsync(ct);
                if (exists == 0)
                {
                    await db.Database.ExecuteSqlRawAsync(Ddl, ct);
                    // Rows written before the FTS table existed (none on a fresh database) are indexed once.
                    await db.Database.ExecuteSqlRawAsync("INSERT INTO CustomerSearchFts(CustomerSearchFts) VALUES ('rebuild'); INSERT INTO CustomerPhoneFts(CustomerPhoneFts) VALUES ('rebuild');", ct);
                }
            }
        }
        await CustomerSearchRows.BackfillAsync(services, null, ct);
    }
}
