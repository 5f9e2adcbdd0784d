namespace Renmai.Features.Export;

/// <summary>Text for spreadsheet cells and CSV fields that Excel will not run as a formula.</summary>
public static class CellText
{
    /// <summary>
    /// A cell starting with =, +, -, @, tab or CR is a formula to Excel (CSV injection); a leading
    /// apostrophe makes it text and is not shown.
    /// </summary>
    public static string? Neutralise(string? value) =>
        string.IsNullOrEmpty(value) || value[0] is not ('=' or '+' or '-' or '@' or '\t' or '\r') ? value : "'" + value;

    /// <summary>One CSV field (RFC 4180 quoting), neutralised.</summary>
    public static string Csv(string? value)
    {
        var v = Neutralise(value) ?? "";
        return v.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + v.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : v;
    }
}
