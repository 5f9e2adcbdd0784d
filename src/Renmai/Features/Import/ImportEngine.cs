using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Privacy;
using Renmai.Features.Settings;
using Renmai.Features.Users;

namespace Renmai.Features.Import;

/// <summary>What happened to one row.</summary>
public enum RowAction { Create, Update, Skip, Error }

/// <summary>One problem of one row: its line in the file, the column's header (or null for the row), and the Chinese message.</summary>
public sealed record ImportRowError(long Line, string? Column, string Message);

/// <summary>Live counters of a running import, read by the status endpoint and the progress bar.</summary>
public sealed class ImportProgress
{
    private long _rows, _created, _updated, _skipped, _failed;
    private readonly Stopwatch _watch = Stopwatch.StartNew();

    public long RowsRead => Interlocked.Read(ref _rows);
    public long RowsTotal { get; set; }
    public long Created => Interlocked.Read(ref _created);
    public long Updated => Interlocked.Read(ref _updated);
    public long Skipped => Interlocked.Read(ref _skipped);
    public long Failed => Interlocked.Read(ref _failed);
    public string Phase { get; set; } = "读取文件";
    public double RowsPerSecond => RowsRead / Math.Max(_watch.Elapsed.TotalSeconds, 0.001);

    public void Read(int n) => Interlocked.Add(ref _rows, n);
    public void Count(RowAction action, int delta = 1)
    {
        switch (action)
        {
            case RowAction.Create: Interlocked.Add(ref _created, delta); break;
            case RowAction.Update: Interlocked.Add(ref _updated, delta); break;
            case RowAction.Skip: Interlocked.Add(ref _skipped, delta); break;
            default: Interlocked.Add(ref _failed, delta); break;
        }
    }
}

/// <summary>The outcome of a run (or a dry run, or a preview).</summary>
public sealed class ImportOutcome
{
    public long Rows { get; set; }
    public long Created { get; set; }
    public long Updated { get; set; }
    public long Skipped { get; set; }
    public long Failed { get; set; }
    public List<ImportRowError> Errors { get; } = [];
    /// <summary>Per previewed row: action and messages (only filled for previews).</summary>
    public List<PreviewRow> Preview { get; } = [];
    /// <summary>Original cells of the rows that failed or were skipped, for the error file (capped).</summary>
    public SortedDictionary<long, (object?[] Cells, string Message)> ErrorRows { get; } = [];
    public double Seconds { get; set; }
}

public sealed record PreviewRow(long Line, RowAction Action, IReadOnlyList<string?> Cells, IReadOnlyList<ImportRowError> Errors, string? Target);

