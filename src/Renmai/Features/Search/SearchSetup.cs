using Microsoft.EntityFrameworkCore;
using Renmai.Data;

namespace Renmai.Features.Search;

/// <summary>
/// The SQLite full-text objects EF cannot model (ADR 0019): a view that splits each search document into what the
/// two FTS5 tables index, the tables (external content: the text is stored once, in CustomerSearch) and the three
/// triggers that keep them in step with every insert, update and delete — EF saves and bulk inserts alike.
/// <list type="bullet">
/// <item><c>CustomerSearchFts</c>, trigram: the document's fields (<see cref="Fields"/>), for substrings of 3+ characters.</item>
/// <item><c>CustomerWordFts</c>, words without positions: the phone tokens and the two-character grams (<see cref="Words"/>),
/// each one word. A gram in the trigram text cost three trigrams, two of them useless (京^京, 北京^), and trigram
/// indexing is the largest part of an import (ADR 0028).</item>
/// </list>
/// Created idempotently at start-up after the migrations; a database with the earlier form (grams in the trigram
/// table, a phone-only word table) is converted once. PostgreSQL gets its indexes from the migrations.
/// </summary>
public static class SearchSetup
{
    /// <summary>The insert trigger, which bulk writers suspend: they write the two FTS rows themselves (<see cref="FtsRows"/>).</summary>
    public const string InsertTrigger = "CustomerSearch_ai";

    /// <summary>The FTS tables as bulk targets (SQLite), and their rows for one search row: what <see cref="InsertTrigger"/> inserts.</summary>
    public static readonly BulkTable TextFts = BulkTable.Raw("CustomerSearchFts", "rowid", "Text");
    public static readonly BulkTable WordFts = BulkTable.Raw("CustomerWordFts", "rowid", "Words");

    public static (object?[] Text, object?[] Words) FtsRows(CustomerSearchRow row) => ([row.Id, Fields(row.Text)], [row.Id, Words(row)]);

    /// <summary>The fields of a document: everything before its first gram marker (the SQL of <see cref="FieldsSql"/>).</summary>
    public static string Fields(string text) => text.IndexOf('^') is var i and >= 0 ? text[..i] : text;

    /// <summary>The words of a document: its phone tokens, then its grams with each marker as a space (<see cref="WordsSql"/>).
    /// A phone token is 8 letters, a gram 2 characters (or fewer once the ascii tokenizer has split it at a punctuation
    /// mark), so a gram is never taken for a token or the other way round.</summary>
    public static string Words(CustomerSearchRow row) =>
        row.PhoneGrams + (row.Text.IndexOf('^') is var i and >= 0 ? row.Text[i..].Replace('^', ' ') : "");

    private static string FieldsSql(string row) => $"substr({row}.Text, 1, instr({row}.Text || '^', '^') - 1)";
    private static string WordsSql(string row) => $"{row}.PhoneGrams || replace(substr({row}.Text, instr({row}.Text || '^', '^')), '^', ' ')";

    private static readonly string Ddl = $"""
        CREATE VIEW CustomerSearchIndexed AS SELECT s.Id, {FieldsSql("s")} AS Text, {WordsSql("s")} AS Words FROM CustomerSearch s;
        CREATE VIRTUAL TABLE CustomerSearchFts USING fts5(Text, content='CustomerSearchIndexed', content_rowid='Id', tokenize='trigram case_sensitive 1');
        CREATE VIRTUAL TABLE CustomerWordFts USING fts5(Words, content='CustomerSearchIndexed', content_rowid='Id', tokenize='ascii', detail='none');
        CREATE TRIGGER CustomerSearch_ai AFTER INSERT ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, {FieldsSql("new")});
          INSERT INTO CustomerWordFts(rowid, Words) VALUES (new.Id, {WordsSql("new")});
        END;
        CREATE TRIGGER CustomerSearch_ad AFTER DELETE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, {FieldsSql("old")});
          INSERT INTO CustomerWordFts(CustomerWordFts, rowid, Words) VALUES ('delete', old.Id, {WordsSql("old")});
        END;
        CREATE TRIGGER CustomerSearch_au AFTER UPDATE ON CustomerSearch BEGIN
          INSERT INTO CustomerSearchFts(CustomerSearchFts, rowid, Text) VALUES ('delete', old.Id, {FieldsSql("old")});
          INSERT INTO CustomerSearchFts(rowid, Text) VALUES (new.Id, {FieldsSql("new")});
          INSERT INTO CustomerWordFts(CustomerWordFts, rowid, Words) VALUES ('delete', old.Id, {WordsSql("old")});
          INSERT INTO CustomerWordFts(rowid, Words) VALUES (new.Id, {WordsSql("new")});
        END;
        INSERT INTO CustomerSearchFts(CustomerSearchFts) VALUES ('rebuild');
        INSERT INTO CustomerWordFts(CustomerWordFts) VALUES ('rebuild');
        """;

    /// <summary>The objects of the earlier form (until 2026-12-08), dropped before <see cref="Ddl"/> builds the current one.</summary>
    private const string DropEarlierForm = """
        DROP TRIGGER IF EXISTS CustomerSearch_ai;
        DROP TRIGGER IF EXISTS CustomerSearch_ad;
        DROP TRIGGER IF EXISTS CustomerSearch_au;
        DROP TABLE IF EXISTS CustomerSearchFts;
        DROP TABLE IF EXISTS CustomerPhoneFts;
        DROP VIEW IF EXISTS CustomerSearchIndexed;
        """;

    private static readonly string Convert = DropEarlierForm + Ddl;

    public static async Task EnsureAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using (var db = await services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync(ct))
        {
            if (!db.IsPostgres)
            {
                var current = await db.Database.SqlQuery<long>($"SELECT count(*) AS Value FROM sqlite_master WHERE name = 'CustomerWordFts'").SingleAsync(ct);
                if (current == 0)
                {
                    // One transaction: a restart in the middle finds the earlier form intact and converts it again. The
                    // 'rebuild's index the rows already there (none on a fresh database; a minute per million otherwise).
                    var earlier = await db.Database.SqlQuery<long>($"SELECT count(*) AS Value FROM CustomerSearch").SingleAsync(ct);
                    var log = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SearchSetup));
                    if (earlier > 0 && log.IsEnabled(LogLevel.Information)) log.LogInformation("正在重建 {Rows} 个客户的检索索引 (rebuilding the search index) …", earlier);
                    await using var tx = await db.Database.BeginTransactionAsync(ct);
                    await db.Database.ExecuteSqlRawAsync(Convert, ct);
                    await tx.CommitAsync(ct);
                }
            }
        }
        await CustomerSearchRows.BackfillAsync(services, null, ct);
    }
}
