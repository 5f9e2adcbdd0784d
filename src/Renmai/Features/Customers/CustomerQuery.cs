using System.Globalization;
using System.Linq.Expressions;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.CustomFields;

namespace Renmai.Features.Customers;

public enum FilterOp { Eq, Ne, Contains, StartsWith, Gt, Gte, Lt, Lte, In, Empty, NotEmpty }

/// <summary>One filter clause of the customer table. <see cref="Value"/> is text; "in" takes a comma list.</summary>
public sealed record CustomerFilter(string Field, FilterOp Op, string? Value = null);

/// <summary>What the customer table asks for: search text, filters (AND-ed), sort, page.</summary>
public sealed class CustomerListQuery
{
    public string? Q { get; set; }
    public List<CustomerFilter> Filters { get; set; } = [];
    /// <summary>
    /// A column key, "-" in front for descending, or <see cref="Relevance"/>: with <see cref="Q"/>, whole-field
    /// matches first, then field starts, then the rest (each most recently updated first). Defaults to most recently
    /// updated first.
    /// </summary>
    public string? Sort { get; set; }
    public const string Relevance = "relevance";
    public int Page { get; set; } = 1;
    public int PageSize { get; set; } = 50;

    public const int MaxPageSize = 500;
}

/// <summary>A saved view's content: the query plus the chosen columns in order.</summary>
public sealed class CustomerViewDefinition
{
    public string? Q { get; set; }
    public List<CustomerFilter> Filters { get; set; } = [];
    public string? Sort { get; set; }
    public List<string> Columns { get; set; } = [];
    public int PageSize { get; set; } = 50;
}

public sealed record PagedResult<T>(IReadOnlyList<T> Items, int Total);

public enum ColumnKind { Text, Enum, Number, Money, Date, DateTime, Tags, Boolean }

/// <summary>
/// The allowlist of sortable and filterable columns. Request text selects a column from this list
/// by key and is otherwise only ever a bound parameter, so it can never reach SQL as code.
/// </summary>
public sealed class CustomerColumn
{
    public required string Key { get; init; }
    public required string Label { get; init; }
    public required ColumnKind Kind { get; init; }
    public Type? EnumType { get; init; }
    public IReadOnlyList<string> Options { get; init; } = [];
    public required LambdaExpression Selector { get; init; }

    public IReadOnlyList<FilterOp> Ops => Kind switch
    {
        ColumnKind.Text => [FilterOp.Contains, FilterOp.Eq, FilterOp.Ne, FilterOp.StartsWith, FilterOp.Empty, FilterOp.NotEmpty],
        ColumnKind.Enum => [FilterOp.Eq, FilterOp.Ne, FilterOp.In, FilterOp.Empty, FilterOp.NotEmpty],
        ColumnKind.Tags => [FilterOp.Contains, FilterOp.Empty, FilterOp.NotEmpty],
        ColumnKind.Boolean => [FilterOp.Eq, FilterOp.Empty, FilterOp.NotEmpty],
        _ => [FilterOp.Eq, FilterOp.Ne, FilterOp.Gt, FilterOp.Gte, FilterOp.Lt, FilterOp.Lte, FilterOp.Empty, FilterOp.NotEmpty],
    };
}

public static class CustomerColumns
{
    private static CustomerColumn Col<T>(string key, string label, ColumnKind kind, Expression<Func<Customer, T>> selector) =>
        new() { Key = key, Label = label, Kind = kind, Selector = selector,
            EnumType = Nullable.GetUnderlyingType(typeof(T)) is { IsEnum: true } u ? u : typeof(T).IsEnum ? typeof(T) : null };

