using Microsoft.Playwright;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>
/// Screenshots for the docs, written to the repository's docs/screenshots/ only when
/// RENMAI_SCREENSHOTS=1 (so an ordinary test run or CI never dirties the tree).
/// </summary>
public static class Screenshots
{
    public static bool Enabled => Environment.GetEnvironmentVariable("RENMAI_SCREENSHOTS") == "1";

    /// <summary>The folder holding Renmai.slnx, found by walking up from the test assembly.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Renmai.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Renmai.slnx not found above " + AppContext.BaseDirectory);
    }

    public static string Folder => Path.Combine(RepositoryRoot(), "docs", "screenshots");

    /// <summary>Saves <paramref name="fileName"/> (e.g. "customers-table.png"); returns the path, or null when disabled.</summary>
    public static async Task<string?> SaveAsync(IPage page, string fileName, bool fullPage = false)
    {
        if (!Enabled) return null;
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, fileName);
        // Let fonts, transitions and ripples settle so the picture is stable.
        await page.EvaluateAsync("() => { document.activeElement?.blur(); return document.fonts ? document.fonts.ready : null; }");
        await page.WaitForTimeoutAsync(300);
        await page.ScreenshotAsync(new() { Path = path, FullPage = fullPage, Animations = ScreenshotAnimations.Disabled });
        return path;
    }

    /// <summary>A failure picture next to the test assembly (test-results/), never in the repository.</summary>
    public static async Task<string?> SaveFailureAsync(IPage page, string testName)
    {
        try
        {
            var folder = Path.Combine(AppContext.BaseDirectory, "test-results");
            Directory.CreateDirectory(folder);
            var safe = string.Concat(testName.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
            var path = Path.Combine(folder, $"{safe}-{DateTime.UtcNow:HHmmss}.png");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true, Timeout = 5_000 });
            return path;
        }
        catch (PlaywrightException)
        {
            return null;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }
}
