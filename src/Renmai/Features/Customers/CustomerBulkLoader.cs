using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Contacts;
using Renmai.Features.Privacy;

namespace Renmai.Features.Customers;

/// <summary>A new customer for the bulk path, with its contact persons and (optionally) its "created" history line.</summary>
public sealed record BulkCustomer(Customer Customer, IReadOnlyList<Contact> Contacts, ChangeRecord? History = null);

/// <summary>
/// Writes new customers in bulk for every path that creates many at once (demo data, import): batches
/// come in, their sensitive values are sealed on all cores, each customer's rows (customer, contacts,
/// blind-index rows, history, search row) are produced in <see cref="RowsOf"/>, and <see cref="BulkWriter"/> writes
/// them on another task (batched prepared INSERTs on SQLite, binary COPY on PostgreSQL). Nothing is
/// tracked by EF and at most a few batches are in memory at a time.
/// </summary>
public sealed class CustomerBulkLoader
{
    /// <summary>Customers per transaction (chunked mode).</summary>
    public const int ChunkCustomers = 50_000;

    private readonly SensitiveStore _sensitive;
    private readonly BulkTable _customers, _contacts, _index, _history, _search;
    /// <summary>SQLite: the FTS rows are written here, not by the search table's insert trigger (three times faster),
    /// and every row is put into SQLite's stored form on the producing threads.</summary>
    private readonly bool _ftsRows;

    private CustomerBulkLoader(RenmaiDb db, SensitiveStore sensitive)
    {
        _sensitive = sensitive;
        _ftsRows = !db.IsPostgres;
        _customers = BulkTable.For<Customer>(db);
        _contacts = BulkTable.For<Contact>(db);
        _index = BulkTable.For<SensitiveIndexEntry>(db);
        _history = BulkTable.For<ChangeRecord>(db);
        // One search row per customer, as the SaveChanges hook writes it (ADR 0019).
        _search = BulkTable.For<Search.CustomerSearchRow>(db);
    }

    /// <summary>Rows written per table, for the caller's summary.</summary>
    public sealed record Result(long Customers, long Contacts);

    /// <param name="batches">Customers in batches (about 1000 each); each batch is sealed in parallel.</param>
    /// <param name="expectedCustomers">About how many will come (decides SQLite's index strategy).</param>
    /// <param name="progress">Customers written so far (called on the writer's task).</param>
    public static async Task<Result> LoadAsync(IServiceProvider services, IAsyncEnumerable<IReadOnlyList<BulkCustomer>> batches,
        long expectedCustomers, Action<long>? progress, Action<string>? log, CancellationToken ct)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var loader = new CustomerBulkLoader(db, services.GetRequiredService<SensitiveStore>());
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var channel = Channel.CreateBounded<BulkBatch>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        long contactCount = 0;
        // Producing (the caller's batches, then sealing) overlaps with the database writes.
        var producer = Task.Run(async () =>
        {
            try
            {
                await foreach (var batch in batches.WithCancellation(cts.Token))
                {
                    if (batch.Count == 0) continue;
                    var rows = loader.Rows(batch);
                    contactCount += rows.Count(loader._contacts);
                    await channel.Writer.WriteAsync(rows, cts.Token);
                }
                channel.Writer.Complete();
            }
            catch (Exception ex)
            {
                channel.Writer.Complete(ex);
            }
        }, cts.Token);

        long written;
        try
        {
            written = await BulkWriter.WriteAsync(db, [loader._customers, loader._contacts, loader._index, loader._history, loader._search],
                channel.Reader.ReadAllAsync(cts.Token), expectedCustomers, ChunkCustomers, n => progress?.Invoke(n), log, cts.Token,
                loader._ftsRows ? [Search.SearchSetup.InsertTrigger] : null);
        }
        finally
        {
            await cts.CancelAsync();
            try { await producer; } catch (OperationCanceledException) { }
        }
        return new Result(written, contactCount);
    }

    private BulkBatch Rows(IReadOnlyList<BulkCustomer> batch)
    {
        // Sealing (AES-GCM + HMAC) is the costly part of a row: spread it over the cores.
        var perCustomer = new CustomerRows[batch.Count];
        Parallel.For(0, batch.Count, i => perCustomer[i] = RowsOf(batch[i]));
        var customers = new List<object?[]>(batch.Count);
        var contacts = new List<object?[]>(batch.Count * 2);
        var index = new List<object?[]>(batch.Count * 4);
        var history = new List<object?[]>(batch.Count);
        var search = new List<object?[]>(batch.Count);
        var textFts = new List<object?[]>(_ftsRows ? batch.Count : 0);
        var wordFts = new List<object?[]>(_ftsRows ? batch.Count : 0);
        foreach (var r in perCustomer)
        {
            customers.Add(r.Customer);
            contacts.AddRange(r.Contacts);
            index.AddRange(r.Index);
            if (r.History is not null) history.Add(r.History);
            search.Add(r.Search);
            if (r.TextFts is not null) textFts.Add(r.TextFts);
            if (r.WordFts is not null) wordFts.Add(r.WordFts);
        }
        List<(BulkTable, List<object?[]>)> parts = [(_customers, customers), (_contacts, contacts), (_index, index), (_history, history), (_search, search)];
        if (_ftsRows) parts.AddRange([(Search.SearchSetup.TextFts, textFts), (Search.SearchSetup.WordFts, wordFts)]);
        return new BulkBatch(parts);
    }

    private sealed record CustomerRows(object?[] Customer, List<object?[]> Contacts, List<object?[]> Index, object?[]? History, object?[] Search,
        object?[]? TextFts, object?[]? WordFts);

    /// <summary>
    /// Every row one new customer needs, besides the customer row itself: this is the one place where
    /// per-customer derived rows (blind index, history, and any further index a feature adds) are made,
    /// so every bulk path writes them alike. Runs in parallel: it must only read shared state.
    /// </summary>
    private CustomerRows RowsOf(BulkCustomer item)
    {
        var (customer, people, history) = item;
        var index = _sensitive.SealNew(customer);
        foreach (var person in people) index.AddRange(_sensitive.SealNew(person));
        // SQLite: the rows in their stored form already (see BulkTable.ToSqlite); PostgreSQL's COPY takes the provider values.
        object?[] Row(BulkTable table, object entity) => _ftsRows ? table.ToSqlite(table.ToRow(entity)) : table.ToRow(entity);
        var contactRows = new List<object?[]>(people.Count);
        foreach (var person in people) contactRows.Add(Row(_contacts, person));
        var indexRows = new List<object?[]>(index.Count);
        foreach (var row in index) indexRows.Add(Row(_index, row));
        var search = Search.CustomerSearchRows.For(customer, people, _sensitive.Cipher);
        object?[]? textFts = null, wordFts = null;
        if (_ftsRows)
        {
            var (text, words) = Search.SearchSetup.FtsRows(search);
            textFts = Search.SearchSetup.TextFts.ToSqlite(text);
            wordFts = Search.SearchSetup.WordFts.ToSqlite(words);
        }
        return new CustomerRows(Row(_customers, customer), contactRows, indexRows, history is null ? null : Row(_history, history), Row(_search, search), textFts, wordFts);
    }
}
