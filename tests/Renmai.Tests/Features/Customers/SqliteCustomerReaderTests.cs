using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Renmai.Data;
using Renmai.Features.Customers;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Customers;

/// <summary>The prepared-statement reader must return exactly what EF returns, and respect scope and deletes.</summary>
public sealed class SqliteCustomerReaderTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(TestDatabase.Sqlite);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Reads_every_field_exactly_as_ef_does_and_applies_scope_and_soft_delete()
    {
        var admin = await _app.ClientAsync(Roles.Admin, "admin@example.com");
        await admin.PostAsJsonAsync("/api/v1/custom-fields", new { label = "客户等级", type = "singleSelect", options = new[] { "金牌", "银牌" } });
        var numbers = new List<string>();
        foreach (var body in new[] { Samples.Company(), Samples.Person() })
        {
            var created = await (await admin.PostAsJsonAsync("/api/v1/customers", body)).ReadObjectAsync();
            numbers.Add(created["number"].S());
        }
        await admin.PatchJsonAsync($"/api/v1/customers/{numbers[0]}", new { customFields = new Dictionary<string, object> { ["cf1"] = "金牌" } }, "\"1\"");

        var reader = _app.Services.GetRequiredService<SqliteCustomerReader>();
        Assert.True(reader.IsAvailable);
        foreach (var number in numbers)
        {
            var viaEf = await _app.WithDbAsync(db => db.Set<Customer>().AsNoTracking().SingleAsync(c => c.Number == number));
            var viaReader = reader.Find(number, all: true, owner: null)!;
            Assert.Equal(JsonSerializer.Serialize(CustomerForm.From(viaEf), JsonStorage.Options),
                JsonSerializer.Serialize(CustomerForm.From(viaReader), JsonStorage.Options));
            Assert.Equal(DateTimeKind.Utc, viaReader.CreatedAt.Kind);
        }

        var owner = (await _app.WithDbAsync(db => db.Set<Customer>().SingleAsync(c => c.Number == numbers[0]))).OwnerId;
        Assert.NotNull(reader.Find(numbers[0], all: false, owner: owner));
        Assert.Null(reader.Find(numbers[0], all: false, owner: Guid.NewGuid()));
        Assert.Null(reader.Find(numbers[0], all: false, owner: null));
        Assert.Null(reader.Find("KH999999", all: true, owner: null));

        await admin.DeleteAsync($"/api/v1/customers/{numbers[1]}");
        Assert.Null(reader.Find(numbers[1], all: true, owner: null));
    }
}
