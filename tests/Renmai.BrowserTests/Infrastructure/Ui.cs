using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>Page helpers for Renmai's Blazor Server + MudBlazor UI.</summary>
public static class Ui
{
    /// <summary>
    /// Navigates and, for interactive pages (the main layout), waits until the Blazor circuit has
    /// rendered: MudPopoverProvider initialises its JS only on its first interactive render, so
    /// `mudpopoverHelper.mainContainerClass` turns non-null exactly when clicks start to work.
    /// </summary>
    public static async Task GotoAsync(this IPage page, RenmaiServer server, string path, bool interactive = true)
    {
        await page.GotoAsync(server.Url(path));
        if (interactive) await page.WaitForInteractiveAsync();
    }

    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.WaitForFunctionAsync("() => !!(window.Blazor && window.mudpopoverHelper && window.mudpopoverHelper.mainContainerClass)");

    /// <summary>
    /// Waits until the URL's path is <paramref name="path"/> (query ignored). Polls the URL like
    /// Expect(page).ToHaveURLAsync, so it also sees Blazor's client-side navigations (pushState),
    /// which have no load event of their own.
    /// </summary>
    public static Task ExpectPathAsync(this IPage page, string path) =>
        Expect(page).ToHaveURLAsync(PathPattern(Regex.Escape(path)));

    /// <summary>Like <see cref="ExpectPathAsync"/> with a regular expression for the path.</summary>
    public static Task ExpectPathMatchAsync(this IPage page, string pathRegex) =>
        Expect(page).ToHaveURLAsync(PathPattern(pathRegex));

    private static Regex PathPattern(string pathRegex) => new("^https?://[^/]+" + pathRegex + "([?#].*)?$");

    /// <summary>The path of the current URL, e.g. "/customers/KH000051".</summary>
    public static string PathOf(this IPage page) => new Uri(page.Url).AbsolutePath;

    public static async Task LoginAsync(this IPage page, RenmaiServer server, string email, string password)
    {
        await page.GotoAsync(server.Url("/login"));
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.Locator("#login-submit").ClickAsync();
        await page.ExpectPathMatchAsync("/(?!login)[^?#]*");
        await page.WaitForInteractiveAsync();
    }

    /// <summary>Logs out the way the app bar does: a form POST to /account/logout (with its antiforgery token).</summary>
    public static async Task LogoutAsync(this IPage page)
    {
        var form = page.Locator("form[action='/account/logout']");
        await form.Locator("button[type=submit]").ClickAsync();
        await page.ExpectPathAsync("/login");
    }

    /// <summary>The input (or textarea) inside <c>data-testid="field-{name}"</c>.</summary>
    public static ILocator Field(this IPage page, string name) =>
        page.GetByTestId("field-" + name).Locator("input:not([type=hidden]), textarea").First;

    /// <summary>Types into a MudTextField and leaves it (Tab), so the value binds before a save.</summary>
    public static async Task FillFieldAsync(this IPage page, string name, string value) =>
        await FillAndBlurAsync(page.Field(name), value);

    public static async Task FillAndBlurAsync(this ILocator input, string value)
    {
        await input.FillAsync(value);
        await input.PressAsync("Tab");
        await Expect(input).ToHaveValueAsync(value);
    }

    /// <summary>
    /// Opens a MudSelect (or anything that opens a MudBlazor popover list) and clicks the option whose
    /// whole text is <paramref name="optionText"/>. MudBlazor renders the list in a popover outside the component.
    /// </summary>
    public static async Task PickAsync(this IPage page, ILocator select, string optionText)
    {
        var option = OpenOption(page, optionText);
        for (var attempt = 0; ; attempt++)
        {
            await select.ClickAsync();
            try
            {
                await option.First.WaitForAsync(new() { Timeout = 3_000 });
                break;
            }
            catch (TimeoutException) when (attempt < 2)
            {
                // The click landed before the select was ready; try again.
            }
        }
        await option.First.ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>Picks an option of the MudSelect inside <c>data-testid="field-{name}"</c> (or with that test id itself).</summary>
    public static Task PickFieldAsync(this IPage page, string name, string optionText) =>
        page.PickAsync(page.GetByTestId("field-" + name), optionText);

    public static ILocator OpenOption(IPage page, string optionText) =>
        page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = Exact(optionText) });

    public static Regex Exact(string text) => new("^\\s*" + Regex.Escape(text) + "\\s*$");

    /// <summary>The number in <c>customer-total</c> (e.g. "共 51 个客户" → 51).</summary>
    public static async Task<int> CustomerTotalAsync(this IPage page)
    {
        var text = await page.GetByTestId("customer-total").InnerTextAsync();
        var digits = Regex.Match(text.Replace(",", "", StringComparison.Ordinal), "\\d+");
        if (!digits.Success) throw new InvalidOperationException($"no number in customer-total: “{text}”");
        return int.Parse(digits.Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public static ILocator CustomerRow(this IPage page, string number) =>
        page.GetByTestId("customer-row").And(page.Locator($"[data-number='{number}']"));

    public static ILocator DeletedRow(this IPage page, string number) =>
        page.GetByTestId("deleted-row").And(page.Locator($"[data-number='{number}']"));

    /// <summary>Clicks a MudTabs tab by its visible text.</summary>
    public static Task OpenTabAsync(this IPage page, string text) =>
        page.Locator(".mud-tab").Filter(new() { HasTextRegex = Exact(text) }).First.ClickAsync();
}

public static class UiInputs
{
    /// <summary>
    /// The text input behind a test id: MudTextField puts extra attributes on the &lt;input&gt; itself,
    /// a wrapper div has the input inside; this finds it either way.
    /// </summary>
    public static ILocator TextInput(this ILocator target) =>
        target.Locator("input:not([type=hidden]):not([type=radio]):not([type=checkbox]), textarea")
            .Or(target.And(target.Page.Locator("input, textarea"))).First;
}
