using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Renmai.Features.Classification;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;

namespace Renmai.Features.Import;

/// <summary>A field a file column can be mapped to: its key, Chinese label and the header words that map to it automatically.</summary>
public sealed record ImportField(string Key, string Label, IReadOnlyList<string> Synonyms, Type? EnumType = null);

/// <summary>
/// The import's column catalogue, automatic mapping by header (Chinese and English synonyms, plus the
/// exporter's own column labels so an export re-imports), and the conversion of one row's cells into
/// a <see cref="CustomerForm"/> that <see cref="CustomerService"/>'s validation then checks, so the
/// import and the customer form accept exactly the same data.
/// </summary>
public static partial class ImportFields
{
    /// <summary>Columns of the exporter that are bookkeeping, not data: never mapped.</summary>
    private static readonly HashSet<string> ReadOnlyKeys = ["createdAt", "updatedAt", "updatedBy", "kind_label"];

    /// <summary>A contact person's fields: the key's end, the label after 联系人, and header words after 联系人 / "contact ".
    /// Above <see cref="BuiltIn"/>, which is made from it: static fields are initialised in the order they are written.</summary>
    private static readonly (string Field, string Label, string[] Chinese, string[] English, Type? EnumType)[] ContactParts =
    [
        ("Name", "", ["姓名", "名称"], ["", "name", "person"], null),
        ("Title", "职务", ["职位", "头衔"], ["title"], null),
        ("Department", "部门", ["所在部门", "所属部门"], ["department"], null),
        ("Mobile", "手机", ["电话", "手机号", "手机号码", "联系方式", "号码"], ["phone", "mobile"], null),
        ("Email", "邮箱", ["电子邮箱", "邮件"], ["email"], null),
        ("WeChat", "微信", ["微信号"], ["wechat"], null),
        ("BirthDate", "生日", ["出生日期"], ["birthday", "birth date"], null),
        ("Gender", "性别", [], ["gender", "sex"], typeof(Gender)),
        ("Role", "决策链角色", ["决策角色", "角色", "决策身份"], ["role", "decision role"], typeof(DecisionRole)),
        ("Notes", "备注", ["说明"], ["notes", "note", "remark"], null),
    ];

    public static readonly IReadOnlyList<ImportField> BuiltIn =
    [
        new("number", "客户编号", ["编号", "客户号", "客户代码", "number", "customer no", "customer number", "no"]),
        new("name", "客户名称", ["公司名称", "企业名称", "单位名称", "客户姓名", "姓名", "名称", "公司", "客户", "name", "company", "company name", "customer", "customer name", "full name"]),
        new("kind", "客户性质", ["性质", "客户类别", "个人/企业", "kind"], typeof(CustomerKind)),
        new("mobile", "手机", ["手机号", "手机号码", "移动电话", "电话", "电话号码", "联系电话", "联系方式", "mobile", "phone", "cell", "cellphone", "mobile phone", "tel", "telephone"]),
        new("landline", "座机", ["固定电话", "固话", "办公电话", "座机号码", "landline", "office phone", "work phone"]),
        new("email", "电子邮箱", ["邮箱", "电子邮件", "邮件", "email", "e-mail", "mail", "email address"]),
        new("uscc", "统一社会信用代码", ["信用代码", "社会信用代码", "税号", "纳税人识别号", "uscc", "credit code", "tax id"]),
        new("type", "客户类型", ["type", "customer type"], typeof(CustomerType)),
        new("intent", "意向度", ["意向", "意向等级", "意向级别", "intent"], typeof(IntentGrade)),
        new("stage", "生命周期", ["阶段", "客户阶段", "生命周期阶段", "stage", "lifecycle"], typeof(LifecycleStage)),
        new("valueTier", "价值分层", ["价值", "价值等级", "客户价值", "value", "value tier"], typeof(Level)),
        new("potential", "潜力", ["潜力等级", "potential"], typeof(Level)),
        new("riskLevel", "风险等级", ["风险", "risk", "risk level"], typeof(RiskLevel)),
        new("partnerField", "伙伴领域", ["伙伴类型", "partner field"], typeof(PartnerField)),
        new("leadSource", "客户来源", ["来源", "线索来源", "source", "lead source"], typeof(LeadSource)),
        new("industry", "行业", ["所属行业", "industry"]),
        new("region", "区域", ["销售区域", "地区", "region"]),
        new("province", "省份", ["省", "所在省份", "province"]),
        new("city", "城市", ["市", "所在城市", "city"]),
        new("district", "区县", ["区", "县", "district"]),
        new("street", "详细地址", ["地址", "街道", "通讯地址", "联系地址", "address", "street"]),
        new("tags", "标签", ["tags", "tag"]),
        new("title", "职务", ["职位", "头衔", "title", "job title", "position"]),
        new("company", "所在公司", ["工作单位", "所在单位", "任职公司", "employer"]),
        new("gender", "性别", ["gender", "sex"], typeof(Gender)),
        new("birthDate", "生日", ["出生日期", "生日日期", "birthday", "birth date", "date of birth"]),
        new("staffCount", "员工人数", ["人数", "员工数", "公司规模", "staff", "employees", "staff count"]),
        new("creditLimitFen", "信用额度", ["授信额度", "credit limit"]),
        new("mainBusiness", "主营业务", ["主营", "main business"]),
        new("wechat", "微信", ["微信号", "wechat", "weixin"]),
        new("qq", "QQ", ["qq号", "qq"]),
        new("notes", "备注", ["说明", "notes", "note", "remark", "remarks", "comment"]),
        // The company's contact persons on the same row (客户名称, 联系人, 职位, 联系电话 …, 联系人2 …): contacts of the customer.
        .. Enumerable.Range(1, ContactSlots).SelectMany(ContactFields),
    ];

