using System.Reflection;
using System.Text.RegularExpressions;

namespace Expt.Storage;

/// <summary>A store's schema migrations: SQL scripts embedded in its assembly as <c>NNNN_name.sql</c>, applied in order.</summary>
public static partial class MigrationScripts
{
    [GeneratedRegex(@"\.(\d{4})_[A-Za-z0-9_]+\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex ScriptName();

    /// <summary>The scripts embedded in <paramref name="assembly"/>, by version.</summary>
    public static IReadOnlyList<(int Version, string Sql)> Load(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return assembly.GetManifestResourceNames()
            .Select(n => (Name: n, Match: ScriptName().Match(n)))
            .Where(x => x.Match.Success)
            .Select(x => (int.Parse(x.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Read(assembly, x.Name)))
            .OrderBy(x => x.Item1)
            .ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
