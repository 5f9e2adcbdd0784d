using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Data.Sqlite;
using MiniExcelLibs;
using Renmai.Data;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.Import;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// import: N demo customers (DemoGenerator, Chinese) written as csv and as xlsx, then per file in the
/// same run: parse-only (read every cell), the baseline "parse then raw prepared insert into a bare
/// table", and the real import (ImportService + the job worker, as the CLI runs it) into a fresh database.
/// </summary>
internal static class ImportWorkload
{
    private static readonly string[] Headers =
        ["客户名称", "客户性质", "手机", "电子邮箱", "统一社会信用代码", "客户类型", "意向度", "生命周期", "价值分层", "行业", "区域", "省份", "城市", "区县", "详细地址", "标签", "职务", "生日"];

    /// <summary>A measured phase: wall time, rows, peak RSS, the process's CPU time (all threads: the import is CPU-bound on
    /// both cores, so this is the figure a change must lower) and what the managed heap allocated (GC work).</summary>
    private sealed record Phase(string File, string What, double Seconds, long Rows, double PeakMb, double CpuSeconds, double AllocatedMb);

    public static async Task<int> RunAsync(BenchOptions o)
    {
        var dir = Path.GetFullPath(o.DataFolder ?? Path.Combine(Path.GetTempPath(), "renmai-bench-import-" + Guid.NewGuid().ToString("N")[..8]));
        Directory.CreateDirectory(dir);
        Console.WriteLine($"import workload: {o.Rows:N0} rows in {dir}");
        var phases = new List<Phase>();
        try
        {
            var csv = Path.Combine(dir, "customers.csv");
            var xlsx = Path.Combine(dir, "customers.xlsx");
            var watch = Stopwatch.StartNew();
            WriteFiles(o, csv, xlsx);
            Console.WriteLine($"files written in {watch.Elapsed.TotalSeconds:F1} s: csv {new FileInfo(csv).Length / 1048576.0:F0} MB, xlsx {new FileInfo(xlsx).Length / 1048576.0:F0} MB");
            foreach (var file in new[] { csv, xlsx })
            {
                if (o.OnlyFile is { } only && !file.EndsWith("." + only, StringComparison.Ordinal)) continue;
                var name = Path.GetExtension(file)[1..];
                phases.Add(Measure(name, "parse only", () => ParseOnly(file)));
                if (name == "csv") phases.Add(Measure(name, "parse + raw prepared insert (bare table)", () => RawInsert(file, Path.Combine(dir, "bare.db"))));
                phases.Add(await MeasureAsync(name, "import (Renmai)", () => ImportAsync(file, Path.Combine(dir, "data-" + name))));
            }
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (!o.Keep && o.DataFolder is null) { try { Directory.Delete(dir, true); } catch (IOException) { } }
        }
        var report = Report(o, phases);
        Console.WriteLine(report);
        var repo = Machine.RepoRoot();
        await File.WriteAllTextAsync(Path.Combine(repo, "bench", "results", "import.md"), report);
        return 0;
    }

    private static void WriteFiles(BenchOptions o, string csv, string xlsx)
    {
        IEnumerable<string?[]> Rows()
        {
            var gen = new DemoGenerator(o.Seed, [], new DateTime(2026, 11, 23, 0, 0, 0, DateTimeKind.Utc));
            foreach (var (c, _) in gen.Generate(1, o.Rows))
            {
                yield return
                [
                    c.Name, ClassificationLabels.Of(c.Kind), c.Phones.FirstOrDefault()?.Number, c.Email, c.Uscc, ClassificationLabels.Of(c.Type),
                    c.Intent is { } i ? ClassificationLabels.Of(i) : null, ClassificationLabels.Of(c.Stage), c.ValueTier is { } v ? ClassificationLabels.Of(v) : null,
                    c.Industry, c.Region, c.Province, c.City, c.District, c.Street, string.Join(",", c.Tags), c.Title,
                    c.BirthDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ];
            }
        }
        using (var w = new StreamWriter(csv, false, new UTF8Encoding(true), 1 << 16))
        {
            w.Write(string.Join(",", Headers));
            w.Write("\r\n");
            foreach (var r in Rows())
            {
                w.Write(string.Join(",", r.Select(Renmai.Features.Export.CellText.Csv)));
                w.Write("\r\n");
            }
        }
        MiniExcel.SaveAs(xlsx, Rows().Select(r =>
        {
            var d = new Dictionary<string, object?>(Headers.Length);
            for (var i = 0; i < Headers.Length; i++) d[Headers[i]] = r[i];
            return d;
        }), overwriteFile: true);
    }

