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
    public async Task Team_add_user_add_with_team_and_deactivate_with_handover()
    {
        Assert.Equal(0, (await Renmai("user", "add", "--email", "admin@example.com", "--password", "Renmai#2026", "--role", "admin")).Exit);
        Assert.Equal(0, (await Renmai("user", "add", "--email", "zhao@example.com", "--password", "Renmai#2026", "--role", "manager", "--name", "赵经理")).Exit);
        var (exit, stdout, stderr) = await Renmai("team", "add", "华东一组", "--manager", "zhao@example.com");
        Assert.True(exit == 0, stderr);
        Assert.Contains("已创建团队 华东一组，经理：赵经理", stdout, StringComparison.Ordinal);
        (exit, _, stderr) = await Renmai("team", "add", "华东一组");
        Assert.Equal(1, exit);
        Assert.Contains("团队“华东一组”已存在", stderr, StringComparison.Ordinal);

        (exit, _, stderr) = await Renmai("user", "add", "--email", "zhang@example.com", "--password", "Renmai#2026", "--role", "rep", "--name", "张伟", "--team", "华东一组");
        Assert.True(exit == 0, stderr);
        (exit, _, stderr) = await Renmai("user", "add", "--email", "li@example.com", "--password", "Renmai#2026", "--role", "rep", "--team", "不存在的组");
        Assert.Equal(1, exit);
        Assert.Contains("团队“不存在的组”不存在", stderr, StringComparison.Ordinal);
        Assert.Equal(0, (await Renmai("user", "add", "--email", "li@example.com", "--password", "Renmai#2026", "--role", "rep", "--name", "李娜")).Exit);
        Assert.Equal(0, (await Renmai("demo-data", "--customers", "30")).Exit);

        (exit, stdout, _) = await Renmai("user", "list");
        var zhangLine = stdout.Split('\n').Single(l => l.StartsWith("zhang@example.com", StringComparison.Ordinal));
        Assert.Contains("华东一组", zhangLine, StringComparison.Ordinal);
        var owned = int.Parse(zhangLine.Split("客户 ")[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);

        (exit, stdout, stderr) = await Renmai("user", "deactivate", "zhang@example.com", "--handover-to", "li@example.com");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"已停用 zhang@example.com，{owned} 个客户已移交给li@example.com", stdout, StringComparison.Ordinal);
        (exit, stdout, _) = await Renmai("user", "list");
        Assert.Contains("已停用", stdout.Split('\n').Single(l => l.StartsWith("zhang@example.com", StringComparison.Ordinal)), StringComparison.Ordinal);
        (exit, _, stderr) = await Renmai("user", "deactivate", "nobody@example.com");
        Assert.Equal(1, exit);
        Assert.Contains("不存在", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_the_file_by_extension_within_the_scope_of_the_user_given_with_as()
    {
        Assert.Equal(0, (await Renmai("user", "add", "--email", "zhang@example.com", "--password", "Renmai#2026", "--role", "rep", "--name", "张伟")).Exit);
        Assert.Equal(0, (await Renmai("demo-data", "--customers", "40")).Exit);
        var all = Path.Combine(_data, "全部客户.xlsx");
        var (exit, stdout, stderr) = await Renmai("export", all);
        Assert.True(exit == 0, stderr);
        var rows = MiniExcelLibs.MiniExcel.Query(all, useHeaderRow: true).Cast<IDictionary<string, object?>>().ToList();
        Assert.Equal(40, rows.Count);
        Assert.Contains("已导出 40 个客户", stdout, StringComparison.Ordinal);
        Assert.Contains("客户编号", rows[0].Keys);

        // Demo customers are spread over the users: the rep's export holds exactly the rep's own.
        (_, stdout, _) = await Renmai("user", "list");
        var owned = int.Parse(stdout.Split('\n').Single(l => l.StartsWith("zhang@example.com", StringComparison.Ordinal)).Split("客户 ")[1].Trim(),
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(owned, 1, 39);
        var mine = Path.Combine(_data, "mine.csv");
        (exit, stdout, stderr) = await Renmai("export", mine, "--as", "zhang@example.com");
        Assert.True(exit == 0, stderr);
        Assert.Contains($"已导出 {owned} 个客户", stdout, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(mine);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        Assert.StartsWith("客户编号,客户名称", System.Text.Encoding.UTF8.GetString(bytes[3..]), StringComparison.Ordinal);

        (exit, _, stderr) = await Renmai("export", Path.Combine(_data, "x.pdf"));
        Assert.Equal(1, exit);
        Assert.Contains("不支持的导出格式“.pdf”", stderr, StringComparison.Ordinal);
        (exit, _, stderr) = await Renmai("export", Path.Combine(_data, "x.csv"), "--view", "不存在");
        Assert.Equal(1, exit);
        Assert.Contains("视图“不存在”不存在", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_data, "x.csv")));
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
