using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.EntityFrameworkCore;
using MiniExcelLibs;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.CustomFields;
using Renmai.Features.Customers;
using Renmai.Features.Export;
using Renmai.Features.Users;

namespace Renmai.Features.Privacy;

public sealed class ConsentInput
{
    /// <summary>The contact person who consented; null for an individual customer.</summary>
    public Guid? ContactId { get; set; }
    public string? Purpose { get; set; }
    public ConsentChannel? Channel { get; set; }
    public DateOnly? GivenOn { get; set; }
    public string? Note { get; set; }
}

public sealed record ConsentView(Guid Id, Guid? ContactId, string Subject, string Purpose, ConsentChannel Channel, string ChannelLabel,
    DateOnly GivenOn, string RecordedBy, DateTime RecordedAt, string? Note, DateOnly? WithdrawnOn, string? WithdrawnBy, int Version)
{
    public bool IsActive => WithdrawnOn is null;
}

public sealed record PersonalDataFile(byte[] Content, string FileName, string ContentType);

public sealed record EraseResult(string CustomerNumber, int Contacts, int Consents, int HistoryValues);

/// <summary>
/// PIPL (R12.6) for one person: consent records, export of everything stored about them, and
/// erasure. Record scope is the customer's (<see cref="CustomerService.FindVisibleAsync"/>).
/// </summary>
public sealed class PrivacyService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, AuditLog audit, IHttpContextAccessor http)
{
    /// <summary>What erased personal values read as in the history.</summary>
    public const string Erased = "（已删除）";

    /// <summary>Customer fields that describe the natural person (erased); business fields stay.</summary>
    internal static readonly string[] CustomerPersonalFields =
    [
        nameof(Customer.Name), nameof(Customer.Gender), nameof(Customer.BirthDate), nameof(Customer.BirthCalendar), nameof(Customer.Age),
        nameof(Customer.Title), nameof(Customer.Company), nameof(Customer.Interests), nameof(Customer.Anniversaries), nameof(Customer.Phones), nameof(Customer.Email),
        nameof(Customer.SocialAccounts), nameof(Customer.District), nameof(Customer.Street), nameof(Customer.RegisteredAddress), nameof(Customer.Notes),
        nameof(Customer.IdNumber), nameof(Customer.BankName), nameof(Customer.BankAccount),
    ];

    internal static readonly string[] ContactPersonalFields =
    [
        nameof(Contact.Name), nameof(Contact.Gender), nameof(Contact.Title), nameof(Contact.Phones), nameof(Contact.Email),
        nameof(Contact.WeChat), nameof(Contact.BirthDate), nameof(Contact.Notes),
    ];

    private static readonly JsonSerializerOptions ExportJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    // ---- Consents -----------------------------------------------------------------------------

