using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Renmai.Features.CustomFields;

namespace Renmai.Components.Shared;

/// <summary>How the UI writes money, times and custom-field values. Money is stored in fen (分).</summary>
public static class Display
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>¥12,345.60 from fen; empty for null.</summary>
    public static string Money(long? fen) => fen is { } f ? "¥" + (f / 100m).ToString("#,##0.00", Invariant) : "";

    /// <summary>Fen to 元, exactly (decimal, no float rounding).</summary>
    public static decimal? ToYuan(long? fen) => fen is { } f ? f / 100m : null;

    /// <summary>元 to fen, exactly; more than two decimals round half away from zero.</summary>
    public static long? ToFen(decimal? yuan) =>
        yuan is { } y ? (long)decimal.Round(y * 100m, 0, MidpointRounding.AwayFromZero) : null;

    /// <summary>A UTC time as local yyyy-MM-dd HH:mm.</summary>
    public static string Time(DateTime? utc) =>
        utc is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc).ToLocalTime().ToString("yyyy-MM-dd HH:mm", Invariant) : "";

    public static string Date(DateOnly? d) => d?.ToString("yyyy-MM-dd", Invariant) ?? "";

    /// <summary>A custom-field value as people read it (money in ¥, booleans 是/否, lists joined by 、).</summary>
    public static string CustomField(CustomFieldDefinition def, JsonNode? node)
    {
        if (node is null) return "";
        switch (node)
        {
            case JsonArray a:
                return string.Join("、", a.Select(x => x is JsonValue v ? Scalar(v) : x?.ToJsonString() ?? ""));
            case JsonValue v when def.Type == CustomFieldType.Money && v.TryGetValue<long>(out var fen):
                return Money(fen);
            case JsonValue v when def.Type == CustomFieldType.Money && v.TryGetValue<double>(out var dfen):
                return Money((long)Math.Round(dfen));
            case JsonValue v:
                return Scalar(v);
            default:
                return node.ToJsonString();
        }
    }

    private static string Scalar(JsonValue v) => v.GetValueKind() switch
    {
        JsonValueKind.True => "是",
        JsonValueKind.False => "否",
        JsonValueKind.String => v.GetValue<string>(),
        _ => v.ToJsonString(),
    };

    /// <summary>MudBlazor colour from the names ClassificationLabels.Color returns.</summary>
    public static MudBlazor.Color Color(string name) =>
        Enum.TryParse<MudBlazor.Color>(name, ignoreCase: true, out var c) ? c : MudBlazor.Color.Default;
}
