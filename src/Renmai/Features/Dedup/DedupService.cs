using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Settings;
using Renmai.Features.Users;

namespace Renmai.Features.Dedup;

public sealed record ScanResult(int Customers, int Groups, int InGroups, double Seconds, Dictionary<string, int> GroupsByRule);

public sealed class DuplicateGroupView
{
    public Guid Id { get; init; }
    public int Confidence { get; init; }
    public DuplicateRule Rules { get; init; }
    public string RuleLabels { get; init; } = "";
    public DuplicateStatus Status { get; init; }
    public DateTime FoundAt { get; init; }
    public List<CustomerForm> Members { get; init; } = [];
}

/// <summary>A merge: the surviving customer, the ones folded into it, and per field the customer whose value survives.</summary>
public sealed class MergeRequest
{
    public string Survivor { get; set; } = "";
    public List<string> Others { get; set; } = [];
    /// <summary>Field (see <see cref="DedupService.MergeFields"/>) → customer number whose value to keep; unlisted fields keep the survivor's.</summary>
    public Dictionary<string, string> Fields { get; set; } = [];
}

public sealed record MergeResult(Guid MergeId, string Survivor, List<string> Merged);

/// <summary>
/// Duplicates and cleaning (R10.3): the full scan into reviewable groups, dismissing, merging field by
/// field (contacts, consents, blind-index rows and the timeline follow the survivor) and undoing a merge.
/// </summary>
public sealed class DedupService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current, TimeProvider clock, AppSettings settings,
    AuditLog audit, IHttpContextAccessor http, SensitiveStore sensitive)
{
    /// <summary>Blocks larger than this are not a signal (a shared switchboard, info@ of a group): they are skipped.</summary>
    public const int MaxBlock = 50;

    // How much one rule alone says; several rules combine as independent evidence.
    private static readonly (DuplicateRule Rule, double Weight, string Label)[] RuleInfo =
    [
        (DuplicateRule.Uscc, 0.95, "统一社会信用代码相同"), (DuplicateRule.Phone, 0.90, "电话相同"), (DuplicateRule.Email, 0.80, "邮箱相同"),
        (DuplicateRule.CompanyName, 0.75, "公司名称相同（规范化后）"), (DuplicateRule.PersonName, 0.70, "姓名和生日相同"),
        (DuplicateRule.Pinyin, 0.55, "姓名拼音和生日相同"), (DuplicateRule.PersonCompany, 0.75, "姓名和所在公司相同"),
        // The same person under two customers is most often one company entered twice; sometimes an agent serving two.
        (DuplicateRule.ContactPhone, 0.70, "联系人电话相同"), (DuplicateRule.ContactEmail, 0.65, "联系人邮箱相同"),
    ];

    public static int Confidence(DuplicateRule rules)
    {
        var none = 1.0;
        foreach (var (rule, weight, _) in RuleInfo)
            if (rules.HasFlag(rule)) none *= 1 - weight;
        return (int)Math.Min(99, Math.Round((1 - none) * 100));
    }

    public static string Labels(DuplicateRule rules) =>
        string.Join("、", RuleInfo.Where(r => rules.HasFlag(r.Rule)).Select(r => r.Label));

    // ---- Scan ---------------------------------------------------------------------------------

    /// <summary>
    /// Scans every customer: for each rule a 64-bit key per customer, sorted, equal keys form a block, blocks
    /// join customers (union-find) into groups — O(n log n), never pairwise. Replaces the open groups;
    /// a set dismissed before stays dismissed. Admins and managers (who then see the groups in their scope).
    /// </summary>
    public async Task<ScanResult> ScanAsync(CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin, Roles.Manager);
        var watch = Stopwatch.StartNew();
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));

        var ids = new List<Guid>(1024);
        var keys = new Dictionary<DuplicateRule, List<(ulong Key, int Index)>>
        {
            [DuplicateRule.Email] = [], [DuplicateRule.Uscc] = [], [DuplicateRule.CompanyName] = [], [DuplicateRule.PersonName] = [],
            [DuplicateRule.Pinyin] = [], [DuplicateRule.PersonCompany] = [], [DuplicateRule.ContactEmail] = [],
        };
        var rows = db.Set<Customer>().AsNoTracking()
            .Select(c => new { c.Id, c.Kind, c.Name, c.Company, c.Email, c.Uscc, c.BirthDate, c.City }).AsAsyncEnumerable();
        await foreach (var c in rows.WithCancellation(ct))
        {
            var i = ids.Count;
            ids.Add(c.Id);
            if (DedupKeys.PersonalEmail(c.Email) is { } e) keys[DuplicateRule.Email].Add((Hash(e), i));
            if (DedupKeys.Uscc(c.Uscc) is { } u) keys[DuplicateRule.Uscc].Add((Hash(u), i));
            if (c.Kind == CustomerKind.Company)
            {
                if (DedupKeys.CompanyKey(c.Name, c.City) is { } n) keys[DuplicateRule.CompanyName].Add((Hash(n), i));
            }
            else if (DedupKeys.PersonName(c.Name) is { } person)
            {
                if (DedupKeys.CompanyKey(c.Company, c.City) is { } employer) keys[DuplicateRule.PersonCompany].Add((Hash(person + "|" + employer), i));
                if (c.BirthDate is { } born)
                {
                    var day = born.DayNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    keys[DuplicateRule.PersonName].Add((Hash(person + "|" + day), i));
                    if (DedupKeys.NamePinyin(person) is { } pinyin) keys[DuplicateRule.Pinyin].Add((Hash(pinyin + "|" + day), i));
                }
            }
        }
        var index = new Dictionary<Guid, int>(ids.Count);
        for (var i = 0; i < ids.Count; i++) index[ids[i]] = i;

        // Phones are encrypted: equal numbers are equal blind-index hashes. Only hashes that occur under more than one
        // customer are read, so a million phones cost one grouped index scan.
        async Task<List<(ulong Key, int Index)>> SharedPhonesAsync(IQueryable<SensitiveIndexEntry> entries)
        {
            var shared = entries.GroupBy(x => x.Hash).Where(g => g.Select(x => x.CustomerId).Distinct().Count() > 1).Select(g => g.Key);
            var found = await entries.AsNoTracking().Where(x => shared.Contains(x.Hash)).Select(x => new { x.Hash, x.CustomerId }).ToListAsync(ct);
            return [.. found.Where(r => index.ContainsKey(r.CustomerId)).Select(r => (Hash(r.Hash), index[r.CustomerId]))];
        }
        var phones = db.Set<SensitiveIndexEntry>().Where(x => x.Kind == SensitiveKind.PhoneFull);
        keys[DuplicateRule.Phone] = await SharedPhonesAsync(phones.Where(x => x.EntityId == x.CustomerId));
        // Contact persons: one person (a phone, a personal e-mail) listed under two customers.
        keys[DuplicateRule.ContactPhone] = await SharedPhonesAsync(phones.Where(x => x.EntityId != x.CustomerId && db.Set<Contact>().Any(k => k.Id == x.EntityId)));
        var contactEmails = db.Set<Contact>().AsNoTracking().Where(k => k.Email != null).Select(k => new { k.CustomerId, k.Email }).AsAsyncEnumerable();
        await foreach (var k in contactEmails.WithCancellation(ct))
            if (index.TryGetValue(k.CustomerId, out var i) && DedupKeys.PersonalEmail(k.Email) is { } e) keys[DuplicateRule.ContactEmail].Add((Hash(e), i));

        var parent = new int[ids.Count];
        for (var i = 0; i < parent.Length; i++) parent[i] = i;
        var ruleOf = new DuplicateRule[ids.Count];
        foreach (var (rule, list) in keys)
        {
            var k = list.Select(x => x.Key).ToArray();
            var v = list.Select(x => x.Index).ToArray();
            Array.Sort(k, v);
            for (var start = 0; start < k.Length;)
            {
                var end = start + 1;
                while (end < k.Length && k[end] == k[start]) end++;
                var distinct = v[start..end].Distinct().ToArray();
                if (distinct.Length is > 1 and <= MaxBlock)
                {
                    foreach (var m in distinct)
                    {
                        Union(parent, distinct[0], m);
                        ruleOf[m] |= rule;
                    }
                }
                start = end;
            }
        }

        var groups = new Dictionary<int, List<int>>();
        for (var i = 0; i < parent.Length; i++)
        {
            if (ruleOf[i] == DuplicateRule.None) continue;
            var root = Find(parent, i);
            if (!groups.TryGetValue(root, out var members)) groups[root] = members = [];
            members.Add(i);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var strategy = db.Database.CreateExecutionStrategy();
        var written = 0;
        var inGroups = 0;
        var byRule = new Dictionary<string, int>(StringComparer.Ordinal);
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var open = db.Set<DuplicateGroup>().Where(g => g.Status == DuplicateStatus.Open).Select(g => g.Id);
            await db.Set<DuplicateMember>().Where(m => open.Contains(m.GroupId)).ExecuteDeleteAsync(ct);
            await db.Set<DuplicateGroup>().Where(g => g.Status == DuplicateStatus.Open).ExecuteDeleteAsync(ct);
            var dismissed = (await db.Set<DuplicateGroup>().Where(g => g.Status != DuplicateStatus.Open).Select(g => g.Signature).ToListAsync(ct))
                .ToHashSet(StringComparer.Ordinal);
            var batch = 0;
            foreach (var members in groups.Values)
            {
                if (members.Count < 2) continue;
                var memberIds = members.Select(m => ids[m]).Order().ToList();
                var signature = Signature(memberIds);
                if (dismissed.Contains(signature)) continue;
                var rules = members.Aggregate(DuplicateRule.None, (r, m) => r | ruleOf[m]);
                var group = new DuplicateGroup
                {
                    Signature = signature, Rules = rules, Confidence = Confidence(rules), MemberCount = memberIds.Count, FoundAt = now,
                };
                db.Add(group);
                db.AddRange(memberIds.Select(id => new DuplicateMember { GroupId = group.Id, CustomerId = id }));
                written++;
                inGroups += memberIds.Count;
                foreach (var (rule, _, label) in RuleInfo.Where(r => rules.HasFlag(r.Rule)))
                    byRule[label] = byRule.GetValueOrDefault(label) + 1;
                if (++batch == 2000)
                {
                    await db.SaveChangesAsync(ct);
                    db.ChangeTracker.Clear();
                    batch = 0;
                }
            }
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            await tx.CommitAsync(ct);
        });
        var result = new ScanResult(ids.Count, written, inGroups, watch.Elapsed.TotalSeconds, byRule);
        await audit.WriteAsync(AuditActions.DuplicatesScanned, true, http.HttpContext, actor.UserId, actor.Name, "客户",
            $"扫描 {ids.Count} 个客户，发现 {written} 组疑似重复（{inGroups} 个客户），用时 {result.Seconds:F1} 秒", ct);
        return result;
    }

    private static int Find(int[] parent, int i)
    {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    }

    private static void Union(int[] parent, int a, int b)
    {
        var (ra, rb) = (Find(parent, a), Find(parent, b));
        if (ra != rb) parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
    }

    /// <summary>64-bit FNV-1a: a block key; at a million keys a chance collision is about 1 in 30 million.</summary>
    private static ulong Hash(string s)
    {
        var h = 14695981039346656037UL;
        foreach (var c in s)
        {
            h = (h ^ (byte)c) * 1099511628211UL;
            h = (h ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return h;
    }

    private static string Signature(IEnumerable<Guid> sortedIds)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in sortedIds) sha.AppendData(id.ToByteArray());
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    // ---- Review -------------------------------------------------------------------------------

    /// <summary>Groups whose every member the actor may see (a manager never learns of a customer outside the team), most certain first.</summary>
    public async Task<PagedResult<DuplicateGroupView>> ListAsync(DuplicateStatus status = DuplicateStatus.Open, int page = 1, int pageSize = 20,
        CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin, Roles.Manager, Roles.Auditor);
        pageSize = Math.Clamp(pageSize, 1, 100);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var q = InScope(db, actor, includeDeleted: status != DuplicateStatus.Open).Where(g => g.Status == status);
        var total = await q.CountAsync(ct);
        var groups = await q.OrderByDescending(g => g.Confidence).ThenBy(g => g.Id)
            .Skip((Math.Max(page, 1) - 1) * pageSize).Take(pageSize).ToListAsync(ct);
        var groupIds = groups.Select(g => g.Id).ToList();
        var members = await db.Set<DuplicateMember>().AsNoTracking().Where(m => groupIds.Contains(m.GroupId)).ToListAsync(ct);
        var customerIds = members.Select(m => m.CustomerId).ToList();
        var includeDeleted = status != DuplicateStatus.Open;
        var customers = await (includeDeleted ? db.Set<Customer>().IgnoreQueryFilters() : db.Set<Customer>()).AsNoTracking()
            .Where(c => customerIds.Contains(c.Id)).ToDictionaryAsync(c => c.Id, ct);
        var privacy = await settings.GetAsync<PrivacySettings>(ct);
        var views = groups.Select(g => new DuplicateGroupView
        {
            Id = g.Id, Confidence = g.Confidence, Rules = g.Rules, RuleLabels = Labels(g.Rules), Status = g.Status, FoundAt = g.FoundAt,
            Members = members.Where(m => m.GroupId == g.Id && customers.ContainsKey(m.CustomerId)).Select(m => customers[m.CustomerId])
                .OrderBy(c => c.CreatedAt).Select(c => CustomerForm.From(c).Mask(privacy)).ToList(),
        }).ToList();
        return new PagedResult<DuplicateGroupView>(views, total);
    }

    /// <summary>Groups every member of which the actor may see (merged groups: deleted members count by their owner too).</summary>
    private static IQueryable<DuplicateGroup> InScope(RenmaiDb db, Actor actor, bool includeDeleted = false)
    {
        var customers = includeDeleted ? db.Set<Customer>().IgnoreQueryFilters() : db.Set<Customer>();
        var visible = CustomerService.Visible(customers, actor).Select(c => c.Id);
        return db.Set<DuplicateGroup>().AsNoTracking()
            .Where(g => !db.Set<DuplicateMember>().Any(m => m.GroupId == g.Id && !visible.Contains(m.CustomerId)));
    }

    /// <summary>"Not duplicates": the group is kept as dismissed, so later scans leave this set alone.</summary>
    public async Task DismissAsync(Guid groupId, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin, Roles.Manager);
        await using var db = await dbs.CreateDbContextAsync(ct);
        var inScope = await InScope(db, actor).AnyAsync(g => g.Id == groupId && g.Status == DuplicateStatus.Open, ct);
        if (!inScope) throw new NotFoundException("该疑似重复组不存在或已处理");
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<DuplicateGroup>().Where(g => g.Id == groupId).ExecuteUpdateAsync(s => s
            .SetProperty(g => g.Status, DuplicateStatus.Dismissed).SetProperty(g => g.ResolvedAt, now).SetProperty(g => g.ResolvedBy, actor.Name), ct);
    }

    // ---- Merge --------------------------------------------------------------------------------

    /// <summary>The customer properties a merge can take from another record (Phones etc. are the sensitive ones).</summary>
    public static readonly IReadOnlyList<string> MergeFields =
    [
        "Kind", "Name", "Gender", "BirthDate", "BirthCalendar", "Age", "Title", "Company", "DecisionRole", "Interests", "Anniversaries", "Phones", "Email",
        "SocialAccounts", "Province", "City", "District", "Street", "RegisteredAddress", "Industry", "StaffCount", "AnnualRevenueFen",
        "MainBusiness", "MarketPosition", "Uscc", "IdNumber", "BankName", "BankAccount", "ProductsOfInterest", "BudgetMinFen", "BudgetMaxFen",
        "Urgency", "DecisionProcess", "CreditLimitFen", "CreditNotes", "RiskLevel", "Type", "PartnerField", "LeadSource", "Intent", "Stage",
        "ValueTier", "Potential", "Region", "TagsText", "Notes", "CustomFieldsJson",
    ];

    private static readonly HashSet<string> SensitiveFields = ["Phones", "IdNumber", "BankName", "BankAccount"];

    public async Task<MergeResult> MergeAsync(MergeRequest request, CancellationToken ct = default)
    {
        var actor = await RequireWriterAsync();
        var e = new ValidationErrors();
        var others = request.Others.Select(CustomerNumbers.Normalize).Distinct().ToList();
        var survivorNumber = CustomerNumbers.Normalize(request.Survivor ?? "");
        if (survivorNumber.Length == 0) e.Add("survivor", "请选择保留的客户");
        if (others.Count == 0) e.Add("others", "请选择要合并进来的客户");
        if (others.Contains(survivorNumber)) e.Add("others", "保留的客户不能同时被合并");
        foreach (var field in request.Fields.Keys.Where(f => !MergeFields.Contains(f)))
            e.Add("fields", $"未知的字段“{field}”");
        e.ThrowIfAny();

        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var survivor = await CustomerService.FindVisibleAsync(db, actor, survivorNumber, ct, tracking: true);
        var merged = new List<Customer>();
        foreach (var n in others) merged.Add(await CustomerService.FindVisibleAsync(db, actor, n, ct, tracking: true));
        var byNumber = merged.Append(survivor).ToDictionary(c => c.Number, StringComparer.Ordinal);
        foreach (var (field, source) in request.Fields)
            if (!byNumber.ContainsKey(CustomerNumbers.Normalize(source))) e.Add("fields." + field, $"客户 {source} 不在本次合并中");
        e.ThrowIfAny();

        // What the survivor had, to undo: plain fields as JSON, sensitive ones as the sealed envelope.
        var before = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var sealedBefore = survivor.SensitiveData;
        foreach (var (field, source) in request.Fields)
        {
            var from = byNumber[CustomerNumbers.Normalize(source)];
            if (from == survivor) continue;
            var property = typeof(Customer).GetProperty(field, BindingFlags.Public | BindingFlags.Instance)!;
            if (!SensitiveFields.Contains(field)) before[field] = JsonSerializer.SerializeToElement(property.GetValue(survivor), property.PropertyType, JsonStorage.Options);
            property.SetValue(survivor, Copy(property.GetValue(from), property.PropertyType));
            if (field == "CustomFieldsJson") survivor.SensitiveCustomFields = new Dictionary<string, string>(from.SensitiveCustomFields);
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var mergedIds = merged.Select(m => m.Id).ToList();
        var record = new MergeRecord
        {
            SurvivorId = survivor.Id, MergedIdsJson = JsonStorage.Serialize(mergedIds), SurvivorBeforeJson = JsonStorage.Serialize(before),
            SurvivorSealedBefore = sealedBefore, At = now, ByName = actor.Name,
        };
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var contacts = await db.Set<Contact>().Where(k => mergedIds.Contains(k.CustomerId)).Select(k => new { k.Id, k.CustomerId }).ToListAsync(ct);
            var consents = await db.Set<ConsentRecord>().Where(k => mergedIds.Contains(k.CustomerId)).Select(k => new { k.Id, k.CustomerId }).ToListAsync(ct);
            record.MovedJson = JsonStorage.Serialize(new Dictionary<string, List<Guid[]>>
            {
                ["contacts"] = contacts.Select(k => new[] { k.Id, k.CustomerId }).ToList(),
                ["consents"] = consents.Select(k => new[] { k.Id, k.CustomerId }).ToList(),
            });
            // Contacts, consents and the contacts' blind-index rows follow the survivor.
            await db.Set<Contact>().Where(k => mergedIds.Contains(k.CustomerId)).ExecuteUpdateAsync(s => s.SetProperty(k => k.CustomerId, survivor.Id), ct);
            await db.Set<ConsentRecord>().Where(k => mergedIds.Contains(k.CustomerId)).ExecuteUpdateAsync(s => s.SetProperty(k => k.CustomerId, survivor.Id), ct);
            await db.Set<SensitiveIndexEntry>().Where(x => mergedIds.Contains(x.CustomerId) && x.EntityId != x.CustomerId)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, survivor.Id), ct);
            foreach (var m in merged)
            {
                m.DeletedAt = now;
                m.MergedIntoId = survivor.Id;
                db.Add(History(m, "MergedInto", $"并入 {survivor.Number} {survivor.Name}", now, actor));
            }
            db.Add(History(survivor, "Merge", "合并了 " + string.Join("、", merged.Select(m => $"{m.Number} {m.Name}")), now, actor));
            db.Add(record);
            await db.SaveChangesAsync(ct);
            var memberOf = db.Set<DuplicateMember>().Where(x => mergedIds.Contains(x.CustomerId)).Select(x => x.GroupId);
            await db.Set<DuplicateGroup>().Where(g => g.Status == DuplicateStatus.Open && memberOf.Contains(g.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(g => g.Status, DuplicateStatus.Merged).SetProperty(g => g.ResolvedAt, now).SetProperty(g => g.ResolvedBy, actor.Name), ct);
            await tx.CommitAsync(ct);
        });
        await audit.WriteAsync(AuditActions.CustomersMerged, true, http.HttpContext, actor.UserId, actor.Name, survivor.Number,
            "合并了 " + string.Join("、", merged.Select(m => m.Number)), ct);
        return new MergeResult(record.Id, survivor.Number, merged.Select(m => m.Number).ToList());
    }

    /// <summary>Puts everything back as it was before the merge: the survivor's fields, the moved rows, the merged-away customers.</summary>
    public async Task<MergeResult> UndoMergeAsync(Guid mergeId, CancellationToken ct = default)
    {
        var actor = await RequireWriterAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var record = await db.Set<MergeRecord>().SingleOrDefaultAsync(r => r.Id == mergeId, ct) ?? throw new NotFoundException("合并记录不存在");
        var survivor = await CustomerService.Visible(db.Set<Customer>(), actor).SingleOrDefaultAsync(c => c.Id == record.SurvivorId, ct)
            ?? throw new NotFoundException("合并记录不存在");
        if (record.UndoneAt is not null) throw new ValidationFailedException(new ValidationErrors().Also("merge", "这次合并已经撤销过了"));
        var mergedIds = JsonStorage.Deserialize<List<Guid>>(record.MergedIdsJson) ?? [];
        var merged = await db.Set<Customer>().IgnoreQueryFilters().Where(c => mergedIds.Contains(c.Id)).ToListAsync(ct);

        var before = JsonStorage.Deserialize<Dictionary<string, JsonElement>>(record.SurvivorBeforeJson) ?? [];
        foreach (var (field, value) in before)
        {
            var property = typeof(Customer).GetProperty(field, BindingFlags.Public | BindingFlags.Instance)!;
            property.SetValue(survivor, value.Deserialize(property.PropertyType, JsonStorage.Options));
        }
        // The sensitive values come back from the envelope sealed before the merge (never stored in plaintext).
        var old = new Customer { Id = survivor.Id, SensitiveData = record.SurvivorSealedBefore };
        sensitive.Open(old);
        survivor.WriteSensitive(old.ReadSensitive());

        var moved = JsonStorage.Deserialize<Dictionary<string, List<Guid[]>>>(record.MovedJson) ?? [];
        var now = clock.GetUtcNow().UtcDateTime;
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async () =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            foreach (var pair in moved.GetValueOrDefault("contacts") ?? [])
            {
                var (id, from) = (pair[0], pair[1]);
                await db.Set<Contact>().Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.CustomerId, from), ct);
                await db.Set<SensitiveIndexEntry>().Where(x => x.EntityId == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.CustomerId, from), ct);
            }
            foreach (var pair in moved.GetValueOrDefault("consents") ?? [])
            {
                var (id, from) = (pair[0], pair[1]);
                await db.Set<ConsentRecord>().Where(k => k.Id == id).ExecuteUpdateAsync(s => s.SetProperty(k => k.CustomerId, from), ct);
            }
            foreach (var m in merged)
            {
                m.DeletedAt = null;
                m.MergedIntoId = null;
                db.Add(History(m, "MergeUndone", $"撤销并入 {survivor.Number}，已恢复", now, actor));
            }
            db.Add(History(survivor, "MergeUndone", "撤销合并，恢复了 " + string.Join("、", merged.Select(m => m.Number)), now, actor));
            record.UndoneAt = now;
            await db.SaveChangesAsync(ct);
            var memberOf = db.Set<DuplicateMember>().Where(x => mergedIds.Contains(x.CustomerId)).Select(x => x.GroupId);
            await db.Set<DuplicateGroup>().Where(g => g.Status == DuplicateStatus.Merged && memberOf.Contains(g.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(g => g.Status, DuplicateStatus.Open).SetProperty(g => g.ResolvedAt, (DateTime?)null).SetProperty(g => g.ResolvedBy, (string?)null), ct);
            await tx.CommitAsync(ct);
        });
        await audit.WriteAsync(AuditActions.MergeUndone, true, http.HttpContext, actor.UserId, actor.Name, survivor.Number,
            "撤销合并，恢复了 " + string.Join("、", merged.Select(m => m.Number)), ct);
        return new MergeResult(record.Id, survivor.Number, merged.Select(m => m.Number).ToList());
    }

    /// <summary>The merges into this customer that can still be undone, newest first.</summary>
    public async Task<List<MergeRecord>> MergesIntoAsync(string number, CancellationToken ct = default)
    {
        var actor = await current.RequireAsync();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var customer = await CustomerService.FindVisibleAsync(db, actor, number, ct);
        return await db.Set<MergeRecord>().AsNoTracking().Where(r => r.SurvivorId == customer.Id && r.UndoneAt == null)
            .OrderByDescending(r => r.At).ToListAsync(ct);
    }

    private async Task<Actor> RequireWriterAsync()
    {
        var actor = await current.RequireAsync();
        if (actor.IsInRole(Roles.Auditor) && actor.Roles.Count == 1) throw new ForbiddenException("审计员为只读角色，不能合并客户");
        return actor;
    }

    private static object? Copy(object? value, Type type) =>
        value is null or string or ValueType ? value : JsonSerializer.Deserialize(JsonSerializer.Serialize(value, type, JsonStorage.Options), type, JsonStorage.Options);

    private static ChangeRecord History(Customer c, string field, string text, DateTime now, Actor actor) => new()
    {
        CustomerId = c.Id, EntityType = nameof(Customer), EntityId = c.Id, EntityLabel = c.ToString(), Action = ChangeAction.Updated,
        Field = field, NewValue = text, At = now, UserId = actor.UserId, UserName = actor.Name, Source = actor.Source,
    };
}

