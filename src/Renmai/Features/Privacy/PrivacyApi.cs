using Renmai.Features.Users;

namespace Renmai.Features.Privacy;

/// <summary>REST endpoints for PIPL (R12.6): consents, export and erasure of one person's data.</summary>
public static class PrivacyApi
{
    public sealed record EraseRequest(Guid? ContactId, string? Confirmation);

    public static RouteGroupBuilder MapPrivacyApi(this RouteGroupBuilder api)
    {
        var customers = api.MapGroup("/customers/{number}").WithTags("Privacy");
        customers.MapGet("/consents", async (string number, PrivacyService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListConsentsAsync(number, ct)))
            .WithName("ListConsents").WithSummary("Consents of the customer and its contact persons.");
        customers.MapPost("/consents", async (string number, ConsentInput body, PrivacyService s, CancellationToken ct) =>
            {
                var consent = await s.AddConsentAsync(number, body, ct);
                return TypedResults.Created($"/api/v1/customers/{number}/consents/{consent.Id}", consent);
            }).WithName("AddConsent").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Records a consent: purpose, channel (Written, Phone, WeChat, WebForm, Email, InPerson), givenOn, optional contactId and note.");
        customers.MapPost("/consents/{id:guid}/withdraw", async (string number, Guid id, PrivacyService s, CancellationToken ct) =>
                TypedResults.Ok(await s.WithdrawConsentAsync(number, id, ct)))
            .WithName("WithdrawConsent").RequireAuthorization(UsersSetup.ApiWritePolicy);
        customers.MapGet("/personal-data", async (string number, string? format, Guid? contactId, PrivacyService s, CancellationToken ct) =>
            {
                var file = await s.ExportAsync(number, contactId, format, ct);
                return TypedResults.File(file.Content, file.ContentType, file.FileName);
            }).WithName("ExportPersonalData")
            .WithSummary("Everything stored about the customer (or one contact: contactId) as format=xlsx (default) or json. Audited.");
        customers.MapPost("/erase", async (string number, EraseRequest body, PrivacyService s, CancellationToken ct) =>
                TypedResults.Ok(await s.EraseAsync(number, body.ContactId, body.Confirmation, ct)))
            .WithName("ErasePersonalData").RequireAuthorization(UsersSetup.ApiWritePolicy)
            .WithSummary("Admins: erases the personal data of an individual customer, or of one contact (contactId) of a company. confirmation = the customer number.");
        return api;
    }
}
