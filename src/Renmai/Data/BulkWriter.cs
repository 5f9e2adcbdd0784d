using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using SQLitePCL;
using NpgsqlTypes;

namespace Renmai.Data;

/// <summary>
/// The shape of one table as the EF model sees it: table name, column names, and for each column the
/// getter and the provider value converter. Bulk paths read rows through it, so they can never drift
/// from what <c>SaveChanges</c> would write (enums as integers, JSON list columns, UTC times).
/// </summary>
public sealed class BulkTable
{
    private BulkTable(string table, IReadOnlyList<BulkColumn> columns, bool isVirtual = false)
    {
        Table = table;
        Columns = columns;
        IsVirtual = isVirtual;
        _sqliteBlob = [.. columns.Select(c => c.Mapping?.StoreType.Equals("BLOB", StringComparison.OrdinalIgnoreCase) == true)];
    }

    /// <summary>Per column: SQLite stores a Guid as a BLOB there (EF's mapping), not as text.</summary>
    private readonly bool[] _sqliteBlob;

    public string Table { get; }
    public IReadOnlyList<BulkColumn> Columns { get; }
    /// <summary>A virtual table (FTS5): SQLite gathers a multi-row VALUES for it into a temporary table first,
    /// so its rows go one per statement (three times faster, measured).</summary>
    public bool IsVirtual { get; }

    public static BulkTable For<T>(RenmaiDb db) => For(db, typeof(T));

    public static BulkTable For(RenmaiDb db, Type clrType)
    {
        var entity = db.Model.FindEntityType(clrType) ?? throw new InvalidOperationException($"{clrType.Name} is not in the model.");
        var table = entity.GetTableName() ?? throw new InvalidOperationException($"{clrType.Name} is not mapped to a table.");
        var store = StoreObjectIdentifier.Table(table, entity.GetSchema());
        var columns = new List<BulkColumn>();
        foreach (var p in entity.GetProperties())
        {
            if (p.IsShadowProperty()) throw new InvalidOperationException($"{clrType.Name}.{p.Name} is a shadow property; the bulk writer needs CLR values.");
            var mapping = p.GetRelationalTypeMapping();
            columns.Add(new BulkColumn(p.GetColumnName(store) ?? p.Name, p.GetGetter(), p.GetValueConverter() ?? mapping.Converter,
                mapping, p.IsNullable, db.IsPostgres ? PostgresType(mapping.StoreType, clrType, p.Name) : default));
        }
        return new BulkTable(table, columns);
    }

    /// <summary>
    /// A table outside the EF model (an FTS5 virtual table on SQLite): rows are built by the caller as
    /// provider values in the order of <paramref name="columns"/>.
    /// </summary>
    public static BulkTable Raw(string table, params string[] columns) =>
        new(table, [.. columns.Select(c => new BulkColumn(c, null, null, null, true, default))], isVirtual: true);

    /// <summary>Reads one entity into its provider values (the values EF would bind as parameters).</summary>
    public object?[] ToRow(object entity)
    {
        var row = new object?[Columns.Count];
        for (var i = 0; i < row.Length; i++)
        {
            var c = Columns[i];
            var v = (c.Getter ?? throw new InvalidOperationException($"{Table} is a raw table: build its rows directly.")).GetClrValue(entity);
            if (v is not null && c.Converter is not null) v = c.Converter.ConvertToProvider(v);
            if (v is null && !c.Nullable) throw new InvalidOperationException($"{Table}.{c.Name} is required but null.");
            row[i] = v;
        }
        return row;
    }

