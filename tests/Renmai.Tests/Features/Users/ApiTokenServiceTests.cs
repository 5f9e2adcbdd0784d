using System.Net;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Users;

public sealed class ApiTokenServiceTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(TestDatabase.Sqlite);
        await _app.AddUserAsync("zhao@example.com", Roles.Rep, "赵销售");
        await _app.AddUserAsync("qian@example.com", Roles.Rep, "钱销售");
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Task<T> AsZhao<T>(Func<ApiTokenService, Task<T>> work) =>
        _app.AsUserAsync("zhao@example.com", sp => work(sp.GetRequiredService<ApiTokenService>()));

    [Fact]
    public async Task A_created_token_works_until_revoked_and_revocation_is_immediate()
    {
        var (info, secret) = await AsZhao(s => s.CreateAsync("ERP 同步", readOnly: false, days: 30));
        Assert.StartsWith(info.Prefix, secret, StringComparison.Ordinal);
        Assert.NotNull(info.ExpiresAt);

        var client = _app.AnonymousClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/customers")).StatusCode); // now cached
        Assert.Equal(HttpStatusCode.Created, (await client.PostJsonAsync("/api/v1/customers", Samples.Person())).StatusCode);

        var listed = Assert.Single(await AsZhao(s => s.ListMineAsync()));
        Assert.Equal("ERP 同步", listed.Name);
        Assert.Null(listed.RevokedAt);

        await _app.AsUserAsync("zhao@example.com", sp => sp.GetRequiredService<ApiTokenService>().RevokeAsync(info.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/customers")).StatusCode);
        Assert.NotNull(Assert.Single(await AsZhao(s => s.ListMineAsync())).RevokedAt);
    }

    [Fact]
    public async Task Tokens_are_private_to_their_owner_and_input_is_validated()
    {
        var (info, _) = await AsZhao(s => s.CreateAsync("只读报表", readOnly: true, days: null));
        Assert.Empty(await _app.AsUserAsync("qian@example.com", sp => sp.GetRequiredService<ApiTokenService>().ListMineAsync()));
        await Assert.ThrowsAsync<NotFoundException>(() =>
            _app.AsUserAsync("qian@example.com", sp => sp.GetRequiredService<ApiTokenService>().RevokeAsync(info.Id)));

        var e = await Assert.ThrowsAsync<ValidationFailedException>(() => AsZhao(s => s.CreateAsync(" ", false, 0)));
        Assert.NotNull(e.Errors.For("name"));
        Assert.NotNull(e.Errors.For("days"));
    }
}
