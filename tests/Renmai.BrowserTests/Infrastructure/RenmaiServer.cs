using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Xunit;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>
/// Runs the real <c>renmai</c> app as a separate process (<c>dotnet renmai.dll</c>) on a free loopback
/// port with a fresh data folder, so the browser talks to exactly what a user installs.
/// Subclasses may prepare the data folder through the CLI before the server starts.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "xunit disposes fixtures through IAsyncLifetime.DisposeAsync")]
public partial class RenmaiServer : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(120);

    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private Process? _process;

    public RenmaiServer()
    {
        AppDirectory = AppContext.BaseDirectory;
        AppDll = Path.Combine(AppDirectory, "renmai.dll");
        DataDirectory = Path.Combine(Path.GetTempPath(), "renmai-browser-" + Guid.NewGuid().ToString("N")[..12]);
    }

    /// <summary>The folder holding renmai.dll (the test output folder; the ProjectReference copies it there).</summary>
    public string AppDirectory { get; }

    public string AppDll { get; }

    /// <summary>The fresh data folder (SQLite database, keys) of this server.</summary>
    public string DataDirectory { get; }

    /// <summary>For example http://127.0.0.1:43125 (no trailing slash).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The one-time code printed on first start, or null when an account already existed.</summary>
    public string? SetupCode { get; private set; }

    /// <summary>Everything the server printed so far (stdout and stderr interleaved).</summary>
    public string Log
    {
        get { lock (_logLock) return _log.ToString(); }
    }

    public string Url(string path) => BaseUrl + (path.StartsWith('/') ? path : "/" + path);

    public async Task InitializeAsync()
    {
        if (!File.Exists(AppDll))
            throw new InvalidOperationException($"renmai.dll not found at {AppDll}; the test project must reference src/Renmai.");
        Directory.CreateDirectory(DataDirectory);
        await BeforeStartAsync();

        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        var psi = NewStartInfo(["--data", DataDirectory, "--urls", BaseUrl]);
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        if (!_process.Start()) throw new InvalidOperationException("could not start " + psi.FileName);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        await WaitForHealthAsync();
        SetupCode = await WaitForSetupCodeAsync();
        await AfterStartAsync();
    }

    /// <summary>Runs before the server starts; the data folder exists and is empty.</summary>
    protected virtual Task BeforeStartAsync() => Task.CompletedTask;

    /// <summary>Runs once /health answers.</summary>
    protected virtual Task AfterStartAsync() => Task.CompletedTask;

    /// <summary>
    /// Runs a CLI subcommand against this server's data folder, e.g.
    /// <c>RunCliAsync("user", "add", "--email", "a@b.cn", ...)</c>. SQLite runs in WAL mode, so this is
    /// fine while the server is running. Throws with the output when the exit code is not 0.
    /// </summary>
    public async Task<string> RunCliAsync(params string[] args)
    {
        var (exit, output) = await TryRunCliAsync(args);
        if (exit != 0)
            throw new InvalidOperationException($"renmai {string.Join(' ', args)} exited with {exit}:\n{output}");
        return output;
    }

    /// <summary>Like <see cref="RunCliAsync"/> but returns the exit code instead of throwing.</summary>
    public async Task<(int ExitCode, string Output)> TryRunCliAsync(params string[] args)
    {
        var psi = NewStartInfo(["--data", DataDirectory, .. args]);
        var output = new StringBuilder();
        var outputLock = new Lock();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (outputLock) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (outputLock) output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(CliTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"renmai {string.Join(' ', args)} did not finish in {CliTimeout.TotalSeconds} s:\n{output}");
        }
        p.WaitForExit(); // flushes the asynchronous output readers
        lock (outputLock) return (p.ExitCode, output.ToString());
    }

    /// <summary>Adds a user through <c>renmai user add</c>.</summary>
    public Task<string> AddUserAsync(string email, string password, string role = "admin", string? name = null) =>
        RunCliAsync(name is null
            ? ["user", "add", "--email", email, "--password", password, "--role", role]
            : ["user", "add", "--email", email, "--password", password, "--role", role, "--name", name]);

    /// <summary>Creates an API token (<c>renmai token create</c>; the token is the last output line).</summary>
    public async Task<string> CreateTokenAsync(string email, bool readOnly = true)
    {
        var output = await RunCliAsync(readOnly
            ? ["token", "create", "--email", email, "--name", "browser-tests", "--read-only"]
            : ["token", "create", "--email", email, "--name", "browser-tests"]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
    }

    public Task<string> DemoDataAsync(int customers) =>
        RunCliAsync("demo-data", "--customers", customers.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private ProcessStartInfo NewStartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        psi.ArgumentList.Add(AppDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // Production, as users run it (the app serves its static web assets from the build output itself).
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["DOTNET_ENVIRONMENT"] = "Production";
        // Browser tests always run on SQLite in the fresh data folder, whatever the outer environment says.
        psi.Environment["Database__Provider"] = "Sqlite";
        psi.Environment.Remove("ConnectionStrings__Renmai");
        psi.Environment.Remove("RENMAI_DATA");
        psi.Environment.Remove("ASPNETCORE_URLS");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        return psi;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logLock) _log.AppendLine(line);
    }

    private async Task WaitForHealthAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"renmai exited with code {_process.ExitCode} before it was healthy. Log:\n{Log}");
            try
            {
                using var response = await http.GetAsync(Url("/health"));
                if (response.StatusCode == HttpStatusCode.OK) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        throw new TimeoutException($"renmai did not answer GET /health with 200 within {StartTimeout.TotalSeconds} s at {BaseUrl}. Log:\n{Log}");
    }

    /// <summary>The code is logged before the server listens; allow a moment for the log to flush.</summary>
    private async Task<string?> WaitForSetupCodeAsync()
    {
        for (var i = 0; i < 20; i++)
        {
            var m = SetupCodePattern().Match(Log);
            if (m.Success) return m.Groups[1].Value;
            if (Log.Contains("Application started", StringComparison.Ordinal) && i >= 4) break;
            await Task.Delay(100);
        }
        return null;
    }

    [GeneratedRegex(@"First-run setup code: (\d{4}-\d{4})")]
    private static partial Regex SetupCodePattern();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    try { await _process.WaitForExitAsync(cts.Token); } catch (OperationCanceledException) { }
                }
            }
            catch (InvalidOperationException) { }
            _process.Dispose();
        }
        for (var attempt = 0; attempt < 5 && Directory.Exists(DataDirectory); attempt++)
        {
            try { Directory.Delete(DataDirectory, recursive: true); }
            catch (IOException) { await Task.Delay(200); }
            catch (UnauthorizedAccessException) { await Task.Delay(200); }
        }
    }
}

