using System.Security.Cryptography;
using System.Text.Json;

namespace Renmai.Features.Privacy;

/// <summary>Thrown when the keys cannot be loaded safely; the server refuses to start with this message.</summary>
public sealed class DataKeyException(string message) : Exception(message);

/// <summary>
/// The keys that protect sensitive fields (ADR 0012). They live outside the database: in the key file
/// <c>keys/renmai-data.key</c> of the data folder (created with mode 0600 on first start), or in the
/// environment variable <c>RENMAI_DATA_KEY</c> (base64 of 32 bytes), which wins over the file's data key.
/// The blind-index key is derived (HKDF-SHA256) from a separate secret in the key file.
/// Several keys may be present during a rotation; new values always use the active ones.
/// </summary>
public sealed class DataKeyRing
{
    public const string EnvironmentVariable = "RENMAI_DATA_KEY";
    public const string RelativePath = "keys/renmai-data.key";
    private static readonly byte[] IndexInfo = "renmai blind index v1"u8.ToArray();

    internal sealed class KeyEntry
    {
        public string Id { get; set; } = "";
        public string Secret { get; set; } = "";
    }

    /// <summary>The key file's JSON shape.</summary>
    internal sealed class KeyFile
    {
        public int Format { get; set; } = 1;
        public string ActiveDataKey { get; set; } = "";
        public List<KeyEntry> DataKeys { get; set; } = [];
        public string ActiveIndexKey { get; set; } = "";
        public List<KeyEntry> IndexSecrets { get; set; } = [];
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private DataKeyRing(string? path, bool fromEnvironment, Dictionary<string, byte[]> data, string activeData,
        Dictionary<string, byte[]> index, string activeIndex)
    {
        FilePath = path;
        FromEnvironment = fromEnvironment;
        DataKeys = data;
        ActiveDataKeyId = activeData;
        IndexKeys = index;
        ActiveIndexKeyId = activeIndex;
    }

    public string? FilePath { get; }
    public bool FromEnvironment { get; }
    public IReadOnlyDictionary<string, byte[]> DataKeys { get; }
    public string ActiveDataKeyId { get; }
    /// <summary>HMAC keys by id (already derived from the secrets).</summary>
    public IReadOnlyDictionary<string, byte[]> IndexKeys { get; }
    public string ActiveIndexKeyId { get; }

    public static string PathIn(string dataFolder) => Path.Combine(dataFolder, RelativePath);

    /// <summary>Loads the keys for this data folder, creating the key file on first start.</summary>
    public static DataKeyRing LoadOrCreate(string dataFolder, string? environmentKey = null)
    {
        environmentKey ??= Environment.GetEnvironmentVariable(EnvironmentVariable);
        var path = PathIn(dataFolder);
        KeyFile? file = null;
        if (File.Exists(path)) file = Read(path);
        else if (string.IsNullOrWhiteSpace(environmentKey))
        {
            file = NewFile();
            Write(path, file);
        }

        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var index = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        string activeData, activeIndex;
        if (file is not null)
        {
            foreach (var k in file.DataKeys) data[k.Id] = Decode(k.Secret, $"{path} 中的数据密钥 {k.Id}");
            foreach (var k in file.IndexSecrets) index[k.Id] = DeriveIndexKey(Decode(k.Secret, $"{path} 中的索引密钥 {k.Id}"));
            activeData = file.ActiveDataKey;
            activeIndex = file.ActiveIndexKey;
            if (!data.ContainsKey(activeData) || !index.ContainsKey(activeIndex))
                throw new DataKeyException($"密钥文件 {path} 的当前密钥不存在 (active key id missing in the key file).");
        }
        else
        {
            activeData = activeIndex = "";
        }
        if (!string.IsNullOrWhiteSpace(environmentKey))
        {
            var key = Decode(environmentKey.Trim(), "环境变量 " + EnvironmentVariable);
            activeData = "env" + Convert.ToHexStringLower(SHA256.HashData(key))[..6];
            data[activeData] = key;
            if (file is null)
            {
                // No key file: the index key is derived from the environment key with its own label.
                activeIndex = "ienv";
                index[activeIndex] = DeriveIndexKey(HKDF.Expand(HashAlgorithmName.SHA256, key, 32, "renmai index secret"u8.ToArray()));
            }
        }
        return new DataKeyRing(file is null ? null : path, !string.IsNullOrWhiteSpace(environmentKey), data, activeData, index, activeIndex);
    }

    private static byte[] DeriveIndexKey(byte[] secret) => HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: IndexInfo);

    private static byte[] Decode(string base64, string what)
    {
        byte[] key;
        try { key = Convert.FromBase64String(base64); }
        catch (FormatException) { throw new DataKeyException($"{what} 不是有效的 base64 (not valid base64)."); }
        if (key.Length != 32) throw new DataKeyException($"{what} 应为 32 字节（base64 编码），现为 {key.Length} 字节 (must be 32 bytes).");
        return key;
    }

    internal static KeyFile NewFile() => new()
    {
        ActiveDataKey = "d1", DataKeys = [new KeyEntry { Id = "d1", Secret = NewSecret() }],
        ActiveIndexKey = "i1", IndexSecrets = [new KeyEntry { Id = "i1", Secret = NewSecret() }],
    };

    internal static string NewSecret() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    internal static KeyFile Read(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                         UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
                throw new DataKeyException($"密钥文件 {path} 可被其他用户读取，拒绝启动。请执行 chmod 600 {path} (the key file is group/world accessible; run chmod 600).");
        }
        try
        {
            var file = JsonSerializer.Deserialize<KeyFile>(File.ReadAllText(path), Json);
            if (file is null || file.DataKeys.Count == 0 || file.IndexSecrets.Count == 0) throw new JsonException("empty");
            return file;
        }
        catch (JsonException)
        {
            throw new DataKeyException($"密钥文件 {path} 格式不正确 (the key file is not valid).");
        }
    }

    /// <summary>Writes the key file atomically (temp file with mode 0600, then rename).</summary>
    internal static void Write(string path, KeyFile file)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = path + ".tmp";
        File.WriteAllText(temp, "");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(temp, JsonSerializer.Serialize(file, Json));
        File.Move(temp, path, overwrite: true);
    }
}
