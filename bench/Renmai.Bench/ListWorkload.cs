using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// `list`: the customer table's filtered + sorted pages and get-by-number, through the real app
/// (auth, services, EF) against a bare baseline (one raw SQL query per request, its own minimal
/// Kestrel app on a second loopback port in the same process), on the same SQLite file.
/// </summary>
internal static class ListWorkload
{
    private const int PageSize = 50;
    private const int Pages = 20;

    /// <summary>A filter + sort of the customer table, as the API query and as the equivalent raw SQL.</summary>
    private sealed record Combo(string Name, string ApiQuery, string Where, string OrderBy);

    // Enum values are stored as integers: Existing = 1, Repeat = 3, intent A = 0.
    private static readonly Combo[] Combos =
    [
        new("type+stage, -updatedAt", "type=existing&stage=repeat&sort=-updatedAt", "\"Type\" = 1 AND \"Stage\" = 3", "\"UpdatedAt\" DESC, \"Id\" DESC"),
        new("intent, -updatedAt", "intent=A&sort=-updatedAt", "\"Intent\" = 0", "\"UpdatedAt\" DESC, \"Id\" DESC"),
        new("industry, name", "industry=" + Uri.EscapeDataString("制造业") + "&sort=name", "\"Industry\" = '制造业'", "\"Name\", \"Id\""),
    ];

    public static Task<int> RunAsync(BenchOptions o) => BenchSetup.WithDataFolderAsync(o, "list", RunCoreAsync);

    private static async Task<int> RunCoreAsync(BenchOptions o, string folder, bool reuse)
    {
        // ---- 1. Data: users, demo customers, an API token — through the app's own services. ----
        var data = await BenchSetup.PrepareAsync(o, folder, reuse);
        var (token, fillSeconds, fillPeakMb, peakReset, connectionString, rows, maxNumber) =
            (data.Token, data.FillSeconds, data.FillPeakMb, data.PeakReset, data.ConnectionString, data.Rows, data.MaxNumber);

        // ---- 2. The real app, and the bare baseline on a second port. ----
        var ourUrl = $"http://127.0.0.1:{BenchSetup.FreePort()}";
        var appBuilder = RenmaiApp.CreateBuilder(["--urls", ourUrl], b => BenchSetup.Configure(b, folder));
        await using var app = await RenmaiApp.BuildAsync(appBuilder);
        await app.StartAsync();

        var baseUrl = $"http://127.0.0.1:{BenchSetup.FreePort()}";
        await using var baseline = BuildBaseline(baseUrl, connectionString);
        await baseline.StartAsync();

        using var ours = BenchSetup.NewClient(ourUrl, o.Clients);
        ours.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var bare = BenchSetup.NewClient(baseUrl, o.Clients);

        // ---- 3. Same answers? (total and first number of each combo's first page) ----
        foreach (var c in Combos)
        {
            var a = await FirstAndTotalAsync(ours, $"/api/v1/customers?{c.ApiQuery}&page=1&pageSize={PageSize}", "number");
            var b = await FirstAndTotalAsync(bare, $"/baseline/customers?combo={Array.IndexOf(Combos, c)}&page=1", "Number");
            Console.WriteLine($"  {c.Name}: total {a.Total:N0} (baseline {b.Total:N0}), first {a.First} (baseline {b.First})");
            if (a != b) throw new InvalidOperationException($"API and baseline disagree for {c.Name}: {a} vs {b}");
        }

        // ---- 4. Load phases. ----
        var runner = new LoadRunner(o.Clients, TimeSpan.FromSeconds(o.Seconds), o.MaxRequests);
        var warmup = TimeSpan.FromSeconds(Math.Clamp(o.Seconds / 4.0, 1, 5));
        string OurList(Random r)
        {
            var c = Combos[r.Next(Combos.Length)];
            return $"/api/v1/customers?{c.ApiQuery}&page={r.Next(1, Pages + 1)}&pageSize={PageSize}";
        }
        string BareList(Random r)
        {
            var c = r.Next(Combos.Length);
            return $"/baseline/customers?combo={c}&page={r.Next(1, Pages + 1)}";
        }
        string Number(Random r) => CustomerNumbers.Format(r.NextInt64(1, maxNumber + 1));

        var results = new List<PhaseResult>();
        foreach (var (name, client, url) in new (string, HttpClient, Func<Random, string>)[]
        {
            ("(a) list — Renmai API", ours, OurList),
            ("(b) list — baseline", bare, BareList),
            ("(c) get-by-number — Renmai API", ours, r => "/api/v1/customers/" + Number(r)),
            ("(d) get-by-number — baseline", bare, r => "/baseline/customers/" + Number(r)),
        })
        {
            Console.WriteLine($"{name} …");
            var result = await runner.RunAsync(name, client, url, o.Seed, warmup);
            Console.WriteLine($"  {result.Requests:N0} requests, {result.RequestsPerSecond:N0} req/s, p50 {result.P50Ms:F2} ms, p99 {result.P99Ms:F2} ms, errors {result.Errors}");
            results.Add(result);
        }
        if (o.PlainBaseline)
        {
            // The cost of encryption: the same list requests on the same rows, sealed (AES-GCM, as stored)
            // and with the phones column holding the plaintext JSON (the pre-encryption format, which the app
            // reads without decryption); masking runs in both. Two rounds, alternating, against the drift of
            // a shared machine.
            var store = app.Services.GetRequiredService<Renmai.Features.Privacy.SensitiveStore>();
            for (var round = 1; round <= 2; round++)
            {
                var encrypted = await runner.RunAsync($"(e{round}) list — phones encrypted (as stored)", ours, OurList, o.Seed, warmup);
                Console.WriteLine($"{encrypted.Name}: {encrypted.Requests:N0} requests, p50 {encrypted.P50Ms:F2} ms, p99 {encrypted.P99Ms:F2} ms");
                results.Add(encrypted);
                await ConvertAsync(connectionString, store, toPlaintext: true);
                var plain = await runner.RunAsync($"(f{round}) list — phones not encrypted (no decryption)", ours, OurList, o.Seed, warmup);
                Console.WriteLine($"{plain.Name}: {plain.Requests:N0} requests, p50 {plain.P50Ms:F2} ms, p99 {plain.P99Ms:F2} ms");
                results.Add(plain);
                await ConvertAsync(connectionString, store, toPlaintext: false);
            }
        }
        var servePeakMb = Machine.PeakRssMb();
        await app.StopAsync();
        await baseline.StopAsync();

        // ---- 5. Report. ----
        var report = Report(o, rows, fillSeconds, fillPeakMb, peakReset ? servePeakMb : null, results, ourUrl, baseUrl);
        Console.WriteLine();
        Console.WriteLine(report);
        var repo = Machine.RepoRoot();
        var resultFile = Path.Combine(repo, "bench", "results", "list.md");
        Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
        await File.WriteAllTextAsync(resultFile, report);
        Console.WriteLine($"written to {resultFile}");
        return results.Any(r => r.Errors > 0) ? 1 : 0;
    }

