using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Renmai.Tests.Hosting;

/// <summary>English is the second UI language: every literal text key used in the app has a translation.</summary>
public sealed partial class TranslationTests
{
    [Fact]
    public void Every_literal_UI_text_has_an_English_translation()
    {
        var root = RepoRoot();
        var source = Path.Combine(root, "src", "Renmai");
        var translated = XDocument.Load(Path.Combine(source, "Resources", "SharedResource.en.resx"))
            .Root!.Elements("data").Select(d => (string)d.Attribute("name")!).ToHashSet(StringComparer.Ordinal);
        var files = Directory.EnumerateFiles(source, "*.razor", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        var used = (from file in files
                    from Match m in LocalizerKey().Matches(File.ReadAllText(file))
                    select (File: Path.GetFileName(file), Key: Regex.Unescape(m.Groups[1].Value))).ToList();
        Assert.True(used.Count > 200, $"only {used.Count} texts found: is the pattern still right?");
        // Texts the pages translate through a label function rather than a literal.
        used.AddRange(Renmai.Features.Audit.AuditActions.All.Select(a => (File: "AuditActions", Key: Renmai.Features.Audit.AuditActions.Label(a))));
        used.AddRange(Renmai.Features.Users.Roles.All.Select(r => (File: "Roles", Key: Renmai.Features.Users.Roles.Label(r))));
        // The import's mapping list shows each field's label through L[…].
        used.AddRange(Renmai.Features.Import.ImportFields.BuiltIn.Select(f => (File: "ImportFields", Key: f.Label)));
        var missing = used.Where(u => !translated.Contains(u.Key)).Select(u => $"{u.File}: {u.Key}").Distinct().ToList();
        Assert.True(missing.Count == 0, "untranslated (add to SharedResource.en.resx):\n" + string.Join("\n", missing));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Renmai.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Renmai.slnx not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("""\bL\["((?:[^"\\]|\\.)*)"[\],]""")]
    private static partial Regex LocalizerKey();
}