    /// <summary>
    /// A row of provider values (<see cref="ToRow"/>) in the form SQLite stores it (<see cref="SqliteValues.Stored"/>), its
    /// text already UTF-8 in one buffer. Bulk paths call it where rows are produced, on all cores, so the one thread
    /// that writes to SQLite only binds and steps (formatting and encoding were a third of its time).
    /// </summary>
    public object?[] ToSqlite(object?[] row)
    {
        var stored = new object?[row.Length];
        var bytes = 0;
        for (var i = 0; i < row.Length; i++)
        {
            // Ids and times stored as text are formatted straight into the row's buffer below, not through strings
            // (two per id: ToString, then upper case).
            switch (row[i])
            {
                case Guid when !_sqliteBlob[i]: stored[i] = row[i]; bytes += SqliteValues.GuidTextLength; continue;
                case DateTime: stored[i] = row[i]; bytes += SqliteValues.DateTimeTextMaxLength; continue;
            }
            stored[i] = SqliteValues.Stored(row[i], _sqliteBlob[i]);
            if (stored[i] is string s) bytes += Encoding.UTF8.GetByteCount(s);
        }
        if (bytes == 0) return stored;
        var buffer = new byte[bytes];
        var at = 0;
        for (var i = 0; i < stored.Length; i++)
        {
            var into = buffer.AsSpan(at);
            int n;
            switch (stored[i])
            {
                case string s: n = Encoding.UTF8.GetBytes(s, into); break;
                case Guid g: n = SqliteValues.GuidText(g, into); break;
                case DateTime d: n = SqliteValues.DateTimeText(d, into); break;
                default: continue;
            }
            stored[i] = new Utf8Text(buffer, at, n);
            at += n;
        }
        return stored;
    }

    internal bool IsSqliteBlob(int column) => _sqliteBlob[column];

    private static NpgsqlDbType PostgresType(string storeType, Type clr, string property)
    {
        var baseType = storeType.Split('(')[0].Trim().ToLowerInvariant();
        return baseType switch
        {
            "uuid" => NpgsqlDbType.Uuid,
            "text" => NpgsqlDbType.Text,
            "character varying" or "varchar" => NpgsqlDbType.Varchar,
            "integer" or "int" or "int4" => NpgsqlDbType.Integer,
            "bigint" or "int8" => NpgsqlDbType.Bigint,
            "smallint" or "int2" => NpgsqlDbType.Smallint,
            "boolean" or "bool" => NpgsqlDbType.Boolean,
            "timestamp with time zone" or "timestamptz" => NpgsqlDbType.TimestampTz,
            "timestamp without time zone" or "timestamp" => NpgsqlDbType.Timestamp,
            "date" => NpgsqlDbType.Date,
            "jsonb" => NpgsqlDbType.Jsonb,
            "json" => NpgsqlDbType.Json,
            "double precision" => NpgsqlDbType.Double,
            "numeric" => NpgsqlDbType.Numeric,
            "bytea" => NpgsqlDbType.Bytea,
            _ => throw new NotSupportedException($"Bulk COPY does not know the store type '{storeType}' of {clr.Name}.{property}."),
        };
    }
}

/// <summary>Text in UTF-8, a slice of a row's buffer (<see cref="BulkTable.ToSqlite"/>).</summary>
public sealed class Utf8Text(byte[] buffer, int offset, int length)
{
    public ReadOnlySpan<byte> Span => buffer.AsSpan(offset, length);
}

/// <summary>How SQLite stores EF's provider values, exactly as Microsoft.Data.Sqlite writes them (a test compares both paths column by column).</summary>
public static class SqliteValues
{
    /// <summary>null, an integer (long), a real (double), a blob (byte[]) or text (string).</summary>
    public static object? Stored(object? value, bool guidAsBlob)
    {
        var ci = CultureInfo.InvariantCulture;
        return value switch
        {
            null or string or long or double or byte[] or Utf8Text => value,
            int v => (long)v,
            bool v => v ? 1L : 0L,
            short v => (long)v,
            byte v => (long)v,
            float v => (double)v,
            decimal v => v.ToString("0.0###########################", ci),
            // Microsoft.Data.Sqlite's text formats, which EF Core's SQLite mappings read back.
            DateTime v => v.ToString(DateTimeFormat, ci),
            DateTimeOffset v => v.ToString(@"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFFzzz", ci),
            DateOnly v => v.ToString(@"yyyy\-MM\-dd", ci),
            Guid v when guidAsBlob => v.ToByteArray(),
            Guid v => v.ToString().ToUpperInvariant(),
            _ => throw new NotSupportedException($"SQLite cannot store a {value.GetType().Name}."),
        };
    }

