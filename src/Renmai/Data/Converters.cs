using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Renmai.Data;

internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

public static class JsonStorage
{
    /// <summary>Compact JSON that keeps Chinese readable in the database and in history entries.</summary>
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.Create(UnicodeRanges.All),
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T? Deserialize<T>(string? json) =>
        string.IsNullOrEmpty(json) ? default : JsonSerializer.Deserialize<T>(json, Options);

    public const string JsonDocumentAnnotation = "Renmai:JsonDocument";

    /// <summary>Marks a string column as a JSON document: <c>jsonb</c> on PostgreSQL, text on SQLite.</summary>
    public static PropertyBuilder<string> IsJsonDocument(this PropertyBuilder<string> property) =>
        property.HasAnnotation(JsonDocumentAnnotation, true);

    /// <summary>Stores a list of small value objects as one JSON text column.</summary>
    public static PropertyBuilder<List<T>> HasJsonListConversion<T>(this PropertyBuilder<List<T>> property)
    {
        var comparer = new ValueComparer<List<T>>(
            (a, b) => Serialize(a) == Serialize(b),
            v => Serialize(v).GetHashCode(StringComparison.Ordinal),
            v => Deserialize<List<T>>(Serialize(v)) ?? new List<T>());
        property.HasConversion(
            v => Serialize(v),
            v => Deserialize<List<T>>(v) ?? new List<T>(),
            comparer);
        return property;
    }
}

public static class HistoryMapping
{
    /// <summary>The column is a feature's own bookkeeping (e.g. when the owner got the customer): kept out of the timeline.</summary>
    public static PropertyBuilder<T> NotInHistory<T>(this PropertyBuilder<T> property) =>
        property.HasAnnotation(HistoryInterceptor.NotInHistoryAnnotation, true);
}