    public async Task<List<ConsentView>> ListConsentsAsync(string number, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct);
        return await ConsentsOfAsync(db, customer, null, ct);
    }

    public async Task<ConsentView> AddConsentAsync(string number, ConsentInput input, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct);
        var e = new ValidationErrors();
        var purpose = (input.Purpose ?? "").Trim();
        if (purpose.Length == 0) e.Add("purpose", "请选择或填写授权目的");
        else if (purpose.Length > 100) e.Add("purpose", "授权目的不能超过 100 个字");
        if (input.Channel is not { } channel || !Enum.IsDefined(channel)) e.Add("channel", "请选择授权方式");
        var today = DateOnly.FromDateTime(clock.GetLocalNow().DateTime);
        if (input.GivenOn is not { } given) e.Add("givenOn", "请填写授权日期");
        else if (given > today) e.Add("givenOn", "授权日期不能晚于今天");
        else if (given.Year < 1990) e.Add("givenOn", "授权日期不正确");
        var note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        if (note is { Length: > 1000 }) e.Add("note", "备注不能超过 1000 个字");
        if (input.ContactId is { } contactId)
        {
            if (!await db.Set<Contact>().AnyAsync(k => k.Id == contactId && k.CustomerId == customer.Id, ct)) e.Add("contactId", "联系人不存在");
        }
        else if (customer.Kind == CustomerKind.Company) e.Add("contactId", "企业客户请选择给出授权的联系人");
        e.ThrowIfAny();

        var consent = new ConsentRecord
        {
            CustomerId = customer.Id, ContactId = input.ContactId, Purpose = purpose, Channel = input.Channel!.Value, GivenOn = input.GivenOn!.Value,
            RecordedById = actor.UserId, RecordedByName = actor.Name, Note = note,
        };
        db.Add(consent);
        await db.SaveChangesAsync(ct);
        return (await ConsentsOfAsync(db, customer, null, ct)).Single(c => c.Id == consent.Id);
    }

    public async Task<ConsentView> WithdrawConsentAsync(string number, Guid consentId, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        EnsureCanWrite(actor);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct);
        var consent = await db.Set<ConsentRecord>().SingleOrDefaultAsync(c => c.Id == consentId && c.CustomerId == customer.Id, ct)
            ?? throw new NotFoundException("授权记录不存在");
        if (consent.WithdrawnOn is not null) throw new ValidationFailedException(new ValidationErrors().Also("consent", "该授权已撤回"));
        consent.WithdrawnOn = DateOnly.FromDateTime(clock.GetLocalNow().DateTime);
        consent.WithdrawnById = actor.UserId;
        consent.WithdrawnByName = actor.Name;
        await db.SaveChangesAsync(ct);
        return (await ConsentsOfAsync(db, customer, null, ct)).Single(c => c.Id == consent.Id);
    }

    private static async Task<List<ConsentView>> ConsentsOfAsync(RenmaiDb db, Customer customer, Guid? onlyContact, CancellationToken ct)
    {
        var q = db.Set<ConsentRecord>().AsNoTracking().Where(c => c.CustomerId == customer.Id);
        if (onlyContact is { } id) q = q.Where(c => c.ContactId == id);
        var consents = await q.OrderByDescending(c => c.GivenOn).ThenByDescending(c => c.CreatedAt).ToListAsync(ct);
        var names = await db.Set<Contact>().IgnoreQueryFilters().AsNoTracking().Where(k => k.CustomerId == customer.Id)
            .Select(k => new { k.Id, k.Name }).ToDictionaryAsync(k => k.Id, k => k.Name, ct);
        return consents.Select(c => new ConsentView(c.Id, c.ContactId,
            c.ContactId is { } k ? "联系人 " + names.GetValueOrDefault(k, "?") : customer.Name,
            c.Purpose, c.Channel, ConsentPurposes.ChannelLabel(c.Channel), c.GivenOn, c.RecordedByName, c.CreatedAt, c.Note,
            c.WithdrawnOn, c.WithdrawnByName, c.Version)).ToList();
    }

    // ---- Export -------------------------------------------------------------------------------

    /// <summary>
    /// Everything stored about the customer (with its contacts), or about one contact person:
    /// personal fields, consents and history, as .xlsx or .json. Writes a <c>privacy.exported</c> audit event.
    /// </summary>
    public async Task<PersonalDataFile> ExportAsync(string number, Guid? contactId, string? format, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        format = (format ?? "xlsx").Trim().ToLowerInvariant();
        if (format is not ("xlsx" or "json")) throw new ValidationFailedException(new ValidationErrors().Also("format", "格式应为 xlsx 或 json"));
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct, includeDeleted: true);
        var defs = await db.Set<CustomFieldDefinition>().AsNoTracking().OrderBy(d => d.SortOrder).ToListAsync(ct);
        var contacts = await db.Set<Contact>().AsNoTracking().Where(k => k.CustomerId == customer.Id)
            .OrderByDescending(k => k.IsPrimary).ThenBy(k => k.CreatedAt).ToListAsync(ct);
        Contact? contact = null;
        if (contactId is { } cid)
        {
            contact = contacts.SingleOrDefault(k => k.Id == cid) ?? throw new NotFoundException("联系人不存在");
            contacts = [contact];
        }
        var consents = await ConsentsOfAsync(db, customer, contactId, ct);
        var historyQuery = db.Set<ChangeRecord>().AsNoTracking().Where(r => r.CustomerId == customer.Id);
        if (contactId is { } only)
        {
            var consentIds = consents.Select(c => c.Id).ToList();
            historyQuery = historyQuery.Where(r => r.EntityId == only || consentIds.Contains(r.EntityId));
        }
        var history = await historyQuery.OrderBy(r => r.At).ThenBy(r => r.Id).ToListAsync(ct);

        var now = clock.GetUtcNow().UtcDateTime;
        var subject = contact is null ? customer.Number : $"{customer.Number}-联系人";
        var fileName = $"个人信息-{subject}-{now.ToString("yyyyMMdd", CultureInfo.InvariantCulture)}.{format}";
        var content = format == "json"
            ? Json(customer, contact, contacts, consents, history, now)
            : Xlsx(customer, contact, contacts, consents, history, defs);
        var detail = $"格式 {format}" + (contact is null ? "" : $"，联系人 {contact.Id}");
        await audit.WriteAsync(AuditActions.PrivacyExported, true, http.HttpContext, actor.UserId, actor.Name, customer.Number, detail, ct);
        return new PersonalDataFile(content, fileName,
            format == "json" ? "application/json" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    }

    private static byte[] Json(Customer customer, Contact? contact, List<Contact> contacts, List<ConsentView> consents, List<ChangeRecord> history, DateTime now)
    {
        var doc = new JsonObject
        {
            ["exportedAt"] = now,
            ["customerNumber"] = customer.Number,
            ["subject"] = contact is null ? "customer" : "contact",
        };
        if (contact is null) doc["customer"] = JsonSerializer.SerializeToNode(CustomerForm.From(customer), ExportJson);
        else doc["company"] = new JsonObject { ["number"] = customer.Number, ["name"] = customer.Name };
        doc["contacts"] = JsonSerializer.SerializeToNode(contacts.Select(ContactForm.From).ToList(), ExportJson);
        doc["consents"] = JsonSerializer.SerializeToNode(consents, ExportJson);
        doc["history"] = JsonSerializer.SerializeToNode(history.Select(h => new
        {
            h.At, h.UserName, h.Source, h.Action, h.EntityType, h.EntityLabel, h.Field, h.OldValue, h.NewValue,
        }).ToList(), ExportJson);
        return JsonSerializer.SerializeToUtf8Bytes(doc, ExportJson);
    }

    private static byte[] Xlsx(Customer customer, Contact? contact, List<Contact> contacts, List<ConsentView> consents, List<ChangeRecord> history,
        List<CustomFieldDefinition> defs)
    {
        static Dictionary<string, object?> Row(params (string Key, object? Value)[] cells) =>
            cells.ToDictionary(c => c.Key, c => c.Value is string text ? CellText.Neutralise(text) : c.Value ?? "", StringComparer.Ordinal);

        var basics = new List<Dictionary<string, object?>>();
        var (entityType, node) = contact is null
            ? ("Customer", JsonSerializer.SerializeToNode(CustomerForm.From(customer), ExportJson)!.AsObject())
            : ("Contact", JsonSerializer.SerializeToNode(ContactForm.From(contact), ExportJson)!.AsObject());
        if (contact is not null) basics.Add(Row(("字段", "所属客户"), ("值", $"{customer.Number} {customer.Name}")));
        foreach (var (key, value) in node)
        {
            if (key is "version" or "id") continue;
            if (key == "customFields" && value is JsonObject cf)
            {
                foreach (var (k, v) in cf) basics.Add(Row(("字段", CustomerFieldLabels.Label(entityType, "cf." + k, defs)), ("值", Text(v))));
                continue;
            }
            var pascal = char.ToUpperInvariant(key[0]) + key[1..];
            basics.Add(Row(("字段", CustomerFieldLabels.Label(entityType, pascal, defs)), ("值", Text(value))));
        }

        var contactRows = contacts.Select(k => Row(("姓名", k.Name), ("性别", ClassificationLabels.Of(k.Gender)), ("职务", k.Title), ("部门", k.Department),
            ("电话", string.Join("，", k.Phones.Select(p => p.Number))), ("电子邮箱", k.Email), ("微信", k.WeChat),
            ("生日", k.BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("备注", k.Notes))).ToList();
        var consentRows = consents.Select(c => Row(("对象", c.Subject), ("目的", c.Purpose), ("方式", c.ChannelLabel),
            ("授权日期", c.GivenOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("记录人", c.RecordedBy),
            ("记录时间", c.RecordedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)), ("备注", c.Note),
            ("撤回日期", c.WithdrawnOn?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), ("撤回人", c.WithdrawnBy))).ToList();
        var historyRows = history.Select(h => Row(("时间", h.At.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)), ("操作人", h.UserName),
            ("来源", h.Source.ToString()), ("操作", h.Action.ToString()), ("对象", h.EntityLabel),
            ("字段", h.Field is null ? "" : CustomerFieldLabels.Label(h.EntityType, h.Field, defs)), ("原值", h.OldValue), ("新值", h.NewValue))).ToList();

        static List<Dictionary<string, object?>> OrNone(List<Dictionary<string, object?>> rows) =>
            rows.Count > 0 ? rows : [new Dictionary<string, object?> { ["说明"] = "无" }];
        var sheets = new Dictionary<string, object>
        {
            ["基本信息"] = OrNone(basics), ["联系人"] = OrNone(contactRows), ["授权记录"] = OrNone(consentRows), ["变更记录"] = OrNone(historyRows),
        };
        using var stream = new MemoryStream();
        stream.SaveAs(sheets, excelType: ExcelType.XLSX);
        return stream.ToArray();
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(ExportJson),
    };

    // ---- Erase --------------------------------------------------------------------------------

    /// <summary>
    /// Erases the personal data of an individual customer (and its contacts), or of one contact
    /// person of a company customer, everywhere it is stored; business figures stay. Admins only;
    /// <paramref name="confirmation"/> must be the customer number. The history keeps who changed
    /// what and when, but the personal values become <see cref="Erased"/> (ADR 16: the one allowed
    /// rewrite of the append-only history).
    /// </summary>
    public async Task<EraseResult> EraseAsync(string number, Guid? contactId, string? confirmation, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var found = await CustomerService.FindVisibleAsync(db, actor, number, ct, includeDeleted: true);
        var e = new ValidationErrors();
        if (!string.Equals(CustomerNumbers.Normalize(confirmation ?? ""), found.Number, StringComparison.Ordinal))
            e.Add("confirmation", $"请输入客户编号 {found.Number} 以确认");
        if (found.Kind == CustomerKind.Company && contactId is null) e.Add("contactId", "企业客户不是自然人，请选择要删除个人信息的联系人");
        e.ThrowIfAny();

        var strategy = db.Database.CreateExecutionStrategy();
        var result = await strategy.ExecuteAsync(async () =>
        {
            db.ChangeTracker.Clear();
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var customer = await db.Set<Customer>().IgnoreQueryFilters().SingleAsync(c => c.Id == found.Id, ct);
            var contactsQuery = db.Set<Contact>().IgnoreQueryFilters().Where(k => k.CustomerId == customer.Id);
            if (contactId is { } only) contactsQuery = contactsQuery.Where(k => k.Id == only);
            var contacts = await contactsQuery.ToListAsync(ct);
            if (contactId is not null && contacts.Count == 0) throw new NotFoundException("联系人不存在");
            var contactIds = contacts.Select(k => k.Id).ToList();
            var wholeCustomer = contactId is null;

            var consentsQuery = db.Set<ConsentRecord>().IgnoreQueryFilters().Where(c => c.CustomerId == customer.Id);
            if (!wholeCustomer) consentsQuery = consentsQuery.Where(c => c.ContactId != null && contactIds.Contains(c.ContactId.Value));
            var consents = await consentsQuery.ToListAsync(ct);
            var consentIds = consents.Select(c => c.Id).ToList();

            var textFieldKeys = new List<string>();
            if (wholeCustomer)
            {
                textFieldKeys = await db.Set<CustomFieldDefinition>().IgnoreQueryFilters().Where(d => d.Type == CustomFieldType.Text)
                    .Select(d => d.Key).ToListAsync(ct);
                AnonymiseCustomer(customer, textFieldKeys);
            }
            foreach (var k in contacts) AnonymiseContact(k);
            foreach (var c in consents) c.Note = null;
            await db.SaveChangesAsync(ct);
            // The records this save wrote keep their new (anonymised) values: they are the erase entry.
            var eraseEntry = db.ChangeTracker.Entries<ChangeRecord>().Select(r => r.Entity.Id).ToList();

            // ADR 16 — the single allowed rewrite of ChangeRecords. Bulk updates bypass the
            // interceptor that refuses changes to IAppendOnly rows; nothing else may do this.
            var customerFields = CustomerPersonalFields.Concat(textFieldKeys.Select(k => "cf." + k)).ToList();
            var contactFields = ContactPersonalFields.ToList();
            var records = db.Set<ChangeRecord>().Where(r => r.CustomerId == customer.Id && r.Field != null && (
                (wholeCustomer && r.EntityType == nameof(Customer) && r.EntityId == customer.Id && customerFields.Contains(r.Field))
                || (r.EntityType == nameof(Contact) && contactIds.Contains(r.EntityId) && contactFields.Contains(r.Field))
                || (r.EntityType == nameof(ConsentRecord) && consentIds.Contains(r.EntityId) && r.Field == nameof(ConsentRecord.Note))));
            var values = await records.Where(r => r.OldValue != null).ExecuteUpdateAsync(s => s.SetProperty(r => r.OldValue, Erased), ct);
            values += await records.Where(r => r.NewValue != null && !eraseEntry.Contains(r.Id)).ExecuteUpdateAsync(s => s.SetProperty(r => r.NewValue, Erased), ct);
            if (wholeCustomer)
            {
                var label = customer.ToString();
                await db.Set<ChangeRecord>().Where(r => r.EntityType == nameof(Customer) && r.EntityId == customer.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(r => r.EntityLabel, label), ct);
            }
            var contactLabel = contacts.FirstOrDefault()?.ToString() ?? "";
            await db.Set<ChangeRecord>().Where(r => r.EntityType == nameof(Contact) && contactIds.Contains(r.EntityId))
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.EntityLabel, contactLabel), ct);

            // The blind index holds keyed hashes of the person's phones, ID and bank numbers: pseudonymous
            // personal data, so it goes too (the anonymising save above re-sealed empty values).
            await db.Set<SensitiveIndexEntry>().Where(x => (wholeCustomer && x.EntityId == customer.Id) || contactIds.Contains(x.EntityId))
                .ExecuteDeleteAsync(ct);

            await tx.CommitAsync(ct);
            return new EraseResult(customer.Number, contacts.Count, consents.Count, values);
        });
        var detail = contactId is null
            ? $"个人客户；联系人 {result.Contacts} 个，授权记录 {result.Consents} 条，历史值 {result.HistoryValues} 个"
            : $"联系人 {contactId}；授权记录 {result.Consents} 条，历史值 {result.HistoryValues} 个";
        await audit.WriteAsync(AuditActions.PrivacyErased, true, http.HttpContext, actor.UserId, actor.Name, result.CustomerNumber, detail, ct);
        return result;
    }

    private static void AnonymiseCustomer(Customer c, List<string> textFieldKeys)
    {
        c.Name = "已删除-" + c.Number;
        c.Gender = Gender.Unknown;
        c.BirthDate = null;
        c.BirthCalendar = CalendarKind.Solar;
        c.Age = null;
        c.Title = null;
        c.Company = null;
        c.Interests = null;
        c.Anniversaries = [];
        c.Phones = [];
        c.Email = null;
        c.SocialAccounts = [];
        c.District = null;
        c.Street = null;
        c.RegisteredAddress = null;
        c.Notes = null;
        if (textFieldKeys.Count > 0 && JsonNode.Parse(c.CustomFieldsJson) is JsonObject cf)
        {
            foreach (var key in textFieldKeys) cf.Remove(key);
            c.CustomFieldsJson = cf.ToJsonString(JsonStorage.Options);
        }
    }

    private static void AnonymiseContact(Contact k)
    {
        k.Name = "已删除";
        k.Gender = Gender.Unknown;
        k.Title = null;
        k.Phones = [];
        k.Email = null;
        k.WeChat = null;
        k.BirthDate = null;
        k.Notes = null;
    }

    private static void EnsureCanWrite(Actor actor)
    {
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色，不能修改授权记录");
    }
}