    /// <summary>
    /// Benchmark only: rewrites every customer's sealed column as the plaintext phones JSON (the format before
    /// encryption), or seals it again. The temporary data folder is deleted at the end.
    /// </summary>
    private static async Task ConvertAsync(string connectionString, Renmai.Features.Privacy.SensitiveStore store, bool toPlaintext)
    {
        var watch = Stopwatch.StartNew();
        await using var conn = new SqliteConnection(connectionString);
        await conn.OpenAsync();
        var rows = new List<(string Id, string Value)>();
        await using (var read = conn.CreateCommand())
        {
            read.CommandText = "SELECT \"Id\", \"Sensitive\" FROM \"Customers\" WHERE \"Sensitive\" IS NOT NULL";
            await using var r = await read.ExecuteReaderAsync();
            while (await r.ReadAsync()) rows.Add((r.GetString(0), r.GetString(1)));
        }
        await using var tx = (SqliteTransaction)await conn.BeginTransactionAsync();
        await using var update = conn.CreateCommand();
        update.Transaction = tx;
        update.CommandText = "UPDATE \"Customers\" SET \"Sensitive\" = $s WHERE \"Id\" = $id";
        var ps = update.Parameters.Add("$s", SqliteType.Text);
        var pid = update.Parameters.Add("$id", SqliteType.Text);
        foreach (var (id, value) in rows)
        {
            var recordId = Guid.Parse(id);
            ps.Value = toPlaintext
                ? JsonStorage.Serialize(JsonStorage.Deserialize<Renmai.Features.Privacy.SensitiveValues>(store.Cipher.Open(value, recordId))!.Phones)
                : store.Cipher.Seal(JsonStorage.Serialize(new Renmai.Features.Privacy.SensitiveValues { Phones = JsonStorage.Deserialize<List<PhoneEntry>>(value)! }), recordId);
            pid.Value = id;
            await update.ExecuteNonQueryAsync();
        }
        await tx.CommitAsync();
        await using (var checkpoint = conn.CreateCommand())
        {
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await checkpoint.ExecuteNonQueryAsync();
        }
        Console.WriteLine($"  {rows.Count:N0} customers {(toPlaintext ? "now hold plaintext phones (benchmark only)" : "sealed again")} in {watch.Elapsed.TotalSeconds:F1} s");
    }

