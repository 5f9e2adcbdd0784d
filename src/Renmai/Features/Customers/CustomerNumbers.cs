using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Renmai.Data;

namespace Renmai.Features.Customers;

/// <summary>A named counter row; customer numbers are drawn from "customer".</summary>
public sealed class NumberSequence
{
    public string Name { get; set; } = "";
    public long LastValue { get; set; }
}

internal sealed class NumberSequenceMapping : IEntityTypeConfiguration<NumberSequence>
{
    public void Configure(EntityTypeBuilder<NumberSequence> b)
    {
        b.ToTable("NumberSequences");
        b.HasKey(s => s.Name);
        b.Property(s => s.Name).HasMaxLength(40);
        CustomerNumbers.Seed(b);
    }
}

/// <summary>
/// Issues customer numbers KH000001, KH000002 … One atomic UPDATE … RETURNING per batch, inside
/// the caller's transaction: SQLite serialises writers and PostgreSQL locks the row, so two
/// concurrent creations can never get the same number (the unique index is the last guard).
/// </summary>
public static class CustomerNumbers
{
    public const string Prefix = "KH";
    private const string Sequence = "customer";

    public static string Format(long value) => Prefix + value.ToString("D6", CultureInfo.InvariantCulture);

    public static bool TryParse(string? number, out long value)
    {
        value = 0;
        return number is { Length: >= 3 } && number.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)
            && number[2..].All(char.IsAsciiDigit)
            && long.TryParse(number[2..], NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static string Normalize(string number) => number.Trim().ToUpperInvariant();

    /// <summary>Reserves <paramref name="count"/> numbers and returns the first of them.</summary>
    public static async Task<long> ReserveAsync(RenmaiDb db, int count, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // The sequence row is seeded by the migration's HasData; the UPDATE is atomic per provider.
        var result = db.IsPostgres
            ? await db.Database.SqlQuery<long>($"UPDATE \"NumberSequences\" SET \"LastValue\" = \"LastValue\" + {count} WHERE \"Name\" = {Sequence} RETURNING \"LastValue\" AS \"Value\"").ToListAsync(ct)
            : await db.Database.SqlQuery<long>($"UPDATE NumberSequences SET LastValue = LastValue + {count} WHERE Name = {Sequence} RETURNING LastValue AS Value").ToListAsync(ct);
        if (result.Count != 1) throw new InvalidOperationException("Customer number sequence row is missing; run `renmai migrate`.");
        return result[0] - count + 1;
    }

    internal static void Seed(EntityTypeBuilder<NumberSequence> b) => b.HasData(new NumberSequence { Name = Sequence, LastValue = 0 });
}
