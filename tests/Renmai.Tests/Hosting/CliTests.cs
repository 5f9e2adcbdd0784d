using System.Diagnostics;
using System.Net;
using Renmai.Tests.Support;

namespace Renmai.Tests.Hosting;

/// <summary>The `renmai` executable's admin subcommands, run as real processes on a real data folder.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "renmai-cli-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private async Task<(int Exit, string Out, string Err)> Renmai(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "renmai.dll"));
        psi.ArgumentList.Add("--data");
        psi.ArgumentList.Add(_data);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task User_and_token_commands_create_working_credentials_and_reject_bad_input()
    {
        var (exit, stdout, stderr) = await Renmai("migrate");
        Assert.True(exit == 0, stderr);
        Assert.True(File.Exists(Path.Combine(_data, "renmai.db")));

        (exit, stdout, stderr) = await Renmai("user", "add", "--email", "admin@example.com", "--password", "Renmai#2026", "--role", "admin", "--name", "王管理");
        Assert.True(exit == 0, stderr);
        Assert.Contains("已创建用户 admin@example.com", stdout);

        (exit, _, stderr) = await Renmai("user", "add", "--email", "boss@example.com", "--password", "Renmai#2026", "--role", "boss");
        Assert.Equal(1, exit);
        Assert.Contains("未知的角色", stderr);

        (exit, _, stderr) = await Renmai("user", "add", "--email", "short@example.com", "--password", "123", "--role", "rep");
        Assert.Equal(1, exit);
        Assert.Contains("密码至少需要 8 位", stderr);

        (exit, _, stderr) = await Renmai("user", "add", "--email", "admin@example.com", "--password", "Renmai#2026", "--role", "rep");
        Assert.Equal(1, exit);
        Assert.Contains("已存在", stderr);

        (exit, _, stderr) = await Renmai("token", "create", "--email", "nobody@example.com");
        Assert.Equal(1, exit);
        Assert.Contains("不存在", stderr);

        (exit, stdout, stderr) = await Renmai("token", "create", "--email", "admin@example.com", "--name", "ERP 同步");
        Assert.True(exit == 0, stderr);
        var token = stdout.TrimEnd().Split('\n')[^1].Trim();
        Assert.StartsWith("rm_", token, StringComparison.Ordinal);

        (exit, _, stderr) = await Renmai("demo-data", "--customers", "0");
        Assert.Equal(1, exit);
        Assert.Contains("--customers", stderr);

        // The printed token works against a server on the same data folder.
        await using var app = await TestApp.StartAsync(TestDatabase.Sqlite, dataFolder: _data);
        var client = app.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers")).StatusCode);
    }
}
