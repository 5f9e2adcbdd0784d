using System.CommandLine;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Privacy;
using Renmai.Features.Users;

namespace Renmai.Hosting;

/// <summary>
/// The `renmai` command line. No subcommand (or `serve`) runs the server; the others do admin
/// work against the same data folder and database, through the same services as the UI.
/// </summary>
public static class RenmaiCli
{
    private static readonly HashSet<string> Subcommands = ["migrate", "user", "team", "token", "demo-data", "keys", "import", "export", "--help", "-h", "-?", "help", "--version"];

    public static async Task<int> RunAsync(string[] args)
    {
        args = ExtractDataFolder(args);
        if (args.Length == 0 || args[0] == "serve" || !Subcommands.Contains(args[0]))
            return await ServeAsync(args.Length > 0 && args[0] == "serve" ? args[1..] : args);

        var root = new RootCommand("人脉 Renmai CRM — 不带子命令时启动服务器 (runs the server when no subcommand is given). 全局选项 --data DIR 指定数据目录。");
        root.Subcommands.Add(new Command("serve", "启动服务器（--urls http://127.0.0.1:5000）"));

        var migrate = new Command("migrate", "创建或升级数据库结构 (create or upgrade the database schema)");
        migrate.SetAction(async (_, ct) =>
        {
            await using var app = await BuildAsync(ct);
            Console.WriteLine("数据库已是最新结构 (database schema is up to date).");
            return 0;
        });
        root.Subcommands.Add(migrate);

        var email = new Option<string>("--email") { Description = "用户邮箱", Required = true };
        var password = new Option<string>("--password") { Description = "密码（至少 8 位）", Required = true };
        var role = new Option<string>("--role") { Description = "角色：" + string.Join("|", Roles.All), DefaultValueFactory = _ => Roles.Rep };
        var name = new Option<string?>("--name") { Description = "显示名称" };
        var team = new Option<string?>("--team") { Description = "加入的团队名称" };
        var userAdd = new Command("add", "添加用户 (add a user)") { email, password, role, name, team };
        userAdd.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            await using var scope = AdminScope(app);
            var user = await scope.ServiceProvider.GetRequiredService<UserService>()
                .CreateAsync(pr.GetValue(email)!, pr.GetValue(password)!, pr.GetValue(role)!, pr.GetValue(name), pr.GetValue(team));
            Console.WriteLine($"已创建用户 {user.Email}（{Roles.Label(pr.GetValue(role)!)}）。");
        }));

        var userList = new Command("list", "列出用户 (list users)");
        userList.SetAction(async (_, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            await using var scope = AdminScope(app);
            foreach (var u in await scope.ServiceProvider.GetRequiredService<UserService>().ListAsync(ct))
                Console.WriteLine($"{u.Email}\t{u.DisplayName}\t{Roles.Label(u.Role)}\t{(u.IsActive ? "启用" : "已停用")}\t{string.Join(",", u.Teams)}\t客户 {u.CustomerCount}");
        }));

        var deactivateEmail = new Argument<string>("email") { Description = "要停用的用户邮箱" };
        var handoverTo = new Option<string?>("--handover-to") { Description = "接收其客户的同事邮箱（省略则客户回到公海）" };
        var userDeactivate = new Command("deactivate", "停用用户并移交其客户 (deactivate a user, hand over their customers)") { deactivateEmail, handoverTo };
        userDeactivate.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            await using var scope = AdminScope(app);
            var users = scope.ServiceProvider.GetRequiredService<UserService>();
            var user = await users.FindByEmailAsync(pr.GetValue(deactivateEmail)!);
            var heir = pr.GetValue(handoverTo) is { } h ? await users.FindByEmailAsync(h) : null;
            var moved = await users.DeactivateAsync(user.Id, heir?.Id, ct);
            Console.WriteLine($"已停用 {user.Email}，{moved} 个客户已移交给{(heir is null ? "公海" : heir.Email)}。");
        }));
        root.Subcommands.Add(new Command("user", "用户管理 (users)") { userAdd, userList, userDeactivate });

        var teamName = new Argument<string>("name") { Description = "团队名称" };
        var manager = new Option<string?>("--manager") { Description = "团队经理的邮箱" };
        var teamAdd = new Command("add", "添加团队 (add a team)") { teamName, manager };
        teamAdd.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            await using var scope = AdminScope(app);
            var created = await scope.ServiceProvider.GetRequiredService<TeamService>().CreateAsync(pr.GetValue(teamName)!, pr.GetValue(manager), ct);
            Console.WriteLine($"已创建团队 {created.Name}{(created.ManagerName is null ? "" : $"，经理：{created.ManagerName}")}。");
        }));
        root.Subcommands.Add(new Command("team", "团队管理 (teams)") { teamAdd });

        var tokenEmail = new Option<string>("--email") { Description = "令牌所属用户的邮箱", Required = true };
        var tokenName = new Option<string>("--name") { Description = "令牌名称", DefaultValueFactory = _ => "CLI" };
        var readOnly = new Option<bool>("--read-only") { Description = "只读令牌" };
        var days = new Option<int?>("--days") { Description = "有效天数（默认不过期）" };
        var tokenCreate = new Command("create", "创建 API 令牌，最后一行输出令牌 (prints the token as its last line)") { tokenEmail, tokenName, readOnly, days };
        tokenCreate.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            await using var scope = app.Services.CreateAsyncScope();
            var expires = pr.GetValue(days) is { } d ? DateTime.UtcNow.AddDays(d) : (DateTime?)null;
            var (_, secret) = await scope.ServiceProvider.GetRequiredService<UserService>()
                .CreateTokenAsync(pr.GetValue(tokenEmail)!, pr.GetValue(tokenName)!, pr.GetValue(readOnly), expires, ct);
            Console.WriteLine("API 令牌已创建，只显示这一次，请妥善保存 (shown once):");
            Console.WriteLine(secret);
        }));
        root.Subcommands.Add(new Command("token", "API 令牌 (API tokens)") { tokenCreate });

        var count = new Option<int>("--customers") { Description = "生成的客户数量", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { Description = "随机种子（相同种子生成相同数据）", DefaultValueFactory = _ => 20261123 };
        var demo = new Command("demo-data", "填充中文演示数据 (fill realistic Chinese demo data)") { count, seed };
        demo.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            var n = pr.GetValue(count);
            if (n is < 1 or > 5_000_000) throw new ArgumentException("--customers 应在 1 到 5000000 之间");
            await using var app = await BuildAsync(ct);
            var started = DateTime.UtcNow;
            var written = await DemoData.FillAsync(app.Services, n, pr.GetValue(seed), Console.Out, ct);
            Console.WriteLine($"已生成 {written} 个演示客户，用时 {(DateTime.UtcNow - started).TotalSeconds:F1} 秒。");
        }));
        root.Subcommands.Add(demo);

        var exportFile = new Argument<FileInfo>("file") { Description = "导出文件（.xlsx 或 .csv，格式由扩展名决定）" };
        var exportView = new Option<string?>("--view") { Description = "已保存视图的名称" };
        var exportQ = new Option<string?>("--q") { Description = "搜索文字（与客户列表的搜索框相同）" };
        var exportAs = new Option<string?>("--as") { Description = "以该用户（邮箱）的身份和数据范围导出；省略时为管理员" };
        var exportGbk = new Option<bool>("--gbk") { Description = "CSV 使用 GBK（GB18030）编码，默认 UTF-8（带 BOM）" };
        var exportPlain = new Option<bool>("--plain-phones") { Description = "导出明文电话（仅管理员和销售经理，记入审计日志）" };
        var exportFilter = new Option<string[]>("--filter") { Description = "筛选 字段:操作:值，可重复，例如 industry:eq:制造业", AllowMultipleArgumentsPerToken = false };
        var export = new Command("export", "导出客户到 Excel/CSV (export customers)") { exportFile, exportView, exportQ, exportAs, exportGbk, exportPlain, exportFilter };
        export.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            var file = pr.GetValue(exportFile)!;
            var format = Renmai.Features.Export.CustomerExportRequest.ParseFormat(file.Extension)
                ?? throw new ArgumentException($"不支持的导出格式“{file.Extension}”：请使用 .xlsx 或 .csv");
            var request = new Renmai.Features.Export.CustomerExportRequest
            {
                Format = format, Gbk = pr.GetValue(exportGbk), View = pr.GetValue(exportView), Q = pr.GetValue(exportQ),
                PlainPhones = pr.GetValue(exportPlain),
            };
            foreach (var f in pr.GetValue(exportFilter) ?? [])
            {
                var parts = f.Split(':', 3);
                if (parts.Length < 2 || !Enum.TryParse<FilterOp>(parts[1], ignoreCase: true, out var op))
                    throw new ArgumentException($"筛选条件“{f}”格式应为 字段:操作:值");
                request.Filters.Add(new CustomerFilter(parts[0], op, parts.Length > 2 ? parts[2] : null));
            }
            await using var app = await BuildAsync(ct);
            await using var scope = pr.GetValue(exportAs) is { } asEmail ? await UserScopeAsync(app, asEmail) : AdminScope(app);
            var exporter = scope.ServiceProvider.GetRequiredService<Renmai.Features.Export.CustomerExportService>();
            var temp = file.FullName + ".part";
            try
            {
                Renmai.Features.Export.CustomerExportResult result;
                await using (var output = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024))
                    result = await exporter.ExportAsync(request, output, ct);
                // A failed export leaves no half-written file behind.
                File.Move(temp, file.FullName, overwrite: true);
                Console.WriteLine($"已导出 {result.Rows} 个客户到 {file.FullName}。");
            }
            finally
            {
                File.Delete(temp);
            }
        }));
        root.Subcommands.Add(export);

        var rotateIndex = new Option<bool>("--index") { Description = "同时轮换检索索引密钥 (also rotate the blind-index key)" };
        var rotate = new Command("rotate", "轮换数据加密密钥：添加新密钥、分批重新加密、完成后停用旧密钥；中断后可重新运行 (rotate keys; safe to re-run)") { rotateIndex };
        rotate.SetAction(async (pr, ct) => await Guarded(async () =>
        {
            var folder = RenmaiStorage.From(RenmaiApp.CreateBuilder([]).Configuration).DataFolder;
            KeyMaintenance.BeginRotation(folder, pr.GetValue(rotateIndex), Console.Out);
            await using (var app = await BuildAsync(ct))
            {
                var (rows, indexed) = await KeyMaintenance.ReencryptAsync(app.Services, Console.Out, ct);
                Console.WriteLine($"重新加密 {rows:N0} 行，重算索引 {indexed:N0} 条记录。");
                await app.Services.GetRequiredService<Renmai.Features.Audit.AuditLog>().WriteAsync(Renmai.Features.Audit.AuditActions.KeysRotated, true, null,
                    null, "系统（命令行）", app.Services.GetRequiredService<DataKeyRing>().ActiveDataKeyId, $"重新加密 {rows} 行，重算索引 {indexed} 条", ct);
            }
            KeyMaintenance.RetireOldKeys(folder, Console.Out);
            Console.WriteLine("密钥轮换完成。请备份新的密钥文件，并重启服务器 (restart the server to load the new key).");
        }));
        var status = new Command("status", "显示密钥及使用每个密钥的行数 (key ids and rows per key)");
        status.SetAction(async (_, ct) => await Guarded(async () =>
        {
            await using var app = await BuildAsync(ct);
            var keys = app.Services.GetRequiredService<DataKeyRing>();
            Console.WriteLine($"密钥来源: {(keys.FromEnvironment ? "环境变量 " + DataKeyRing.EnvironmentVariable : keys.FilePath)}");
            foreach (var (what, id, rows, active) in await KeyMaintenance.StatusAsync(app.Services, ct))
                Console.WriteLine($"{what}\t{id}\t{rows}\t{(active ? "当前" : "")}");
        }));
        root.Subcommands.Add(new Command("keys", "加密密钥 (encryption keys)") { rotate, status });

        var importFile = new Argument<string>("file") { Description = "要导入的 .xlsx / .csv / .txt 文件" };
        var importMode = new Option<string>("--mode") { Description = "create（只新建）| update（只更新）| upsert（新建并更新）", DefaultValueFactory = _ => "create" };
        var importKey = new Option<string>("--key") { Description = "匹配键：number | uscc | phone | email | name-company", DefaultValueFactory = _ => "phone" };
        var importDuplicates = new Option<string>("--duplicates") { Description = "与已有客户重复时：skip（跳过）| update（更新）| create（仍然新建）", DefaultValueFactory = _ => "skip" };
        var dryRun = new Option<bool>("--dry-run") { Description = "只检查，不写入" };
        var importAs = new Option<string?>("--as") { Description = "以该用户（邮箱）的身份和权限导入；省略时为系统管理员，客户进入公海" };
        var importEncoding = new Option<string?>("--encoding") { Description = "文件编码：utf-8 | gbk | utf-16（默认自动识别）" };
        var import = new Command("import", "导入客户 (import customers); 有失败行时退出码为 2") { importFile, importMode, importKey, importDuplicates, dryRun, importAs, importEncoding };
        import.SetAction(async (pr, ct) =>
        {
            var failedRows = false;
            var code = await Guarded(async () =>
            {
                var path = pr.GetValue(importFile)!;
                if (!File.Exists(path)) throw new ArgumentException($"文件不存在：{path}");
                var options = new Renmai.Features.Import.ImportOptions
                {
                    Mode = pr.GetValue(importMode) switch
                    {
                        "create" => Renmai.Features.Import.ImportMode.Create, "update" => Renmai.Features.Import.ImportMode.Update,
                        "upsert" => Renmai.Features.Import.ImportMode.Upsert, var m => throw new ArgumentException($"--mode 应为 create、update 或 upsert，而不是“{m}”"),
                    },
                    Key = pr.GetValue(importKey) switch
                    {
                        "number" => Renmai.Features.Import.ImportKey.Number, "uscc" => Renmai.Features.Import.ImportKey.Uscc, "phone" => Renmai.Features.Import.ImportKey.Phone,
                        "email" => Renmai.Features.Import.ImportKey.Email, "name-company" or "name" => Renmai.Features.Import.ImportKey.NameCompany,
                        var k => throw new ArgumentException($"--key 应为 number、uscc、phone、email 或 name-company，而不是“{k}”"),
                    },
                    Duplicates = pr.GetValue(importDuplicates) switch
                    {
                        "skip" => Renmai.Features.Import.DuplicateChoice.Skip, "update" => Renmai.Features.Import.DuplicateChoice.Update,
                        "create" => Renmai.Features.Import.DuplicateChoice.CreateAnyway, var d => throw new ArgumentException($"--duplicates 应为 skip、update 或 create，而不是“{d}”"),
                    },
                };
                await using var app = await BuildAsync(ct);
                await using var scope = app.Services.CreateAsyncScope();
                var actor = scope.ServiceProvider.GetRequiredService<CurrentActor>();
                if (pr.GetValue(importAs) is { } who) await actor.SetUserAsync(who, ChangeSource.Import);
                else actor.Set(Actor.System);
                var imports = scope.ServiceProvider.GetRequiredService<Renmai.Features.Import.ImportService>();
                Renmai.Features.Import.ImportDraft draft;
                await using (var file = File.OpenRead(path))
                    draft = await imports.UploadAsync(file, Path.GetFileName(path), pr.GetValue(importEncoding), ct);
                Console.WriteLine($"{draft.FileName}：{draft.Description}，约 {draft.EstimatedRows:N0} 行。");
                Console.WriteLine("列映射：" + string.Join("，", draft.Mapping.OrderBy(m => m.Key)
                    .Select(m => $"{draft.Headers[m.Key]}→{draft.Fields.First(f => f.Key == m.Value).Label}")));
                options.Mapping = draft.Mapping;
                options.Encoding = pr.GetValue(importEncoding);
                await imports.StartAsync(draft.Id, options, pr.GetValue(dryRun), ct);
                // The CLI runs its job itself, as the job table's worker would (same lease, same rollback).
                await app.Services.GetRequiredService<Renmai.Features.Import.ImportWorker>().RunNextAsync(ct, draft.Id);
                var status = await imports.GetAsync(draft.Id, ct);
                Console.WriteLine($"{status.StatusLabel}。{status.Message}");
                foreach (var e in imports.LastErrors(draft.Id).Take(20))
                    Console.WriteLine($"  第 {e.Line} 行{(e.Column is null ? "" : $"，“{e.Column}”列")}：{e.Message}");
                if (status.Failed > 0 || status.Skipped > 0)
                {
                    var engine = scope.ServiceProvider.GetRequiredService<Renmai.Features.Import.ImportEngine>();
                    if (status.HasErrorFile) Console.WriteLine($"错误行文件：{Path.Combine(engine.Folder, draft.Id.ToString("N") + "-errors.xlsx")}");
                }
                failedRows = status.Failed > 0 || status.Status != Renmai.Features.Import.ImportStatus.Succeeded;
                if (status.Status == Renmai.Features.Import.ImportStatus.Failed) throw new InvalidOperationException(status.Message ?? "导入失败");
            });
            return code != 0 ? code : failedRows ? 2 : 0;
        });
        root.Subcommands.Add(import);

        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> ServeAsync(string[] args)
    {
        WebApplication app;
        try
        {
            app = await RenmaiApp.BuildAsync(RenmaiApp.CreateBuilder(args));
        }
        catch (DataKeyException ex)
        {
            // A missing, malformed or readable key file: refuse to start with the reason, not a stack trace.
            await Console.Error.WriteLineAsync("错误: " + ex.Message);
            return 1;
        }
        await app.RunAsync();
        return 0;
    }

    /// <summary>Builds the host (services, migrated database) without starting the web server.</summary>
    private static async Task<WebApplication> BuildAsync(CancellationToken ct)
    {
        var builder = RenmaiApp.CreateBuilder([]);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        await DataSetup.MigrateAsync(app.Services, ct);
        return app;
    }

    /// <summary>A service scope acting as the system administrator: the CLI is run by whoever runs the server.</summary>
    private static AsyncServiceScope AdminScope(WebApplication app)
    {
        var scope = app.Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CurrentActor>().Set(Actor.System);
        return scope;
    }

    /// <summary>A service scope acting as the named user (<c>--as EMAIL</c>): their roles and record scope.</summary>
    private static async Task<AsyncServiceScope> UserScopeAsync(WebApplication app, string email)
    {
        var scope = app.Services.CreateAsyncScope();
        try
        {
            await scope.ServiceProvider.GetRequiredService<CurrentActor>().SetUserAsync(email, Data.ChangeSource.System);
            return scope;
        }
        catch
        {
            await scope.DisposeAsync();
            throw;
        }
    }

    /// <summary>Turns expected failures into a Chinese message on stderr and exit code 1.</summary>
    private static async Task<int> Guarded(Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (ValidationFailedException ex)
        {
            foreach (var (field, messages) in ex.Errors.Fields)
                await Console.Error.WriteLineAsync($"错误 {field}: {string.Join("；", messages)}");
        }
        catch (Exception ex) when (ex is NotFoundException or ForbiddenException or ArgumentException or InvalidOperationException
            or DataKeyException or SensitiveDataException or Renmai.Features.Import.ImportFileException)
        {
            await Console.Error.WriteLineAsync("错误: " + ex.Message);
        }
        return 1;
    }

    /// <summary>`--data DIR` (anywhere) becomes RENMAI_DATA for this process.</summary>
    private static string[] ExtractDataFolder(string[] args)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length) { Environment.SetEnvironmentVariable("RENMAI_DATA", args[++i]); continue; }
            if (args[i].StartsWith("--data=", StringComparison.Ordinal)) { Environment.SetEnvironmentVariable("RENMAI_DATA", args[i][7..]); continue; }
            rest.Add(args[i]);
        }
        return [.. rest];
    }
}
