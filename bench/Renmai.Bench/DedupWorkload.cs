using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Dedup;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// `dedup`: the full duplicate scan over the demo base with 2 % planted duplicates (deterministic variants:
/// same phone, company name with another legal form / region in brackets / full-width, same 统一社会信用代码,
/// homophone name with the same birthday), reporting time, peak RSS, precision and recall against the plants.
/// </summary>
internal static class DedupWorkload
{
    private static readonly Dictionary<char, char> Homophones = new()
    {
        ['张'] = '章', ['王'] = '汪', ['李'] = '理', ['刘'] = '留', ['陈'] = '晨', ['杨'] = '阳', ['黄'] = '皇', ['赵'] = '照', ['吴'] = '武', ['周'] = '舟',
        ['徐'] = '许', ['孙'] = '荪', ['马'] = '玛', ['朱'] = '诸', ['胡'] = '湖', ['郭'] = '国', ['何'] = '和', ['林'] = '琳', ['罗'] = '萝', ['高'] = '郜',
    };

    public static Task<int> RunAsync(BenchOptions o) => BenchSetup.WithDataFolderAsync(o, "dedup", RunCoreAsync);

    private static async Task<int> RunCoreAsync(BenchOptions o, string folder, bool reuse)
    {
        if (reuse) throw new InvalidOperationException("dedup needs a fresh data folder (the plants are made right after the fill)");
        var truth = new List<(Guid Original, Guid Planted, string Variant)>();
        double plantSeconds = 0;
        var data = await BenchSetup.PrepareAsync(o, folder, reuse, async services =>
        {
            var watch = Stopwatch.StartNew();
            truth = await PlantAsync(services, o.Seed);
            plantSeconds = watch.Elapsed.TotalSeconds;
        });
        var (fillSeconds, rows) = (data.FillSeconds, data.Rows);
        Console.WriteLine($"{rows:N0} customers (incl. {truth.Count:N0} planted in {plantSeconds:F1} s)");

        var builder = RenmaiApp.CreateBuilder([], b => BenchSetup.Configure(b, folder));
        await using var app = await RenmaiApp.BuildAsync(builder);
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
        var dedup = scope.ServiceProvider.GetRequiredService<DedupService>();

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var reset = Machine.ResetPeakRss();
        var watch = Stopwatch.StartNew();
        var result = await dedup.ScanAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        double? peak = reset ? Machine.PeakRssMb() : null;
        Console.WriteLine($"scan: {result.Groups:N0} groups, {result.InGroups:N0} customers, {seconds:F1} s, peak RSS {peak:N0} MB");

        // Predicted pairs: every pair inside a group.
        var members = await app.Services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContext()
            .Set<DuplicateMember>().AsNoTracking().Select(m => new { m.GroupId, m.CustomerId }).ToListAsync();
        var groupOf = members.ToDictionary(m => m.CustomerId, m => m.GroupId);
        var predictedPairs = members.GroupBy(m => m.GroupId).Sum(g => (long)g.Count() * (g.Count() - 1) / 2);
        var truePairs = new HashSet<(Guid, Guid)>(truth.Select(t => Order(t.Original, t.Planted)));
        var found = truth.Where(t => groupOf.TryGetValue(t.Original, out var a) && groupOf.TryGetValue(t.Planted, out var b) && a == b).ToList();
        var foundByVariant = found.GroupBy(t => t.Variant).ToDictionary(g => g.Key, g => g.Count());
        var plantedByVariant = truth.GroupBy(t => t.Variant).ToDictionary(g => g.Key, g => g.Count());
        var precision = predictedPairs == 0 ? 0 : (double)found.Count / predictedPairs;
        var recall = truth.Count == 0 ? 0 : (double)found.Count / truth.Count;
        var plantedIds = truth.SelectMany(t => new[] { t.Original, t.Planted }).ToHashSet();
        var groupsWithoutPlant = members.GroupBy(m => m.GroupId).Count(g => !g.Any(m => plantedIds.Contains(m.CustomerId)));
        // Pairs in groups that hold a planted customer: are the plants grouped with the right record only?
        var pairsNearPlants = members.GroupBy(m => m.GroupId).Where(g => g.Any(m => plantedIds.Contains(m.CustomerId)))
            .Sum(g => (long)g.Count() * (g.Count() - 1) / 2);
        var precisionNearPlants = pairsNearPlants == 0 ? 0 : (double)found.Count / pairsNearPlants;
        Console.WriteLine($"precision {precision:P1}, recall {recall:P1}");

        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark `dedup`").AppendLine();
        sb.AppendLine(ci, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- Machine: {Machine.Describe()} (compare the ratios: the machine may be shared)");
        sb.AppendLine(ci, $"- Commit: {Machine.Commit(Machine.RepoRoot())}");
        sb.AppendLine(ci, $"- Command: `dotnet run -c Release --project bench/Renmai.Bench -- dedup --rows {o.Rows}`");
        sb.AppendLine(ci, $"- Data: {o.Rows:N0} demo customers (seed {o.Seed}, generated in {fillSeconds:F1} s) + {truth.Count:N0} planted duplicates " +
            $"(every 50th customer gets one; {rows:N0} in total), SQLite");
        sb.AppendLine("- Scan: `DedupService.ScanAsync` as the system administrator: reads Id/Kind/Name/Email/USCC/BirthDate of every customer,")
          .AppendLine("  the shared phone hashes of customers and of contacts from the blind index (SQL GROUP BY), contact e-mails, sorts one 64-bit key per customer and rule, joins equal")
          .AppendLine("  keys by union-find, writes the groups. Peak RSS: VmHWM of the process (which also generated the data), reset before the scan.").AppendLine();
        sb.AppendLine("| Measure | Value |").AppendLine("|---|---:|");
        sb.AppendLine(ci, $"| Scan time | {seconds:F1} s |");
        sb.AppendLine(ci, $"| Peak RSS during the scan | {(peak is { } p ? p.ToString("N0", ci) + " MB" : "n/a")} |");
        sb.AppendLine(ci, $"| Groups found | {result.Groups:N0} ({result.InGroups:N0} customers) |");
        sb.AppendLine(ci, $"| Predicted pairs (all pairs inside groups) | {predictedPairs:N0} |");
        sb.AppendLine(ci, $"| Planted pairs found | {found.Count:N0} of {truth.Count:N0} |");
        sb.AppendLine(ci, $"| **Recall** | **{recall:P1}** |");
        sb.AppendLine(ci, $"| **Precision** (planted pairs found / predicted pairs) | **{precision:P1}** |");
        sb.AppendLine(ci, $"| Precision within groups that hold a planted customer | {precisionNearPlants:P1} |");
        sb.AppendLine(ci, $"| Groups with no planted customer (duplicates the random demo data made by itself) | {groupsWithoutPlant:N0} |");
        sb.AppendLine().AppendLine("Recall per planted variant:").AppendLine();
        sb.AppendLine("| Variant | Planted | Found |").AppendLine("|---|---:|---:|");
        foreach (var (variant, n) in plantedByVariant.OrderBy(v => v.Key, StringComparer.Ordinal))
            sb.AppendLine(ci, $"| {variant} | {n:N0} | {foundByVariant.GetValueOrDefault(variant):N0} |");
        sb.AppendLine().AppendLine("Groups by rule (a group counts under each rule that linked it):").AppendLine();
        foreach (var (label, n) in result.GroupsByRule.OrderByDescending(r => r.Value)) sb.AppendLine(ci, $"- {label}: {n:N0}");
        sb.AppendLine().AppendLine("Precision counts every pair the demo generator duplicated by chance (the same generated mobile number or company")
          .AppendLine("name twice) as false, although a reviewer would call most of them real duplicates; the line above shows how many groups")
          .AppendLine("hold no planted customer at all.");
        var report = sb.ToString();
        Console.WriteLine();
        Console.WriteLine(report);
        var resultFile = Path.Combine(Machine.RepoRoot(), "bench", "results", "dedup.md");
        Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
        await File.WriteAllTextAsync(resultFile, report);
        Console.WriteLine($"written to {resultFile}");
        return 0;
    }

    private static (Guid, Guid) Order(Guid a, Guid b) => a.CompareTo(b) < 0 ? (a, b) : (b, a);

    /// <summary>Every 50th customer (by number) gets a planted duplicate; the variant rotates, adapted to the customer's kind and data.</summary>
    private static async Task<List<(Guid, Guid, string)>> PlantAsync(IServiceProvider services, int seed)
    {
        var dbs = services.GetRequiredService<IDbContextFactory<RenmaiDb>>();
        var truth = new List<(Guid, Guid, string)>();
        await using var read = await dbs.CreateDbContextAsync();
        var ids = await read.Set<Customer>().AsNoTracking().OrderBy(c => c.Number).Select(c => c.Id).ToListAsync();
        var picked = ids.Where((_, i) => i % 50 == 25).ToList();
        var originals = new List<Customer>(picked.Count);
        foreach (var chunk in picked.Chunk(500))
            originals.AddRange(await read.Set<Customer>().AsNoTracking().Where(c => chunk.Contains(c.Id)).OrderBy(c => c.Number).ToListAsync());
        var rng = new Random(seed);
        var next = await read.Set<Customer>().CountAsync() + 1_000_000;
        for (var start = 0; start < originals.Count; start += 1000)
        {
            await using var db = await dbs.CreateDbContextAsync();
            foreach (var (o, k) in originals.Skip(start).Take(1000).Select((o, k) => (o, start + k)))
            {
                var c = new Customer
                {
                    Number = CustomerNumbers.Format(next++), Kind = o.Kind, Type = o.Type, Stage = o.Stage, Province = o.Province, City = o.City,
                    Industry = o.Industry,
                };
                c.GiveTo(o.OwnerId, DateTime.UtcNow);
                string variant;
                var choice = k % 4;
                if (o.Kind == CustomerKind.Individual)
                {
                    c.BirthDate = o.BirthDate;
                    if (choice == 3 && o.BirthDate is not null && Homophones.TryGetValue(o.Name[0], out var h))
                    {
                        c.Name = h + o.Name[1..];
                        variant = "姓名同音（章伟/张伟）+ 同一生日";
                    }
                    else if (choice == 1 && o.Company is { Length: > 4 } company)
                    {
                        c.Name = o.Name;
                        c.BirthDate = null;
                        c.Company = FullWidth(company.Insert(2, " "));
                        variant = "同名 + 所在公司（全角、加空格）";
                    }
                    else if (o.Phones.Count > 0)
                    {
                        c.Name = o.Name;
                        c.BirthDate = null;
                        c.Phones = [new PhoneEntry { Kind = o.Phones[0].Kind, Number = o.Phones[0].Number }];
                        variant = "同一电话";
                    }
                    else
                    {
                        c.Name = " " + o.Name[0] + " " + o.Name[1..];
                        variant = "同名（含空格）+ 同一生日";
                    }
                }
                else
                {
                    var core = DedupKeys.CompanyName(o.Name) ?? o.Name;
                    switch (choice)
                    {
                        case 0 when o.Phones.Count > 0:
                            c.Name = core + "（" + (o.City ?? "总部") + "）";
                            c.Phones = [new PhoneEntry { Kind = o.Phones[^1].Kind, Number = o.Phones[^1].Number }];
                            variant = "同一电话";
                            break;
                        case 2 when o.Uscc is not null:
                            c.Name = core + "销售部";
                            c.Uscc = o.Uscc;
                            variant = "同一统一社会信用代码";
                            break;
                        case 1:
                            c.Name = FullWidth(core) + "有限责任公司";
                            variant = "公司名称：全角 + 另一种公司形式";
                            break;
                        default:
                            c.Name = core + "（" + (o.City ?? "北京").TrimEnd('市') + "）有限公司";
                            variant = "公司名称：括号地区 + 有限公司";
                            break;
                    }
                }
                if (rng.NextDouble() < 0.3 && o.Email is not null && variant.StartsWith("公司", StringComparison.Ordinal)) c.Email = o.Email.ToUpperInvariant();
                db.Add(c);
                truth.Add((o.Id, c.Id, variant));
            }
            await db.SaveChangesAsync();
        }
        return truth;
    }

    private static string FullWidth(string s) =>
        new([.. s.Select(ch => ch is >= '!' and <= '~' ? (char)(ch + 0xFEE0) : ch)]);
}
