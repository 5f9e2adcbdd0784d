using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Renmai.Features.Classification;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Users;
using Renmai.Tests.Support;

namespace Renmai.Tests.Features.Customers;

/// <summary>
/// The customer table runs the same query shapes all day with other values: EF must compile each
/// shape once and then bind parameters. A cache miss per request (a value baked into the expression
/// tree as a constant) costs milliseconds of CPU per page and shows up only under load.
/// </summary>
public sealed class QueryPlanCacheTests : IAsyncLifetime, IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>
{
    private TestApp _app = null!;
    private readonly ConcurrentQueue<string> _compiled = new();
    private readonly List<IDisposable> _subscriptions = [];

    public async Task InitializeAsync()
    {
        _app = await TestApp.StartAsync(TestDatabase.Sqlite);
        await _app.AddUserAsync("plan-admin@example.com", Roles.Admin, "王管理");
        await _app.AddUserAsync("plan-rep@example.com", Roles.Rep, "李销售");
        _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    public async Task DisposeAsync()
    {
        foreach (var s in _subscriptions) s.Dispose();
        await _app.DisposeAsync();
    }

    [Theory]
    [InlineData("plan-admin@example.com")]
    [InlineData("plan-rep@example.com")]
    public async Task Repeated_list_pages_with_other_values_compile_no_new_query(string email)
    {
        var field = await _app.AsSystemAsync(sp => sp.GetRequiredService<CustomFieldService>().CreateAsync(
            new CustomFieldInput { Label = "合同编号", Type = CustomFieldType.Text }));
        CustomerListQuery Query(string intent, string industry, string cf, int page, string q) => new()
        {
            Q = q, Sort = "-updatedAt", Page = page, PageSize = 20,
            Filters =
            [
                new CustomerFilter("intent", FilterOp.Eq, intent),
                new CustomerFilter("industry", FilterOp.Eq, industry),
                new CustomerFilter("cf." + field.Key, FilterOp.Contains, cf),
                new CustomerFilter("stage", FilterOp.In, "potential,repeat"),
            ],
        };
        await _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerService>().ListAsync(Query("A", "制造业", "甲", 1, "张")));
        var afterFirst = _compiled.Count;
        Assert.True(afterFirst > 0, "the first request compiles its queries (else this test observes nothing)");

        await _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerService>().ListAsync(Query("B", "零售业", "乙", 3, "王")));
        await _app.AsUserAsync(email, sp => sp.GetRequiredService<CustomerService>().ListAsync(Query("C", "物流", "丙", 7, "李")));
        Assert.True(afterFirst == _compiled.Count, "compiled again:\n" + string.Join("\n---\n", _compiled.Skip(afterFirst)));
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name) _subscriptions.Add(listener.Subscribe(this));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> e)
    {
        // Only this test's app: its SQLite file lives in its own data folder.
        if (e.Key == CoreEventId.QueryCompilationStarting.Name && e.Value is QueryExpressionEventData { Context: { } db } data
            && db.Database.GetConnectionString()?.Contains(_app.DataFolder, StringComparison.Ordinal) == true)
            _compiled.Enqueue(data.ExpressionPrinter.PrintExpression(data.Expression));
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }
}
