using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json.Serialization;
using System.Text.Unicode;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Localization;
using MudBlazor.Services;
using Renmai.Components;
using Renmai.Data;
using Renmai.Features.Audit;
using Renmai.Features.Contacts;
using Renmai.Features.Customers;
using Renmai.Features.CustomFields;
using Renmai.Features.Dedup;
using Renmai.Features.Export;
using Renmai.Features.Import;
using Renmai.Features.Pool;
using Renmai.Features.Privacy;
using Renmai.Features.Search;
using Renmai.Features.Users;
using Scalar.AspNetCore;

namespace Renmai.Hosting;

/// <summary>Builds the one Renmai host used by the server, the CLI and the tests.</summary>
public static class RenmaiApp
{
    public static WebApplicationBuilder CreateBuilder(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // GBK / GB18030 files from Chinese Excel need the code-page encodings.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ApplicationName = typeof(RenmaiApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        configure?.Invoke(builder);
        // Serve MudBlazor's and the app's static files straight from a build output (bin/…) in any
        // environment, not only Development; a published app has no manifest and this is a no-op.
        builder.WebHost.UseStaticWebAssets();
        // Run from a build output, ASP.NET re-checks static files on disk at runtime (for hot reload) through a
        // catch-all route whose constraint stats the file system on every request, API calls included. Renmai
        // is not developed through hot reload; RENMAI's operators may still turn it on with this key.
        builder.Configuration["ReloadStaticAssetsAtRuntime"] ??= "false";
        var storage = RenmaiStorage.From(builder.Configuration);
        var services = builder.Services;

        services.AddRenmaiData(storage);
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(storage.DataFolder, "keys")))
            .SetApplicationName("Renmai");
        services.AddRenmaiUsers();
        services.AddScoped<AuditLog>();
        services.AddSingleton<Renmai.Features.Settings.AppSettings>();
        services.AddScoped<Renmai.Features.Settings.SettingsService>();
        services.AddSingleton<SqliteCustomerReader>();
        services.AddSingleton<ListTotals>();
        services.AddScoped<CustomerService>();
        services.AddScoped<Renmai.Features.Search.SearchService>();
        services.AddSingleton<Renmai.Features.Search.SearchSample>();
        services.AddScoped<ContactService>();
        services.AddScoped<CustomFieldService>();
        services.AddScoped<SavedViewService>();
        services.AddScoped<Renmai.Features.Export.CustomerExportService>();
        services.AddScoped<Renmai.Features.Dedup.DedupService>();
        services.AddScoped<Renmai.Features.Pool.PoolService>();
        services.AddScoped<Renmai.Features.Privacy.PrivacyService>();
        services.Configure<Renmai.Features.Import.ImportLimits>(builder.Configuration.GetSection("Import"));
        services.AddSingleton<Renmai.Features.Import.ImportBoard>();
        services.AddSingleton<Renmai.Features.Import.ImportWorker>();
        services.AddScoped<Renmai.Features.Import.ImportEngine>();
        services.AddScoped<Renmai.Features.Import.ImportService>();
        services.AddScoped<Renmai.Features.Import.ImportTemplate>();
        // Jobs:Enabled=false keeps this node from running the periodic jobs (a web-only node behind a load
        // balancer, or a benchmark that measures serving alone).
        if (!string.Equals(builder.Configuration["Jobs:Enabled"], "false", StringComparison.OrdinalIgnoreCase))
        {
            services.AddHostedService<Renmai.Features.Pool.PoolReturnJob>();
            services.AddHostedService<AuditRetentionJob>();
            services.AddHostedService(sp => sp.GetRequiredService<Renmai.Features.Import.ImportWorker>());
        }

        // Keys are the Chinese text; Resources/SharedResource.en.resx translates them.
        services.AddLocalization(o => o.ResourcesPath = "Resources");
        services.Configure<RequestLocalizationOptions>(o =>
        {
            var cultures = new[] { new CultureInfo("zh-CN"), new CultureInfo("en") };
            o.DefaultRequestCulture = new RequestCulture("zh-CN");
            o.SupportedCultures = cultures;
            o.SupportedUICultures = cultures;
            o.RequestCultureProviders = [new CookieRequestCultureProvider(), new AcceptLanguageHeaderRequestCultureProvider()];
        });

        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Encoder = JavaScriptEncoder.Create(UnicodeRanges.All);
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        services.AddProblemDetails();
        // Let malformed request bodies reach ApiErrors, which names the offending field.
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddExceptionHandler<ApiErrors>();
        services.AddOpenApi(o => o.AddDocumentTransformer((doc, _, _) =>
        {
            doc.Info.Title = "Renmai 人脉 CRM API";
            doc.Info.Description = "客户档案 REST API。认证：Authorization: Bearer <令牌>（renmai token create）。金额单位为分。";
            return Task.CompletedTask;
        }));
        services.AddHealthChecks();
        services.AddWebHardening();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        // WebHardening sends X-Frame-Options: DENY on every response; antiforgery must not add a second value.
        services.AddAntiforgery(o => o.SuppressXFrameOptionsHeader = true);
        return builder;
    }

    public static async Task<WebApplication> BuildAsync(WebApplicationBuilder builder)
    {
        var app = builder.Build();
        await DataSetup.MigrateAsync(app.Services);

        app.UseWebHardening();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRequestLocalization();
        await app.UseFirstRunSetupAsync();
        app.UseAuthentication();
        LoginGate.UseLoginGate(app);
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapHealthChecks("/health").AllowAnonymous();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/api/docs", o => o.WithTitle("Renmai API")).AllowAnonymous();
        app.MapGroup("/api/v1").RequireAuthorization().MapCustomersApi().MapAuditApi().MapPoolApi().MapPrivacyApi()
            .MapExportApi().MapDedupApi().MapImportApi().MapSearchApi();
        app.MapAccountEndpoints();
        app.MapStaticAssets().AllowAnonymous();
        // WebHardening already forbids all framing; Blazor would add a second, weaker frame-ancestors policy.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);
        return app;
    }
}
