using System.Linq.Expressions;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.CustomFields;
using Renmai.Features.Privacy;
using Renmai.Features.Settings;
using Renmai.Features.Users;

namespace Renmai.Features.Customers;

/// <summary>
/// Everything that reads or writes customers goes through here — pages, API, CLI — so validation
/// and the record-scope check are the same on every path.
/// </summary>
public sealed class CustomerService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, SqliteCustomerReader sqliteReader,
    AppSettings settings, SensitiveCipher cipher, AuditLog audit, IHttpContextAccessor http, ListTotals totals, Search.SearchService search)
{
    /// <summary>At most this many whole-field and as many field-start matches are ranked ahead of the rest of a search.</summary>
    private const int RelevanceCap = 200;

    // ---- Record scope -------------------------------------------------------------------------

    /// <summary>
    /// The customers this actor may see (R12.1): admins and auditors all; managers their own and
    /// those of the members of the teams they lead; reps and service agents their own. Customers
    /// in the pool (no owner) are seen by admins until pools have members.
    /// </summary>
    internal static IQueryable<Customer> Visible(IQueryable<Customer> customers, Actor actor)
    {
        if (SeesAll(actor)) return customers;
        var me = actor.UserId;
        if (actor.ManagedUserIds.Count > 0)
        {
            var team = actor.ManagedUserIds;
            return customers.Where(c => c.OwnerId == me || (c.OwnerId != null && team.Contains(c.OwnerId.Value)));
        }
        return customers.Where(c => c.OwnerId == me);
    }

    /// <summary>The same rule as <see cref="Visible"/> for one owner, for paths that read a row first.</summary>
    internal static bool CanSee(Actor actor, Guid? ownerId) =>
        SeesAll(actor) || (ownerId is { } o && (o == actor.UserId || actor.ManagedUserIds.Contains(o)));

    private static bool SeesAll(Actor actor) => actor.IsInRole(Roles.Admin) || actor.IsInRole(Roles.Auditor);

    private static void EnsureCanWrite(Actor actor)
    {
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色，不能修改客户");
    }

    // ---- Reads --------------------------------------------------------------------------------

    public async Task<PagedResult<CustomerForm>> ListAsync(CustomerListQuery query, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        // One connection for the definitions, the COUNT and the page (each EF open has a cost).
        await db.Database.OpenConnectionAsync(ct);
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().ToListAsync(ct);
        var columns = CustomerColumns.All(defs, db.IsPostgres).ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase);
        var errors = new ValidationErrors();
        var (q, sortCol, descending, relevance) = await QueryAsync(db, actor, query, columns, errors, ct);
        if (query.Page < 1) errors.Add("page", "页码从 1 开始");
        if (query.PageSize is < 1 or > CustomerListQuery.MaxPageSize) errors.Add("pageSize", $"每页条数应在 1 到 {CustomerListQuery.MaxPageSize} 之间");
        errors.ThrowIfAny();

        var total = await totals.GetAsync(ListTotals.ScopeKey(actor, SeesAll(actor)) + "\u001d" + ListTotals.QueryKey(query), () => q.CountAsync(ct));
        // Deferred join: page through Ids only (index-only for the indexed filter+sort pairs, so
        // OFFSET skips index entries, not rows), then load the page's ~50 full rows by Id.
        var pageIds = CustomerColumns.ApplySort(q, sortCol, descending, relevance)
            .Page(query.Page, query.PageSize).Select(c => c.Id);
        var items = await CustomerColumns.ApplySort(db.Set<Customer>().AsNoTracking().Where(c => pageIds.Contains(c.Id)), sortCol, descending, relevance)
            .ToListAsync(ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        return new PagedResult<CustomerForm>(items.Select(c => CustomerForm.From(c).Mask(privacy)).ToList(), total);
    }

    /// <summary>
    /// Every customer of the query (all pages, in its sort order) within the actor's scope, read
    /// forward-only row by row so that an export of a million rows never holds them all (R10.2).
    /// The same filter, search and sort code as <see cref="ListAsync"/>; the caller disposes the result.
    /// </summary>
    public async Task<CustomerStream> StreamAsync(CustomerListQuery query, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        var db = await dbs.CreateDbContextAsync(ct);
        try
        {
            var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
            var columns = CustomerColumns.All(defs, db.IsPostgres).ToDictionary(c => c.Key, StringComparer.OrdinalIgnoreCase);
            var errors = new ValidationErrors();
            var (q, sortCol, descending, relevance) = await QueryAsync(db, actor, query, columns, errors, ct);
            errors.ThrowIfAny();
            return new CustomerStream(db, actor, defs, columns, CustomerColumns.ApplySort(q, sortCol, descending, relevance));
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The visible customers matching the search text and filters, the sort column, and for a search sorted by
    /// relevance the rank that goes first (errors collected).
    /// </summary>
    private async Task<(IQueryable<Customer> Query, CustomerColumn SortColumn, bool Descending, Expression<Func<Customer, int>>? Relevance)> QueryAsync(
        RenmaiDb db, Actor actor, CustomerListQuery query, Dictionary<string, CustomerColumn> columns, ValidationErrors errors, CancellationToken ct)
    {
        var visible = Visible(db.Set<Customer>().AsNoTracking(), actor);
        var q = visible;
        Expression<Func<Customer, int>>? relevance = null;
        var byRelevance = string.Equals(query.Sort?.Trim(), CustomerListQuery.Relevance, StringComparison.OrdinalIgnoreCase);
        // Pinyin, substrings, phone fragments (blind tokens) and exact sensitive numbers: ADR 0019.
        if (!string.IsNullOrWhiteSpace(query.Q))
        {
            (q, var ranking) = await search.FilterAsync(db, visible, query.Q, ct, byRelevance ? RelevanceCap : 0);
            if (ranking is { Exact: var exact, Prefix: var prefix })
            {
                // The best matches are few: their ids go into the query, and the rest of the matches follow them.
                relevance = c => exact.Contains(c.Id) ? 0 : prefix.Contains(c.Id) ? 1 : 2;
            }
        }
        foreach (var f in query.Filters)
        {
            if (!columns.TryGetValue(f.Field, out var col)) { errors.Add("filter", $"未知的筛选字段“{f.Field}”"); continue; }
            q = CustomerColumns.ApplyFilter(q, col, f, errors);
        }
        // Relevance without a search has nothing to rank: most recently updated first.
        var sortKey = string.IsNullOrWhiteSpace(query.Sort) || byRelevance ? "-updatedAt" : query.Sort.Trim();
        var descending = sortKey.StartsWith('-');
        if (!columns.TryGetValue(sortKey.TrimStart('-', '+'), out var sortCol))
        {
            errors.Add("sort", $"不能按“{sortKey}”排序");
            sortCol = columns["updatedAt"];
        }
        return (q, sortCol, descending, relevance);
    }

    public async Task<CustomerForm> GetAsync(string number, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (sqliteReader.IsAvailable)
        {
            var key = CustomerNumbers.Normalize(number);
            var found = sqliteReader.Find(key, all: true, owner: null);
            if (found is null || !CanSee(actor, found.OwnerId)) throw new NotFoundException($"客户 {key} 不存在");
            return await MaskedAsync(found, ct);
        }
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await MaskedAsync(await FindVisibleAsync(db, actor, number, ct), ct);
    }

    /// <summary>
    /// The plaintext sensitive values of one customer and its contacts, for a user whose record scope
    /// includes it (auditors may not); every reveal is written to the audit log.
    /// </summary>
    public async Task<RevealedValues> RevealAsync(string number, string? field = null, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员不能查看敏感信息明文");
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await FindVisibleAsync(db, actor, number, ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        var contacts = await db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == customer.Id)
            .OrderByDescending(k => k.IsPrimary).ThenBy(k => k.CreatedAt).ToListAsync(ct);
        var result = new RevealedValues
        {
            Number = customer.Number,
            Phones = customer.Phones,
            IdNumber = privacy.IdNumbersEnabled ? customer.IdNumber : null,
            BankName = privacy.BankAccountsEnabled ? customer.BankName : null,
            BankAccount = privacy.BankAccountsEnabled ? customer.BankAccount : null,
            CustomFields = customer.SensitiveCustomFields,
            Contacts = contacts.Where(k => k.Phones.Count > 0).Select(k => new RevealedContact(k.Id, k.Name, k.Phones)).ToList(),
        };
        var fields = new List<string>();
        if (result.Phones.Count > 0 || result.Contacts.Count > 0) fields.Add("电话");
        if (result.IdNumber is not null) fields.Add("身份证号");
        if (result.BankAccount is not null) fields.Add("银行账号");
        if (result.CustomFields.Count > 0) fields.Add("敏感自定义字段");
        var detail = "查看明文：" + (string.IsNullOrWhiteSpace(field) ? string.Join("、", fields.DefaultIfEmpty("（无敏感信息）")) : field)
            + (actor.Source == ChangeSource.Api ? "（API）" : "");
        await audit.WriteAsync(AuditActions.SensitiveRevealed, true, http.HttpContext, actor.UserId, actor.Name, customer.Number, detail, ct);
        return result;
    }

    /// <summary>Customers in the actor's scope that look like <paramref name="form"/> (the create form's warning, before saving).</summary>
    public async Task<List<Dedup.DuplicateHint>> SimilarAsync(CustomerForm form, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Dedup.DuplicateFinder.FindAsync(db, Visible(db.Set<Customer>().AsNoTracking(), actor), form, cipher, search, null, ct);
    }

    private static List<string> SensitiveKeys(IEnumerable<CustomFieldDefinition> defs) =>
        [.. defs.Where(d => d.Sensitive && d.Type == CustomFieldType.Text).Select(d => d.Key)];

    private async Task<CustomerForm> MaskedAsync(Customer c, CancellationToken ct) =>
        CustomerForm.From(c).Mask(await settings.GetAsync<PrivacySettings>(ct));

    /// <summary>The change timeline of a customer and its contacts, newest first.</summary>
    public async Task<List<ChangeRecord>> HistoryAsync(string number, int take = 500, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await FindVisibleAsync(db, actor, number, ct, includeDeleted: true);
        // The timelines of customers merged into this one follow it (R10.3).
        var ids = await db.Set<Customer>().IgnoreQueryFilters().Where(c => c.MergedIntoId == customer.Id).Select(c => c.Id).ToListAsync(ct);
        ids.Add(customer.Id);
        return await db.Set<ChangeRecord>().AsNoTracking().Where(r => r.CustomerId != null && ids.Contains(r.CustomerId.Value))
            .OrderByDescending(r => r.At).ThenByDescending(r => r.Id).Take(take).ToListAsync(ct);
    }

    /// <summary>The recycle bin: deleted customers this actor may see, most recently deleted first.</summary>
    public async Task<PagedResult<CustomerForm>> DeletedAsync(int page = 1, int pageSize = 50, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = Visible(db.Set<Customer>().IgnoreQueryFilters().AsNoTracking(), actor).Where(c => c.DeletedAt != null);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(c => c.DeletedAt).ThenBy(c => c.Id)
            .Page(page, pageSize).ToListAsync(ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        return new PagedResult<CustomerForm>(items.Select(c => CustomerForm.From(c).Mask(privacy)).ToList(), total);
    }

    // ---- Writes -------------------------------------------------------------------------------

    public async Task<CustomerForm> CreateAsync(CustomerForm form, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        var customFields = Validate(form, defs, null, privacy);

        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var customer = new Customer();
            customer.GiveTo(actor.UserId, clock.GetUtcNow().UtcDateTime);
            form.ApplyTo(customer, customFields, SensitiveKeys(defs));
            customer.Number = CustomerNumbers.Format(await CustomerNumbers.ReserveAsync(db, 1, ct));
            db.Add(customer);
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
            var created = CustomerForm.From(customer).Mask(privacy);
            created.Duplicates = await Dedup.DuplicateFinder.FindAsync(db, Visible(db.Set<Customer>().AsNoTracking(), actor), form, cipher, search, customer.Id, ct);
            return created;
        });
    }

    /// <summary>
    /// Saves the form over the customer if nobody changed it since <paramref name="expectedVersion"/>;
    /// otherwise throws <see cref="ConcurrencyConflictException"/> carrying the current values.
    /// </summary>
    public async Task<CustomerForm> UpdateAsync(string number, CustomerForm form, int expectedVersion, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await FindVisibleAsync(db, actor, number, ct, tracking: true);
        if (customer.Version != expectedVersion) throw Conflict(customer, await settings.GetAsync<PrivacySettings>(ct));
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
        var existing = JsonNode.Parse(customer.CustomFieldsJson) as JsonObject;
        foreach (var (k, v) in customer.SensitiveCustomFields)
        {
            if (existing is not null) existing[k] = v;
            // An untouched masked value keeps the stored one.
            if (form.CustomFields[k] is JsonValue fv && fv.TryGetValue<string>(out var text) && Masking.IsMasked(text) && Masking.Text(v) == text)
                form.CustomFields[k] = v;
        }
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        // Untouched masked values (138****1234) mean "unchanged": put the stored values back (ADR 0013).
        Masking.RestorePhones(form.Phones, customer.Phones);
        form.IdNumber = Masking.Restore(form.IdNumber, customer.IdNumber, Masking.IdNumber);
        form.BankAccount = Masking.Restore(form.BankAccount, customer.BankAccount, Masking.BankAccount);
        var customFields = Validate(form, defs, existing, privacy);
        // A disabled category is neither shown nor written: what is stored stays as it is.
        if (!privacy.IdNumbersEnabled) form.IdNumber = customer.IdNumber;
        if (!privacy.BankAccountsEnabled) { form.BankName = customer.BankName; form.BankAccount = customer.BankAccount; }
        form.ApplyTo(customer, customFields, SensitiveKeys(defs));
        // The version read by the caller is the one the UPDATE must still find in the row.
        db.Entry(customer).Property(c => c.Version).OriginalValue = expectedVersion;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await dbs.CreateDbContextAsync(ct);
            throw Conflict(await FindVisibleAsync(fresh, actor, number, ct), privacy);
        }
        return CustomerForm.From(customer).Mask(privacy);
    }

    public async Task DeleteAsync(string number, int? expectedVersion = null, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await FindVisibleAsync(db, actor, number, ct, tracking: true);
        if (expectedVersion is { } v && customer.Version != v) throw Conflict(customer, await settings.GetAsync<PrivacySettings>(ct));
        customer.DeletedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
    }

    public async Task<CustomerForm> RestoreAsync(string number, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await FindVisibleAsync(db, actor, number, ct, tracking: true, includeDeleted: true);
        if (customer.DeletedAt is null) return await MaskedAsync(customer, ct);
        customer.DeletedAt = null;
        await db.SaveChangesAsync(ct);
        return await MaskedAsync(customer, ct);
    }

    // ---- Ownership ----------------------------------------------------------------------------

    /// <summary>
    /// Gives a customer to another owner (null: to the pool). Admins may give any customer to
    /// anyone; managers may move customers of their teams among their team members and themselves.
    /// </summary>
    public async Task<CustomerForm> AssignOwnerAsync(string number, Guid? ownerId, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        var isAdmin = actor.IsInRole(Roles.Admin);
        if (!isAdmin && !actor.IsInRole(Roles.Manager)) throw new ForbiddenException("只有管理员和销售经理可以变更客户负责人");
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await FindVisibleAsync(db, actor, number, ct, tracking: true);
        if (customer.OwnerId == ownerId) return CustomerForm.From(customer);
        var names = await db.Users.AsNoTracking().Where(u => u.Id == ownerId || u.Id == customer.OwnerId)
            .Select(u => new { u.Id, u.DisplayName, u.IsActive }).ToListAsync(ct);
        if (ownerId is { } o)
        {
            var target = names.SingleOrDefault(u => u.Id == o);
            if (target is null || !target.IsActive)
                throw new ValidationFailedException(new ValidationErrors().Also("ownerId", "新负责人不存在或已停用"));
            if (!isAdmin && o != actor.UserId && !actor.ManagedUserIds.Contains(o))
                throw new ValidationFailedException(new ValidationErrors().Also("ownerId", "只能分配给您团队中的成员"));
        }
        string NameOf(Guid? id) => id is null ? "公海" : names.SingleOrDefault(u => u.Id == id)?.DisplayName ?? "?";
        var detail = $"{NameOf(customer.OwnerId)} → {NameOf(ownerId)}";
        customer.GiveTo(ownerId, clock.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        await audit.WriteAsync(AuditActions.OwnerChanged, true, http.HttpContext, actor.UserId, actor.Name, customer.Number, detail, ct);
        return CustomerForm.From(customer);
    }

    /// <summary>
    /// Moves every customer of <paramref name="fromUserId"/> (deleted ones too, so the recycle bin
    /// follows) to <paramref name="toUserId"/>, or to the pool when null. Each customer's timeline
    /// records the change. Admin only; called by the deactivation handover.
    /// </summary>
    public async Task<int> HandOverAsync(Guid fromUserId, Guid? toUserId, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        if (toUserId == fromUserId) return 0;
        var moved = 0;
        while (true)
        {
            await using var db = await dbs.CreateDbContextAsync(ct);
            db.Actor = actor;
            // Batches keep memory flat for a rep with tens of thousands of customers.
            var batch = await db.Set<Customer>().IgnoreQueryFilters().Where(c => c.OwnerId == fromUserId)
                .OrderBy(c => c.Id).Take(500).ToListAsync(ct);
            if (batch.Count == 0) return moved;
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var c in batch) c.GiveTo(toUserId, now);
            await db.SaveChangesAsync(ct);
            moved += batch.Count;
        }
    }

    // ---- Helpers ------------------------------------------------------------------------------

    internal static async Task<Customer> FindVisibleAsync(RenmaiDb db, Actor actor, string number, CancellationToken ct,
        bool tracking = false, bool includeDeleted = false)
    {
        var key = CustomerNumbers.Normalize(number);
        IQueryable<Customer> q = db.Set<Customer>();
        if (includeDeleted) q = q.IgnoreQueryFilters();
        if (!tracking) q = q.AsNoTracking();
        // Outside the caller's scope looks exactly like not existing: no data, no hint.
        return await Visible(q, actor).SingleOrDefaultAsync(c => c.Number == key, ct)
            ?? throw new NotFoundException($"客户 {key} 不存在");
    }

    private static ConcurrencyConflictException Conflict(Customer current, PrivacySettings privacy) =>
        new($"保存失败：客户 {current.Number} 已被 {current.UpdatedBy} 于 {current.UpdatedAt.ToLocalTime():yyyy-MM-dd HH:mm:ss} 修改。已为您载入最新内容，请核对后重新修改。",
            CustomerForm.From(current).Mask(privacy));

    /// <summary>Validates and normalises the form in place; returns the normalised custom fields.</summary>
    internal static JsonObject Validate(CustomerForm form, IReadOnlyList<CustomFieldDefinition> defs, JsonObject? existingCustomFields,
        PrivacySettings? privacy = null)
    {
        privacy ??= new PrivacySettings();
        var e = new ValidationErrors();
        form.Name = (form.Name ?? "").Trim();
        if (form.Name.Length == 0) e.Add("name", form.Kind == CustomerKind.Company ? "请填写公司名称" : "请填写客户姓名");
        else if (form.Name.Length > 200) e.Add("name", "名称不能超过 200 个字");
        if (!Enum.IsDefined(form.Kind)) e.Add("kind", "客户性质应为 个人客户 或 企业客户");

        for (var i = 0; i < form.Phones.Count; i++)
        {
            var p = form.Phones[i];
            if (string.IsNullOrWhiteSpace(p.Number)) { e.Add($"phones[{i}].number", "请填写电话号码，或删除这一行"); continue; }
            var (normalized, error) = Validators.CheckPhone(p.Number, p.Kind);
            if (error is not null) e.Add($"phones[{i}].number", error);
            else p.Number = normalized!;
            p.Note = Blank(p.Note);
        }
        if (form.Phones.GroupBy(p => p.Number).Any(g => g.Count() > 1)) e.Add("phones", "电话号码重复");

        form.Email = Blank(form.Email);
        if (form.Email is not null && Validators.CheckEmail(form.Email) is { } emailError) e.Add("email", emailError);

        form.Uscc = Blank(form.Uscc);
        if (form.Uscc is not null)
        {
            form.Uscc = Validators.NormalizeUscc(form.Uscc);
            if (Validators.CheckUscc(form.Uscc) is { } usccError) e.Add("uscc", usccError);
        }

        SensitiveValidation.Check(form, privacy, e);

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (form.BirthDate is { } bd && (bd > today || bd.Year < 1900)) e.Add("birthDate", "生日应在 1900 年至今天之间");
        if (form.Age is { } age && age is < 0 or > 150) e.Add("age", "年龄应在 0 到 150 之间");
        if (form.StaffCount is < 0) e.Add("staffCount", "员工人数不能为负数");
        if (form.AnnualRevenueFen is < 0) e.Add("annualRevenueFen", "年营业额不能为负数");
        if (form.CreditLimitFen is < 0) e.Add("creditLimitFen", "信用额度不能为负数");
        if (form.BudgetMinFen is < 0) e.Add("budgetMinFen", "预算不能为负数");
        if (form.BudgetMinFen is { } min && form.BudgetMaxFen is { } max && min > max) e.Add("budgetMaxFen", "预算上限不能低于下限");

        for (var i = 0; i < form.SocialAccounts.Count; i++)
        {
            form.SocialAccounts[i].Account = (form.SocialAccounts[i].Account ?? "").Trim();
            if (form.SocialAccounts[i].Account.Length == 0) e.Add($"socialAccounts[{i}].account", "请填写账号，或删除这一行");
        }
        for (var i = 0; i < form.Anniversaries.Count; i++)
        {
            form.Anniversaries[i].Name = (form.Anniversaries[i].Name ?? "").Trim();
            if (form.Anniversaries[i].Name.Length == 0) e.Add($"anniversaries[{i}].name", "请填写纪念日名称");
        }

        if (form.Type != CustomerType.Partner) form.PartnerField = null;
        if (form.Tags.Any(t => t.Length > 20)) e.Add("tags", "单个标签不能超过 20 个字");
        if (form.Tags.Count > 30) e.Add("tags", "标签不能超过 30 个");

        foreach (var enumError in EnumErrors(form)) e.Add(enumError.Field, enumError.Message);

        form.Company = Blank(form.Company);
        if (form.Company is { Length: > 200 }) e.Add("company", "所在公司不能超过 200 个字");
        form.Title = Blank(form.Title); form.Interests = Blank(form.Interests); form.Province = Blank(form.Province);
        form.City = Blank(form.City); form.District = Blank(form.District); form.Street = Blank(form.Street);
        form.RegisteredAddress = Blank(form.RegisteredAddress); form.Industry = Blank(form.Industry);
        form.MainBusiness = Blank(form.MainBusiness); form.MarketPosition = Blank(form.MarketPosition);
        form.ProductsOfInterest = Blank(form.ProductsOfInterest); form.DecisionProcess = Blank(form.DecisionProcess);
        form.CreditNotes = Blank(form.CreditNotes); form.Region = Blank(form.Region); form.Notes = Blank(form.Notes);
        if (form.Industry is { Length: > 50 }) e.Add("industry", "行业不能超过 50 个字");
        if (form.Region is { Length: > 50 }) e.Add("region", "区域不能超过 50 个字");

        var customFields = CustomFieldService.Normalize(form.CustomFields, defs, existingCustomFields, e);
        e.ThrowIfAny();
        return customFields;
    }

    private static IEnumerable<(string Field, string Message)> EnumErrors(CustomerForm f)
    {
        if (!Enum.IsDefined(f.Type)) yield return ("type", "未知的客户类型");
        if (!Enum.IsDefined(f.Stage)) yield return ("stage", "未知的生命周期阶段");
        if (f.Intent is { } i && !Enum.IsDefined(i)) yield return ("intent", "意向度应为 A–E");
        if (f.ValueTier is { } v && !Enum.IsDefined(v)) yield return ("valueTier", "价值分层应为 高/中/低");
        if (!Enum.IsDefined(f.RiskLevel)) yield return ("riskLevel", "未知的风险等级");
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}

/// <summary>
/// The rows of an export: an open database context and a forward-only query over it. Enumerate
/// <see cref="Select"/> once (synchronously, on a worker thread: the spreadsheet writer pulls rows).
/// </summary>
public sealed class CustomerStream(RenmaiDb db, Actor actor, IReadOnlyList<CustomFieldDefinition> customFields,
    IReadOnlyDictionary<string, CustomerColumn> columns, IQueryable<Customer> query) : IAsyncDisposable
{
    public Actor Actor { get; } = actor;
    public IReadOnlyList<CustomFieldDefinition> CustomFields { get; } = customFields;
    /// <summary>The table's columns (built-in and custom fields) for this provider, by key.</summary>
    public IReadOnlyDictionary<string, CustomerColumn> Columns { get; } = columns;

    /// <summary>
    /// The given column expressions of every row, in order: one SELECT of just those columns, read row by
    /// row from the data reader (no entity materialisation, no tracking, no buffering).
    /// </summary>
    public IEnumerable<object?[]> Select(IReadOnlyList<System.Linq.Expressions.LambdaExpression> selectors)
    {
        var p = System.Linq.Expressions.Expression.Parameter(typeof(Customer), "c");
        var cells = selectors.Select(s => (System.Linq.Expressions.Expression)System.Linq.Expressions.Expression.Convert(
            new ParameterSwap(s.Parameters[0], p).Visit(s.Body), typeof(object)));
        var projection = System.Linq.Expressions.Expression.Lambda<Func<Customer, object?[]>>(
            System.Linq.Expressions.Expression.NewArrayInit(typeof(object), cells), p);
        return query.Select(projection).AsEnumerable();
    }

    public ValueTask DisposeAsync() => db.DisposeAsync();

    private sealed class ParameterSwap(System.Linq.Expressions.ParameterExpression from, System.Linq.Expressions.ParameterExpression to)
        : System.Linq.Expressions.ExpressionVisitor
    {
        protected override System.Linq.Expressions.Expression VisitParameter(System.Linq.Expressions.ParameterExpression node) =>
            node == from ? to : base.VisitParameter(node);
    }
}
