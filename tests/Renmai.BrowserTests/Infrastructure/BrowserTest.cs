using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>
/// Base for browser tests: gives each test its own browser context (cookies) and page, and on a
/// failure saves a screenshot of every open page to test-results/ and prints the server log tail.
/// Wrap each test body in <see cref="RunAsync"/>.
/// </summary>
public abstract class BrowserTest<TServer>(TServer server, BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
    where TServer : RenmaiServer
{
    private readonly List<IBrowserContext> _contexts = [];
    private readonly List<string> _consoleErrors = [];
    private IPage? _page;

    protected TServer Server { get; } = server;
    protected BrowserFixture Browser { get; } = browser;
    protected ITestOutputHelper Output { get; } = output;

    /// <summary>The test's first page (desktop size, zh-CN).</summary>
    protected IPage Page => _page ?? throw new InvalidOperationException("not initialised");

    public virtual async Task InitializeAsync() => _page = await NewPageAsync();

    /// <summary>A page in a new context (own cookies), e.g. a second user or a phone.</summary>
    protected async Task<IPage> NewPageAsync(bool phone = false, string locale = "zh-CN")
    {
        var context = await Browser.NewContextAsync(phone, locale);
        _contexts.Add(context);
        return await NewPageInAsync(context);
    }

    /// <summary>Another tab in the same context (same login).</summary>
    protected async Task<IPage> NewPageInAsync(IBrowserContext context)
    {
        var page = await context.NewPageAsync();
        page.Console += (_, m) => { if (m.Type == "error") lock (_consoleErrors) _consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => { lock (_consoleErrors) _consoleErrors.Add(e); };
        return page;
    }

    protected async Task RunAsync(Func<Task> body, [CallerMemberName] string testName = "")
    {
        try
        {
            await body();
        }
        catch (Exception)
        {
            var i = 0;
            foreach (var page in _contexts.SelectMany(c => c.Pages).ToList())
            {
                var path = await Screenshots.SaveFailureAsync(page, $"{GetType().Name}-{testName}-{i++}");
                if (path is not null) Output.WriteLine($"failure screenshot ({page.Url}): {path}");
            }
            lock (_consoleErrors)
            {
                foreach (var e in _consoleErrors.TakeLast(20)) Output.WriteLine("browser console: " + e);
            }
            var log = Server.Log;
            Output.WriteLine("server log (tail):\n" + (log.Length > 6000 ? log[^6000..] : log));
            throw;
        }
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var c in _contexts) await c.CloseAsync();
    }
}