    private const string DateTimeFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";

    /// <summary>The UTF-8 length of a Guid as text (36), and the longest of a DateTime (27: seven fraction digits).</summary>
    public const int GuidTextLength = 36, DateTimeTextMaxLength = 27;

    /// <summary>What <see cref="Stored"/> makes of a Guid (upper-case text), written as UTF-8 into <paramref name="into"/>; returns the length.</summary>
    public static int GuidText(Guid value, Span<byte> into)
    {
        if (!value.TryFormat(into, out var n)) throw new ArgumentException("The buffer is too small for a Guid.", nameof(into));
        for (var i = 0; i < n; i++)
            if (into[i] is >= (byte)'a' and <= (byte)'f') into[i] -= 'a' - 'A';
        return n;
    }

    /// <summary>What <see cref="Stored"/> makes of a DateTime, written as UTF-8 into <paramref name="into"/>; returns the length.</summary>
    public static int DateTimeText(DateTime value, Span<byte> into) =>
        value.TryFormat(into, out var n, DateTimeFormat, CultureInfo.InvariantCulture) ? n : throw new ArgumentException("The buffer is too small for a date.", nameof(into));
}

/// <summary>A column; <see cref="Getter"/> and <see cref="Mapping"/> are null for <see cref="BulkTable.Raw"/> tables.</summary>
public sealed record BulkColumn(string Name, IClrPropertyGetter? Getter, ValueConverter? Converter, RelationalTypeMapping? Mapping,
    bool Nullable, NpgsqlDbType PostgresType);

/// <summary>A slice of rows to write: parent rows first, then the rows that reference them.</summary>
public sealed record BulkBatch(IReadOnlyList<(BulkTable Table, List<object?[]> Rows)> Parts)
{
    public int Count(BulkTable table) => Parts.Where(p => p.Table == table).Sum(p => p.Rows.Count);
}

/// <summary>
/// Writes batches of rows bypassing EF change tracking (ARCHITECTURE: Data): on SQLite one prepared
/// multi-row INSERT per table, reused for every batch, one transaction per chunk; on PostgreSQL
/// binary COPY per table and chunk, in one transaction per chunk. Tables are written in the order
/// of each batch's parts, so parents land before children (foreign keys stay on).
/// </summary>
public static class BulkWriter
{
    /// <summary>Rows per SQLite INSERT statement (bounded by SQLite's 32766 parameters).</summary>
    public const int RowsPerStatement = 100;

    /// <param name="tables">The tables the batches write, parents first; progress counts rows of the first.</param>
    /// <param name="expectedRows">About how many rows of the first table will come (decides SQLite's index strategy).</param>
    /// <param name="chunkRows">Rows of the first table per transaction.</param>
    /// <param name="sqliteSuspendedTriggers">SQLite triggers that do not fire for these rows because the batches
    /// already carry what they would write (e.g. the FTS rows of a search row: row-by-row trigger inserts into
    /// FTS5 cost three times a direct insert).</param>
    public static async Task<long> WriteAsync(RenmaiDb db, IReadOnlyList<BulkTable> tables, IAsyncEnumerable<BulkBatch> batches,
        long expectedRows, int chunkRows, Action<long>? progress, Action<string>? log, CancellationToken ct,
        IReadOnlyCollection<string>? sqliteSuspendedTriggers = null)
    {
        var progressTable = tables[0];
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return db.IsPostgres
                ? await WritePostgresAsync((NpgsqlConnection)db.Database.GetDbConnection(), batches, progressTable, chunkRows, progress, ct)
                : await WriteSqliteAsync((SqliteConnection)db.Database.GetDbConnection(), tables, batches, expectedRows, chunkRows,
                    sqliteSuspendedTriggers ?? [], progress, log, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
            DataChanges.Touch(); // the bulk paths write beside EF's commands
        }
    }

    // ---- SQLite -------------------------------------------------------------------------------

