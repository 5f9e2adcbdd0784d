using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Search;
using Renmai.Hosting;

namespace Renmai.Bench;

/// <summary>
/// `search`: the global search (GET /api/v1/search, limit 10, admin) for three query sets drawn from the demo
/// data itself — 2 Chinese characters of real names, pinyin initials of real names, 4 digits of real phones —
/// against a baseline in the same run: one raw FTS5 query (the same MATCH the app uses for "anywhere", LIMIT 10,
/// joined to the customers) per request in a bare Kestrel app, on the same SQLite file. With --pg the same on
/// PostgreSQL: the baseline is the app's "anywhere" LIKE pattern(s) on the pg_trgm-indexed search rows.
/// </summary>
internal static class SearchWorkload
{
    private const int Limit = 10;
    private const int Samples = 400;

    private sealed record QuerySet(string Name, List<(string Q, string Match)> Queries);

    public static Task<int> RunAsync(BenchOptions o) => BenchSetup.WithDataFolderAsync(o, "search", RunCoreAsync);

    private static async Task<int> RunCoreAsync(BenchOptions o, string folder, bool reuse)
    {
        var data = await BenchSetup.PrepareAsync(o, folder, reuse);

        var ourUrl = $"http://127.0.0.1:{BenchSetup.FreePort()}";
        var appBuilder = RenmaiApp.CreateBuilder(["--urls", ourUrl], b => BenchSetup.Configure(b, folder, o.Postgres));
        await using var app = await RenmaiApp.BuildAsync(appBuilder);
        await app.StartAsync();
        var sets = await QuerySetsAsync(app.Services, data.MaxNumber, o.Seed, o.Postgres is not null);

        var baseUrl = $"http://127.0.0.1:{BenchSetup.FreePort()}";
        await using var baseline = o.Postgres is null ? BuildBaseline(baseUrl, data.ConnectionString) : BuildPostgresBaseline(baseUrl, o.Postgres);
        await baseline.StartAsync();

        using var ours = BenchSetup.NewClient(ourUrl, o.Clients);
        ours.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", data.Token);
        using var bare = BenchSetup.NewClient(baseUrl, o.Clients);

        // Same answers? Every sample query finds at least one customer through the app.
        foreach (var set in sets)
        {
            var empty = 0;
            foreach (var (q, _) in set.Queries.Take(50))
            {
                using var doc = JsonDocument.Parse(await ours.GetStringAsync($"/api/v1/search?limit={Limit}&q={Uri.EscapeDataString(q)}"));
                if (doc.RootElement.GetArrayLength() == 0) empty++;
            }
            Console.WriteLine($"  {set.Name}: {set.Queries.Count} queries, e.g. {string.Join(" ", set.Queries.Take(6).Select(x => x.Q))}; {empty}/50 without a hit");
            if (empty > 0) throw new InvalidOperationException($"{set.Name}: {empty} sample queries found nothing");
        }

        var runner = new LoadRunner(o.Clients, TimeSpan.FromSeconds(o.Seconds), o.MaxRequests);
        var warmup = TimeSpan.FromSeconds(Math.Clamp(o.Seconds / 4.0, 1, 5));
        var results = new List<(QuerySet Set, PhaseResult Ours, PhaseResult Bare)>();
        foreach (var set in sets)
        {
            var q = set.Queries;
            Console.WriteLine($"{set.Name} …");
            var a = await runner.RunAsync($"{set.Name} — Renmai API", ours, r => $"/api/v1/search?limit={Limit}&q={Uri.EscapeDataString(q[r.Next(q.Count)].Q)}", o.Seed, warmup);
            Console.WriteLine($"  ours: {a.Requests:N0} requests, {a.RequestsPerSecond:N0} req/s, p50 {a.P50Ms:F2} ms, p99 {a.P99Ms:F2} ms, errors {a.Errors}");
            var b = await runner.RunAsync($"{set.Name} — baseline", bare, r => $"/baseline/search?m={Uri.EscapeDataString(q[r.Next(q.Count)].Match)}", o.Seed, warmup);
            Console.WriteLine($"  baseline: {b.Requests:N0} requests, {b.RequestsPerSecond:N0} req/s, p50 {b.P50Ms:F2} ms, p99 {b.P99Ms:F2} ms, errors {b.Errors}");
            results.Add((set, a, b));
        }
        var servePeakMb = Machine.PeakRssMb();
        await app.StopAsync();
        await baseline.StopAsync();

        var report = Report(o, data, data.PeakReset ? servePeakMb : null, results, Path.Combine(folder, "renmai.db"));
        Console.WriteLine();
        Console.WriteLine(report);
        var resultFile = Path.Combine(Machine.RepoRoot(), "bench", "results", o.Postgres is null ? "search.md" : "search-postgres.md");
        Directory.CreateDirectory(Path.GetDirectoryName(resultFile)!);
        await File.WriteAllTextAsync(resultFile, report);
        Console.WriteLine($"written to {resultFile}");
        return results.Any(r => r.Ours.Errors > 0 || r.Bare.Errors > 0) ? 1 : 0;
    }