/// <summary>A server on an empty data folder: no account yet, so every page leads to /setup.</summary>
public sealed class FreshServer : RenmaiServer;

/// <summary>
/// A server whose data folder got an admin (via <c>renmai user add</c>) and 50 demo customers
/// (via <c>renmai demo-data</c>) before it started, plus a read-only API token for checks.
/// </summary>
public sealed class SeededServer : RenmaiServer
{
    public const string AdminEmail = "admin@renmai.test";
    public const string AdminPassword = "Renmai-test-2026";
    public const string AdminName = "王管理";
    public const int DemoCustomers = 50;

    /// <summary>A read-only API token of the admin, for checks that need data the UI does not show.</summary>
    public string ApiToken { get; private set; } = "";

    protected override async Task BeforeStartAsync()
    {
        await AddUserAsync(AdminEmail, AdminPassword, "admin", AdminName);
        await DemoDataAsync(DemoCustomers);
        ApiToken = await CreateTokenAsync(AdminEmail);
    }

    /// <summary>GET an /api/v1 path with the admin's read-only token; returns the parsed JSON.</summary>
    public async Task<System.Text.Json.JsonElement> ApiGetAsync(string pathAndQuery)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiToken);
        using var response = await http.GetAsync(Url(pathAndQuery));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {pathAndQuery} → {(int)response.StatusCode}: {body}");
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }
}
