namespace Expt.Spec;

/// <summary>
/// Composes a study from several files before <c>--set</c> applies: <c>include:</c> (other files, relative to the
/// including one, merged under it) and Hydra's <c>defaults:</c> (<c>[model: resnet]</c> reads <c>model/resnet.yaml</c>
/// into <c>params.model</c>, or at the top with <c># @package _global_</c>), with <c>--set model=vit</c> choosing
/// another file of the group. Mappings merge deeply; anything else is replaced by the file that includes it, so a
/// file always wins over what it builds on. Every node keeps the file and line it came from.
/// </summary>
public static class ConfigComposer
{
    /// <summary>Top-level keys of this prefix are the user's own (blocks to reuse with anchors), never an error.</summary>
    public const string UserKeyPrefix = "x-";

    private const string IncludeKey = "include";
    private const string DefaultsKey = "defaults";
    private const string GlobalPackage = "# @package _global_";
    private const int MaxFiles = 64;
    private const int MaxDepth = 16;

    /// <summary>
    /// The composed tree of <paramref name="root"/> (read from <paramref name="path"/>), and the overrides left once
    /// those choosing a config group's option are taken.
    /// </summary>
    /// <param name="root">The file's tree.</param>
    /// <param name="path">The file, for relative paths.</param>
    /// <param name="shownPath">The file as the user named it, for messages.</param>
    /// <param name="overrides"><c>--set</c> overrides.</param>
    /// <param name="read">Reads and parses another file: (full path, name for messages) → its tree and text.</param>
    /// <exception cref="SpecException">A missing file, a cycle, an unknown group option, too many files.</exception>
    public static (ConfigMapping Root, IReadOnlyList<string> Overrides) Compose(ConfigMapping root, string path, string shownPath, IEnumerable<string> overrides, Func<string, string, (ConfigMapping Tree, string Text)> read)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(shownPath);
        ArgumentNullException.ThrowIfNull(overrides);
        ArgumentNullException.ThrowIfNull(read);
        var rest = new List<string>();
        var choices = new Dictionary<string, string>(StringComparer.Ordinal);
        var groups = GroupNames(root);
        foreach (var item in overrides)
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var key = eq > 0 ? item[..eq].Trim() : string.Empty;
            if (eq > 0 && groups.Contains(key))
            {
                var option = item[(eq + 1)..].Trim();
                if (option.Contains(',', StringComparison.Ordinal))
                {
                    throw new SpecException(new SpecError(SourceLocation.CommandLine, key, $"'{key}' is a config group (defaults:): it takes one option, the name of a file in {key}/; a sweep over groups is not supported"));
                }
                choices[key] = option;
                continue;
            }
            rest.Add(item);
        }
        if (root.Find(IncludeKey) is null && root.Find(DefaultsKey) is null)
        {
            return (root, rest);
        }
        var composer = new Composer(read, choices);
        var full = Path.GetFullPath(path);
        return (composer.Resolve(root, full, shownPath, [full]), rest);
    }

    // The groups the top file's defaults name, so --set can choose among their options.
    private static HashSet<string> GroupNames(ConfigMapping root)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (root.Find(DefaultsKey)?.Value is ConfigSequence defaults)
        {
            foreach (var item in defaults.Items)
            {
                if (item is ConfigMapping { Entries.Count: 1 } choice)
                {
                    names.Add(choice.Entries[0].Key);
                }
            }
        }
        return names;
    }

    /// <summary>
    /// <paramref name="over"/> merged onto <paramref name="under"/>: mappings key by key (a key keeps its place, its
    /// value is the upper one), anything else replaced.
    /// </summary>
    public static ConfigNode Merge(ConfigNode under, ConfigNode over)
    {
        ArgumentNullException.ThrowIfNull(under);
        ArgumentNullException.ThrowIfNull(over);
        if (under is not ConfigMapping lower || over is not ConfigMapping upper)
        {
            return over;
        }
        var entries = new List<ConfigEntry>(lower.Entries);
        foreach (var entry in upper.Entries)
        {
            var at = entries.FindIndex(e => e.Key == entry.Key);
            if (at < 0)
            {
                entries.Add(entry);
            }
            else
            {
                entries[at] = entry with { Value = Merge(entries[at].Value, entry.Value) };
            }
        }
        return new ConfigMapping(entries, upper.Location);
    }

    private sealed class Composer(Func<string, string, (ConfigMapping Tree, string Text)> read, Dictionary<string, string> choices)
    {
        private int _files = 1;

        public ConfigMapping Resolve(ConfigMapping file, string fullPath, string shownPath, List<string> chain)
        {
            if (chain.Count > MaxDepth)
            {
                throw new SpecException(new SpecError(file.Location, IncludeKey, $"includes nested more than {MaxDepth} deep: {Chain(chain)}"));
            }
            var directory = Path.GetDirectoryName(fullPath)!;
            var shownDirectory = Path.GetDirectoryName(shownPath) ?? string.Empty;
            ConfigNode composed = new ConfigMapping([], file.Location);
            if (file.Find(IncludeKey) is { } include)
            {
                foreach (var (name, location) in Names(include))
                {
                    composed = Merge(composed, Load(Path.Combine(directory, name), Path.Combine(shownDirectory, name), location, IncludeKey, chain).Tree);
                }
            }
            if (file.Find(DefaultsKey) is { } defaults)
            {
                composed = Merge(composed, Defaults(defaults, directory, shownDirectory, chain));
            }
            var self = new ConfigMapping([.. file.Entries.Where(e => e.Key is not IncludeKey and not DefaultsKey)], file.Location);
            return (ConfigMapping)Merge(composed, self);
        }

        private ConfigMapping Defaults(ConfigEntry defaults, string directory, string shownDirectory, List<string> chain)
        {
            if (defaults.Value is not ConfigSequence items)
            {
                throw new SpecException(new SpecError(defaults.Value.Location, DefaultsKey, "expected a list such as [model: resnet, optim: adam] (each group: a file in that folder)"));
            }
            ConfigNode composed = new ConfigMapping([], defaults.Value.Location);
            foreach (var item in items.Items)
            {
                switch (item)
                {
                    case ConfigScalar { Text: "_self_" }:
                        break; // the file itself always comes last: it wins
                    case ConfigScalar plain:
                        composed = Merge(composed, Load(Path.Combine(directory, plain.Text + ".yaml"), Path.Combine(shownDirectory, plain.Text + ".yaml"), plain.Location, DefaultsKey, chain).Tree);
                        break;
                    case ConfigMapping { Entries.Count: 1 } choice when choice.Entries[0].Value is ConfigScalar option:
                        var group = choice.Entries[0].Key;
                        var selected = option.Text;
                        var location = option.Location;
                        if (choices.TryGetValue(group, out var chosen))
                        {
                            (selected, location) = (chosen, SourceLocation.CommandLine);
                        }
                        if (selected is "null" or "~" or "")
                        {
                            break; // Hydra's way to leave a group out
                        }
                        var file = Path.Combine(directory, group, selected + ".yaml");
                        if (!File.Exists(file))
                        {
                            var folder = Path.Combine(directory, group);
                            var options = Directory.Exists(folder)
                                ? Directory.GetFiles(folder, "*.yaml").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal).ToList()
                                : [];
                            var suggestion = Text.Suggestions.Closest(selected, options);
                            throw new SpecException(new SpecError(location, location == SourceLocation.CommandLine ? group : $"{DefaultsKey}.{group}",
                                options.Count == 0
                                    ? $"no config group folder {Path.Combine(shownDirectory, group)}/ (expected {Path.Combine(shownDirectory, group, selected + ".yaml")})"
                                    : $"no option '{selected}' in {Path.Combine(shownDirectory, group)}/{(suggestion is null ? string.Empty : $" (did you mean '{suggestion}'?)")}; expected one of: {string.Join(", ", options)}"));
                        }
                        var (tree, text) = Load(file, Path.Combine(shownDirectory, group, selected + ".yaml"), location, DefaultsKey, chain);
                        // A group's file describes that group's parameters (Hydra's package _group_), unless it says global.
                        var global = text.TrimStart().StartsWith(GlobalPackage, StringComparison.Ordinal);
                        composed = Merge(composed, global ? tree : Wrap(tree, group));
                        break;
                    default:
                        throw new SpecException(new SpecError(item.Location, DefaultsKey, "each item is 'group: option' (reads group/option.yaml) or the name of a file beside this one"));
                }
            }
            return (ConfigMapping)composed;
        }

        private static ConfigMapping Wrap(ConfigMapping tree, string group)
        {
            ConfigNode node = tree;
            foreach (var part in group.Split('.').Reverse())
            {
                node = new ConfigMapping([new ConfigEntry(part, tree.Location, node)], tree.Location);
            }
            return new ConfigMapping([new ConfigEntry("params", tree.Location, node)], tree.Location);
        }

        private (ConfigMapping Tree, string Text) Load(string fullPath, string shownPath, SourceLocation from, string key, List<string> chain)
        {
            fullPath = Path.GetFullPath(fullPath);
            if (chain.Contains(fullPath, StringComparer.Ordinal))
            {
                throw new SpecException(new SpecError(from, key, $"a cycle: {Chain([.. chain, fullPath])}"));
            }
            if (++_files > MaxFiles)
            {
                throw new SpecException(new SpecError(from, key, $"more than {MaxFiles} files make up this study"));
            }
            if (!File.Exists(fullPath))
            {
                throw new SpecException(new SpecError(from, key, $"no such file {shownPath}"));
            }
            var (tree, text) = read(fullPath, shownPath);
            return (Resolve(tree, fullPath, shownPath, [.. chain, fullPath]), text);
        }

        private static string Chain(IEnumerable<string> files) => string.Join(" → ", files.Select(Path.GetFileName));

        private static IEnumerable<(string Name, SourceLocation Location)> Names(ConfigEntry include) => include.Value switch
        {
            ConfigScalar scalar => [(scalar.Text, scalar.Location)],
            ConfigSequence sequence when sequence.Items.All(i => i is ConfigScalar) => sequence.Items.Cast<ConfigScalar>().Select(s => (s.Text, s.Location)),
            _ => throw new SpecException(new SpecError(include.Value.Location, IncludeKey, "expected a file name or a list of them (relative to this file)")),
        };
    }
}
