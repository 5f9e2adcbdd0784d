using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Renmai.Features.Privacy;

/// <summary>A ciphertext that does not decrypt: tampered, truncated, or sealed with a key we do not have.</summary>
public sealed class SensitiveDataException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// AES-256-GCM for sensitive values and HMAC-SHA256 for their blind index (ADR 0012).
/// Envelope (text): <c>v1.{keyId}.{base64url(nonce[12] | ciphertext | tag[16])}</c>; the record's Id is the
/// associated data, so a ciphertext copied onto another row does not decrypt.
/// </summary>
public sealed class SensitiveCipher(DataKeyRing keys) : IDisposable
{
    private const string Prefix = "v1.";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public DataKeyRing Keys { get; } = keys;

    public string Seal(string plaintext, Guid recordId) => Seal(plaintext, recordId, Keys.ActiveDataKeyId);

    public string Seal(string plaintext, Guid recordId, string keyId)
    {
        var key = Keys.DataKeys[keyId];
        var clear = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[NonceSize + clear.Length + TagSize];
        var nonce = blob.AsSpan(0, NonceSize);
        NextNonce(nonce);
        Span<byte> aad = stackalloc byte[16];
        recordId.TryWriteBytes(aad);
        Gcm(keyId, key).Encrypt(nonce, clear, blob.AsSpan(NonceSize, clear.Length), blob.AsSpan(NonceSize + clear.Length), aad);
        CryptographicOperations.ZeroMemory(clear);
        return Prefix + keyId + "." + Base64Url.EncodeToString(blob);
    }

    public string Open(string envelope, Guid recordId)
    {
        var keyId = KeyIdOf(envelope);
        if (!Keys.DataKeys.TryGetValue(keyId, out var key))
            throw new SensitiveDataException($"敏感数据使用的密钥 {keyId} 不在密钥文件中，无法解密 (unknown data key '{keyId}').");
        byte[] blob;
        try { blob = Base64Url.DecodeFromChars(envelope.AsSpan(Prefix.Length + keyId.Length + 1)); }
        catch (FormatException ex) { throw Tampered(recordId, ex); }
        if (blob.Length < NonceSize + TagSize) throw Tampered(recordId, null);
        var clearLength = blob.Length - NonceSize - TagSize;
        var clear = new byte[clearLength];
        Span<byte> aad = stackalloc byte[16];
        recordId.TryWriteBytes(aad);
        try
        {
            Gcm(keyId, key).Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize, clearLength), blob.AsSpan(NonceSize + clearLength), clear, aad);
        }
        catch (AuthenticationTagMismatchException ex) { throw Tampered(recordId, ex); }
        return Encoding.UTF8.GetString(clear);
    }

    // An AesGcm instance expands its key once; making one per value cost as much as the decryption of a
    // customer record. Instances are not thread-safe, so each thread keeps its own, per key.
    private readonly ThreadLocal<Dictionary<string, AesGcm>> _gcm = new(() => new Dictionary<string, AesGcm>(StringComparer.Ordinal), trackAllValues: true);

    private AesGcm Gcm(string keyId, byte[] key)
    {
        var mine = _gcm.Value!;
        if (!mine.TryGetValue(keyId, out var gcm)) mine[keyId] = gcm = new AesGcm(key, TagSize);
        return gcm;
    }

    // Random nonces, drawn from the system's CSPRNG a few hundred at a time: a call per 12 bytes cost as much as the
    // encryption itself (about 1.8 µs). Each nonce is still 96 fresh random bits, used once (GCM's random-nonce mode).
    [ThreadStatic] private static byte[]? _nonces;
    [ThreadStatic] private static int _nonceAt;

    private static void NextNonce(Span<byte> nonce)
    {
        var pool = _nonces ??= new byte[NonceSize * 341];
        if (_nonceAt == 0) RandomNumberGenerator.Fill(pool);
        pool.AsSpan(_nonceAt, NonceSize).CopyTo(nonce);
        // Each slice is handed out once; the pool is refilled when it has been used up.
        _nonceAt = (_nonceAt + NonceSize) % pool.Length;
    }

    // A keyed HMAC per thread and index key, reset after each hash: the one-shot HMACSHA256.HashData sets the key up
    // again on every call (about 2.9 µs against 1.1 µs, and an import hashes two or three values per customer).
    private readonly ThreadLocal<Dictionary<string, IncrementalHash>> _hmac = new(() => new Dictionary<string, IncrementalHash>(StringComparer.Ordinal), trackAllValues: true);

    private IncrementalHash Hmac(string keyId)
    {
        var mine = _hmac.Value!;
        if (!mine.TryGetValue(keyId, out var hmac)) mine[keyId] = hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, Keys.IndexKeys[keyId]);
        return hmac;
    }

    public void Dispose()
    {
        foreach (var perThread in _gcm.Values)
            foreach (var gcm in perThread.Values) gcm.Dispose();
        _gcm.Dispose();
        foreach (var perThread in _hmac.Values)
            foreach (var hmac in perThread.Values) hmac.Dispose();
        _hmac.Dispose();
    }

    public static string KeyIdOf(string envelope)
    {
        if (!envelope.StartsWith(Prefix, StringComparison.Ordinal)) throw new SensitiveDataException("敏感数据格式无法识别 (unknown ciphertext format).");
        var dot = envelope.IndexOf('.', Prefix.Length);
        if (dot < 0) throw new SensitiveDataException("敏感数据格式无法识别 (unknown ciphertext format).");
        return envelope[Prefix.Length..dot];
    }

    private static SensitiveDataException Tampered(Guid recordId, Exception? inner) =>
        new($"记录 {recordId} 的敏感数据校验失败：密文已被篡改或损坏，拒绝显示 (ciphertext authentication failed).", inner);

    /// <summary>The blind-index hash of a normalised value under the active (or the given) index key: 32 hex chars.</summary>
    public string BlindHash(SensitiveKind kind, string normalized, string? indexKeyId = null)
    {
        Span<byte> mac = stackalloc byte[32];
        BlindHash(kind, normalized, indexKeyId, mac);
        return Convert.ToHexStringLower(mac[..16]);
    }

    /// <summary>The full HMAC behind <see cref="BlindHash(SensitiveKind, string, string?)"/> (whose text is the first 16 bytes in hex).</summary>
    public void BlindHash(SensitiveKind kind, string normalized, string? indexKeyId, Span<byte> mac)
    {
        // The input is "{kind}:{value}" in UTF-8, as it always was (stored hashes depend on it). It is made in full before
        // the reused HMAC sees any of it, so nothing can leave half an input in the per-thread object.
        var max = 12 + Encoding.UTF8.GetMaxByteCount(normalized.Length);
        Span<byte> input = max <= 256 ? stackalloc byte[256] : new byte[max];
        if (!((int)kind).TryFormat(input, out var n, provider: System.Globalization.CultureInfo.InvariantCulture)) throw new InvalidOperationException("kind");
        input[n++] = (byte)':';
        n += Encoding.UTF8.GetBytes(normalized, input[n..]);
        var hmac = Hmac(indexKeyId ?? Keys.ActiveIndexKeyId);
        hmac.AppendData(input[..n]);
        if (hmac.GetHashAndReset(mac) != 32) throw new InvalidOperationException("HMAC-SHA256 wrote fewer than 32 bytes.");
    }

    /// <summary>The hashes of a value under every index key present (during a rotation rows may use either).</summary>
    public List<string> LookupHashes(SensitiveKind kind, string normalized) =>
        Keys.IndexKeys.Keys.Select(id => BlindHash(kind, normalized, id)).ToList();
}