    /// <summary>Returns the memory earlier phases left committed, so each phase's peak RSS is its own.</summary>
    private static void Settle()
    {
        SqliteConnection.ClearAllPools();
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        Machine.ResetPeakRss();
    }

    private static Phase Measure(string file, string what, Func<long> work)
    {
        var start = Start();
        return Finish(file, what, start, work());
    }

    private static async Task<Phase> MeasureAsync(string file, string what, Func<Task<long>> work)
    {
        var start = Start();
        return Finish(file, what, start, await work());
    }

    private static (Stopwatch Watch, TimeSpan Cpu, long Allocated) Start()
    {
        Settle();
        using var self = Process.GetCurrentProcess();
        return (Stopwatch.StartNew(), self.TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: true));
    }

    private static Phase Finish(string file, string what, (Stopwatch Watch, TimeSpan Cpu, long Allocated) start, long rows)
    {
        var seconds = start.Watch.Elapsed.TotalSeconds;
        using var self = Process.GetCurrentProcess();
        var p = new Phase(file, what, seconds, rows, Machine.PeakRssMb(), (self.TotalProcessorTime - start.Cpu).TotalSeconds,
            (GC.GetTotalAllocatedBytes(precise: true) - start.Allocated) / 1048576.0);
        Console.WriteLine($"  {file} {what}: {p.Seconds:F1} s, {rows / p.Seconds:N0} rows/s, peak RSS {p.PeakMb:F0} MB, CPU {p.CpuSeconds:F1} core-s, allocated {p.AllocatedMb:N0} MB");
        return p;
    }

    private static long ParseOnly(string path)
    {
        using var table = ImportTable.Open(path, Path.GetFileName(path), null, new ImportLimits());
        long rows = 0, cells = 0;
        foreach (var row in table.Rows())
        {
            rows++;
            foreach (var c in row.Cells) if (c is not null) cells++;
        }
        return rows;
    }

    /// <summary>The baseline: the same parse, then one prepared INSERT per row into a bare table of text columns, one transaction.</summary>
    private static long RawInsert(string path, string dbPath)
    {
        if (File.Exists(dbPath)) File.Delete(dbPath);
        using var conn = new SqliteConnection($"Data Source={dbPath};Pooling=False");
        conn.Open();
        using (var pragma = conn.CreateCommand())
        {
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
        }
        using (var create = conn.CreateCommand())
        {
            create.CommandText = "CREATE TABLE bare (" + string.Join(", ", Headers.Select((_, i) => $"c{i} TEXT")) + ")";
            create.ExecuteNonQuery();
        }
        using var table = ImportTable.Open(path, Path.GetFileName(path), null, new ImportLimits());
        using var tx = conn.BeginTransaction();
        using var insert = conn.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO bare VALUES (" + string.Join(", ", Headers.Select((_, i) => "$p" + i)) + ")";
        var ps = Headers.Select((_, i) => insert.Parameters.Add("$p" + i, SqliteType.Text)).ToArray();
        insert.Prepare();
        long rows = 0;
        foreach (var row in table.Rows())
        {
            for (var i = 0; i < ps.Length; i++) ps[i].Value = (i < row.Cells.Length ? ImportTable.Text(row.Cells[i]) : null) ?? (object)DBNull.Value;
            insert.ExecuteNonQuery();
            rows++;
        }
        tx.Commit();
        return rows;
    }

    private static async Task<long> ImportAsync(string file, string folder)
    {
        Directory.CreateDirectory(folder);
        var builder = RenmaiApp.CreateBuilder([], b =>
        {
            b.Configuration["Data:Path"] = folder;
            b.Configuration["Jobs:Enabled"] = "false";
            b.Logging.SetMinimumLevel(LogLevel.Warning);
        });
        await using var host = builder.Build();
        await DataSetup.MigrateAsync(host.Services);
        await using (var setup = host.Services.CreateAsyncScope())
        {
            setup.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
            await setup.ServiceProvider.GetRequiredService<UserService>().CreateAsync("bench-admin@renmai.local", "bench-password-1", Roles.Admin, "压测管理员");
        }
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<CurrentActor>().SetUserAsync("bench-admin@renmai.local", ChangeSource.Import);
        var imports = scope.ServiceProvider.GetRequiredService<ImportService>();
        ImportDraft draft;
        await using (var stream = File.OpenRead(file)) draft = await imports.UploadAsync(stream, Path.GetFileName(file));
        await imports.StartAsync(draft.Id, new ImportOptions { Mode = ImportMode.Create, Key = ImportKey.Phone, Mapping = draft.Mapping });
        await host.Services.GetRequiredService<ImportWorker>().RunNextAsync(CancellationToken.None, draft.Id);
        var status = await imports.GetAsync(draft.Id);
        Console.WriteLine($"    {status.StatusLabel}: {status.Message}");
        if (status.Status != ImportStatus.Succeeded) throw new InvalidOperationException("import failed: " + status.Message);
        return status.RowsDone;
    }

    private static string Report(BenchOptions o, List<Phase> phases)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# import benchmark").AppendLine();
        sb.AppendLine(ci, $"- date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- machine: {Machine.Describe()}");
        sb.AppendLine(ci, $"- commit: {Machine.Commit(Machine.RepoRoot())}");
        sb.AppendLine(ci, $"- rows: {o.Rows:N0} demo customers (DemoGenerator seed {o.Seed}), {Headers.Length} columns; import: create, key phone, SQLite, as an admin");
        sb.AppendLine(ci, $"- command: `dotnet run -c Release --project bench/Renmai.Bench -- import --rows {o.Rows}`").AppendLine();
        sb.AppendLine("| file | phase | seconds | rows/s | peak RSS (MB) | CPU (core-s) | managed allocations (MB) |").AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var p in phases)
            sb.AppendLine(ci, $"| {p.File} | {p.What} | {p.Seconds:F1} | {p.Rows / p.Seconds:N0} | {p.PeakMb:F0} | {p.CpuSeconds:F1} | {p.AllocatedMb:N0} |");
        var csvImport = phases.FirstOrDefault(p => p.File == "csv" && p.What.StartsWith("import", StringComparison.Ordinal));
        var baseline = phases.FirstOrDefault(p => p.File == "csv" && p.What.StartsWith("parse +", StringComparison.Ordinal));
        if (csvImport is not null && baseline is not null)
            sb.AppendLine().AppendLine(ci, $"csv import throughput = {100 * baseline.Seconds / csvImport.Seconds:F0} % of \"parse then raw prepared insert\" (bar: ≥ 40 %).");
        sb.AppendLine().AppendLine("CPU is the whole process's (all threads, user + system) during the phase; on this 2-core machine a phase can use at most 2 core-s per second. Managed allocations are the .NET heap's only (SQLite's own memory is not in them).");
        sb.AppendLine().AppendLine("Bars (1M rows, this 2-core machine): csv under 20 s, xlsx under 45 s, peak RSS under 1 GiB, csv ≥ 40 % of the baseline's throughput.");
        return sb.ToString();
    }
}
