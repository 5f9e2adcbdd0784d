using Microsoft.Extensions.Localization;

// The assembly is named "renmai" but its namespace is "Renmai": without this the localizer
// looks for "renmai.Resources.…" and never finds Resources/SharedResource.en.resx.
[assembly: RootNamespace("Renmai")]

namespace Renmai;

/// <summary>
/// Marker for the UI's string resources. Keys are the Simplified Chinese text itself; the
/// neutral resource is empty (the key is the Chinese text) and SharedResource.en.resx translates.
/// </summary>
public sealed class SharedResource;
