using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace Renmai.Data;

/// <summary>
/// Reads one value out of a JSON column inside a query (custom-field filters and sorts).
/// Translated per provider: SQLite <c>json_extract(col, '$."key"')</c>, PostgreSQL
/// <c>jsonb_extract_path_text(col, key)</c>. Keys always come from the custom-field allowlist.
/// </summary>
public static class JsonFunctions
{
    public static string? JsonText(string json, string path) =>
        throw new InvalidOperationException("Only usable inside a database query.");

    public static double? JsonNumber(string json, string path) =>
        throw new InvalidOperationException("Only usable inside a database query.");

    /// <summary>The path argument each provider expects for a top-level key.</summary>
    public static string PathFor(string key, bool postgres) => postgres ? key : "$.\"" + key + "\"";

    internal static void Register(ModelBuilder builder, bool postgres)
    {
        var text = typeof(JsonFunctions).GetMethod(nameof(JsonText))!;
        var number = typeof(JsonFunctions).GetMethod(nameof(JsonNumber))!;
        var fn = postgres ? "jsonb_extract_path_text" : "json_extract";
        builder.HasDbFunction(text).HasName(fn).IsBuiltIn();
        builder.HasDbFunction(number).HasTranslation(args =>
        {
            var extract = new SqlFunctionExpression(fn, args, nullable: true,
                argumentsPropagateNullability: [true, true], typeof(string), null);
            return new SqlUnaryExpression(ExpressionType.Convert, extract, typeof(double), null);
        });
    }
}
