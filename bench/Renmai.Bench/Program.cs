using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Renmai.Bench;

// dotnet run -c Release --project bench/Renmai.Bench -- list|import|export|search [--rows 1000000] [--seconds 20] [--clients 8]
var options = BenchOptions.Parse(args);
if (options is null || (options.Postgres is not null && options.Workload != "search"))
{
    Console.Error.WriteLine("usage: Renmai.Bench list|import|export|search|dedup [--rows N] [--seconds S] [--clients C] [--max-requests M] [--seed N] [--data DIR] [--keep] [--plain-baseline] [--only csv|xlsx] [--pg CONNECTION (search only)]");
    return 2;
}
return options.Workload switch
{
    "list" => await ListWorkload.RunAsync(options),
    "export" => await ExportWorkload.RunAsync(options),
    "import" => await ImportWorkload.RunAsync(options),
    "search" => await SearchWorkload.RunAsync(options),
    "dedup" => await DedupWorkload.RunAsync(options),
    _ => Fail($"unknown workload '{options.Workload}' (known: list, import, export, search, dedup)"),
};

static int Fail(string message)
{
    Console.Error.WriteLine(message);
    return 2;
}

namespace Renmai.Bench
{
    internal sealed class BenchOptions
    {
        public string Workload { get; private init; } = "";
        public int Rows { get; private set; } = 1_000_000;
        public int Seconds { get; private set; } = 20;
        public int Clients { get; private set; } = 8;
        public int MaxRequests { get; private set; } = 200_000;
        public int Seed { get; private set; } = 20261123;
        /// <summary>Reuse (or keep) this data folder instead of a fresh temporary one.</summary>
        public string? DataFolder { get; private set; }
        public bool Keep { get; private set; }
        /// <summary>list: also measure the list page on the same rows with phones stored unencrypted (the cost of encryption).</summary>
        public bool PlainBaseline { get; private set; }
        /// <summary>import: only this file type (csv or xlsx), e.g. for a profile.</summary>
        public string? OnlyFile { get; private set; }
        /// <summary>search: run on this PostgreSQL database (connection string) instead of SQLite; the data folder keeps the keys.</summary>
        public string? Postgres { get; private set; }

        public static BenchOptions? Parse(string[] args)
        {
            if (args.Length == 0 || args[0].StartsWith('-')) return null;
            var o = new BenchOptions { Workload = args[0] };
            for (var i = 1; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int NextInt() => int.Parse(Next(), NumberStyles.Integer, CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--rows": o.Rows = NextInt(); break;
                    case "--seconds": o.Seconds = NextInt(); break;
                    case "--clients": o.Clients = NextInt(); break;
                    case "--max-requests": o.MaxRequests = NextInt(); break;
                    case "--seed": o.Seed = NextInt(); break;
                    case "--data": o.DataFolder = Next(); break;
                    case "--keep": o.Keep = true; break;
                    case "--plain-baseline": o.PlainBaseline = true; break;
                    case "--only": o.OnlyFile = Next(); break;
                    case "--pg": o.Postgres = Next(); break;
                    default: return null;
                }
            }
            return o;
        }
    }

    /// <summary>Machine facts and peak memory for the result files.</summary>
    internal static class Machine
    {
        public static string Describe()
        {
            var memGb = MemTotalKb() / 1024.0 / 1024.0;
            return $"{Environment.ProcessorCount} cores, {memGb:F1} GB RAM, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        }

        private static long MemTotalKb() => ReadKb("/proc/meminfo", "MemTotal:");

        /// <summary>Peak resident set size of this process (VmHWM), in MB.</summary>
        public static double PeakRssMb()
        {
            var kb = ReadKb("/proc/self/status", "VmHWM:");
            return kb > 0 ? kb / 1024.0 : Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024.0;
        }

        /// <summary>Resets VmHWM (Linux: writing 5 to clear_refs), so a phase's peak can be measured on its own.</summary>
        public static bool ResetPeakRss()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                return true;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        private static long ReadKb(string file, string key)
        {
            try
            {
                foreach (var line in File.ReadLines(file))
                {
                    if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                    var digits = new string(line.AsSpan(key.Length).ToArray().Where(char.IsAsciiDigit).ToArray());
                    return long.Parse(digits, CultureInfo.InvariantCulture);
                }
            }
            catch (IOException) { }
            return 0;
        }

        public static string Commit(string repoRoot)
        {
            try
            {
                using var git = Process.Start(new ProcessStartInfo("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true,
                })!;
                var sha = git.StandardOutput.ReadToEnd().Trim();
                git.WaitForExit();
                using var status = Process.Start(new ProcessStartInfo("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true,
                })!;
                var dirty = status.StandardOutput.ReadToEnd().Trim().Length > 0;
                status.WaitForExit();
                return sha.Length == 0 ? "unknown" : dirty ? sha + " (with uncommitted changes)" : sha;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return "unknown";
            }
        }

        /// <summary>The folder holding Renmai.slnx, found upwards from the working directory or the binary.</summary>
        public static string RepoRoot()
        {
            foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            {
                for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "Renmai.slnx"))) return dir.FullName;
            }
            return Directory.GetCurrentDirectory();
        }
    }
}
