using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniExcelLibs;
using Renmai.Features.Export;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// `export`: every customer (the default view: the list's default columns plus phones) to xlsx and csv
/// through <see cref="CustomerExportService"/>, against a baseline measured in the same run: a raw SQL
/// read of the same rows and columns handed to MiniExcel directly (no scope, labels, decryption or guards).
/// Time and peak RSS (VmHWM, reset before each phase) per phase.
/// </summary>
internal static class ExportWorkload
{
    private sealed record Phase(string Name, long Rows, double Seconds, double? PeakMb, long Bytes);

    // The default columns' stored fields, newest first (the view's default sort).
    private const string BaselineSql = "SELECT \"Number\", \"Name\", \"Type\", \"Intent\", \"Stage\", \"ValueTier\", \"Industry\", \"Region\", " +
        "\"TagsText\", \"UpdatedAt\", \"Sensitive\" FROM \"Customers\" WHERE \"DeletedAt\" IS NULL ORDER BY \"UpdatedAt\" DESC, \"Id\" DESC";

    public static Task<int> RunAsync(BenchOptions o) => BenchSetup.WithDataFolderAsync(o, "export", RunCoreAsync);

    private static async Task<int> RunCoreAsync(BenchOptions o, string folder, bool reuse)
    {
        var data = await BenchSetup.PrepareAsync(o, folder, reuse);
        var fillSeconds = data.FillSeconds;
        if (fillSeconds is { } filled)
        {
            // Generating a million customers leaves this process's heap large; measure the export in a fresh
            // process on the same folder so its peak RSS is the export's own.
            Console.WriteLine("measuring in a fresh process on the generated data …");
            var psi = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
            var self = Environment.GetCommandLineArgs()[0];
            if (self.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) psi.ArgumentList.Add(self);
            foreach (var a in new[] { "export", "--rows", o.Rows.ToString(CultureInfo.InvariantCulture), "--seed", o.Seed.ToString(CultureInfo.InvariantCulture), "--data", folder })
                psi.ArgumentList.Add(a);
            psi.Environment["RENMAI_BENCH_FILL_SECONDS"] = filled.ToString("F1", CultureInfo.InvariantCulture);
            using var child = Process.Start(psi)!;
            await child.WaitForExitAsync();
            return child.ExitCode;
        }
        if (double.TryParse(Environment.GetEnvironmentVariable("RENMAI_BENCH_FILL_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var fs0))
            fillSeconds = fs0;
        var (connectionString, rows) = (data.ConnectionString, data.Rows);

        var builder = RenmaiApp.CreateBuilder([], b => BenchSetup.Configure(b, folder));
        await using var app = await RenmaiApp.BuildAsync(builder);
        var phases = new List<Phase>();
        var outDir = Path.Combine(folder, "exports");
        Directory.CreateDirectory(outDir);

        // Warm-up (JIT, EF model, first query plan) on a small slice, not measured.
        await ExportAsync(app, new CustomerExportRequest { Q = "科技", Format = ExportFormat.Xlsx }, Path.Combine(outDir, "warmup.xlsx"));

        phases.Add(Measure("(b) baseline: raw SQL read → MiniExcel xlsx", () =>
        {
            var path = Path.Combine(outDir, "baseline.xlsx");
            using var conn = new SqliteConnection(connectionString);
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = BaselineSql;
            using var reader = cmd.ExecuteReader();
            using (var file = File.Create(path)) file.SaveAs(reader, excelType: ExcelType.XLSX);
            return (rows, path);
        }));
        phases.Add(Measure("(r) raw SQL read alone", () =>
        {
            using var conn = new SqliteConnection(connectionString);
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = BaselineSql;
            using var reader = cmd.ExecuteReader();
            long n = 0;
            while (reader.Read()) { for (var i = 0; i < reader.FieldCount; i++) _ = reader.GetValue(i); n++; }
            return (n, null);
        }));
        foreach (var format in new[] { ExportFormat.Xlsx, ExportFormat.Csv })
        {
            var path = Path.Combine(outDir, "renmai." + format.ToString().ToLowerInvariant());
            phases.Add(Measure($"(a) Renmai export, {format.ToString().ToLowerInvariant()} (default view, masked phones)", () =>
            {
                var n = ExportAsync(app, new CustomerExportRequest { Format = format }, path).GetAwaiter().GetResult();
                return (n, path);
            }));
        }
        foreach (var p in phases)
            Console.WriteLine($"  {p.Name}: {p.Rows:N0} rows in {p.Seconds:F1} s, peak RSS {p.PeakMb:N0} MB, {p.Bytes / 1048576.0:F1} MB");
        if (phases.Any(p => p.Rows != rows)) throw new InvalidOperationException("a phase did not write every customer");

        var report = Report(o, rows, fillSeconds, phases);
        Console.WriteLine();
        Console.WriteLine(report);
        var resultFile = Path.Combine(Machine.RepoRoot(), "bench", "results", "export.md");
        Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
        await File.WriteAllTextAsync(resultFile, report);
        Console.WriteLine($"written to {resultFile}");
        var ours = phases.First(p => p.Name.Contains("xlsx", StringComparison.Ordinal) && p.Name.StartsWith("(a)", StringComparison.Ordinal));
        return ours.Seconds < 30 && ours.PeakMb is null or < 500 ? 0 : 1;
    }

    private static async Task<int> ExportAsync(WebApplication app, CustomerExportRequest request, string path)
    {
        await using var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Renmai.Data.Actor.System);
        await using var file = File.Create(path);
        return (await scope.ServiceProvider.GetRequiredService<CustomerExportService>().ExportAsync(request, file)).Rows;
    }

    private static Phase Measure(string name, Func<(long Rows, string? Path)> work)
    {
        Console.WriteLine(name + " …");
        // The previous phase's garbage would otherwise count in this phase's peak.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        var reset = Machine.ResetPeakRss();
        var watch = Stopwatch.StartNew();
        var (n, path) = work();
        var seconds = watch.Elapsed.TotalSeconds;
        return new Phase(name, n, seconds, reset ? Machine.PeakRssMb() : null, path is null ? 0 : new FileInfo(path).Length);
    }

    private static string Report(BenchOptions o, long rows, double? fillSeconds, List<Phase> phases)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark `export`").AppendLine();
        sb.AppendLine(ci, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- Machine: {Machine.Describe()} (compare the ratios: the machine may be shared)");
        sb.AppendLine(ci, $"- Commit: {Machine.Commit(Machine.RepoRoot())}");
        sb.AppendLine(ci, $"- Command: `dotnet run -c Release --project bench/Renmai.Bench -- export --rows {o.Rows}`");
        sb.AppendLine(ci, $"- Data: {rows:N0} demo customers on SQLite (seed {o.Seed}){(fillSeconds is { } f ? $", generated in {f:F1} s" : ", reused")}");
        sb.AppendLine("- Export: the default view (10 list columns + 电话, masked), newest first, as the system administrator (all rows),")
          .AppendLine("  through `CustomerExportService` → `CustomerService.StreamAsync` (EF, forward-only) into a file.");
        sb.AppendLine("- Baseline (same run, same rows and stored columns, same order): one raw SQLite reader handed to MiniExcel")
          .AppendLine("  (`SaveAs(IDataReader)`): no scope, no enum labels, no decryption, no masking, no formula guard.");
        sb.AppendLine("- Peak RSS: VmHWM of the whole process, reset before each phase (`/proc/self/clear_refs`).").AppendLine();
        sb.AppendLine("| Phase | Rows | Time (s) | Rows/s | Peak RSS (MB) | File (MB) |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var p in phases)
            sb.AppendLine(ci, $"| {p.Name} | {p.Rows:N0} | {p.Seconds:F1} | {p.Rows / p.Seconds:N0} | {(p.PeakMb is { } m ? m.ToString("N0", ci) : "n/a")} | {(p.Bytes > 0 ? (p.Bytes / 1048576.0).ToString("F1", ci) : "–")} |");
        var ours = phases.First(p => p.Name.StartsWith("(a)", StringComparison.Ordinal));
        var baseline = phases.First(p => p.Name.StartsWith("(b)", StringComparison.Ordinal));
        sb.AppendLine();
        sb.AppendLine(ci, $"Renmai xlsx / baseline xlsx time: {ours.Seconds / baseline.Seconds:F2}×. " +
            $"Bar (issue 4, at 1M rows): xlsx under 30 s — {(ours.Seconds < 30 ? "met" : "NOT met")} here ({ours.Seconds:F1} s at {rows:N0} rows); " +
            $"peak RSS under 500 MB — {(ours.PeakMb is < 500 ? "met" : "NOT met")} ({ours.PeakMb:N0} MB).");
        return sb.ToString();
    }
}
