namespace Expt.Spec;

/// <summary>
/// A configuration tree that remembers where every node came from, so errors can name file and line.
/// YAML files and <c>--set</c> overrides both produce it; the binder turns it into a <see cref="StudySpec"/>.
/// </summary>
public abstract record ConfigNode(SourceLocation Location);

/// <summary>A scalar; <paramref name="Quoted"/> scalars are always strings.</summary>
public sealed record ConfigScalar(string Text, bool Quoted, SourceLocation Location) : ConfigNode(Location)
{
    /// <summary>The typed value (YAML 1.2 core schema for plain scalars).</summary>
    public object? Value => Quoted ? Text : ScalarResolver.Resolve(Text);
}

/// <summary>A sequence of nodes.</summary>
public sealed record ConfigSequence(IReadOnlyList<ConfigNode> Items, SourceLocation Location) : ConfigNode(Location);

/// <summary>An ordered mapping; keys keep their own locations.</summary>
public sealed record ConfigMapping(IReadOnlyList<ConfigEntry> Entries, SourceLocation Location) : ConfigNode(Location)
{
    /// <summary>The entry with that key, or null.</summary>
    public ConfigEntry? Find(string key) => Entries.FirstOrDefault(e => e.Key == key);
}

/// <summary>One key of a mapping.</summary>
public sealed record ConfigEntry(string Key, SourceLocation KeyLocation, ConfigNode Value);
