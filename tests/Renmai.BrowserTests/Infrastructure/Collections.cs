using Xunit;

namespace Renmai.BrowserTests.Infrastructure;

/// <summary>Tests that need a server without any account (first-run setup).</summary>
[CollectionDefinition(Name)]
public sealed class FreshServerCollection : ICollectionFixture<FreshServer>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "fresh server";
}

/// <summary>Tests on a server with an admin and 50 demo customers. They run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class SeededServerCollection : ICollectionFixture<SeededServer>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "seeded server";
}