    private static string Report(BenchOptions o, long rows, double? fillSeconds, double fillPeakMb, double? servePeakMb,
        List<PhaseResult> r, string ourUrl, string baseUrl)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var repo = Machine.RepoRoot();
        sb.AppendLine("# Benchmark `list`").AppendLine();
        sb.AppendLine(ci, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- Machine: {Machine.Describe()} (shared: other builds were running, so compare the ratios)");
        sb.AppendLine(ci, $"- Commit: {Machine.Commit(repo)}");
        sb.AppendLine(ci, $"- Rows: {rows:N0} customers (SQLite, seed {o.Seed}); {o.Clients} clients, each phase ≤ {o.Seconds} s or {o.MaxRequests:N0} requests after a warm-up");
        if (fillSeconds is { } fs) sb.AppendLine(ci, $"- Demo data fill (bulk writer, customers + contacts): {fs:F1} s, {rows / fs:N0} customers/s");
        sb.AppendLine(ci, $"- Command: `dotnet run -c Release --project bench/Renmai.Bench -- list --rows {o.Rows} --seconds {o.Seconds} --clients {o.Clients}{(o.PlainBaseline ? " --plain-baseline" : "")}`");
        sb.AppendLine(ci, $"- Renmai: the real app in-process ({ourUrl}, API token auth, admin). Baseline: a bare minimal Kestrel app in the same process ({baseUrl}), one raw SQL query per request (+ a raw COUNT for lists), Microsoft.Data.Sqlite, rows written as JSON.");
        sb.AppendLine(ci, $"- List requests rotate over: {string.Join("; ", Combos.Select(c => c.ApiQuery.Replace(Uri.EscapeDataString("制造业"), "制造业", StringComparison.Ordinal)))}; pages 1–{Pages}, {PageSize} per page. Get-by-number: random existing numbers.");
        sb.AppendLine();
        sb.AppendLine("| Phase | Requests | req/s | p50 ms | p99 ms | max ms | ours/baseline req/s | ours/baseline p50 |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        for (var i = 0; i < r.Count; i++)
        {
            var x = r[i];
            var pair = i % 2 == 0 && i + 1 < r.Count && i < 4 ? r[i + 1] : null;
            var ratios = pair is null ? " | |" : string.Create(ci, $"{x.RequestsPerSecond / pair.RequestsPerSecond:F2} | {x.P50Ms / pair.P50Ms:F2} |");
            sb.AppendLine(ci, $"| {x.Name} | {x.Requests:N0} | {x.RequestsPerSecond:N0} | {x.P50Ms:F2} | {x.P99Ms:F2} | {x.MaxMs:F1} | {ratios}");
        }
        sb.AppendLine();
        var serving = servePeakMb is { } sp
            ? string.Create(ci, $"; {sp:N0} MB while serving (peak reset after the fill).")
            : " (could not reset the peak for the serving phases).";
        sb.AppendLine(ci, $"Peak RSS (VmHWM): {fillPeakMb:N0} MB through setup and fill{serving}");
        sb.AppendLine();
        var listP99 = r[0].P99Ms;
        var getRatio = r[2].RequestsPerSecond / r[3].RequestsPerSecond;
        sb.AppendLine("| Bar (from the issue) | Measured | Result |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(ci, $"| list page p99 under 100 ms at 1M customers | p99 {listP99:F1} ms at {rows:N0} rows | {(listP99 < 100 && rows >= 1_000_000 ? "PASS" : rows < 1_000_000 ? "n/a (fewer rows)" : "FAIL")} |");
        sb.AppendLine(ci, $"| get-by-number throughput at least half of the baseline's | {r[2].RequestsPerSecond:N0} vs {r[3].RequestsPerSecond:N0} req/s = {getRatio:F2} | {(getRatio >= 0.5 ? "PASS" : "FAIL")} |");
        if (r.Count >= 8)
        {
            sb.AppendLine();
            sb.AppendLine("Cost of encryption on the list page (phases e/f: the same requests on the same rows, phones sealed vs stored as plaintext JSON; masking in both; two alternating rounds):");
            sb.AppendLine();
            sb.AppendLine("| Round | p50 encrypted | p50 plain | p99 encrypted | p99 plain | p99 ratio | req/s encrypted | req/s plain |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
            for (var k = 4; k + 1 < r.Count; k += 2)
            {
                var (enc, plain) = (r[k], r[k + 1]);
                sb.AppendLine(ci, $"| {(k - 2) / 2} | {enc.P50Ms:F2} | {plain.P50Ms:F2} | {enc.P99Ms:F2} | {plain.P99Ms:F2} | {enc.P99Ms / plain.P99Ms:F2} | {enc.RequestsPerSecond:N0} | {plain.RequestsPerSecond:N0} |");
            }
        }
        if (r.Any(x => x.Errors > 0)) sb.AppendLine().AppendLine(ci, $"Errors: {string.Join(", ", r.Where(x => x.Errors > 0).Select(x => $"{x.Name}: {x.Errors}"))}");
        return sb.ToString();
    }

    // ---- Baseline ---------------------------------------------------------------------------------

    /// <summary>One open connection with its prepared commands; a connection serves one request at a time.</summary>
    private sealed class BareConnection : IDisposable
    {
        private readonly SqliteConnection _connection;
        private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

        public BareConnection(string connectionString)
        {
            _connection = new SqliteConnection(connectionString);
            _connection.Open();
            using var pragma = _connection.CreateCommand();
            pragma.CommandText = "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;";
            pragma.ExecuteNonQuery();
        }

        public SqliteCommand Command(string sql, params string[] parameters)
        {
            if (_commands.TryGetValue(sql, out var cmd)) return cmd;
            cmd = _connection.CreateCommand();
            cmd.CommandText = sql;
            foreach (var p in parameters) cmd.Parameters.Add(new SqliteParameter(p, null));
            cmd.Prepare();
            return _commands[sql] = cmd;
        }

        public void Dispose()
        {
            foreach (var c in _commands.Values) c.Dispose();
            _connection.Dispose();
        }
    }

    private sealed class BarePool(string connectionString) : IDisposable
    {
        private readonly ConcurrentBag<BareConnection> _idle = [];

        public BareConnection Rent() => _idle.TryTake(out var c) ? c : new BareConnection(connectionString);

        public void Return(BareConnection c) => _idle.Add(c);

        public void Dispose()
        {
            while (_idle.TryTake(out var c)) c.Dispose();
        }
    }

    private static WebApplication BuildBaseline(string url, string connectionString)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var pool = new BarePool(connectionString);
        app.Lifetime.ApplicationStopped.Register(pool.Dispose);

        app.MapGet("/baseline/customers", async (HttpContext http, int combo, int page) =>
        {
            var c = Combos[combo];
            var conn = pool.Rent();
            try
            {
                var count = conn.Command($"SELECT COUNT(*) FROM \"Customers\" WHERE \"DeletedAt\" IS NULL AND {c.Where}");
                var total = (long)(await count.ExecuteScalarAsync())!;
                var select = conn.Command($"SELECT * FROM \"Customers\" WHERE \"DeletedAt\" IS NULL AND {c.Where} ORDER BY {c.OrderBy} LIMIT {PageSize} OFFSET $offset", "$offset");
                select.Parameters[0].Value = (page - 1) * PageSize;
                http.Response.ContentType = "application/json; charset=utf-8";
                await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
                json.WriteStartObject();
                json.WriteStartArray("items");
                await using (var reader = await select.ExecuteReaderAsync())
                    while (await reader.ReadAsync()) WriteRow(json, reader);
                json.WriteEndArray();
                json.WriteNumber("total", total);
                json.WriteEndObject();
                await json.FlushAsync();
            }
            finally
            {
                pool.Return(conn);
            }
        });

        app.MapGet("/baseline/customers/{number}", async (HttpContext http, string number) =>
        {
            var conn = pool.Rent();
            try
            {
                var select = conn.Command("SELECT * FROM \"Customers\" WHERE \"Number\" = $number AND \"DeletedAt\" IS NULL", "$number");
                select.Parameters[0].Value = number;
                await using var reader = await select.ExecuteReaderAsync();
                if (!await reader.ReadAsync())
                {
                    http.Response.StatusCode = 404;
                    return;
                }
                http.Response.ContentType = "application/json; charset=utf-8";
                await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
                WriteRow(json, reader);
                await json.FlushAsync();
            }
            finally
            {
                pool.Return(conn);
            }
        });
        return app;
    }

    private static void WriteRow(Utf8JsonWriter json, SqliteDataReader reader)
    {
        json.WriteStartObject();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var name = reader.GetName(i);
            if (reader.IsDBNull(i)) { json.WriteNull(name); continue; }
            switch (reader.GetValue(i))
            {
                case long l: json.WriteNumber(name, l); break;
                case double d: json.WriteNumber(name, d); break;
                case string s: json.WriteString(name, s); break;
                case byte[] b: json.WriteBase64String(name, b); break;
                case var v: json.WriteString(name, Convert.ToString(v, CultureInfo.InvariantCulture)); break;
            }
        }
        json.WriteEndObject();
    }

    // ---- Helpers ----------------------------------------------------------------------------------

    private static async Task<(long Total, string? First)> FirstAndTotalAsync(HttpClient http, string url, string numberProperty)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"{url}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var items = doc.RootElement.GetProperty("items");
        var first = items.GetArrayLength() > 0 ? items[0].GetProperty(numberProperty).GetString() : null;
        return (doc.RootElement.GetProperty("total").GetInt64(), first);
    }

}
