using Microsoft.AspNetCore.TestHost;
using System.Net;
using Renmai.Hosting;
using Renmai.Tests.Support;

namespace Renmai.Tests.Hosting;

public sealed class WebHardeningTests : IAsyncLifetime
{
    private TestApp _app = null!;

    public async Task InitializeAsync() => _app = await TestApp.StartAsync(TestDatabase.Sqlite);

    public async Task DisposeAsync() => await _app.DisposeAsync();

    [Theory]
    [InlineData("/health")]
    [InlineData("/setup")]
    [InlineData("/api/v1/customers")]
    public async Task Every_response_carries_the_security_headers(string path)
    {
        var response = await _app.AnonymousClient().GetAsync(path);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("strict-origin-when-cross-origin", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
        Assert.False(response.Headers.Contains("Strict-Transport-Security")); // plain HTTP: no HSTS
    }

    [Fact]
    public async Task Api_responses_may_load_and_run_nothing()
    {
        var response = await _app.AnonymousClient().GetAsync("/api/v1/customers");
        Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scripts_run_only_from_the_site_or_with_the_nonce_of_the_response()
    {
        var first = await _app.AnonymousClient().GetAsync("/setup");
        var policy = first.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = System.Text.RegularExpressions.Regex.Match(policy, "script-src 'self' 'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.DoesNotContain("unsafe-inline';", policy.Split("style-src")[0], StringComparison.Ordinal);
        var html = await first.Content.ReadAsStringAsync();
        Assert.Contains("importmap", html, StringComparison.Ordinal);
        // Every inline script (the import map) carries the nonce; external scripts come from the site.
        foreach (System.Text.RegularExpressions.Match tag in System.Text.RegularExpressions.Regex.Matches(html, "<script[^>]*>"))
            Assert.True(tag.Value.Contains("src=\"", StringComparison.Ordinal) || tag.Value.Contains($"nonce=\"{nonce}\"", StringComparison.Ordinal), tag.Value);
        var second = await _app.AnonymousClient().GetAsync("/setup");
        Assert.DoesNotContain(nonce, second.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hsts_is_sent_when_a_local_tls_proxy_says_the_request_was_https()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://renmai.example.com/health");
        request.Headers.Add("X-Forwarded-Proto", "https");
        var response = await _app.AnonymousClient().SendAsync(request);
        Assert.Contains("max-age=", response.Headers.GetValues("Strict-Transport-Security").Single());
    }

    [Fact]
    public async Task The_login_form_is_rate_limited_per_address()
    {
        var client = _app.App.GetTestServer().CreateClient();
        HttpResponseMessage? last = null;
        for (var i = 0; i <= WebHardening.LoginAttemptsPerMinute; i++)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "x@example.com", ["password"] = "wrong-password" });
            last = await client.PostAsync("/account/login", form);
        }
        Assert.Equal(HttpStatusCode.Redirect, last!.StatusCode);
        Assert.Equal("/login?error=rate", last.Headers.Location?.OriginalString);
    }
}
