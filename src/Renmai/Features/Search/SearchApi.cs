namespace Renmai.Features.Search;

/// <summary>GET /api/v1/search: the global search box's results, through <see cref="SearchService"/> (record scope included).</summary>
public static class SearchApi
{
    public static RouteGroupBuilder MapSearchApi(this RouteGroupBuilder api)
    {
        api.MapGet("/search", async (string? q, int? limit, SearchService s, CancellationToken ct) =>
                TypedResults.Ok(await s.SearchAsync(q, limit ?? 10, ct)))
            .WithName("SearchCustomers").WithTags("Search")
            .WithSummary("Customers matching q (2+ characters of any name, pinyin or initials, email, number; 4+ phone digits), best first.");
        return api;
    }
}
