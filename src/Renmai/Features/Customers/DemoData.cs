using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;

namespace Renmai.Features.Customers;

/// <summary>Realistic Chinese demo customers (placeholder generator; replaced by the bulk generator).</summary>
public static class DemoData
{
    public static async Task<int> FillAsync(IServiceProvider services, int count, int seed, TextWriter log, CancellationToken ct)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var first = await CustomerNumbers.ReserveAsync(db, count, ct);
        var rng = new Random(seed);
        for (var i = 0; i < count; i++)
        {
            db.Add(new Customer
            {
                Number = CustomerNumbers.Format(first + i), Name = "演示客户" + i, Kind = CustomerKind.Company,
                Type = (CustomerType)rng.Next(3), Stage = (LifecycleStage)rng.Next(6), Intent = (IntentGrade)rng.Next(5),
            });
        }
        await db.SaveChangesAsync(ct);
        await log.WriteLineAsync($"{count}");
        return count;
    }
}