    /// <summary>
    /// One prepared multi-row INSERT (plus a one-row statement for the tail), bound by position
    /// through SQLitePCL on the connection's own handle, so it runs inside the connection's
    /// transaction. (Microsoft.Data.Sqlite binds by name, and SQLite finds a name by a linear scan,
    /// which makes wide multi-row statements quadratic.) Values are stored exactly as
    /// Microsoft.Data.Sqlite stores EF's provider values; a test compares both paths column by column.
    /// </summary>
    private sealed class SqliteInsert : IDisposable
    {
        private readonly sqlite3 _db;
        private readonly sqlite3_stmt _many;
        private readonly sqlite3_stmt _one;
        private readonly BulkTable _table;
        private byte[] _buffer = new byte[1024];

        public SqliteInsert(SqliteConnection connection, BulkTable table)
        {
            _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
            _table = table;
            _many = Prepare(RowsPerStatement);
            _one = Prepare(1);
        }

        private sqlite3_stmt Prepare(int rows)
        {
            var one = "(" + string.Join(", ", Enumerable.Repeat("?", _table.Columns.Count)) + ")";
            var sql = $"INSERT INTO \"{_table.Table}\" ({string.Join(", ", _table.Columns.Select(c => "\"" + c.Name + "\""))}) VALUES "
                + string.Join(", ", Enumerable.Repeat(one, rows));
            Check(raw.sqlite3_prepare_v2(_db, sql, out var stmt));
            return stmt;
        }

        public void Write(List<object?[]> rows)
        {
            var i = 0;
            if (!_table.IsVirtual)
                for (; i + RowsPerStatement <= rows.Count; i += RowsPerStatement) Execute(_many, rows, i, RowsPerStatement);
            for (; i < rows.Count; i++) Execute(_one, rows, i, 1);
        }

        private void Execute(sqlite3_stmt stmt, List<object?[]> rows, int start, int count)
        {
            var k = 1;
            for (var r = 0; r < count; r++)
            {
                var row = rows[start + r];
                for (var c = 0; c < row.Length; c++) Bind(stmt, k++, row[c], c);
            }
            var rc = raw.sqlite3_step(stmt);
            raw.sqlite3_reset(stmt);
            if (rc != raw.SQLITE_DONE) Check(rc);
        }

        private void Bind(sqlite3_stmt stmt, int index, object? value, int column)
        {
            // Values put into their stored form in advance (BulkTable.ToSqlite) pass through unchanged.
            object? stored;
            try { stored = SqliteValues.Stored(value, _table.IsSqliteBlob(column)); }
            catch (NotSupportedException)
            {
                throw new NotSupportedException($"Bulk insert cannot store {value!.GetType().Name} in {_table.Table}.{_table.Columns[column].Name}.");
            }
            Check(stored switch
            {
                null => raw.sqlite3_bind_null(stmt, index),
                Utf8Text t => raw.sqlite3_bind_text(stmt, index, t.Span),
                string s => Text(stmt, index, s),
                long v => raw.sqlite3_bind_int64(stmt, index, v),
                double v => raw.sqlite3_bind_double(stmt, index, v),
                byte[] v => raw.sqlite3_bind_blob(stmt, index, v),
                _ => throw new InvalidOperationException($"SqliteValues.Stored returned a {stored.GetType().Name}."),
            });
        }

        private int Text(sqlite3_stmt stmt, int index, string s)
        {
            var max = Encoding.UTF8.GetMaxByteCount(s.Length);
            if (max > _buffer.Length) _buffer = new byte[Math.Max(max, _buffer.Length * 2)];
            var n = Encoding.UTF8.GetBytes(s, _buffer);
            return raw.sqlite3_bind_text(stmt, index, _buffer.AsSpan(0, n));
        }

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK) SqliteException.ThrowExceptionForRC(rc, _db);
        }

        public void Dispose()
        {
            _many.Dispose();
            _one.Dispose();
        }
    }

    /// <summary>
    /// Below this many rows the indexes are maintained row by row; above it, when the load is larger
    /// than what the table already holds, they are dropped and rebuilt (a sorted build is several
    /// times cheaper than a million random B-tree inserts per index).
    /// </summary>
    public const long SqliteRebuildIndexesFrom = 50_000;

    private static async Task<long> WriteSqliteAsync(SqliteConnection connection, IReadOnlyList<BulkTable> tables, IAsyncEnumerable<BulkBatch> batches,
        long expectedRows, int chunkRows, IReadOnlyCollection<string> suspendTriggers, Action<long>? progress, Action<string>? log, CancellationToken ct)
    {
        var progressTable = tables[0];
        // A bigger page cache for this connection (hot index pages), and CREATE INDEX's sorter spilling to a
        // temporary file instead of memory (temp_store=MEMORY would hold a million-row sort in RAM); both are
        // put back afterwards, so the pooled connection does not keep a large cache.
        var cacheSize = await ScalarAsync(connection, null, "PRAGMA cache_size", ct);
        var tempStore = await ScalarAsync(connection, null, "PRAGMA temp_store", ct);
        await ScalarAsync(connection, null, "PRAGMA cache_size=-131072; PRAGMA temp_store=FILE;", ct);
        try
        {
            return await WriteSqliteCoreAsync(connection, tables, batches, expectedRows, chunkRows, suspendTriggers, progress, log, ct);
        }
        finally
        {
            await ScalarAsync(connection, null, FormattableString.Invariant($"PRAGMA cache_size={cacheSize}; PRAGMA temp_store={tempStore}; PRAGMA shrink_memory;"), CancellationToken.None);
        }
    }

    private static async Task<long> WriteSqliteCoreAsync(SqliteConnection connection, IReadOnlyList<BulkTable> tables, IAsyncEnumerable<BulkBatch> batches,
        long expectedRows, int chunkRows, IReadOnlyCollection<string> suspendTriggers, Action<long>? progress, Action<string>? log, CancellationToken ct)
    {
        var progressTable = tables[0];
        var existing = await ScalarAsync(connection, null, $"SELECT COUNT(*) FROM \"{progressTable.Table}\"", ct);
        var rebuild = expectedRows >= SqliteRebuildIndexesFrom && existing < expectedRows;
        var triggers = await SchemaAsync(connection, null, "trigger", suspendTriggers, byTable: false, ct);
        if (triggers.Count != suspendTriggers.Count) throw new InvalidOperationException("A trigger to suspend does not exist: " + string.Join(", ", suspendTriggers));
        var indexes = new List<(string Name, string Sql)>();
        var inserts = new Dictionary<BulkTable, SqliteInsert>();
        SqliteTransaction? tx = null;
        long total = 0, inChunk = 0;

        // Every write transaction runs without the suspended triggers (the caller writes what they would)
        // and puts them back before it commits: DDL is transactional in SQLite, so no other connection
        // ever sees the schema without them, and a failed load rolls the drop back too.
        async Task BeginAsync()
        {
            tx = connection.BeginTransaction(deferred: false);
            foreach (var (name, _) in triggers) await ScalarAsync(connection, tx, "DROP TRIGGER " + Quote(name), ct);
        }
        async Task CommitAsync()
        {
            if (rebuild)
            {
                log?.Invoke($"正在重建 {indexes.Count} 个索引 (rebuilding {indexes.Count} indexes) …");
                foreach (var (_, create) in indexes) await ScalarAsync(connection, tx, create, ct);
            }
            foreach (var (_, create) in triggers) await ScalarAsync(connection, tx, create, ct);
            tx!.Commit();
            DataChanges.Touch();
            tx.Dispose();
            tx = null;
        }

        try
        {
            // Rebuild mode is one transaction (drop indexes, load, recreate indexes): all or nothing,
            // so a failed load can never leave a table without its indexes.
            if (rebuild)
            {
                await BeginAsync();
                indexes = await SchemaAsync(connection, tx, "index", [.. tables.Select(t => t.Table)], byTable: true, ct);
                foreach (var (name, _) in indexes) await ScalarAsync(connection, tx, "DROP INDEX " + Quote(name), ct);
            }
            await foreach (var batch in batches.WithCancellation(ct))
            {
                if (tx is null) await BeginAsync();
                foreach (var (table, rows) in batch.Parts)
                {
                    if (!inserts.TryGetValue(table, out var insert)) inserts[table] = insert = new SqliteInsert(connection, table);
                    insert.Write(rows);
                }
                var n = batch.Count(progressTable);
                total += n;
                inChunk += n;
                progress?.Invoke(total);
                if (!rebuild && inChunk >= chunkRows)
                {
                    await CommitAsync();
                    inChunk = 0;
                }
            }
            if (tx is not null) await CommitAsync();
        }
        finally
        {
            tx?.Dispose();
            foreach (var i in inserts.Values) i.Dispose();
        }
        return total;
    }

    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>Name and CREATE statement of the indexes on these tables (byTable) or of the named triggers.</summary>
    private static async Task<List<(string Name, string Sql)>> SchemaAsync(SqliteConnection connection, SqliteTransaction? tx, string type,
        IReadOnlyCollection<string> names, bool byTable, CancellationToken ct)
    {
        var found = new List<(string, string)>();
        foreach (var name in names)
        {
            await using var cmd = connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT name, sql FROM sqlite_master WHERE type = $type AND {(byTable ? "tbl_name" : "name")} = $n AND sql IS NOT NULL";
            cmd.Parameters.AddWithValue("$type", type);
            cmd.Parameters.AddWithValue("$n", name);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) found.Add((reader.GetString(0), reader.GetString(1)));
        }
        return found;
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, SqliteTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct) is long n ? n : 0;
    }

    // ---- PostgreSQL ---------------------------------------------------------------------------

    private static async Task<long> WritePostgresAsync(NpgsqlConnection connection, IAsyncEnumerable<BulkBatch> batches,
        BulkTable progressTable, int chunkRows, Action<long>? progress, CancellationToken ct)
    {
        long total = 0;
        // One COPY per table and chunk: a connection runs one COPY at a time, so each chunk's
        // rows are gathered per table (parents first) and streamed table by table.
        var pending = new List<BulkBatch>();
        var pendingRows = 0;
        await foreach (var batch in batches.WithCancellation(ct))
        {
            pending.Add(batch);
            pendingRows += batch.Count(progressTable);
            if (pendingRows >= chunkRows)
            {
                total += await CopyChunkAsync(connection, pending, progressTable, ct);
                progress?.Invoke(total);
                pending.Clear();
                pendingRows = 0;
            }
        }
        if (pending.Count > 0)
        {
            total += await CopyChunkAsync(connection, pending, progressTable, ct);
            progress?.Invoke(total);
        }
        return total;
    }

    private static async Task<long> CopyChunkAsync(NpgsqlConnection connection, List<BulkBatch> batches, BulkTable progressTable, CancellationToken ct)
    {
        var tables = batches.SelectMany(b => b.Parts.Select(p => p.Table)).Distinct().ToList();
        await using var tx = await connection.BeginTransactionAsync(ct);
        foreach (var table in tables)
        {
            var columns = string.Join(", ", table.Columns.Select(c => "\"" + c.Name + "\""));
            await using var importer = await connection.BeginBinaryImportAsync($"COPY \"{table.Table}\" ({columns}) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var batch in batches)
            {
                foreach (var (t, rows) in batch.Parts)
                {
                    if (t != table) continue;
                    foreach (var row in rows)
                    {
                        await importer.StartRowAsync(ct);
                        for (var c = 0; c < row.Length; c++)
                        {
                            if (row[c] is null) await importer.WriteNullAsync(ct);
                            else await importer.WriteAsync(row[c], table.Columns[c].PostgresType, ct);
                        }
                    }
                }
            }
            await importer.CompleteAsync(ct);
        }
        await tx.CommitAsync(ct);
        return batches.Sum(b => b.Count(progressTable));
    }

    /// <summary>Refreshes planner statistics after a bulk load (sampled on SQLite, so it stays quick).</summary>
    public static async Task AnalyzeAsync(RenmaiDb db, CancellationToken ct) =>
        await db.Database.ExecuteSqlRawAsync(db.IsPostgres ? "ANALYZE;" : "PRAGMA analysis_limit=2000; ANALYZE;", ct);
}
