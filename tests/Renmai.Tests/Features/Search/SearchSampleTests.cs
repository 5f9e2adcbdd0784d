using Renmai.Features.Search;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Search;

/// <summary>The PostgreSQL search sample (ADR 0033): what it calls common, and that it follows the data after its age.</summary>
public sealed class SearchSampleTests
{
    [Fact]
    public async Task A_pattern_is_common_by_its_share_of_the_sample_and_the_sample_is_renewed_when_old()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));
        await using var app = await TestApp.StartAsync(TestDatabase.Postgres, clock);
        var admin = await app.ClientAsync(Roles.Admin, "admin@example.com");
        var created = await admin.PostJsonAsync("/api/v1/customers", new { kind = "individual", name = "欧阳修文", phones = new[] { new { kind = "mobile", number = "13811112201" } } });
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        var sample = app.Services.GetRequiredService<SearchSample>();
        var ct = CancellationToken.None;
        var cipher = app.Services.GetRequiredService<Renmai.Features.Privacy.SensitiveStore>().Cipher;
        var token = CustomerSearchRows.PhoneToken(cipher, "2201");

        // One customer: every pattern of it is in all of the sample.
        Assert.True(await sample.IsCommonAsync("|欧阳修文|", ct));
        Assert.False(await sample.IsCommonAsync("|司马相如|", ct));
        Assert.True(await sample.IsCommonPhoneTokenAsync(token, ct));
        Assert.False(await sample.IsCommonPhoneTokenAsync(CustomerSearchRows.PhoneToken(cipher, "9999"), ct));

        await Renmai.Features.Customers.DemoData.FillAsync(app.Services, 300, 5, TextWriter.Null, ct);
        // Not yet old: the same answer from the same sample.
        Assert.True(await sample.IsCommonAsync("|欧阳修文|", ct));

        // Old: this call still answers from it and starts a new one; the next ones see one customer in 301.
        clock.Advance(SearchSample.MaxAge + TimeSpan.FromMinutes(1));
        Assert.True(await sample.IsCommonAsync("|欧阳修文|", ct));
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (await sample.IsCommonAsync("|欧阳修文|", ct))
        {
            Assert.True(DateTime.UtcNow < deadline, "the sample was not renewed");
            await Task.Delay(50, ct);
        }
        Assert.True(await sample.IsCommonAsync(CustomerSearchRows.PostgresGramMarker + "有限", ct));
        Assert.False(await sample.IsCommonPhoneTokenAsync(token, ct));
    }
}
