using Renmai.Features.Customers;

namespace Renmai.Features.Privacy;

/// <summary>How sensitive values look until revealed: 138****1234, 010-****5678, 1101**********1234, ****1234.</summary>
public static class Masking
{
    public static bool IsMasked(string? value) => value is not null && value.Contains('*', StringComparison.Ordinal);

    public static string Phone(string number)
    {
        if (number.Length == 11 && number[0] == '1') return number[..3] + "****" + number[7..];
        if (number.StartsWith('0') && number.Length is >= 9 and <= 12)
        {
            var area = number[1] is '1' or '2' ? 3 : 4;
            return number[..area] + "-****" + number[^4..];
        }
        return number.Length <= 6 ? new string('*', number.Length) : number[..3] + "****" + number[^4..];
    }

    public static string? IdNumber(string? id) =>
        id is null ? null : id.Length <= 8 ? new string('*', id.Length) : id[..4] + new string('*', id.Length - 8) + id[^4..];

    public static string? BankAccount(string? account) =>
        account is null ? null : account.Length <= 4 ? new string('*', account.Length) : "****" + account[^4..];

    /// <summary>A sensitive custom text value: first character, stars, last two (short values all stars).</summary>
    public static string Text(string value) => value.Length <= 4 ? "****" : value[..1] + "****" + value[^2..];

    public static List<PhoneEntry> Phones(IEnumerable<PhoneEntry> phones) =>
        phones.Select(p => new PhoneEntry { Kind = p.Kind, Number = Phone(p.Number), Note = p.Note }).ToList();

    /// <summary>
    /// Puts back the real value for every masked entry that matches one of the stored values' masks
    /// (ADR 0013: an untouched masked value in a form or API body means "unchanged").
    /// </summary>
    public static void RestorePhones(List<PhoneEntry> submitted, IReadOnlyList<PhoneEntry> stored)
    {
        var used = new HashSet<int>();
        foreach (var p in submitted)
        {
            if (!IsMasked(p.Number)) continue;
            for (var i = 0; i < stored.Count; i++)
            {
                if (used.Contains(i) || Phone(stored[i].Number) != p.Number.Trim()) continue;
                p.Number = stored[i].Number;
                used.Add(i);
                break;
            }
        }
    }

    public static string? Restore(string? submitted, string? stored, Func<string?, string?> mask) =>
        IsMasked(submitted) && stored is not null && mask(stored) == submitted!.Trim() ? stored : submitted;
}
