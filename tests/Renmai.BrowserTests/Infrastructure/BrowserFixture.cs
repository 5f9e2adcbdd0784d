using Microsoft.Playwright;
using Xunit;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>
/// One headless Chromium per test collection: Debian's /usr/bin/chromium, never a downloaded browser
/// (do not run `playwright install`).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const float DefaultTimeoutMs = 15_000;
    public static readonly ViewportSize Desktop = new() { Width = 1366, Height = 800 };
    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("browser not started");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("RENMAI_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(executable))
            throw new InvalidOperationException($"Chromium not found at {executable} (apt-get install chromium, or set RENMAI_CHROMIUM).");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"],
        });
        Assertions.SetDefaultExpectTimeout(DefaultTimeoutMs);
    }

    /// <summary>A fresh context (own cookies) in Chinese at desktop size, or phone size.</summary>
    public async Task<IBrowserContext> NewContextAsync(bool phone = false, string locale = "zh-CN")
    {
        var context = await Browser.NewContextAsync(new()
        {
            Locale = locale,
            ViewportSize = phone ? Phone : Desktop,
            IsMobile = phone,
            HasTouch = phone,
            DeviceScaleFactor = phone ? 2 : 1,
            TimezoneId = "Asia/Shanghai",
        });
        context.SetDefaultTimeout(DefaultTimeoutMs);
        context.SetDefaultNavigationTimeout(30_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