    /// <summary>Queries drawn from random customers and their contacts (decrypted through the app for the phones).</summary>
    private static async Task<List<QuerySet>> QuerySetsAsync(IServiceProvider services, long maxNumber, int seed, bool postgres)
    {
        // The baseline's form of the app's "anywhere" patterns: FTS5 phrases, or LIKE patterns (one per line) on PostgreSQL.
        string Pg(string a) => a.Replace('^', CustomerSearchRows.PostgresGramMarker);
        string Either(string a, string b) => postgres ? $"%{Pg(a)}%\n%{Pg(b)}%" : $"\"{a}\" OR \"{b}\"";
        string One(string a) => postgres ? $"%{Pg(a)}%" : $"\"{a}\"";
        // Two characters anywhere: on SQLite a gram, one word of the word table (SearchSetup.Words).
        string Gram(string a) => postgres ? Either("^" + a, "|" + a) : $"word:\"{a}\"";
        var rng = new Random(seed);
        var numbers = Enumerable.Range(0, Samples).Select(_ => CustomerNumbers.Format(rng.NextInt64(1, maxNumber + 1))).Distinct().ToList();
        await using var db = await services.GetRequiredService<IDbContextFactory<RenmaiDb>>().CreateDbContextAsync();
        var customers = await db.Set<Customer>().AsNoTracking().Where(c => numbers.Contains(c.Number)).ToListAsync();
        var ids = customers.Select(c => c.Id).ToList();
        var contacts = (await db.Set<Contact>().AsNoTracking().Where(k => ids.Contains(k.CustomerId)).ToListAsync()).ToLookup(k => k.CustomerId);
        var cipher = services.GetRequiredService<SensitiveCipher>();

        var chinese = new List<(string, string)>();
        var initials = new List<(string, string)>();
        var phones = new List<(string, string)>();
        foreach (var c in customers)
        {
            var person = c.Kind == Renmai.Features.Classification.CustomerKind.Individual;
            var names = new List<(string Name, bool Person)> { (c.Name, person) };
            names.AddRange(contacts[c.Id].Select(k => (k.Name, true)));
            var (name, isPerson) = names[rng.Next(names.Count)];
            var han = new string([.. name.Where(ch => ch > 0x7F && Pinyin.Reading(ch) is not null)]);
            if (han.Length >= 2)
            {
                var i = rng.Next(han.Length - 1);
                var q = han.Substring(i, 2);
                chinese.Add((q, Gram(q)));
            }
            var ini = isPerson ? Pinyin.NameInitials(name) : Pinyin.Initials(name)[..Math.Min(4, Pinyin.Initials(name).Length)];
            if (ini.Length >= 2) initials.Add((ini, ini.Length >= 3 ? One(ini) : Gram(ini)));
            var allPhones = c.Phones.Concat(contacts[c.Id].SelectMany(k => k.Phones)).Select(p => SensitiveStore.PhoneDigits(p.Number)).Where(p => p.Length >= 4).ToList();
            if (allPhones.Count > 0)
            {
                var p = allPhones[rng.Next(allPhones.Count)];
                var gram = p.Substring(rng.Next(p.Length - 3), 4);
                var token = CustomerSearchRows.PhoneToken(cipher, gram);
                phones.Add((gram, "word:" + token));
            }
        }
        return [new("2 Chinese characters", chinese), new("pinyin initials", initials), new("4-digit phone fragment", phones)];
    }

