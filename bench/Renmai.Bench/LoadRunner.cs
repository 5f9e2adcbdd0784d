using System.Diagnostics;
using System.Net;

namespace Renmai.Bench;

/// <summary>The figures of one load phase.</summary>
internal sealed record PhaseResult(string Name, int Requests, int Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs)
{
    public double RequestsPerSecond => Requests / Seconds;
}

/// <summary>
/// Closed-loop load on loopback: N clients, each sends its next request when the previous one is
/// answered, until the phase's time or request budget runs out.
/// </summary>
internal sealed class LoadRunner(int clients, TimeSpan duration, int maxRequests)
{
    public async Task<PhaseResult> RunAsync(string name, HttpClient http, Func<Random, string> nextUrl, int seed, TimeSpan warmup)
    {
        // Warm-up: same requests, not recorded (JIT, connection pool, SQLite page cache).
        await RunCoreAsync(http, nextUrl, seed + 1, warmup, maxRequests, null);
        var latencies = new List<double>[clients];
        var watch = Stopwatch.StartNew();
        var errors = await RunCoreAsync(http, nextUrl, seed, duration, maxRequests, latencies);
        var seconds = watch.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new PhaseResult(name, all.Length, errors, seconds, Percentile(all, 0.50), Percentile(all, 0.99), all.Length > 0 ? all[^1] : 0);
    }

    private async Task<int> RunCoreAsync(HttpClient http, Func<Random, string> nextUrl, int seed, TimeSpan duration, int budget, List<double>[]? latencies)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var remaining = budget;
        var errors = 0;
        var tasks = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(seed * 31 + c);
            var mine = new List<double>(4096);
            if (latencies is not null) latencies[c] = mine;
            while (Stopwatch.GetTimestamp() < deadline && Interlocked.Decrement(ref remaining) >= 0)
            {
                var url = nextUrl(rng);
                var start = Stopwatch.GetTimestamp();
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseContentRead);
                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    if (Interlocked.Increment(ref errors) <= 3)
                        Console.Error.WriteLine($"  {(int)response.StatusCode} {url}: {Truncate(await response.Content.ReadAsStringAsync())}");
                    continue;
                }
                mine.Add(ms);
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return errors;
    }

    private static string Truncate(string s) => s.Length > 300 ? s[..300] + "…" : s;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