    /// <summary>How many contact persons one row can name: 联系人 … and 联系人2 … side by side.</summary>
    public const int ContactSlots = 2;

    /// <summary>The key of a contact field: contactTitle for the first contact, contact2Title for the second.</summary>
    public static string ContactKey(int slot, string field) => (slot == 1 ? "contact" : "contact" + slot.ToString(CultureInfo.InvariantCulture)) + field;

    /// <summary>联系人 for the first contact, 联系人2 for the second: the start of their labels and messages.</summary>
    public static string ContactLabel(int slot) => slot == 1 ? "联系人" : "联系人" + slot.ToString(CultureInfo.InvariantCulture);

    /// <summary>The slot (1-based) and field of a contact key, or false for a key of the customer.</summary>
    public static bool TryContactKey(string key, out int slot, out string field)
    {
        slot = 0;
        field = "";
        if (!key.StartsWith("contact", StringComparison.Ordinal)) return false;
        var rest = key[7..];
        (slot, field) = rest.Length > 0 && char.IsAsciiDigit(rest[0]) ? (rest[0] - '0', rest[1..]) : (1, rest);
        return slot is >= 1 and <= ContactSlots;
    }

    private static IEnumerable<ImportField> ContactFields(int slot)
    {
        var n = slot.ToString(CultureInfo.InvariantCulture);
        // 联系人职务 and 联系人1职务 are the first contact's; 联系人2职务 the second's.
        string[] chinese = slot == 1 ? ["联系人", "联系人1"] : ["联系人" + n];
        string[] english = slot == 1 ? ["contact", "contact1"] : ["contact" + n];
        foreach (var (field, label, words, englishWords, enumType) in ContactParts)
        {
            var synonyms = new List<string>();
            foreach (var prefix in chinese)
            {
                if (prefix != ContactLabel(slot)) synonyms.Add(prefix + label);
                synonyms.AddRange(words.Select(w => prefix + w));
            }
            foreach (var prefix in english) synonyms.AddRange(englishWords.Select(w => (prefix + " " + w).Trim()));
            if (field == "Name") synonyms.AddRange(slot == 1 ? ["对接人", "第一联系人"] : ["第二联系人"]);
            yield return new ImportField(ContactKey(slot, field), ContactLabel(slot) + label, synonyms, enumType);
        }
    }

