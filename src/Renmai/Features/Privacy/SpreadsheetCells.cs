namespace Renmai.Features.Privacy;

/// <summary>
/// Makes text safe for a spreadsheet cell (CSV/formula injection, OWASP): a value that starts
/// with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab or carriage return gets a leading single quote
/// so Excel/WPS show it as text instead of running it. Use for every exported text cell.
/// </summary>
public static class SpreadsheetCells
{
    public static string? Safe(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;

    /// <summary>Strings are neutralised; other values pass unchanged.</summary>
    public static object? Safe(object? value) => value is string s ? Safe(s) : value;
}