    private static string Report(BenchOptions o, BenchData data, double? servePeakMb, List<(QuerySet Set, PhaseResult Ours, PhaseResult Bare)> r, string dbFile)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark `search`").AppendLine();
        sb.AppendLine(ci, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        sb.AppendLine(ci, $"- Machine: {Machine.Describe()} (shared: other builds may have been running, so compare the ratios)");
        sb.AppendLine(ci, $"- Commit: {Machine.Commit(Machine.RepoRoot())}");
        sb.AppendLine(ci, $"- Rows: {data.Rows:N0} customers ({(o.Postgres is null ? "SQLite" : "PostgreSQL " + PostgresVersion(o.Postgres))}, seed {o.Seed}); {o.Clients} clients, each phase ≤ {o.Seconds} s or {o.MaxRequests:N0} requests after a warm-up");
        if (data.FillSeconds is { } fs) sb.AppendLine(ci, $"- Demo data fill (bulk writer, customers + contacts + blind index + search rows/FTS): {fs:F1} s, {data.Rows / fs:N0} customers/s");
        if (File.Exists(dbFile)) sb.AppendLine(ci, $"- Database file: {new FileInfo(dbFile).Length / 1024.0 / 1024.0:N0} MB");
        sb.AppendLine(ci, $"- Command: `dotnet run -c Release --project bench/Renmai.Bench -- search --rows {o.Rows} --seconds {o.Seconds} --clients {o.Clients}{(o.Postgres is null ? "" : " --pg \"…\"")}`");
        if (o.Postgres is null)
            sb.AppendLine(ci, $"- Renmai: GET /api/v1/search?q=…&limit={Limit} in the real app in-process (API token, admin: sees all; ranked exact → prefix → anywhere, up to 3 FTS queries + phone verification by decryption + masking). Baseline: a bare Kestrel app in the same process, one raw FTS5 MATCH per request (the app's \"anywhere\" pattern: 3+ characters on the trigram table; 2 characters as a gram, and phones as the blind token, precomputed, on the word table) joined to Customers, LIMIT {Limit}, rows as JSON.");
        else
            sb.AppendLine(ci, $"- Renmai: GET /api/v1/search?q=…&limit={Limit} in the real app in-process on PostgreSQL (API token, admin: sees all; ranked exact → prefix → anywhere, up to 3 LIKE queries on the pg_trgm GIN index; phones: token words on a tsvector GIN index + verification by decryption + masking). Baseline: a bare Kestrel app in the same process, one raw query per request (the app's \"anywhere\" LIKE pattern(s) on CustomerSearch.Text; for phones the blind token, precomputed, as a word of CustomerSearch.PhoneGrams through its tsvector index) joined to Customers, LIMIT {Limit}, rows as JSON. Server settings: {PostgresSettings(o.Postgres)}.");
        sb.AppendLine(ci, $"- Queries: {Samples} random customers (and their contacts) of the demo data: a random 2-character window of a name; the pinyin initials of a person name or the first 4 of a company name; a random 4-digit window of a real (decrypted) phone.");
        sb.AppendLine();
        sb.AppendLine("| Query set | Renmai req/s | Renmai p50 ms | Renmai p99 ms | Renmai max ms | Baseline req/s | Baseline p50 ms | Baseline p99 ms | p99 < 50 ms |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var (set, a, b) in r)
            sb.AppendLine(ci, $"| {set.Name} | {a.RequestsPerSecond:N0} | {a.P50Ms:F2} | {a.P99Ms:F2} | {a.MaxMs:F1} | {b.RequestsPerSecond:N0} | {b.P50Ms:F2} | {b.P99Ms:F2} | {(a.P99Ms < 50 ? data.Rows >= 1_000_000 ? "PASS" : "pass (fewer rows than the bar)" : "FAIL")} |");
        sb.AppendLine();
        var serving = servePeakMb is { } sp ? string.Create(ci, $"; {sp:N0} MB while serving.") : ".";
        sb.AppendLine(ci, $"Peak RSS (VmHWM): {data.FillPeakMb:N0} MB through setup and fill{serving}");
        if (r.Any(x => x.Ours.Errors > 0 || x.Bare.Errors > 0)) sb.AppendLine().AppendLine("Errors occurred: see the console output.");
        return sb.ToString();
    }

    private static string PostgresVersion(string cs) => PostgresScalar(cs, "SHOW server_version");

    private static string PostgresSettings(string cs) => PostgresScalar(cs,
        "SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_connections', 'fsync')");

    private static string PostgresScalar(string cs, string sql)
    {
        using var c = new Npgsql.NpgsqlConnection(cs);
        c.Open();
        using var cmd = new Npgsql.NpgsqlCommand(sql, c);
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture) ?? "";
    }

    /// <summary>The PostgreSQL baseline: the app's "anywhere" LIKE pattern(s) (one or two, OR) on the trigram-indexed search rows.</summary>
    private static WebApplication BuildPostgresBaseline(string url, string connectionString)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var source = Npgsql.NpgsqlDataSource.Create(connectionString);
        app.Lifetime.ApplicationStopped.Register(source.Dispose);
        const string Join = "SELECT c.\"Number\", c.\"Name\" FROM \"CustomerSearch\" s JOIN \"Customers\" c ON c.\"Id\" = s.\"CustomerId\" WHERE ";
        app.MapGet("/baseline/search", async (HttpContext http, string m) =>
        {
            var phone = m.StartsWith("word:", StringComparison.Ordinal);
            var patterns = (phone ? m["word:".Length..] : m).Split('\n');
            await using var cmd = source.CreateCommand(Join + (phone ? "to_tsvector('simple', s.\"PhoneGrams\") @@ to_tsquery('simple', $1)" : "(s.\"Text\" LIKE $1 OR s.\"Text\" LIKE $2)")
                + " AND c.\"DeletedAt\" IS NULL LIMIT " + Limit);
            cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = patterns[0] });
            if (!phone) cmd.Parameters.Add(new Npgsql.NpgsqlParameter { Value = patterns[^1] });
            await using var reader = await cmd.ExecuteReaderAsync();
            await WriteHitsAsync(http.Response, reader);
        });
        return app;
    }

    /// <summary>The baselines' response: the rows' number and name as a JSON array.</summary>
    private static async Task WriteHitsAsync(HttpResponse response, System.Data.Common.DbDataReader reader)
    {
        response.ContentType = "application/json; charset=utf-8";
        await using var json = new Utf8JsonWriter(response.BodyWriter);
        json.WriteStartArray();
        while (await reader.ReadAsync())
        {
            json.WriteStartObject();
            json.WriteString("number", reader.GetString(0));
            json.WriteString("name", reader.GetString(1));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        await json.FlushAsync();
    }

    private static WebApplication BuildBaseline(string url, string connectionString)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var idle = new ConcurrentBag<(SqliteConnection Conn, SqliteCommand Cmd)>();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            while (idle.TryTake(out var c)) { c.Cmd.Dispose(); c.Conn.Dispose(); }
        });
        // Word queries ("word:<phone token or gram>") go to the word table, the others to the trigram table.
        var idleWord = new ConcurrentBag<(SqliteConnection Conn, SqliteCommand Cmd)>();
        (SqliteConnection, SqliteCommand) Open(string table)
        {
            var conn = new SqliteConnection(connectionString);
            conn.Open();
            var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT c.\"Number\", c.\"Name\" FROM {table} f JOIN CustomerSearch s ON s.Id = f.rowid "
                + $"JOIN \"Customers\" c ON c.\"Id\" = s.CustomerId WHERE {table} MATCH $m AND c.\"DeletedAt\" IS NULL LIMIT " + Limit;
            cmd.Parameters.Add(new SqliteParameter("$m", null));
            cmd.Prepare();
            return (conn, cmd);
        }
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            while (idleWord.TryTake(out var c)) { c.Cmd.Dispose(); c.Conn.Dispose(); }
        });
        app.MapGet("/baseline/search", async (HttpContext http, string m) =>
        {
            var word = m.StartsWith("word:", StringComparison.Ordinal);
            var bag = word ? idleWord : idle;
            if (!bag.TryTake(out var c)) c = Open(word ? "CustomerWordFts" : "CustomerSearchFts");
            try
            {
                c.Cmd.Parameters[0].Value = word ? m["word:".Length..] : m;
                await using var reader = await c.Cmd.ExecuteReaderAsync();
                await WriteHitsAsync(http.Response, reader);
            }
            finally
            {
                bag.Add(c);
            }
        });
        return app;
    }
}
