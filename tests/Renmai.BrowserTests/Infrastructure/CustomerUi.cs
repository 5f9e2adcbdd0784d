using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>
/// Steps on the customer pages, written against the UI's data-testid contract
/// (list: customer-*, filter-*; form: field-*, phone-*, customer-save; detail: customer-*, contact-*, history-entry).
/// </summary>
public static partial class CustomerUi
{
    /// <summary>The list page, once its table has rendered interactively.</summary>
    public static async Task OpenListAsync(this IPage page, RenmaiServer server)
    {
        await page.GotoAsync(server, "/customers");
        await Expect(page.GetByTestId("customer-table")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("customer-total")).ToContainTextAsync(new Regex("\\d"));
    }

    /// <summary>The new-customer form, ready for input.</summary>
    public static async Task OpenNewFormAsync(this IPage page, RenmaiServer server)
    {
        await page.GotoAsync(server, "/customers/new");
        await Expect(page.GetByTestId("customer-save")).ToBeVisibleAsync();
        await Expect(page.Field("name")).ToBeEditableAsync();
    }

    /// <summary>The edit form of a customer, once its current values have loaded.</summary>
    public static async Task OpenEditFormAsync(this IPage page, RenmaiServer server, string number, string expectedName)
    {
        await page.GotoAsync(server, $"/customers/{number}/edit");
        await Expect(page.Field("name")).ToHaveValueAsync(expectedName);
    }

    /// <summary>The detail page of a customer.</summary>
    public static async Task OpenDetailAsync(this IPage page, RenmaiServer server, string number)
    {
        await page.GotoAsync(server, $"/customers/{number}");
        await Expect(page.GetByTestId("customer-number")).ToContainTextAsync(number);
    }

    /// <summary>Chooses 个人客户 or 企业客户 in the kind radio group.</summary>
    public static async Task ChooseKindAsync(this IPage page, string label)
    {
        var group = page.GetByTestId("field-kind");
        await group.GetByText(label, new() { Exact = true }).ClickAsync();
        await Expect(group.GetByRole(AriaRole.Radio, new() { Name = label })).ToBeCheckedAsync();
    }

    /// <summary>Adds a phone row (phone-add) and fills its number; the kind is picked when given.</summary>
    public static async Task AddPhoneAsync(this IPage page, string number, string? kind = null)
    {
        var rows = page.GetByTestId("phone-row");
        var before = await rows.CountAsync();
        await page.GetByTestId("phone-add").ClickAsync();
        await Expect(rows).ToHaveCountAsync(before + 1);
        var row = rows.Nth(before);
        if (kind is not null) await page.PickAsync(row.GetByTestId("phone-kind"), kind);
        await row.GetByTestId("phone-number").TextInput().FillAndBlurAsync(number);
    }

    /// <summary>Clicks save and waits for the detail page (/customers/KH000123); returns the number.</summary>
    public static async Task<string> SaveAndGetNumberAsync(this IPage page)
    {
        await page.GetByTestId("customer-save").ClickAsync();
        await page.ExpectPathMatchAsync("/customers/KH\\d{6,}");
        var number = DetailUrl().Match(page.PathOf()).Groups[1].Value;
        await Expect(page.GetByTestId("customer-number")).ToContainTextAsync(number);
        return number;
    }

    /// <summary>Adds a contact through the contact dialog on the detail page (联系人 tab).</summary>
    public static async Task AddContactAsync(this IPage page, string name, string title, string phone, string? role = null)
    {
        var rows = page.GetByTestId("contact-row");
        var before = await rows.CountAsync();
        await page.GetByTestId("contact-add").ClickAsync();
        var nameInput = page.GetByTestId("contact-name").TextInput();
        await Expect(nameInput).ToBeVisibleAsync();
        await nameInput.FillAndBlurAsync(name);
        await page.GetByTestId("contact-title").TextInput().FillAndBlurAsync(title);
        if (role is not null) await page.PickAsync(page.GetByTestId("contact-role"), role);
        await page.GetByTestId("contact-phone").TextInput().FillAndBlurAsync(phone);
        await page.GetByTestId("contact-save").ClickAsync();
        await Expect(rows).ToHaveCountAsync(before + 1);
        await Expect(rows.Filter(new() { HasText = name })).ToHaveCountAsync(1);
    }

    /// <summary>Types into the list's search box (debounced in the UI) and leaves it.</summary>
    public static async Task SearchAsync(this IPage page, string text)
    {
        var search = page.GetByTestId("customer-search").TextInput();
        await search.FillAsync(text);
        await search.PressAsync("Enter");
    }

    /// <summary>Adds one clause with the filter builder and applies it.</summary>
    public static async Task AddFilterAsync(this IPage page, string fieldLabel, string[] opLabels, string value)
    {
        var chips = page.GetByTestId("filter-chip");
        var before = await chips.CountAsync();
        await page.GetByTestId("filter-add").ClickAsync();
        await page.PickAsync(page.GetByTestId("filter-field"), fieldLabel);

        // The operator wording may differ (等于 / 包含); take the first one offered.
        var op = page.GetByTestId("filter-op");
        await op.ClickAsync();
        ILocator? chosen = null;
        foreach (var label in opLabels)
        {
            var option = Ui.OpenOption(page, label);
            try
            {
                await option.First.WaitForAsync(new() { Timeout = 2_000 });
                chosen = option.First;
                break;
            }
            catch (TimeoutException) { }
        }
        if (chosen is null)
            throw new InvalidOperationException($"filter-op offers none of {string.Join(", ", opLabels)}");
        await chosen.ClickAsync();

        await page.GetByTestId("filter-value").TextInput().FillAndBlurAsync(value);
        await page.GetByTestId("filter-apply").ClickAsync();
        await Expect(chips).ToHaveCountAsync(before + 1);
    }

    [GeneratedRegex("^/customers/(KH\\d{6,})$")]
    public static partial Regex DetailUrl();
}