/// <summary>
/// Runs one import: reads the file in batches, converts and validates rows in parallel with the
/// customer form's own rules, matches keys against the file so far and the database (within the
/// importer's scope; phones through the blind index), streams new customers into
/// <see cref="CustomerBulkLoader"/> and then applies updates through EF (history: source Import, with
/// a sealed before-image for undo). Rollback and undo live here too (ADR 0020).
/// </summary>
public sealed class ImportEngine(IServiceProvider services, IDbContextFactory<RenmaiDb> dbs, SensitiveStore sensitive, AppSettings settings,
    TimeProvider clock, RenmaiStorage storage, Microsoft.Extensions.Options.IOptions<ImportLimits> limits)
{
    public const int BatchRows = 1000;
    public const int MaxErrorRows = 100_000;

    public string Folder
    {
        get
        {
            var f = Path.Combine(storage.DataFolder, "imports");
            Directory.CreateDirectory(f);
            return f;
        }
    }

    public ImportLimits Limits => limits.Value;

    public ImportTable Open(ImportJob job, string? encoding) => ImportTable.Open(Path.Combine(Folder, job.StoredFile), job.FileName, encoding, Limits);

    /// <summary>The name the history shows: the importer and the import ("张伟（导入 客户.xlsx #0a1b2c3d）").</summary>
    public static string HistoryName(Actor actor, ImportJob job) => $"{actor.Name}（导入 {job.FileName} #{job.Id.ToString("N")[^8..]}）";

    private sealed class RowState
    {
        public required ImportRow Row;
        public CustomerForm Form = new();
        /// <summary>The contact persons the row names (联系人 …, 联系人2 … columns), validated.</summary>
        public List<ContactForm> Contacts = [];
        public JsonObject? CustomFields;
        public readonly ImportFields.RowErrors Errors = new();
        public bool NameOnlyMissing;
        public string? Key;
        public RowAction Action;
        public Guid Target;
        public Customer? Customer;
        public string? TargetNumber;
        public string? Note;
    }

    /// <param name="previewRows">When set: a dry run over the first rows that returns each row's verdict.</param>
    public async Task<ImportOutcome> RunAsync(ImportJob job, Actor actor, bool dryRun, ImportProgress progress, int? previewRows, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var options = job.Options;
        await using var db = await dbs.CreateDbContextAsync(ct);
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        var fields = ImportFields.All(defs);
        using var table = Open(job, options.Encoding);
        if (ImportFields.CheckMapping(options.Mapping, table.Headers, fields, options) is { } mappingError) throw new ImportFileException(mappingError);
        var (ownerId, poolId) = await ResolveOwnerAsync(db, actor, options, ct);
        var sensitiveKeys = defs.Where(d => d.Sensitive).Select(d => d.Key).ToList();
        var now = clock.GetUtcNow().UtcDateTime;
        var historyName = HistoryName(actor, job);
        var outcome = new ImportOutcome();
        progress.RowsTotal = previewRows is { } p ? Math.Min(p, Math.Max(table.EstimatedRows, 1)) : table.EstimatedRows;

        // Customer numbers for the new rows, reserved before the bulk load holds the database's write lock
        // (a gap is left by rows that end up skipped or failed).
        long nextNumber = 0, lastNumber = -1, expectedRows = table.EstimatedRows;
        var writes = !dryRun && previewRows is null;
        if (writes && options.Mode != ImportMode.Update)
        {
            var upper = table.CountUpperBound();
            // A count through the file is a better total for the progress bar than the estimate made at upload.
            progress.RowsTotal = upper;
            expectedRows = upper;
            if (upper > 0)
            {
                nextNumber = await CustomerNumbers.ReserveAsync(db, (int)Math.Min(upper, int.MaxValue), ct);
                lastNumber = nextNumber + upper - 1;
            }
        }

        var seen = new Dictionary<string, FirstRow>(StringComparer.Ordinal);
        var updates = new Dictionary<long, Guid>();
        var keyFieldColumn = options.Mapping.Where(m => ImportFields.KeyField(options.Key).Contains(m.Value)).Select(m => (int?)m.Key).FirstOrDefault();
        string? ColumnName(int c) => c >= 0 && c < table.Headers.Count ? table.Headers[c] : null;

        void Fail(RowState s, int column, string message)
        {
            s.Errors.Add(column, message);
        }

        void Record(RowState s)
        {
            switch (s.Action)
            {
                case RowAction.Create: outcome.Created++; break;
                case RowAction.Update: outcome.Updated++; break;
                case RowAction.Skip: outcome.Skipped++; break;
                case RowAction.Error: outcome.Failed++; break;
            }
            progress.Count(s.Action);
            var errors = s.Errors.Items.Select(e => new ImportRowError(s.Row.Line, ColumnName(e.Column), e.Message)).ToList();
            if (s.Action == RowAction.Skip && s.Note is not null) errors.Add(new ImportRowError(s.Row.Line, null, s.Note));
            if (s.Action is RowAction.Error or RowAction.Skip && errors.Count > 0)
            {
                if (outcome.Errors.Count < MaxErrorRows) outcome.Errors.AddRange(errors);
                if (outcome.ErrorRows.Count < MaxErrorRows)
                    outcome.ErrorRows[s.Row.Line] = (s.Row.Cells, string.Join("；", errors.Select(e => (e.Column is null ? "" : $"“{e.Column}”列：") + e.Message)));
            }
            if (previewRows is not null)
                outcome.Preview.Add(new PreviewRow(s.Row.Line, s.Action, [.. s.Row.Cells.Take(table.Headers.Count).Select(ImportTable.Text)], errors, s.TargetNumber));
        }

        async IAsyncEnumerable<IReadOnlyList<BulkCustomer>> Creates()
        {
            var batch = new List<RowState>(BatchRows);
            IEnumerable<ImportRow> rows = table.Rows();
            if (previewRows is { } n) rows = rows.Take(n);
            foreach (var row in rows)
            {
                batch.Add(new RowState { Row = row });
                if (batch.Count == BatchRows)
                {
                    yield return await DecideAsync(batch);
                    batch = new List<RowState>(BatchRows);
                }
            }
            if (batch.Count > 0) yield return await DecideAsync(batch);
        }

        async Task<IReadOnlyList<BulkCustomer>> DecideAsync(List<RowState> batch)
        {
            ct.ThrowIfCancellationRequested();
            // Conversion and validation (phone parsing above all) on all cores.
            Parallel.For(0, batch.Count, i =>
            {
                var s = batch[i];
                Convert(s, options, defs, privacy);
                // The entity too, while on all cores; only rows that end up created use it.
                if (writes && !s.Errors.Any && options.Mode != ImportMode.Update) s.Customer = Prepare(s, job, ownerId, poolId, now, historyName, sensitiveKeys);
            });
            // Keys, duplicates within the file, then against the database (one query per batch).
            foreach (var s in batch)
            {
                if (s.Errors.Any && !(s.NameOnlyMissing && options.Mode != ImportMode.Create)) continue;
                s.Key = KeyOf(s.Form, options.Key);
            }
            var lookups = batch.Where(s => s.Key is not null).Select(s => s.Key!).Distinct(StringComparer.Ordinal).ToList();
            var found = lookups.Count == 0 ? [] : await LookupAsync(db, actor, options.Key, lookups, ct);
            var creates = new List<BulkCustomer>();
            foreach (var s in batch)
            {
                Decide(s, found, seen, options);
                // A missing name only matters to a row that would create a customer: a row that matched none (update
                // only) or several says that instead.
                if (s.Action == RowAction.Error && s.NameOnlyMissing && s.Note is not null) s.Errors.Items.Clear();
                if (s.Action == RowAction.Error && !s.Errors.Any) Fail(s, keyFieldColumn ?? -1, s.Note ?? "无法处理");
                if (s.Action == RowAction.Create && s.Errors.Any) s.Action = RowAction.Error;
                if (s.Action == RowAction.Update) updates[s.Row.Line] = s.Target;
                if (s.Action == RowAction.Create && writes)
                {
                    if (nextNumber > lastNumber) throw new InvalidOperationException("预留的客户编号不足");
                    creates.Add(NewCustomer(s, job, ownerId, poolId, now, actor, historyName, sensitiveKeys, nextNumber++));
                }
                // What a later repeat of this key in the file updates (when the duplicate choice says update).
                if (s.Key is not null && seen.TryGetValue(s.Key, out var first) && first.Line == s.Row.Line && s.Action is RowAction.Create or RowAction.Update)
                {
                    CustomerNumbers.TryParse(s.TargetNumber, out var number);
                    seen[s.Key] = first with { Applied = true, Target = (s.Action == RowAction.Create ? s.Customer?.Id : s.Target) ?? Guid.Empty, Number = number };
                }
                Record(s);
            }
            progress.Read(batch.Count);
            outcome.Rows += batch.Count;
            return creates;
        }

        if (writes)
        {
            progress.Phase = "写入新客户";
            await CustomerBulkLoader.LoadAsync(services, Creates(), Math.Max(expectedRows, 1), null, null, ct);
            if (!db.IsPostgres && outcome.Created >= 50_000) await db.Database.ExecuteSqlRawAsync("PRAGMA wal_checkpoint(TRUNCATE);", ct);
            if (updates.Count > 0)
            {
                progress.Phase = "更新已有客户";
                await ApplyUpdatesAsync(job, actor, historyName, table, options, defs, privacy, updates, outcome, progress, ct);
            }
        }
        else
        {
            await foreach (var _ in Creates().WithCancellation(ct)) { }
        }
        outcome.Seconds = watch.Elapsed.TotalSeconds;
        return outcome;
    }

    private static void Convert(RowState s, ImportOptions options, IReadOnlyList<CustomFieldDefinition> defs, PrivacySettings privacy)
    {
        var contacts = ImportFields.NewContacts(options.Mapping);
        var origin = ImportFields.Apply(s.Form, contacts, s.Row.Cells, options.Mapping, update: false, s.Errors);
        s.Contacts = ImportFields.CheckContacts(contacts, options.Mapping, s.Errors);
        // Validated even when a cell could not be read, so the row's error lists every problem at once.
        try
        {
            s.CustomFields = CustomerService.Validate(s.Form, defs, null, privacy);
        }
        catch (ValidationFailedException ex)
        {
            foreach (var (field, messages) in ex.Errors.Fields)
            {
                var column = ImportFields.ColumnOf(field, origin, options.Mapping);
                foreach (var m in messages) s.Errors.Add(column, m);
            }
            s.NameOnlyMissing = !s.Errors.Items.Any(e => e.Column != ImportFields.ColumnOf("name", origin, options.Mapping))
                && ex.Errors.Fields.Count == 1 && ex.Errors.Fields.ContainsKey("name") && s.Form.Name.Length == 0;
        }
    }

    public static string? KeyOf(CustomerForm f, ImportKey key) => key switch
    {
        ImportKey.Number => string.IsNullOrEmpty(f.Number) ? null : f.Number,
        ImportKey.Uscc => f.Uscc,
        ImportKey.Phone => f.Phones.Count == 0 ? null : SensitiveStore.PhoneDigits(f.Phones[0].Number) is { Length: > 0 } d ? d : null,
        ImportKey.Email => f.Email?.Trim(),
        _ => f.Name.Length == 0 ? null : NameCompanyKey(f.Name, f.Company),
    };

    /// <summary>
    /// The name + company key: the name as typed (half-width, trimmed) and, for a person, where they work without
    /// spaces or case (张伟 at 华夏科技 is not 张伟 at 长城汽车). A company's own name is its company.
    /// </summary>
    internal static string NameCompanyKey(string name, string? company) =>
        Validators.ToHalfWidth(name).Trim() + NameCompanySeparator + (company is null ? "" : string.Concat(Validators.ToHalfWidth(company).Where(c => !char.IsWhiteSpace(c))).ToLowerInvariant());

    private const char NameCompanySeparator = '\u001f';

    private sealed record Match(Guid Id, string Number);

    /// <summary>Customers matching the keys, within the importer's record scope: what the importer cannot see cannot be matched.</summary>
    private async Task<Dictionary<string, List<Match>>> LookupAsync(RenmaiDb db, Actor actor, ImportKey key, List<string> keys, CancellationToken ct)
    {
        var visible = CustomerService.Visible(db.Set<Customer>().AsNoTracking(), actor);
        // A batch's keys go as one array parameter (EF.Parameter): EF 10 would otherwise send each as a parameter of its
        // own, and Microsoft.Data.Sqlite binds by name, which SQLite resolves by a linear scan (a thousand keys: half a
        // million name comparisons per batch).
        List<(string Key, Match Match)> rows;
        switch (key)
        {
            case ImportKey.Number:
                rows = [.. (await visible.Where(c => EF.Parameter(keys).Contains(c.Number)).Select(c => new { c.Number, c.Id }).ToListAsync(ct)).Select(r => (r.Number, new Match(r.Id, r.Number)))];
                break;
            case ImportKey.Uscc:
                rows = [.. (await visible.Where(c => c.Uscc != null && EF.Parameter(keys).Contains(c.Uscc)).Select(c => new { c.Uscc, c.Id, c.Number }).ToListAsync(ct)).Select(r => (r.Uscc!, new Match(r.Id, r.Number)))];
                break;
            case ImportKey.Email:
                rows = [.. (await visible.Where(c => c.Email != null && EF.Parameter(keys).Contains(c.Email)).Select(c => new { c.Email, c.Id, c.Number }).ToListAsync(ct)).Select(r => (r.Email!, new Match(r.Id, r.Number)))];
                break;
            case ImportKey.Phone:
                // Phones are encrypted: match keyed hashes of the digits in the blind index, never plaintext.
                var byHash = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var k in keys)
                    foreach (var h in sensitive.Cipher.LookupHashes(SensitiveKind.PhoneFull, k)) byHash[h] = k;
                var hashes = byHash.Keys.ToList();
                // The index first (most keys of an import are new), then the scope check for the few hits.
                var indexHits = await db.Set<SensitiveIndexEntry>().AsNoTracking()
                    .Where(x => x.Kind == SensitiveKind.PhoneFull && EF.Parameter(hashes).Contains(x.Hash) && x.EntityId == x.CustomerId)
                    .Select(x => new { x.Hash, x.CustomerId }).ToListAsync(ct);
                if (indexHits.Count == 0) return [];
                var ids = indexHits.Select(h => h.CustomerId).Distinct().ToList();
                var seenBy = await visible.Where(c => ids.Contains(c.Id)).Select(c => new { c.Id, c.Number }).ToDictionaryAsync(c => c.Id, c => c.Number, ct);
                rows = [.. indexHits.Where(h => seenBy.ContainsKey(h.CustomerId)).Select(h => (byHash[h.Hash], new Match(h.CustomerId, seenBy[h.CustomerId])))];
                break;
            default:
                var names = keys.Select(k => k[..k.IndexOf(NameCompanySeparator, StringComparison.Ordinal)]).Distinct().ToList();
                rows = [.. (await visible.Where(c => EF.Parameter(names).Contains(c.Name)).Select(c => new { c.Name, c.Company, c.Id, c.Number }).ToListAsync(ct))
                    .Select(r => (NameCompanyKey(r.Name, r.Company), new Match(r.Id, r.Number)))];
                break;
        }
        return rows.GroupBy(r => r.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Select(x => x.Match).DistinctBy(m => m.Id).ToList(), StringComparer.Ordinal);
    }

    /// <summary>
    /// The first row of the file with a key: its line, and the customer it created or updated (Target is empty in a
    /// dry run, Number 0 when unknown). A value, not an object: a million-row file keeps one per key.
    /// </summary>
    private readonly record struct FirstRow(long Line, bool Applied = false, Guid Target = default, long Number = 0);

    private static void Decide(RowState s, Dictionary<string, List<Match>> found, Dictionary<string, FirstRow> seen, ImportOptions o)
    {
        var keyLabel = o.Key == ImportKey.NameCompany ? "客户名称和所在公司" : ImportFields.KeyLabel(o.Key);
        var keyText = s.Key is null ? null : s.Key.EndsWith(NameCompanySeparator) ? s.Key[..^1] : s.Key.Replace(NameCompanySeparator, '/');
        // A missing name is no error for a row that can only update (it keeps the customer's name): in update-only mode
        // always (one that matches nothing is told so below), in upsert mode when its key matched.
        var nameNotNeeded = s.NameOnlyMissing && (o.Mode == ImportMode.Update
            || (o.Mode == ImportMode.Upsert && o.Duplicates != DuplicateChoice.CreateAnyway && s.Key is not null && found.ContainsKey(s.Key)));
        if (s.Errors.Any && !nameNotNeeded)
        {
            s.Action = RowAction.Error;
            return;
        }
        if (s.Key is not null && seen.TryGetValue(s.Key, out var first))
        {
            // A repeat of an earlier row of this file: treated as a match in the database would be.
            if (o.Duplicates == DuplicateChoice.CreateAnyway && o.Mode == ImportMode.Create && !s.Errors.Any) { s.Action = RowAction.Create; return; }
            var updates = o.Mode != ImportMode.Create || o.Duplicates == DuplicateChoice.Update;
            if (updates && first.Applied && !s.Errors.Any)
            {
                // It updates what the first row created or updated (applied after the new customers are written, in file order).
                s.Action = RowAction.Update;
                s.Target = first.Target;
                s.TargetNumber = first.Number > 0 ? CustomerNumbers.Format(first.Number) : null;
                return;
            }
            s.Action = RowAction.Skip;
            s.Note = $"与文件第 {first.Line} 行重复（{keyLabel}：{keyText}），已跳过";
            return;
        }
        if (s.Key is not null) seen[s.Key] = new FirstRow(s.Row.Line);
        var matches = s.Key is null ? null : found.GetValueOrDefault(s.Key);
        if (matches is { Count: > 0 })
        {
            var numbers = string.Join("、", matches.Select(m => m.Number));
            if (o.Mode == ImportMode.Create && o.Duplicates == DuplicateChoice.Skip)
            {
                s.Action = RowAction.Skip;
                s.Note = $"与已有客户 {numbers} 重复（{keyLabel}：{keyText}），已跳过";
                return;
            }
            if (o.Mode == ImportMode.Create && o.Duplicates == DuplicateChoice.CreateAnyway) { s.Action = RowAction.Create; return; }
            if (matches.Count > 1)
            {
                s.Action = RowAction.Error;
                s.Note = $"按{keyLabel}“{keyText}”匹配到多个客户（{numbers}），无法确定更新哪一个";
                return;
            }
            s.Action = RowAction.Update;
            s.Target = matches[0].Id;
            s.TargetNumber = matches[0].Number;
            return;
        }
        if (o.Mode == ImportMode.Update)
        {
            s.Action = RowAction.Error;
            s.Note = s.Key is null ? $"缺少匹配列“{ImportFields.KeyLabel(o.Key)}”的值，无法更新" : $"未找到{keyLabel}为“{keyText}”的客户（或您无权访问），仅更新模式不会新建";
            return;
        }
        s.Action = s.Errors.Any ? RowAction.Error : RowAction.Create;
    }

    private static Customer Prepare(RowState s, ImportJob job, Guid? ownerId, Guid? poolId, DateTime now, string historyName, IReadOnlyCollection<string> sensitiveKeys)
    {
        var c = new Customer();
        s.Form.ApplyTo(c, s.CustomFields ?? [], sensitiveKeys);
        c.GiveTo(ownerId, now);
        if (ownerId is null) c.PoolId = poolId;
        c.ImportId = job.Id;
        // The stamps HistoryInterceptor would set on a save (source: import).
        c.CreatedAt = c.UpdatedAt = now;
        c.CreatedBy = c.UpdatedBy = historyName;
        c.UpdatedVia = ChangeSource.Import;
        c.Version = 1;
        return c;
    }

    private static BulkCustomer NewCustomer(RowState s, ImportJob job, Guid? ownerId, Guid? poolId, DateTime now, Actor actor, string historyName,
        IReadOnlyCollection<string> sensitiveKeys, long number)
    {
        var c = s.Customer ?? Prepare(s, job, ownerId, poolId, now, historyName, sensitiveKeys);
        c.Number = CustomerNumbers.Format(number);
        s.TargetNumber = c.Number;
        // HistoryInterceptor's "created" line, marked as coming from this import.
        var history = new ChangeRecord
        {
            CustomerId = c.Id, EntityType = nameof(Customer), EntityId = c.Id, EntityLabel = Truncate(c.ToString()), Action = ChangeAction.Created,
            At = now, UserId = actor.UserId, UserName = Truncate(historyName)!, Source = ChangeSource.Import,
        };
        return new BulkCustomer(c, [.. s.Contacts.Select((k, i) => NewContact(c.Id, k, now, historyName, primary: i == 0))], history);
    }

    /// <summary>A contact the import adds, stamped as coming from it.</summary>
    private static Contact NewContact(Guid customerId, ContactForm k, DateTime now, string historyName, bool primary)
    {
        var contact = new Contact
        {
            CustomerId = customerId,
            CreatedAt = now, UpdatedAt = now, CreatedBy = Truncate(historyName)!, UpdatedBy = Truncate(historyName)!, UpdatedVia = ChangeSource.Import, Version = 1,
        };
        ContactService.Apply(contact, k);
        contact.IsPrimary = primary;
        return contact;
    }

    /// <summary>
    /// The row's contact on an existing customer: a contact of the same name gets the title, department, phone, email,
    /// WeChat, birthday, gender, decision role and notes the row adds (nothing is removed); otherwise a new contact. Either way an <see cref="ImportChange"/> remembers how to take it back.
    /// </summary>
    private void UpsertContact(RenmaiDb db, ImportJob job, Customer customer, List<Contact> contacts, ContactForm row, DateTime now, string historyName)
    {
        var existing = contacts.FirstOrDefault(k => ImportFields.SameContactName(k.Name, row.Name));
        if (existing is null)
        {
            var added = NewContact(customer.Id, row, now, historyName, primary: contacts.Count == 0);
            db.Add(added);
            contacts.Add(added);
            AddContactChange(db, job, customer, added, before: null);
            return;
        }
        var before = ContactBefore(existing);
        var changed = false;
        if (row.Title is not null && row.Title != existing.Title) { existing.Title = row.Title; changed = true; }
        if (row.Department is not null && row.Department != existing.Department) { existing.Department = row.Department; changed = true; }
        if (row.WeChat is not null && row.WeChat != existing.WeChat) { existing.WeChat = row.WeChat; changed = true; }
        if (row.BirthDate is not null && row.BirthDate != existing.BirthDate) { existing.BirthDate = row.BirthDate; changed = true; }
        if (row.Gender != Gender.Unknown && row.Gender != existing.Gender) { existing.Gender = row.Gender; changed = true; }
        if (row.Role != DecisionRole.None && row.Role != existing.Role) { existing.Role = row.Role; changed = true; }
        if (row.Notes is not null && row.Notes != existing.Notes) { existing.Notes = row.Notes; changed = true; }
        if (row.Email is not null && !string.Equals(row.Email, existing.Email, StringComparison.OrdinalIgnoreCase)) { existing.Email = row.Email; changed = true; }
        var phones = existing.Phones.Select(p => p.Copy()).ToList();
        foreach (var p in row.Phones)
            if (!phones.Any(x => x.Number == p.Number)) { phones.Add(p.Copy()); changed = true; }
        if (!changed) return;
        // A new list, so the sensitive-data hook sees the phones changed and re-seals them.
        existing.Phones = phones;
        AddContactChange(db, job, customer, existing, before);
    }

    /// <summary>The contact's form with its phones in plaintext (the form's own <see cref="ContactForm.From"/> masks them); sealed as the before-image.</summary>
    private static ContactForm ContactBefore(Contact k)
    {
        var form = ContactForm.From(k);
        form.Phones = [.. k.Phones.Select(p => p.Copy())];
        return form;
    }

    private void AddContactChange(RenmaiDb db, ImportJob job, Customer customer, Contact contact, ContactForm? before)
    {
        var change = new ImportChange { ImportId = job.Id, CustomerId = customer.Id, ContactId = contact.Id };
        // A contact the import created has no before-image: undo removes it.
        change.Before = sensitive.Cipher.Seal(before is null ? "null" : JsonStorage.Serialize(before), change.Id);
        db.Add(change);
    }

    private static string? Truncate(string? s) => s is { Length: > 200 } ? s[..200] : s;

    /// <summary>Owner per the options and the importer's rights: themselves, a user they may assign to, or the pool.</summary>
    private static async Task<(Guid? Owner, Guid? Pool)> ResolveOwnerAsync(RenmaiDb db, Actor actor, ImportOptions o, CancellationToken ct)
    {
        var isAdmin = actor.IsInRole(Roles.Admin);
        async Task<Guid?> DefaultPool() => await db.Set<Pool.CustomerPool>().AsNoTracking().Where(p => p.IsDefault).Select(p => (Guid?)p.Id).FirstOrDefaultAsync(ct);
        switch (o.Owner)
        {
            case ImportOwner.Pool:
                if (!isAdmin && !actor.IsInRole(Roles.Manager)) throw new ForbiddenException("只有管理员和销售经理可以把导入的客户放入公海");
                return (null, await DefaultPool());
            case ImportOwner.User when o.OwnerUserId is { } u && u != actor.UserId:
                if (!isAdmin && !actor.ManagedUserIds.Contains(u)) throw new ForbiddenException("只能把客户分配给您自己或您团队中的成员");
                if (!await db.Users.AnyAsync(x => x.Id == u && x.IsActive, ct)) throw new ImportFileException("所选负责人不存在或已停用");
                return (u, null);
            default:
                // The system administrator (CLI without --as) owns nothing: its imports go to the pool.
                return actor.UserId is { } me ? (me, null) : (null, await DefaultPool());
        }
    }

    private async Task ApplyUpdatesAsync(ImportJob job, Actor actor, string historyName, ImportTable table, ImportOptions options,
        IReadOnlyList<CustomFieldDefinition> defs, PrivacySettings privacy, Dictionary<long, Guid> updates, ImportOutcome outcome, ImportProgress progress, CancellationToken ct)
    {
        var importActor = new Actor(actor.UserId, historyName, ChangeSource.Import, actor.Roles) { ManagedUserIds = actor.ManagedUserIds };
        var sensitiveKeys = defs.Where(d => d.Sensitive).Select(d => d.Key).ToList();
        var batch = new List<ImportRow>(200);
        async Task FlushAsync()
        {
            if (batch.Count == 0) return;
            ct.ThrowIfCancellationRequested();
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.Actor = importActor;
            var ids = batch.Select(r => updates[r.Line]).Distinct().ToList();
            var customers = await CustomerService.Visible(db.Set<Customer>(), actor).Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
            var contactsOf = options.Mapping.Values.Any(k => ImportFields.TryContactKey(k, out _, out var field) && field == "Name")
                ? (await db.Set<Contact>().Where(k => ids.Contains(k.CustomerId)).ToListAsync(ct)).GroupBy(k => k.CustomerId).ToDictionary(g => g.Key, g => g.ToList())
                : [];
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var row in batch)
            {
                var errors = new ImportFields.RowErrors();
                if (!customers.TryGetValue(updates[row.Line], out var customer))
                {
                    errors.Add(-1, "要更新的客户已不存在（或您无权访问）");
                }
                else
                {
                    var form = CustomerForm.From(customer);
                    var before = JsonStorage.Serialize(form);
                    form = JsonStorage.Deserialize<CustomerForm>(before)!;
                    var contactCells = ImportFields.NewContacts(options.Mapping);
                    var origin = ImportFields.Apply(form, contactCells, row.Cells, options.Mapping, update: true, errors);
                    var rowContacts = ImportFields.CheckContacts(contactCells, options.Mapping, errors);
                    if (!errors.Any)
                    {
                        try
                        {
                            var existing = JsonNode.Parse(customer.CustomFieldsJson) as JsonObject;
                            var customFields = CustomerService.Validate(form, defs, existing, privacy);
                            form.ApplyTo(customer, customFields, sensitiveKeys);
                            var change = new ImportChange { ImportId = job.Id, CustomerId = customer.Id };
                            change.Before = sensitive.Cipher.Seal(before, change.Id);
                            db.Add(change);
                            if (rowContacts.Count > 0)
                            {
                                if (!contactsOf.TryGetValue(customer.Id, out var list)) contactsOf[customer.Id] = list = [];
                                foreach (var contact in rowContacts) UpsertContact(db, job, customer, list, contact, now, historyName);
                            }
                        }
                        catch (ValidationFailedException ex)
                        {
                            foreach (var (field, messages) in ex.Errors.Fields)
                                foreach (var m in messages) errors.Add(ImportFields.ColumnOf(field, origin, options.Mapping), m);
                        }
                    }
                }
                if (errors.Any)
                {
                    // Counted as an update in the first pass; it is a failure after all.
                    outcome.Updated--;
                    outcome.Failed++;
                    progress.Count(RowAction.Update, -1);
                    progress.Count(RowAction.Error);
                    var list = errors.Items.Select(e => new ImportRowError(row.Line, e.Column >= 0 && e.Column < table.Headers.Count ? table.Headers[e.Column] : null, e.Message)).ToList();
                    outcome.Errors.AddRange(list);
                    outcome.ErrorRows[row.Line] = (row.Cells, string.Join("；", list.Select(e => (e.Column is null ? "" : $"“{e.Column}”列：") + e.Message)));
                    if (customers.TryGetValue(updates[row.Line], out var c2)) db.Entry(c2).State = EntityState.Unchanged;
                }
            }
            await db.SaveChangesAsync(ct);
            batch.Clear();
        }
        foreach (var row in table.Rows())
        {
            if (!updates.ContainsKey(row.Line)) continue;
            batch.Add(row);
            if (batch.Count == 200) await FlushAsync();
        }
        await FlushAsync();
    }

    // ---- Rollback and undo --------------------------------------------------------------------

    /// <summary>A contact as it was before the import: removed when the import added it, else its title, department, phones, email, WeChat,
    /// birthday, gender, decision role and notes back.</summary>
    private void RestoreContact(Contact contact, string before, string by)
    {
        var form = JsonStorage.Deserialize<ContactForm>(before);
        if (form is null)
        {
            if (contact.DeletedAt is null) { contact.DeletedAt = clock.GetUtcNow().UtcDateTime; contact.DeletedBy = by; }
            return;
        }
        // An import never changes which contact is primary (and earlier before-images did not record it).
        form.IsPrimary = contact.IsPrimary;
        ContactService.Apply(contact, form);
    }

    /// <summary>
    /// Takes an import back: updated customers get their before-image again (newest first, each in the
    /// history as an import change), created ones are removed — deleted outright when the import never
    /// finished (<paramref name="hardDelete"/>: nobody worked with them yet), moved to the recycle bin
    /// when a finished import is undone (work done on them since stays recoverable).
    /// </summary>
    public async Task<(int Restored, int Removed)> RollbackAsync(ImportJob job, Actor actor, bool hardDelete, CancellationToken ct)
    {
        var importActor = new Actor(actor.UserId, $"{actor.Name}（撤销导入 {job.FileName} #{job.Id.ToString("N")[^8..]}）", ChangeSource.Import, actor.Roles);
        var restored = 0;
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            db.Actor = importActor;
            var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().ToListAsync(ct);
            var sensitiveKeys = defs.Where(d => d.Sensitive).Select(d => d.Key).ToList();
            var changes = await db.Set<ImportChange>().Where(x => x.ImportId == job.Id).OrderByDescending(x => x.Id).ToListAsync(ct);
            foreach (var chunk in changes.Chunk(200))
            {
                var ids = chunk.Select(c => c.CustomerId).Distinct().ToList();
                var customers = await db.Set<Customer>().IgnoreQueryFilters().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
                var contactIds = chunk.Where(c => c.ContactId is not null).Select(c => c.ContactId!.Value).ToList();
                var contacts = contactIds.Count == 0 ? []
                    : await db.Set<Contact>().IgnoreQueryFilters().Where(k => contactIds.Contains(k.Id)).ToDictionaryAsync(k => k.Id, ct);
                foreach (var change in chunk)
                {
                    if (change.ContactId is { } contactId)
                    {
                        if (contacts.TryGetValue(contactId, out var contact)) RestoreContact(contact, sensitive.Cipher.Open(change.Before, change.Id), importActor.Name);
                        continue;
                    }
                    if (!customers.TryGetValue(change.CustomerId, out var customer)) continue;
                    var form = JsonStorage.Deserialize<CustomerForm>(sensitive.Cipher.Open(change.Before, change.Id))!;
                    form.ApplyTo(customer, form.CustomFields, sensitiveKeys);
                    restored++;
                }
                db.RemoveRange(chunk);
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
            }
        }
        await using var raw = await dbs.CreateDbContextAsync(ct);
        var created = raw.Set<Customer>().IgnoreQueryFilters().Where(c => c.ImportId == job.Id);
        int removed;
        if (hardDelete)
        {
            var createdIds = created.Select(c => c.Id);
            await raw.Set<SensitiveIndexEntry>().Where(x => createdIds.Contains(x.CustomerId)).ExecuteDeleteAsync(ct);
            await raw.Set<Search.CustomerSearchRow>().Where(x => createdIds.Contains(x.CustomerId)).ExecuteDeleteAsync(ct);
            await raw.Set<ChangeRecord>().Where(x => x.CustomerId != null && createdIds.Contains(x.CustomerId.Value)).ExecuteDeleteAsync(ct);
            removed = await created.ExecuteDeleteAsync(ct);
        }
        else
        {
            var now = clock.GetUtcNow().UtcDateTime;
            removed = await created.Where(c => c.DeletedAt == null).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.DeletedAt, now).SetProperty(c => c.DeletedBy, importActor.Name)
                .SetProperty(c => c.UpdatedVia, ChangeSource.Import).SetProperty(c => c.Version, c => c.Version + 1), ct);
        }
        return (restored, removed);
    }
}

/// <summary>Live progress and cancellation of the imports running in this process.</summary>
public sealed class ImportBoard
{
    private readonly ConcurrentDictionary<Guid, (ImportProgress Progress, CancellationTokenSource Cancel)> _running = new();

    public void Add(Guid id, ImportProgress progress, CancellationTokenSource cancel) => _running[id] = (progress, cancel);
    public void Remove(Guid id) => _running.TryRemove(id, out _);
    public ImportProgress? Progress(Guid id) => _running.TryGetValue(id, out var r) ? r.Progress : null;

    private readonly ConcurrentDictionary<Guid, IReadOnlyList<ImportRowError>> _errors = new();

    /// <summary>The first row errors of the last run of a job in this process.</summary>
    public void SetErrors(Guid id, IReadOnlyList<ImportRowError> errors) => _errors[id] = errors;
    public IReadOnlyList<ImportRowError> Errors(Guid id) => _errors.TryGetValue(id, out var e) ? e : [];

    /// <summary>Cancels at once when the job runs here (the database flag reaches other nodes).</summary>
    public bool Cancel(Guid id)
    {
        if (!_running.TryGetValue(id, out var r)) return false;
        r.Cancel.Cancel();
        return true;
    }
}