/// <summary>An existing customer that looks like the one being created (R10.3 warning).</summary>
public sealed record DuplicateHint(string Number, string Name, string Reasons);

/// <summary>Finds visible customers that match a new customer's phone, email, 统一社会信用代码, normalised name, or name and company.</summary>
public static class DuplicateFinder
{
    public static async Task<List<DuplicateHint>> FindAsync(RenmaiDb db, IQueryable<Customer> visible, CustomerForm form, SensitiveCipher cipher,
        Search.SearchService search, Guid? except, CancellationToken ct)
    {
        var reasons = new Dictionary<Guid, (string Number, string Name, DuplicateRule Rules)>();
        void Add(IEnumerable<(Guid Id, string Number, string Name)> found, DuplicateRule rule)
        {
            foreach (var (id, number, name) in found)
            {
                if (id == except) continue;
                var r = reasons.TryGetValue(id, out var x) ? x.Rules : DuplicateRule.None;
                reasons[id] = (number, name, r | rule);
            }
        }
        static async Task<List<(Guid, string, string)>> Read(IQueryable<Customer> q, CancellationToken ct) =>
            (await q.Select(c => new { c.Id, c.Number, c.Name }).Take(10).ToListAsync(ct)).Select(c => (c.Id, c.Number, c.Name)).ToList();

        var hashes = form.Phones.Select(p => SensitiveStore.PhoneDigits(p.Number ?? "")).Where(d => d.Length >= 5)
            .SelectMany(d => cipher.LookupHashes(SensitiveKind.PhoneFull, d)).Distinct().ToList();
        if (hashes.Count > 0)
        {
            var owners = db.Set<SensitiveIndexEntry>().Where(x => x.Kind == SensitiveKind.PhoneFull && hashes.Contains(x.Hash) && x.EntityId == x.CustomerId)
                .Select(x => x.CustomerId);
            Add(await Read(visible.Where(c => owners.Contains(c.Id)), ct), DuplicateRule.Phone);
        }
        if (DedupKeys.Email(form.Email) is { } email)
        {
            // Stored as typed (validated, trimmed): the lower-case form and the form as given cover the usual cases.
            var typed = form.Email!.Trim();
            Add(await Read(visible.Where(c => c.Email == email || c.Email == typed), ct), DuplicateRule.Email);
        }
        if (DedupKeys.Uscc(form.Uscc) is { } uscc) Add(await Read(visible.Where(c => c.Uscc == uscc), ct), DuplicateRule.Uscc);
        if (form.Kind == CustomerKind.Company && DedupKeys.CompanyName(form.Name) is { } core)
        {
            // The core (华夏科技) is in every variant of the name: the search index finds the candidates (a LIKE
            // would read every customer on each create), the exact comparison runs on those few.
            var candidates = await (await search.FilterAsync(db, visible, core, ct)).Matches.Where(c => c.Kind == CustomerKind.Company)
                .Select(c => new { c.Id, c.Number, c.Name }).Take(200).ToListAsync(ct);
            Add(candidates.Where(c => DedupKeys.CompanyName(c.Name) == core).Select(c => (c.Id, c.Number, c.Name)), DuplicateRule.CompanyName);
        }
        if (form.Kind == CustomerKind.Individual && form.BirthDate is { } born && !string.IsNullOrWhiteSpace(form.Name))
        {
            var name = form.Name.Trim();
            Add(await Read(visible.Where(c => c.Kind == CustomerKind.Individual && c.Name == name && c.BirthDate == born), ct), DuplicateRule.PersonName);
        }
        if (form.Kind == CustomerKind.Individual && !string.IsNullOrWhiteSpace(form.Name) && DedupKeys.CompanyKey(form.Company, form.City) is { } employer)
        {
            // Same name (indexed), then the company compared as the scan does (华夏科技（北京）is 北京华夏科技有限公司).
            var name = form.Name.Trim();
            var namesakes = await visible.Where(c => c.Kind == CustomerKind.Individual && c.Name == name && c.Company != null)
                .Select(c => new { c.Id, c.Number, c.Name, c.Company, c.City }).Take(200).ToListAsync(ct);
            Add(namesakes.Where(c => DedupKeys.CompanyKey(c.Company, c.City) == employer).Select(c => (c.Id, c.Number, c.Name)), DuplicateRule.PersonCompany);
        }
        return reasons.OrderByDescending(r => DedupService.Confidence(r.Value.Rules)).Take(10)
            .Select(r => new DuplicateHint(r.Value.Number, r.Value.Name, DedupService.Labels(r.Value.Rules))).ToList();
    }
}
