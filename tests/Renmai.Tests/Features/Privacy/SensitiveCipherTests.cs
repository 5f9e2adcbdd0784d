using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Renmai.Features.Privacy;

namespace Renmai.Tests.Features.Privacy;

/// <summary>
/// The cipher's primitives against their definitions: blind hashes are HMAC-SHA256 of "{kind}:{value}" (stored hashes
/// depend on that exact input), and every seal gets its own random nonce, on any thread.
/// </summary>
public sealed class SensitiveCipherTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "renmai-cipher-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly SensitiveCipher _cipher;

    public SensitiveCipherTests()
    {
        Directory.CreateDirectory(_folder);
        _cipher = new SensitiveCipher(DataKeyRing.LoadOrCreate(_folder, environmentKey: ""));
    }

    public void Dispose()
    {
        _cipher.Dispose();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private string Expected(SensitiveKind kind, string value)
    {
        var mac = HMACSHA256.HashData(_cipher.Keys.IndexKeys[_cipher.Keys.ActiveIndexKeyId], Encoding.UTF8.GetBytes($"{(int)kind}:{value}"));
        return Convert.ToHexStringLower(mac.AsSpan(0, 16));
    }

    [Fact]
    public void Blind_hashes_are_the_HMAC_of_kind_and_value_on_every_thread()
    {
        string[] values = ["13912348765", "8765", "0", "110105194912310021", "张伟的银行卡", new string('长', 300), ""];
        var kinds = new[] { SensitiveKind.PhoneFull, SensitiveKind.PhoneLast4, SensitiveKind.IdNumber, SensitiveKind.BankAccount, SensitiveKind.PhoneGram4 };
        var cases = (from k in kinds from v in values select (k, v)).ToList();
        var wrong = new ConcurrentBag<string>();
        // Many rounds on several threads: a hash object reused per thread must be reset after each value.
        Parallel.For(0, 40, _ =>
        {
            foreach (var (kind, value) in cases)
                if (_cipher.BlindHash(kind, value) != Expected(kind, value)) wrong.Add($"{kind}:{value[..Math.Min(value.Length, 12)]}");
        });
        Assert.Empty(wrong);
        Assert.Equal(32, _cipher.BlindHash(SensitiveKind.PhoneFull, "13912348765").Length);
        Assert.NotEqual(_cipher.BlindHash(SensitiveKind.PhoneFull, "13912348765"), _cipher.BlindHash(SensitiveKind.PhoneLast4, "13912348765"));
        Assert.Throws<KeyNotFoundException>(() => _cipher.BlindHash(SensitiveKind.PhoneFull, "13912348765", "no-such-key"));
    }

    [Fact]
    public void Every_seal_has_a_nonce_of_its_own_and_opens_again()
    {
        // More seals per thread than one draw of random bytes holds, so the pool is refilled several times.
        const int perThread = 1500;
        var nonces = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentBag<string>();
        Parallel.For(0, 4, t =>
        {
            for (var i = 0; i < perThread; i++)
            {
                var id = Guid.NewGuid();
                var plain = $"{{\"phones\":[\"1391234{i:0000}\"],\"name\":\"客户{t}-{i}\"}}";
                var sealedText = _cipher.Seal(plain, id);
                var blob = Base64UrlDecode(sealedText[(sealedText.IndexOf('.', 3) + 1)..]);
                if (!nonces.TryAdd(Convert.ToHexString(blob, 0, 12), 0)) failures.Add("repeated nonce");
                if (_cipher.Open(sealedText, id) != plain) failures.Add("did not open");
            }
        });
        Assert.Empty(failures);
        Assert.Equal(4 * perThread, nonces.Count);
        // Not all zero, nor a counter: 96 random bits each.
        Assert.DoesNotContain(new string('0', 24), nonces.Keys);
    }

    private static byte[] Base64UrlDecode(string s) => System.Buffers.Text.Base64Url.DecodeFromChars(s);
}
