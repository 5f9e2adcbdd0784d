using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;

namespace Renmai.Tests.Support;

/// <summary>
/// An HTTP client that behaves like a browser on the login forms: keeps cookies, sends the
/// antiforgery token, does not follow redirects (tests look at Location).
/// </summary>
public sealed partial class LoginBrowser(TestApp app) : IDisposable
{
    public HttpClient Http { get; } = new(new CookieContainerHandler { InnerHandler = app.App.GetTestServer().CreateHandler() })
    {
        BaseAddress = new Uri("http://localhost"),
    };

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public async Task<HttpResponseMessage> PostFormAsync(string pagePath, string action, Dictionary<string, string> fields)
    {
        var page = await Http.GetStringAsync(pagePath);
        var token = AntiforgeryField().Match(page).Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(token), $"{pagePath} has no antiforgery token");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token);
        using var form = new FormUrlEncodedContent(fields);
        return await Http.PostAsync(action, form);
    }

    public Task<HttpResponseMessage> LoginAsync(string email, string password) =>
        PostFormAsync("/login", "/account/login", new() { ["email"] = email, ["password"] = password });

    public Task<HttpResponseMessage> SecondStepAsync(string code) =>
        PostFormAsync("/login/2fa", "/account/login/2fa", new() { ["code"] = code });

    public void Dispose() => Http.Dispose();
}

/// <summary>RFC 6238 TOTP (SHA-1, 6 digits, 30 s), what an authenticator app computes from the secret.</summary>
public static class Totp
{
    public static string Code(string base32Secret, DateTimeOffset at)
    {
        var key = Base32(base32Secret);
        var counter = at.ToUnixTimeSeconds() / 30;
        var msg = BitConverter.GetBytes(counter);
        if (BitConverter.IsLittleEndian) Array.Reverse(msg);
#pragma warning disable CA5350 // RFC 6238 TOTP is defined over HMAC-SHA1 (what every authenticator app uses)
        var hash = HMACSHA1.HashData(key, msg);
#pragma warning restore CA5350
        var offset = hash[^1] & 0xF;
        var value = ((hash[offset] & 0x7F) << 24) | (hash[offset + 1] << 16) | (hash[offset + 2] << 8) | hash[offset + 3];
        return (value % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Base32(string s)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var clean = s.Replace(" ", "", StringComparison.Ordinal).TrimEnd('=').ToUpperInvariant();
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (var c in clean)
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }
}