    /// <summary>Built-in columns, in their default display order.</summary>
    public static readonly IReadOnlyList<CustomerColumn> BuiltIn =
    [
        Col("number", "客户编号", ColumnKind.Text, c => c.Number),
        Col("name", "客户名称", ColumnKind.Text, c => c.Name),
        Col("kind", "客户性质", ColumnKind.Enum, c => c.Kind),
        Col("type", "客户类型", ColumnKind.Enum, c => c.Type),
        Col("intent", "意向度", ColumnKind.Enum, c => c.Intent),
        Col("stage", "生命周期", ColumnKind.Enum, c => c.Stage),
        Col("valueTier", "价值分层", ColumnKind.Enum, c => c.ValueTier),
        Col("industry", "行业", ColumnKind.Text, c => c.Industry),
        Col("region", "区域", ColumnKind.Text, c => c.Region),
        Col("province", "省份", ColumnKind.Text, c => c.Province),
        Col("city", "城市", ColumnKind.Text, c => c.City),
        Col("tags", "标签", ColumnKind.Tags, c => c.TagsText),
        Col("potential", "潜力", ColumnKind.Enum, c => c.Potential),
        Col("riskLevel", "风险等级", ColumnKind.Enum, c => c.RiskLevel),
        Col("partnerField", "伙伴领域", ColumnKind.Enum, c => c.PartnerField),
        Col("leadSource", "客户来源", ColumnKind.Enum, c => c.LeadSource),
        Col("email", "电子邮箱", ColumnKind.Text, c => c.Email),
        Col("uscc", "统一社会信用代码", ColumnKind.Text, c => c.Uscc),
        Col("title", "职务", ColumnKind.Text, c => c.Title),
        Col("company", "所在公司", ColumnKind.Text, c => c.Company),
        Col("staffCount", "员工人数", ColumnKind.Number, c => c.StaffCount),
        Col("creditLimitFen", "信用额度", ColumnKind.Money, c => c.CreditLimitFen),
        Col("birthDate", "生日", ColumnKind.Date, c => c.BirthDate),
        Col("createdAt", "创建时间", ColumnKind.DateTime, c => c.CreatedAt),
        Col("updatedAt", "更新时间", ColumnKind.DateTime, c => c.UpdatedAt),
        Col("updatedBy", "更新人", ColumnKind.Text, c => c.UpdatedBy),
    ];

    /// <summary>A display-only column (R2.6 组合标签, computed from industry, tier, stage and type): shown, not sorted or filtered.</summary>
    public const string CombinedLabel = "combinedLabel";

    public static readonly IReadOnlyList<string> DefaultColumns =
        ["number", "name", "type", "intent", "stage", "valueTier", "industry", "region", "tags", "updatedAt"];

    /// <summary>Built-ins plus one column per custom field ("cf.key"), read from the JSON document.</summary>
    public static IReadOnlyList<CustomerColumn> All(IEnumerable<CustomFieldDefinition> defs, bool postgres)
    {
        var list = BuiltIn.ToList();
        foreach (var d in defs)
        {
            var path = JsonFunctions.PathFor(d.Key, postgres);
            var numeric = d.Type is CustomFieldType.Number or CustomFieldType.Money;
            list.Add(numeric
                ? Col("cf." + d.Key, d.Label, d.Type == CustomFieldType.Money ? ColumnKind.Money : ColumnKind.Number,
                    c => JsonFunctions.JsonNumber(c.CustomFieldsJson, path))
                : new CustomerColumn
                {
                    Key = "cf." + d.Key, Label = d.Label, Options = d.Options,
                    Kind = d.Type switch
                    {
                        CustomFieldType.Date => ColumnKind.Date, CustomFieldType.Boolean => ColumnKind.Boolean,
                        CustomFieldType.SingleSelect => ColumnKind.Enum, _ => ColumnKind.Text,
                    },
                    Selector = (Expression<Func<Customer, string?>>)(c => JsonFunctions.JsonText(c.CustomFieldsJson, path)),
                });
        }
        return list;
    }

