using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.CustomFields;

public sealed class CustomFieldInput
{
    public string Label { get; set; } = "";
    public CustomFieldType Type { get; set; }
    public List<string> Options { get; set; } = [];
    public bool Required { get; set; }
    public int SortOrder { get; set; }
    public bool ShowInList { get; set; } = true;
    public string? HelpText { get; set; }
    /// <summary>Only for text fields, only at creation (existing values would stay in plaintext otherwise).</summary>
    public bool Sensitive { get; set; }
}

/// <summary>Admin-defined customer fields: definitions, and validation of values against them.</summary>
public sealed class CustomFieldService(IDbContextFactory<RenmaiDb> dbs, CurrentActor current)
{
    public async Task<List<CustomFieldDefinition>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await db.Set<CustomFieldDefinition>().AsNoTracking()
            .OrderBy(d => d.SortOrder).ThenBy(d => d.CreatedAt).ToListAsync(ct);
    }

    public async Task<CustomFieldDefinition> CreateAsync(CustomFieldInput input, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        Validate(input);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var keys = await db.Set<CustomFieldDefinition>().IgnoreQueryFilters().Select(d => d.Key).ToListAsync(ct);
        var next = keys.Select(k => int.TryParse(k.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
            .DefaultIfEmpty(0).Max() + 1;
        if (input.Sensitive && input.Type != CustomFieldType.Text) throw Invalid("sensitive", "只有文本字段可以标记为敏感信息");
        var def = new CustomFieldDefinition { Key = "cf" + next.ToString(CultureInfo.InvariantCulture), Sensitive = input.Sensitive };
        Apply(def, input);
        db.Add(def);
        await db.SaveChangesAsync(ct);
        return def;
    }

    public async Task<CustomFieldDefinition> UpdateAsync(string key, CustomFieldInput input, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        Validate(input);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var def = await db.Set<CustomFieldDefinition>().SingleOrDefaultAsync(d => d.Key == key, ct)
            ?? throw new NotFoundException($"自定义字段 {key} 不存在");
        if (def.Type != input.Type) throw Invalid("type", "字段类型创建后不能修改（已有数据会失效），请新建字段");
        if (def.Sensitive != input.Sensitive) throw Invalid("sensitive", "“敏感信息”只能在创建字段时设置，请新建字段");
        Apply(def, input);
        await db.SaveChangesAsync(ct);
        return def;
    }

    /// <summary>Removes the definition; stored values stay in the records (and in history) but are no longer shown.</summary>
    public async Task DeleteAsync(string key, CancellationToken ct = default)
    {
        var actor = await current.RequireRoleAsync(Roles.Admin);
        await using var db = await dbs.CreateDbContextAsync(ct);
        db.Actor = actor;
        var def = await db.Set<CustomFieldDefinition>().SingleOrDefaultAsync(d => d.Key == key, ct)
            ?? throw new NotFoundException($"自定义字段 {key} 不存在");
        def.DeletedAt = DateTime.UtcNow;
        await db.SaveChangesAsync(ct);
    }

    private static void Apply(CustomFieldDefinition def, CustomFieldInput input)
    {
        def.Label = input.Label.Trim();
        def.Type = input.Type;
        def.Options = input.Type is CustomFieldType.SingleSelect or CustomFieldType.MultiSelect
            ? input.Options.Select(o => o.Trim()).Where(o => o.Length > 0).Distinct().ToList() : [];
        def.Required = input.Required;
        def.SortOrder = input.SortOrder;
        def.ShowInList = input.ShowInList;
        def.HelpText = string.IsNullOrWhiteSpace(input.HelpText) ? null : input.HelpText.Trim();
    }

    private static void Validate(CustomFieldInput input)
    {
        var errors = new ValidationErrors();
        if (string.IsNullOrWhiteSpace(input.Label)) errors.Add("label", "请填写字段名称");
        else if (input.Label.Trim().Length > 60) errors.Add("label", "字段名称不能超过 60 个字");
        if (!Enum.IsDefined(input.Type)) errors.Add("type", "未知的字段类型");
        if (input.Type is CustomFieldType.SingleSelect or CustomFieldType.MultiSelect
            && !input.Options.Any(o => !string.IsNullOrWhiteSpace(o)))
            errors.Add("options", "选择类字段至少需要一个选项");
        errors.ThrowIfAny();
    }

    private static ValidationFailedException Invalid(string field, string message)
    {
        var e = new ValidationErrors();
        e.Add(field, message);
        return new ValidationFailedException(e);
    }

    /// <summary>
    /// Validates submitted values against the definitions and returns them normalised:
    /// text → string, number → number, money → integer fen, date → "yyyy-MM-dd",
    /// single select → option, multi select → array of options, boolean → true/false.
    /// Values of deleted definitions already on the record are kept untouched.
    /// </summary>
    public static JsonObject Normalize(JsonObject? submitted, IReadOnlyList<CustomFieldDefinition> defs, JsonObject? existing, ValidationErrors errors)
    {
        var result = new JsonObject();
        var known = defs.ToDictionary(d => d.Key, StringComparer.Ordinal);
        if (existing is not null)
        {
            foreach (var (k, v) in existing)
                if (!known.ContainsKey(k)) result[k] = v?.DeepClone();
        }
        submitted ??= [];
        foreach (var (k, _) in submitted)
            if (!known.ContainsKey(k)) errors.Add("customFields." + k, $"未知的自定义字段“{k}”");

        foreach (var def in defs)
        {
            var path = "customFields." + def.Key;
            var node = submitted[def.Key];
            if (IsEmpty(node))
            {
                if (def.Required) errors.Add(path, $"“{def.Label}”为必填项");
                continue;
            }
            var value = NormalizeValue(def, node!, out var error);
            if (error is not null) errors.Add(path, $"“{def.Label}”：{error}");
            else result[def.Key] = value;
        }
        return result;
    }

    private static bool IsEmpty(JsonNode? n) => n is null
        || (n is JsonValue v && v.TryGetValue<string>(out var s) && string.IsNullOrWhiteSpace(s))
        || (n is JsonArray a && a.Count == 0);

    private static JsonNode? NormalizeValue(CustomFieldDefinition def, JsonNode node, out string? error)
    {
        error = null;
        switch (def.Type)
        {
            case CustomFieldType.Text:
                var text = AsString(node);
                if (text is null) { error = "应为文本"; return null; }
                if (text.Length > 2000) { error = "不能超过 2000 个字"; return null; }
                return JsonValue.Create(text.Trim());
            case CustomFieldType.Number:
                if (AsDecimal(node) is { } number) return JsonValue.Create(number);
                error = "应为数字"; return null;
            case CustomFieldType.Money:
                if (node is JsonValue mv && mv.GetValueKind() == JsonValueKind.Number && mv.TryGetValue<long>(out var fen)) return JsonValue.Create(fen);
                error = "金额应为以“分”为单位的整数"; return null;
            case CustomFieldType.Date:
                var ds = AsString(node);
                if (ds is not null && DateOnly.TryParseExact(ds.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                    return JsonValue.Create(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                error = "日期格式应为 yyyy-MM-dd"; return null;
            case CustomFieldType.SingleSelect:
                var option = AsString(node)?.Trim();
                if (option is not null && def.Options.Contains(option)) return JsonValue.Create(option);
                error = $"“{option ?? node.ToJsonString()}”不在可选项中（{string.Join("、", def.Options)}）"; return null;
            case CustomFieldType.MultiSelect:
                if (node is not JsonArray arr) { error = "应为选项列表"; return null; }
                var picked = new JsonArray();
                foreach (var item in arr)
                {
                    var o = item is null ? null : AsString(item)?.Trim();
                    if (o is null || !def.Options.Contains(o)) { error = $"“{o}”不在可选项中（{string.Join("、", def.Options)}）"; return null; }
                    if (!picked.Any(p => p!.GetValue<string>() == o)) picked.Add(o);
                }
                return picked;
            case CustomFieldType.Boolean:
                if (node is JsonValue bv && bv.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return JsonValue.Create(bv.GetValue<bool>());
                error = "应为 是/否"; return null;
            default:
                error = "未知的字段类型"; return null;
        }
    }

    private static string? AsString(JsonNode n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static decimal? AsDecimal(JsonNode n)
    {
        if (n is not JsonValue v) return null;
        if (v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<decimal>(out var d)) return d;
        if (v.GetValueKind() == JsonValueKind.String && decimal.TryParse(v.GetValue<string>(), NumberStyles.Number, CultureInfo.InvariantCulture, out d)) return d;
        return null;
    }
}