    /// <summary>Built-ins plus one per custom field ("cf.key").</summary>
    public static IReadOnlyList<ImportField> All(IEnumerable<CustomFieldDefinition> defs) =>
        [.. BuiltIn, .. defs.Select(d => new ImportField("cf." + d.Key, d.Label, [d.Key]))];

    /// <summary>Header text reduced for matching: half-width, lower case, no spaces, no (units) or * markers.</summary>
    public static string NormalizeHeader(string header)
    {
        var h = Validators.ToHalfWidth(header).Trim().ToLowerInvariant();
        h = Units().Replace(h, "");
        return h.Replace(" ", "", StringComparison.Ordinal).Replace("*", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"[\(（][^\)）]*[\)）]")]
    private static partial Regex Units();

    /// <summary>
    /// Column index → field key by header. Labels of <see cref="CustomerColumns.BuiltIn"/> (the exporter's
    /// headers) and custom-field labels first, then synonyms; each field is taken once, the leftmost column wins.
    /// </summary>
    public static Dictionary<int, string> AutoMap(IReadOnlyList<string> headers, IReadOnlyList<ImportField> fields)
    {
        var byWord = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in fields) byWord.TryAdd(NormalizeHeader(f.Label), f.Key);
        foreach (var c in CustomerColumns.BuiltIn)
            if (fields.Any(f => f.Key == c.Key)) byWord.TryAdd(NormalizeHeader(c.Label), c.Key);
        foreach (var f in fields)
            foreach (var s in f.Synonyms) byWord.TryAdd(NormalizeHeader(s), f.Key);
        var map = new Dictionary<int, string>();
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < headers.Count; i++)
        {
            var word = NormalizeHeader(headers[i]);
            if (word.Length == 0 || !byWord.TryGetValue(word, out var key) || ReadOnlyKeys.Contains(key) || !taken.Add(key)) continue;
            map[i] = key;
        }
        PersonAndCompany(headers, map, taken);
        ContactTitle(headers, map, taken);
        ContactDepartment(headers, map, taken);
        return map;
    }

    // Next to a 联系人 column, a bare 职位/职务 is the contact's (a company has no job title of its own).
    private static void ContactTitle(IReadOnlyList<string> headers, Dictionary<int, string> map, HashSet<string> taken)
    {
        // With a 所在公司 column the sheet is about people, and 职位 is the customer's own.
        if (!taken.Contains("contactName") || taken.Contains("contactTitle") || taken.Contains("company")) return;
        var title = map.FirstOrDefault(m => m.Value == "title");
        if (title.Value is not null) map[title.Key] = "contactTitle";
    }

    private static readonly HashSet<string> DepartmentHeaders = ["部门", "所在部门", "所属部门", "department", "dept"];

    // Next to a 联系人 column, a bare 部门 is the contact's: a customer has no department. Without one (a people sheet:
    // 姓名, 公司, 部门) it stays unmapped, as before: the person is the customer, and a contact without a name is an error.
    private static void ContactDepartment(IReadOnlyList<string> headers, Dictionary<int, string> map, HashSet<string> taken)
    {
        if (!taken.Contains("contactName") || taken.Contains("contactDepartment")) return;
        for (var i = 0; i < headers.Count; i++)
            if (!map.ContainsKey(i) && DepartmentHeaders.Contains(NormalizeHeader(headers[i])))
            {
                map[i] = "contactDepartment";
                taken.Add("contactDepartment");
                return;
            }
    }

    // A contacts sheet (姓名, 联系方式, 公司, 职位) names a person and where they work: both headers are words for the
    // customer's name, and the leftmost would win and drop the other. The person is the customer; the company is theirs.
    private static readonly HashSet<string> PersonHeaders = ["姓名", "客户姓名", "fullname"];
    private static readonly HashSet<string> CompanyHeaders = ["公司", "公司名称", "企业名称", "单位名称", "company", "companyname"];

    private static void PersonAndCompany(IReadOnlyList<string> headers, Dictionary<int, string> map, HashSet<string> taken)
    {
        if (taken.Contains("company")) return;
        int Find(HashSet<string> words) =>
            Enumerable.Range(0, headers.Count).FirstOrDefault(i => words.Contains(NormalizeHeader(headers[i])) && map.GetValueOrDefault(i) is null or "name", -1);
        var person = Find(PersonHeaders);
        var company = Find(CompanyHeaders);
        if (person < 0 || company < 0) return;
        map[person] = "name";
        map[company] = "company";
    }

    /// <summary>A mapping is usable when it names the customer (or, for updates, at least the match key).</summary>
    public static string? CheckMapping(Dictionary<int, string> mapping, IReadOnlyList<string> headers, IReadOnlyList<ImportField> fields, ImportOptions options)
    {
        var known = fields.Select(f => f.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (col, key) in mapping)
        {
            if (col < 0 || col >= headers.Count) return $"列映射有误：文件没有第 {col + 1} 列";
            if (!known.Contains(key)) return $"列映射有误：未知字段“{key}”";
        }
        var dup = mapping.GroupBy(m => m.Value).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            return $"字段“{Label(fields, dup.Key)}”被映射了多次（{string.Join("、", dup.Select(d => "“" + headers[d.Key] + "”"))}），每个字段只能对应一列";
        var values = mapping.Values.ToHashSet(StringComparer.Ordinal);
        if (options.Mode != ImportMode.Update && !values.Contains("name"))
            return "找不到“客户名称”列：请把表头命名为“客户名称”（或公司名称、姓名），或在列映射中指定哪一列是客户名称";
        var keyField = KeyField(options.Key);
        if (options.Mode == ImportMode.Update && !keyField.Any(values.Contains))
            return $"仅更新模式需要匹配列“{KeyLabel(options.Key)}”，但文件中没有映射到它的列";
        return null;
    }

    public static string Label(IReadOnlyList<ImportField> fields, string key) => fields.FirstOrDefault(f => f.Key == key)?.Label ?? key;

    public static string[] KeyField(ImportKey key) => key switch
    {
        ImportKey.Number => ["number"],
        ImportKey.Uscc => ["uscc"],
        ImportKey.Phone => ["mobile", "landline"],
        ImportKey.Email => ["email"],
        _ => ["name"],
    };

    public static string KeyLabel(ImportKey key) => key switch
    {
        ImportKey.Number => "客户编号",
        ImportKey.Uscc => "统一社会信用代码",
        ImportKey.Phone => "手机",
        ImportKey.Email => "电子邮箱",
        _ => "客户名称",
    };

    // ---- Cells → form -------------------------------------------------------------------------

    /// <summary>A row's problems, by column index (-1: the row as a whole).</summary>
    public sealed class RowErrors
    {
        public List<(int Column, string Message)> Items { get; } = [];
        public bool Any => Items.Count > 0;
        public void Add(int column, string message) => Items.Add((column, message));
    }

    /// <summary>
    /// Writes the mapped, non-empty cells onto <paramref name="form"/> (a new customer's defaults, or an
    /// existing customer's values for an update: empty cells leave a value as it is). Returns, per form
    /// field path, the column it came from, so validation messages point at the right column.
    /// </summary>
    public static Dictionary<string, int> Apply(CustomerForm form, ContactForm?[] contacts, object?[] cells, Dictionary<int, string> mapping, bool update, RowErrors errors)
    {
        var origin = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (col, key) in mapping)
        {
            var cell = col < cells.Length ? cells[col] : null;
            if (cell is null) continue;
            var text = ImportTable.Text(cell)!.Trim();
            if (text.Length == 0) continue;
            var error = TryContactKey(key, out var slot, out var field) ? SetContact(contacts[slot - 1]!, slot, field, cell, text) : Set(form, key, cell, text, update, origin, col);
            if (error is not null) errors.Add(col, error);
        }
        if (!update && !mapping.ContainsValue("kind"))
        {
            // No 客户性质 column: a name that reads as an organisation, or a credit code, makes a company.
            form.Kind = form.Uscc is not null || LooksLikeCompany(form.Name) ? CustomerKind.Company : CustomerKind.Individual;
        }
        return origin;
    }

    /// <summary>An empty form for each contact slot the mapping uses (null for the others), for <see cref="Apply"/> to fill.</summary>
    public static ContactForm?[] NewContacts(Dictionary<int, string> mapping)
    {
        var forms = new ContactForm?[ContactSlots];
        foreach (var key in mapping.Values)
            if (TryContactKey(key, out var slot, out _)) forms[slot - 1] ??= new ContactForm();
        return forms;
    }

    /// <summary>
    /// The row's contact persons, each checked with the contact form's own rules; empty slots are left out. A phone,
    /// email … without a name is an error on that contact's name column (a contact needs a name), and so is a second
    /// contact with the name of the first.
    /// </summary>
    public static List<ContactForm> CheckContacts(ContactForm?[] slots, Dictionary<int, string> mapping, RowErrors errors)
    {
        var found = new List<ContactForm>();
        for (var i = 0; i < slots.Length; i++)
        {
            var slot = i + 1;
            if (slots[i] is null || CheckContact(slots[i]!, slot, mapping, errors) is not { } contact) continue;
            if (found.Any(f => SameContactName(f.Name, contact.Name)))
                errors.Add(ColumnOf(ContactKey(slot, "Name"), NoOrigin, mapping), $"{ContactLabel(slot)}“{contact.Name}”与本行另一位联系人同名");
            else found.Add(contact);
        }
        return found;
    }

    /// <summary>How the import tells contacts apart: by name, half-width and trimmed.</summary>
    public static bool SameContactName(string a, string b) => Validators.ToHalfWidth(a).Trim() == Validators.ToHalfWidth(b).Trim();

    private static ContactForm? CheckContact(ContactForm contact, int slot, Dictionary<int, string> mapping, RowErrors errors)
    {
        if (contact.Name.Length == 0 && contact.Title is null && contact.Department is null && contact.Phones.Count == 0 && contact.Email is null
            && contact.WeChat is null && contact.BirthDate is null && contact.Gender == Gender.Unknown && contact.Role == DecisionRole.None && contact.Notes is null) return null;
        var label = ContactLabel(slot);
        int Column(string field) => ColumnOf(ContactKey(slot, field), NoOrigin, mapping);
        if (contact.Name.Length == 0)
        {
            errors.Add(Column("Name"), $"填写了{label}的职务、部门、电话、邮箱、微信、生日、性别、决策链角色或备注，但没有{label}姓名");
            return null;
        }
        try
        {
            ContactService.Validate(contact);
            return contact;
        }
        catch (ValidationFailedException ex)
        {
            foreach (var (field, messages) in ex.Errors.Fields)
            {
                var column = Column(field switch { "email" => "Email", _ when field.StartsWith("phones", StringComparison.Ordinal) => "Mobile", _ => "Name" });
                foreach (var m in messages) errors.Add(column, label + m);
            }
            return null;
        }
    }

    /// <summary>A number in a phone column: a leading 0 is an area code (landline), anything else a mobile.</summary>
    private static PhoneKind KindOf(string phone) => phone.Length > 0 && phone[0] == '0' ? PhoneKind.Landline : PhoneKind.Mobile;

    private static string? SetContact(ContactForm c, int slot, string field, object cell, string text)
    {
        switch (field)
        {
            case "Name": c.Name = text; return null;
            case "Title": c.Title = text; return null;
            case "Department": c.Department = text; return null;
            case "WeChat": c.WeChat = text; return null;
            case "Notes": c.Notes = text; return null;
            case "Gender":
                if (EnumValue(text, GenderWords, out Gender gender)) { c.Gender = gender; return null; }
                return EnumError<Gender>(text);
            case "Role":
                if (EnumValue(text, null, out DecisionRole role)) { c.Role = role; return null; }
                return EnumError<DecisionRole>(text);
            case "BirthDate":
                if (DateCell(cell, text) is { } birth) { c.BirthDate = birth; return null; }
                return $"{ContactLabel(slot)}生日“{text}”不是有效日期（如 1985-03-12）";
            case "Email": c.Email = Validators.ToHalfWidth(text).Trim(); return null;
            case "Mobile":
                var phone = PhoneText(cell, text, out var phoneError);
                if (phoneError is not null) return phoneError;
                if (Privacy.Masking.IsMasked(phone)) return $"{ContactLabel(slot)}号码已打码（含 *），无法导入，请填写完整号码";
                c.Phones.Add(new PhoneEntry { Kind = KindOf(phone!), Number = phone! });
                return null;
            default: return null;
        }
    }

    private static readonly Dictionary<string, int> NoOrigin = [];

    /// <summary>The column a validation message belongs to: the one that set the field, else the one mapped to it; -1 for the row.</summary>
    public static int ColumnOf(string field, Dictionary<string, int> origin, Dictionary<int, string> mapping)
    {
        if (origin.TryGetValue(field, out var c)) return c;
        var key = field.StartsWith("customFields.", StringComparison.Ordinal) ? "cf." + field[13..]
            : field.StartsWith("phones", StringComparison.Ordinal) ? "mobile" : field.Split('[', '.')[0];
        foreach (var (col, k) in mapping)
            if (k == key || (key == "mobile" && k == "landline")) return col;
        return -1;
    }

    private static readonly string[] CompanyWords = ["公司", "集团", "厂", "店", "中心", "研究院", "事务所", "合作社", "工作室", "学校", "医院", "银行", "协会", "商行", "Ltd", "Inc", "Co."];

    public static bool LooksLikeCompany(string name) => name.Length > 4 && CompanyWords.Any(w => name.Contains(w, StringComparison.OrdinalIgnoreCase));

    private static string? Set(CustomerForm f, string key, object cell, string text, bool update, Dictionary<string, int> origin, int col)
    {
        switch (key)
        {
            case "number": f.Number = CustomerNumbers.Normalize(Validators.ToHalfWidth(text)); origin["number"] = col; return null;
            case "name": f.Name = text; origin["name"] = col; return null;
            case "mobile" or "landline":
                var phone = PhoneText(cell, text, out var phoneError);
                if (phoneError is not null) return phoneError;
                if (Privacy.Masking.IsMasked(phone)) return update ? null : "号码已打码（含 *），无法导入，请填写完整号码";
                var kind = key == "landline" ? PhoneKind.Landline : KindOf(phone!);
                if (f.Phones.Count > 0)
                {
                    // Updating: a number the customer already has is no change (parsed only then: it is the costly part of a row).
                    var normalized = Validators.CheckPhone(phone!, PhoneKind.Other).Normalized ?? phone!;
                    var existing = IndexOfNumber(f.Phones, normalized);
                    if (existing >= 0) { origin[$"phones[{existing}].number"] = col; return null; }
                }
                f.Phones.Insert(0, new PhoneEntry { Kind = kind, Number = phone! });
                // Earlier entries moved down by one; the new one is phones[0].
                foreach (var k in origin.Keys.Where(k => k.StartsWith("phones[", StringComparison.Ordinal)).ToList())
                {
                    var i = int.Parse(k[7..k.IndexOf(']', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
                    var v = origin[k];
                    origin.Remove(k);
                    origin[$"phones[{i + 1}]" + k[(k.IndexOf(']', StringComparison.Ordinal) + 1)..]] = v;
                }
                origin["phones[0].number"] = col;
                origin["phones"] = col;
                return null;
            case "email": f.Email = Validators.ToHalfWidth(text).Trim(); origin["email"] = col; return null;
            case "uscc": f.Uscc = text; origin["uscc"] = col; return null;
            case "industry": f.Industry = text; origin["industry"] = col; return null;
            case "region": f.Region = text; origin["region"] = col; return null;
            case "province": f.Province = text; return null;
            case "city": f.City = text; return null;
            case "district": f.District = text; return null;
            case "street": f.Street = text; return null;
            case "title": f.Title = text; return null;
            case "company": f.Company = text; origin["company"] = col; return null;
            case "mainBusiness": f.MainBusiness = text; return null;
            case "notes": f.Notes = text; return null;
            case "tags":
                f.Tags = [.. text.Split([',', '，', '、', ';', '；', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
                origin["tags"] = col;
                return null;
            case "wechat" or "qq":
                var social = key == "wechat" ? SocialKind.WeChat : SocialKind.QQ;
                var account = Validators.ToHalfWidth(text);
                if (!HasAccount(f.SocialAccounts, social, account)) f.SocialAccounts.Add(new SocialAccount { Kind = social, Account = account });
                return null;
            case "birthDate":
                if (DateCell(cell, text) is { } d) { f.BirthDate = d; origin["birthDate"] = col; return null; }
                return $"“{text}”不是有效日期（如 1985-03-12）";
            case "staffCount":
                if (int.TryParse(Validators.ToHalfWidth(text).Replace(",", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var staff))
                { f.StaffCount = staff; origin["staffCount"] = col; return null; }
                return $"“{text}”不是整数";
            case "creditLimitFen":
                if (Yuan(cell, text) is { } fen) { f.CreditLimitFen = fen; origin["creditLimitFen"] = col; return null; }
                return $"“{text}”不是有效金额（单位：元）";
            // Static lambdas: Set runs for every cell of every row, and a lambda capturing f would allocate on every call.
            case "kind": return EnumCell(text, f, static (x, v) => x.Kind = v, KindWords);
            case "type": return EnumCell<CustomerType>(text, f, static (x, v) => x.Type = v);
            case "intent": return EnumCell<IntentGrade>(text, f, static (x, v) => x.Intent = v);
            case "stage": return EnumCell<LifecycleStage>(text, f, static (x, v) => x.Stage = v);
            case "valueTier": return EnumCell<Level>(text.Replace("价值", "", StringComparison.Ordinal), f, static (x, v) => x.ValueTier = v);
            case "potential": return EnumCell<Level>(text, f, static (x, v) => x.Potential = v);
            case "riskLevel": return EnumCell<RiskLevel>(text, f, static (x, v) => x.RiskLevel = v);
            case "partnerField": return EnumCell<PartnerField>(text, f, static (x, v) => x.PartnerField = v);
            case "leadSource": return EnumCell<LeadSource>(text, f, static (x, v) => x.LeadSource = v);
            case "gender": return EnumCell(text, f, static (x, v) => x.Gender = v, GenderWords);
            default:
                if (key.StartsWith("cf.", StringComparison.Ordinal))
                {
                    f.CustomFields[key[3..]] = CustomCell(cell, text);
                    origin["customFields." + key[3..]] = col;
                    return null;
                }
                return null;
        }
    }

    /// <summary>
    /// A phone cell. Excel turns long digit strings into numbers: a whole number is still exact
    /// (xlsx keeps 15 digits), but text like "1.38001E+10" lost digits and cannot be recovered.
    /// </summary>
    private static string? PhoneText(object cell, string text, out string? error)
    {
        error = null;
        if (cell is double d)
        {
            if (d != Math.Floor(d) || d <= 0) { error = $"“{text}”不是有效的电话号码"; return null; }
            return d.ToString("0", CultureInfo.InvariantCulture);
        }
        var t = Validators.ToHalfWidth(text).Trim();
        if (Scientific().IsMatch(t))
        {
            error = $"号码“{t}”被 Excel 转成了科学计数法，末几位已丢失、无法还原。请在原表中把该列设为“文本”格式并重新填写号码后再导入";
            return null;
        }
        if (t.EndsWith(".0", StringComparison.Ordinal) && t[..^2].All(char.IsAsciiDigit)) t = t[..^2];
        return t;
    }

    [GeneratedRegex(@"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")]
    private static partial Regex Scientific();

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/M/d", "yyyy-M-d", "yyyy.M.d", "yyyyMMdd", "yyyy年M月d日", "yyyy-MM-dd HH:mm:ss", "yyyy/M/d H:mm", "yyyy/M/d H:mm:ss"];

    /// <summary>A date from an Excel date cell, an Excel serial number (days since 1899-12-30) or text.</summary>
    public static DateOnly? DateCell(object cell, string text)
    {
        switch (cell)
        {
            case DateTime dt: return DateOnly.FromDateTime(dt);
            case double serial when serial is > 1 and < 2_958_466: return DateOnly.FromDateTime(DateTime.FromOADate(serial));
        }
        var t = Validators.ToHalfWidth(text).Trim();
        if (DateTime.TryParseExact(t, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) return DateOnly.FromDateTime(parsed);
        if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s is > 1 and < 2_958_466 && s == Math.Floor(s))
            return DateOnly.FromDateTime(DateTime.FromOADate(s));
        return null;
    }

    private static long? Yuan(object cell, string text)
    {
        decimal value;
        if (cell is double d) value = (decimal)d;
        else if (!decimal.TryParse(Validators.ToHalfWidth(text).Replace(",", "", StringComparison.Ordinal).Replace("¥", "", StringComparison.Ordinal).Replace("元", "", StringComparison.Ordinal).Trim(),
            NumberStyles.Number, CultureInfo.InvariantCulture, out value)) return null;
        return (long)Math.Round(value * 100, MidpointRounding.AwayFromZero);
    }

    private static JsonNode? CustomCell(object cell, string text) => cell switch
    {
        double d => JsonValue.Create((decimal)d),
        DateTime dt => JsonValue.Create(dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(text),
    };

    private static readonly Dictionary<string, CustomerKind> KindWords = new() { ["个人"] = CustomerKind.Individual, ["企业"] = CustomerKind.Company, ["公司"] = CustomerKind.Company };
    private static readonly Dictionary<string, Gender> GenderWords = new() { ["男性"] = Gender.Male, ["女性"] = Gender.Female };

    /// <summary>A classification cell of the customer; else the error listing the labels.</summary>
    private static string? EnumCell<T>(string text, CustomerForm form, Action<CustomerForm, T> set, Dictionary<string, T>? extra = null) where T : struct, Enum
    {
        if (!EnumValue(text, extra, out T value)) return EnumError<T>(text);
        set(form, value);
        return null;
    }

    /// <summary>A classification cell's value: a label (A级 also as A), an enum name or one of <paramref name="extra"/>.</summary>
    private static bool EnumValue<T>(string text, Dictionary<string, T>? extra, out T value) where T : struct, Enum
    {
        var t = Validators.ToHalfWidth(text).Trim();
        return EnumWords<T>.Values.TryGetValue(t, out value) || (extra is not null && extra.TryGetValue(t, out value));
    }

    private static string EnumError<T>(string text) where T : struct, Enum => $"“{text}”不是可选值（{EnumWords<T>.Labels}）";

    /// <summary>The words of one classification, made once: its labels and names (either case), and for 意向度 a label without its 级.
    /// The first value a word belongs to wins, in the enum's order.</summary>
    private static class EnumWords<T> where T : struct, Enum
    {
        public static readonly Dictionary<string, T> Values = Build();
        public static readonly string Labels = string.Join("、", Enum.GetValues<T>().Select(v => ClassificationLabels.Of(v)));

        private static Dictionary<string, T> Build()
        {
            var words = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
            foreach (var v in Enum.GetValues<T>())
            {
                var label = ClassificationLabels.Of(v);
                words.TryAdd(label, v);
                words.TryAdd(v.ToString(), v);
                if (typeof(T) == typeof(IntentGrade) && label.EndsWith('级')) words.TryAdd(label[..^1], v);
            }
            return words;
        }
    }

    private static int IndexOfNumber(List<PhoneEntry> phones, string number)
    {
        for (var i = 0; i < phones.Count; i++)
            if (phones[i].Number == number) return i;
        return -1;
    }

    private static bool HasAccount(List<SocialAccount> accounts, SocialKind kind, string account)
    {
        foreach (var a in accounts)
            if (a.Kind == kind && a.Account == account) return true;
        return false;
    }

    /// <summary>The allowed labels of a classification field, for the template's drop-downs.</summary>
    public static IReadOnlyList<string> Options(ImportField field) =>
        field.EnumType is null ? [] : [.. Enum.GetValues(field.EnumType).Cast<Enum>().Select(ClassificationLabels.Of)];
}