    internal static IQueryable<Customer> ApplyFilter(IQueryable<Customer> query, CustomerColumn col, CustomerFilter f, ValidationErrors errors)
    {
        if (!col.Ops.Contains(f.Op)) { errors.Add("filter", $"“{col.Label}”不支持该筛选方式"); return query; }
        var body = col.Selector.Body;
        var p = col.Selector.Parameters[0];
        var t = body.Type;
        Expression? predicate;
        if (f.Op is FilterOp.Empty or FilterOp.NotEmpty)
        {
            Expression isEmpty = t == typeof(string)
                ? Expression.OrElse(Expression.Equal(body, Expression.Constant(null, t)), Expression.Equal(body, Expression.Constant("")))
                : IsNullable(t) ? Expression.Equal(body, Expression.Constant(null, t)) : Expression.Constant(false);
            predicate = f.Op == FilterOp.Empty ? isEmpty : Expression.Not(isEmpty);
        }
        else if (col.Kind == ColumnKind.Tags)
        {
            predicate = Call(body, nameof(string.Contains), "|" + (f.Value ?? "").Trim() + "|");
        }
        else if (col.Kind == ColumnKind.Text || (col.Kind is ColumnKind.Enum or ColumnKind.Date or ColumnKind.Boolean && t == typeof(string)))
        {
            var v = (f.Value ?? "").Trim();
            if (col.Kind == ColumnKind.Boolean) v = v is "true" or "是" or "1" ? "true" : "false";
            predicate = f.Op switch
            {
                FilterOp.Contains => Call(body, nameof(string.Contains), v),
                FilterOp.StartsWith => Call(body, nameof(string.StartsWith), v),
                FilterOp.Eq => Expression.Equal(body, Param(v, t)),
                FilterOp.Ne => Expression.OrElse(Expression.Equal(body, Expression.Constant(null, t)), Expression.NotEqual(body, Param(v, t))),
                FilterOp.In => InList(body, v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList()),
                FilterOp.Gt => Compare(body, v, ExpressionType.GreaterThan),
                FilterOp.Gte => Compare(body, v, ExpressionType.GreaterThanOrEqual),
                FilterOp.Lt => Compare(body, v, ExpressionType.LessThan),
                FilterOp.Lte => Compare(body, v, ExpressionType.LessThanOrEqual),
                _ => null,
            };
        }
        else
        {
            var values = f.Op == FilterOp.In
                ? (f.Value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : [f.Value ?? ""];
            var parsed = new List<object>();
            foreach (var raw in values)
            {
                var value = ParseValue(col, raw);
                if (value is null) { errors.Add("filter", $"“{col.Label}”的筛选值“{raw}”无效"); return query; }
                parsed.Add(value);
            }
            if (f.Op == FilterOp.In)
            {
                var listType = typeof(List<>).MakeGenericType(t);
                var list = (System.Collections.IList)Activator.CreateInstance(listType)!;
                foreach (var v in parsed) list.Add(v);
                predicate = Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [t], Param(list, listType), body);
            }
            else
            {
                var param = Param(parsed[0], t);
                predicate = f.Op switch
                {
                    FilterOp.Eq => Expression.Equal(body, param),
                    FilterOp.Ne => IsNullable(t)
                        ? Expression.OrElse(Expression.Equal(body, Expression.Constant(null, t)), Expression.NotEqual(body, param))
                        : Expression.NotEqual(body, param),
                    FilterOp.Gt => Expression.GreaterThan(body, param),
                    FilterOp.Gte => Expression.GreaterThanOrEqual(body, param),
                    FilterOp.Lt => Expression.LessThan(body, param),
                    FilterOp.Lte => Expression.LessThanOrEqual(body, param),
                    _ => null,
                };
            }
        }
        if (predicate is null) { errors.Add("filter", $"“{col.Label}”不支持该筛选方式"); return query; }
        return query.Where(Expression.Lambda<Func<Customer, bool>>(predicate, p));
    }

