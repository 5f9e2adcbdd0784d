using Renmai.Features.Customers;
using Renmai.Features.Users;

namespace Renmai.Features.Dedup;

/// <summary>REST endpoints for duplicates (R10.3): scan, review, dismiss, merge, undo.</summary>
public static class DedupApi
{
    public static RouteGroupBuilder MapDedupApi(this RouteGroupBuilder api)
    {
        var dup = api.MapGroup("/duplicates").WithTags("Duplicates");
        dup.MapPost("/scan", async (DedupService s, CancellationToken ct) => TypedResults.Ok(await s.ScanAsync(ct)))
            .WithName("ScanDuplicates").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Admins and managers: scans every customer for duplicates (phone, email, 统一社会信用代码, normalised company name, name + birthday, pinyin) and replaces the open groups.");
        dup.MapGet("/", async (DedupService s, CancellationToken ct, DuplicateStatus status = DuplicateStatus.Open, int page = 1, int pageSize = 20) =>
                TypedResults.Ok(await s.ListAsync(status, page, pageSize, ct)))
            .WithName("ListDuplicateGroups").WithSummary("Groups whose members are all in your scope, most certain first (status=Open|Dismissed|Merged).");
        dup.MapPost("/{id:guid}/dismiss", async (Guid id, DedupService s, CancellationToken ct) =>
            {
                await s.DismissAsync(id, ct);
                return TypedResults.NoContent();
            }).WithName("DismissDuplicateGroup").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Not duplicates: later scans leave this set of customers alone.");
        api.MapPost("/customers/merge", async (MergeRequest body, DedupService s, CancellationToken ct) => TypedResults.Ok(await s.MergeAsync(body, ct)))
            .WithName("MergeCustomers").WithTags("Duplicates").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Merges others into survivor; fields: {PropertyName: customerNumber whose value survives}. Contacts, consents and history follow the survivor; the others go to the recycle bin.");
        api.MapPost("/merges/{id:guid}/undo", async (Guid id, DedupService s, CancellationToken ct) => TypedResults.Ok(await s.UndoMergeAsync(id, ct)))
            .WithName("UndoMerge").WithTags("Duplicates").RequireAuthorization(UsersSetup.ApiWritePolicy);
        api.MapGet("/customers/{number}/merges", async (string number, DedupService s, CancellationToken ct) =>
                TypedResults.Ok((await s.MergesIntoAsync(number, ct)).Select(m => new { m.Id, m.At, m.ByName })))
            .WithName("ListCustomerMerges").WithTags("Duplicates").WithSummary("Merges into this customer that can be undone.");
        return api;
    }
}
