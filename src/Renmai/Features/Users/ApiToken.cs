using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Renmai.Features.Users;

/// <summary>A personal access token for the REST API. Only its SHA-256 hash is stored.</summary>
public sealed class ApiToken
{
    public Guid Id { get; set; } = Guid.CreateVersion7();
    public Guid UserId { get; set; }
    public string Name { get; set; } = "";
    /// <summary>The first characters, shown in lists so a user can tell tokens apart.</summary>
    public string Prefix { get; set; } = "";
    public string Hash { get; set; } = "";
    public bool ReadOnly { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }

    public const string TokenPrefix = "rm_";

    public static string NewSecret() =>
        TokenPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A new token for a user and its secret, shown once; only the hash is kept.</summary>
    public static (ApiToken Token, string Secret) Issue(Guid userId, string name, bool readOnly, DateTime now, DateTime? expiresAt)
    {
        var secret = NewSecret();
        return (new ApiToken
        {
            UserId = userId, Name = name, Prefix = secret[..10], Hash = HashOf(secret), ReadOnly = readOnly,
            CreatedAt = now, ExpiresAt = expiresAt,
        }, secret);
    }

    public static string HashOf(string secret) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

internal sealed class ApiTokenMapping : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.ToTable("ApiTokens");
        b.Property(t => t.Name).HasMaxLength(100);
        b.Property(t => t.Prefix).HasMaxLength(16);
        b.Property(t => t.Hash).HasMaxLength(64);
        b.HasIndex(t => t.Hash).IsUnique();
        b.HasIndex(t => t.UserId);
    }
}