    internal static IOrderedQueryable<Customer> ApplySort(IQueryable<Customer> query, CustomerColumn col, bool descending,
        Expression<Func<Customer, int>>? first = null)
    {
        // A relevance rank (search) goes before the column; the column then orders within each rank.
        if (first is not null) query = query.OrderBy(first);
        var method = (first is null, descending) switch
        {
            (true, true) => nameof(Queryable.OrderByDescending), (true, false) => nameof(Queryable.OrderBy),
            (false, true) => nameof(Queryable.ThenByDescending), (false, false) => nameof(Queryable.ThenBy),
        };
        var call = Expression.Call(typeof(Queryable), method, [typeof(Customer), col.Selector.ReturnType], query.Expression, Expression.Quote(col.Selector));
        var ordered = (IOrderedQueryable<Customer>)query.Provider.CreateQuery<Customer>(call);
        // Id (a v7 Guid) breaks ties so that pages never overlap or skip.
        return descending ? ordered.ThenByDescending(c => c.Id) : ordered.ThenBy(c => c.Id);
    }

    private static object? ParseValue(CustomerColumn col, string raw)
    {
        raw = raw.Trim();
        var ci = CultureInfo.InvariantCulture;
        switch (col.Kind)
        {
            case ColumnKind.Enum when col.EnumType is not null:
                if (Enum.TryParse(col.EnumType, raw, ignoreCase: true, out var e) && Enum.IsDefined(col.EnumType, e!)) return e;
                foreach (var v in Enum.GetValues(col.EnumType))
                {
                    if (ClassificationLabels.Of((Enum)v) == raw) return v;
                    if (v is Level level && ClassificationLabels.ValueTier(level) == raw) return v;
                }
                return null;
            case ColumnKind.Number:
                if (col.Selector.ReturnType == typeof(double?)) return double.TryParse(raw, NumberStyles.Float, ci, out var dn) ? dn : null;
                return int.TryParse(raw, NumberStyles.Integer, ci, out var i) ? i : null;
            case ColumnKind.Money:
                if (col.Selector.ReturnType == typeof(double?)) return double.TryParse(raw, NumberStyles.Float, ci, out var dm) ? dm : null;
                return long.TryParse(raw, NumberStyles.Integer, ci, out var l) ? l : null;
            case ColumnKind.Date:
                return DateOnly.TryParseExact(raw, "yyyy-MM-dd", ci, DateTimeStyles.None, out var d) ? d : null;
            case ColumnKind.DateTime:
                return DateTime.TryParse(raw, ci, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt) ? dt : null;
            default:
                return raw;
        }
    }

    private static bool IsNullable(Type t) => !t.IsValueType || Nullable.GetUnderlyingType(t) is not null;

    private sealed class Box<T>(T value)
    {
        public T Value { get; } = value;
    }

    /// <summary>Wraps a value so EF sends it as a bound parameter (never inlined as SQL text).</summary>
    private static Expression Param(object value, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var valueType = underlying ?? type;
        var boxType = typeof(Box<>).MakeGenericType(valueType);
        var box = Activator.CreateInstance(boxType, Convert.ChangeType(value, valueType, CultureInfo.InvariantCulture) ?? value)!;
        Expression e = Expression.Property(Expression.Constant(box), "Value");
        return underlying is not null ? Expression.Convert(e, type) : e;
    }

    private static Expression Call(Expression body, string method, string value) =>
        Expression.AndAlso(Expression.NotEqual(body, Expression.Constant(null, typeof(string))),
            Expression.Call(body, typeof(string).GetMethod(method, [typeof(string)])!, Param(value, typeof(string))));

    private static Expression InList(Expression body, List<string> values) =>
        Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], Param(values, typeof(List<string>)), body);

    private static Expression Compare(Expression body, string value, ExpressionType op) =>
        Expression.MakeBinary(op, Expression.Call(typeof(string), nameof(string.Compare), null, body, Param(value, typeof(string))), Expression.Constant(0));
}
