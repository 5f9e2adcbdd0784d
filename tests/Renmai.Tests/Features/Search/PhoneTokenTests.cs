using System.Security.Cryptography;
using System.Text;
using Renmai.Features.Privacy;
using Renmai.Features.Search;

namespace Renmai.Tests.Features.Search;

/// <summary>
/// Phone-gram tokens come from a table computed once per index key. They must stay exactly what ADR 0019 defines (the
/// first 32 bits of the gram's HMAC under that key, as letters a–p), or the tokens already stored in a database would
/// stop matching; this recomputes them here, independently, under both keys of a rotation.
/// </summary>
public sealed class PhoneTokenTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("renmai-tokens-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Expected(byte[] key, string gram)
    {
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes((int)SensitiveKind.PhoneGram4 + ":" + gram));
        return new string([.. mac.Take(4).SelectMany(b => new[] { (char)('a' + (b >> 4)), (char)('a' + (b & 0xF)) })]);
    }

    [Fact]
    public void Tokens_are_the_gram_hmac_under_each_index_key_whether_read_from_the_table_or_not()
    {
        DataKeyRing.LoadOrCreate(_folder, environmentKey: "");
        Assert.True(KeyMaintenance.BeginRotation(_folder, rotateIndexKey: true, TextWriter.Null));
        using var cipher = new SensitiveCipher(DataKeyRing.LoadOrCreate(_folder, environmentKey: ""));
        Assert.Equal(["i1", "i2"], cipher.Keys.IndexKeys.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("i2", cipher.Keys.ActiveIndexKeyId);

        foreach (var keyId in new[] { "i1", "i2" })
            foreach (var gram in new[] { "0000", "0417", "1380", "9999", "12a4" })
                Assert.Equal(Expected(cipher.Keys.IndexKeys[keyId], gram), CustomerSearchRows.PhoneToken(cipher, gram, keyId));
        Assert.NotEqual(CustomerSearchRows.PhoneToken(cipher, "1380", "i1"), CustomerSearchRows.PhoneToken(cipher, "1380", "i2"));

        // A phone's tokens (what is stored): every 4-digit window under the active key.
        var tokens = new HashSet<string>();
        CustomerSearchRows.PhoneTokens(cipher, "13912348765", tokens);
        var windows = Enumerable.Range(0, 8).Select(i => "13912348765".Substring(i, 4));
        Assert.Equal(windows.Select(w => Expected(cipher.Keys.IndexKeys["i2"], w)).ToHashSet(), tokens);
    }
}
