using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Expt.Spec;

/// <summary>
/// Reads a YAML study file into a <see cref="ConfigNode"/> tree with line numbers. The tree is built straight from
/// the parser's events with an explicit stack, so no input can overflow the stack, and every bound of
/// <see cref="InputLimits"/> is checked as the events arrive: nesting depth, node count, alias expansion (a
/// "billion laughs" file is refused after its first few aliases), one document, no tags but <c>!!str</c>.
/// YAML merge keys (<c>&lt;&lt;: *base</c>, or a list of aliases) copy a mapping's entries into the mapping they
/// appear in: keys written in that mapping win wherever they stand, and among merged mappings the first wins.
/// </summary>
public static class YamlConfigReader
{
    private const string StringTag = "tag:yaml.org,2002:str";
    private const string MergeKey = "<<";

    /// <summary>Parses YAML text; <paramref name="fileName"/> is used in error messages only.</summary>
    /// <exception cref="SpecException">The text is not well-formed YAML, is not a mapping, or exceeds a limit.</exception>
    public static ConfigMapping Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        if (text.Length > InputLimits.MaxStudyFileBytes)
        {
            throw Fail(fileName, 0, $"the file is larger than the limit of {InputLimits.MaxStudyFileBytes >> 20} MiB");
        }
        // YAML allows no raw control characters but tab and line breaks (write "\e" in double quotes for an escape).
        var control = text.AsSpan().IndexOfAnyInRange('\0', '\u0008');
        control = FirstOf(control, text.AsSpan().IndexOfAnyInRange('\u000b', '\u000c'), text.AsSpan().IndexOfAnyInRange('\u000e', '\u001f'), text.AsSpan().IndexOf('\u007f'));
        if (control >= 0)
        {
            throw Fail(fileName, LineOf(text, control), text[control] == '\0'
                ? "contains a NUL character; a study file is text"
                : $"contains the control character {Text.TerminalText.Escape(text[control].ToString())}; write it as an escape inside double quotes (\"\\e\") if it is meant");
        }
        ConfigNode? root;
        try
        {
            root = new Builder(fileName).Build(new Parser(new StringReader(text)));
        }
        catch (YamlException ex)
        {
            var message = ex.InnerException?.Message ?? ex.Message;
            // YamlDotNet prefixes its own location; we give ours instead.
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith("(Line", StringComparison.Ordinal) && cut > 0)
            {
                message = message[(cut + 3)..];
            }
            throw Fail(fileName, (int)Math.Min(ex.Start.Line, int.MaxValue), $"malformed YAML: {message}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner fails this way on a few malformed inputs (unclosed flow collections); no position.
            throw Fail(fileName, 0, $"malformed YAML: {ex.Message} (look for an unclosed [ or {{)");
        }
        if (root is null)
        {
            throw Fail(fileName, 1, "the file is empty; expected a mapping with at least 'params' or 'command'");
        }
        return root as ConfigMapping ?? throw new SpecException(new SpecError(root.Location, string.Empty, "expected a mapping (key: value lines) at the top of the file"));
    }

    private static SpecException Fail(string file, int line, string message) => new(new SpecError(new SourceLocation(file, line), string.Empty, message));

    private static int FirstOf(params int[] indexes) => indexes.Where(i => i >= 0).DefaultIfEmpty(-1).Min();

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>One open collection: its items so far, and its path for messages.</summary>
    private sealed class Frame(bool mapping, SourceLocation location, string path, string? anchor)
    {
        public bool IsMapping { get; } = mapping;

        public SourceLocation Location { get; } = location;

        public string Path { get; } = path;

        public string? Anchor { get; } = anchor;

        public List<ConfigNode> Items { get; } = [];

        public List<ConfigEntry> Entries { get; } = [];

        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);

        /// <summary>Keys that came from a merge key (<c>&lt;&lt;</c>): a key written here replaces them in place.</summary>
        public HashSet<string> Merged { get; } = new(StringComparer.Ordinal);

        public (string Name, SourceLocation Location)? PendingKey { get; set; }

        /// <summary>Nodes in this collection, itself included (what an alias to it expands to).</summary>
        public long Size { get; set; } = 1;
    }

    private sealed class Builder(string file)
    {
        private readonly Stack<Frame> _stack = new();
        private readonly Dictionary<string, (ConfigNode Node, long Size)> _anchors = new(StringComparer.Ordinal);
        private long _nodes;
        private long _aliasNodes;
        private ConfigNode? _root;
        private SourceLocation _last = new(file, 0);

        // Nodes on one line share one location: a long flow list costs one, not one per value.
        private SourceLocation Location(int line) => _last.Line == line ? _last : _last = new SourceLocation(file, line);

        public ConfigNode? Build(IParser parser)
        {
            var documents = 0;
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                var location = Location((int)Math.Min(e.Start.Line, int.MaxValue));
                switch (e)
                {
                    case DocumentStart:
                        if (++documents > 1)
                        {
                            throw Fail(file, location.Line, "a second YAML document ('---'); a study file holds one study");
                        }
                        break;
                    case Scalar scalar:
                        CheckTag(scalar, location);
                        var quoted = scalar.Style is not ScalarStyle.Plain and not ScalarStyle.Any || !scalar.Tag.IsEmpty;
                        Add(new ConfigScalar(scalar.Value, quoted, location), 1, scalar.Anchor, location);
                        break;
                    case SequenceStart sequence:
                        CheckTag(sequence, location);
                        Open(new Frame(false, location, ChildPath(), Anchor(sequence.Anchor)));
                        break;
                    case MappingStart mapping:
                        CheckTag(mapping, location);
                        Open(new Frame(true, location, ChildPath(), Anchor(mapping.Anchor)));
                        break;
                    case SequenceEnd or MappingEnd:
                        var frame = _stack.Pop();
                        ConfigNode node = frame.IsMapping ? new ConfigMapping(frame.Entries, frame.Location) : new ConfigSequence(frame.Items, frame.Location);
                        Register(frame.Anchor, node, frame.Size);
                        Attach(node, frame.Size, location);
                        break;
                    case AnchorAlias alias:
                        if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        {
                            throw Fail(file, location.Line, $"alias *{alias.Value.Value} refers to no anchor defined before it");
                        }
                        _aliasNodes += target.Size;
                        if (_aliasNodes > InputLimits.MaxAliasNodes)
                        {
                            throw Fail(file, location.Line, $"aliases expand to more than {InputLimits.MaxAliasNodes:N0} values; a study file may reuse a block, not multiply it");
                        }
                        Attach(target.Node, target.Size, location);
                        break;
                }
            }
            return _root;
        }

        private static string? Anchor(YamlDotNet.Core.AnchorName anchor) => anchor.IsEmpty ? null : anchor.Value;

        private void CheckTag(NodeEvent e, SourceLocation location)
        {
            if (!e.Tag.IsEmpty && !e.Tag.IsNonSpecific && e.Tag.Value != StringTag)
            {
                var tag = e.Tag.Value.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal) ? "!!" + e.Tag.Value["tag:yaml.org,2002:".Length..] : e.Tag.Value;
                throw Fail(file, location.Line, $"YAML tag '{InputLimits.Quote(tag)}' is not supported; write plain values (quote a value to keep it a string)");
            }
        }

        private string ChildPath()
        {
            if (_stack.Count == 0)
            {
                return string.Empty;
            }
            var parent = _stack.Peek();
            if (parent.IsMapping)
            {
                var key = parent.PendingKey?.Name ?? "?";
                return parent.Path.Length == 0 ? key : parent.Path + "." + key;
            }
            return $"{parent.Path}[{parent.Items.Count}]";
        }

        private void Open(Frame frame)
        {
            if (_stack.Count >= InputLimits.MaxNesting)
            {
                throw Fail(file, frame.Location.Line, $"nested more than {InputLimits.MaxNesting} levels deep");
            }
            Count(1, frame.Location);
            _stack.Push(frame);
        }

        private void Add(ConfigNode node, long size, YamlDotNet.Core.AnchorName anchor, SourceLocation location)
        {
            Count(size, location);
            Register(Anchor(anchor), node, size);
            Attach(node, size, location);
        }

        private void Count(long size, SourceLocation location)
        {
            _nodes += size;
            if (_nodes > InputLimits.MaxNodes)
            {
                throw Fail(file, location.Line, $"more than {InputLimits.MaxNodes:N0} values in one study file");
            }
        }

        private void Register(string? anchor, ConfigNode node, long size)
        {
            if (anchor is not null)
            {
                _anchors[anchor] = (node, size);
            }
        }

        private void Attach(ConfigNode node, long size, SourceLocation location)
        {
            if (_stack.Count == 0)
            {
                _root ??= node;
                return;
            }
            var parent = _stack.Peek();
            parent.Size += size;
            if (!parent.IsMapping)
            {
                parent.Items.Add(node);
                return;
            }
            if (parent.PendingKey is not { } key)
            {
                if (node is not ConfigScalar scalar)
                {
                    throw new SpecException(new SpecError(location, parent.Path, "expected a plain key (a name), not a list or mapping"));
                }
                parent.PendingKey = (scalar.Text, scalar.Location);
                return;
            }
            parent.PendingKey = null;
            if (key.Name == MergeKey)
            {
                Merge(parent, node, key.Location);
                return;
            }
            if (parent.Merged.Remove(key.Name))
            {
                // Written here, so it wins over the merged value, in the merged value's place.
                var at = parent.Entries.FindIndex(e => e.Key == key.Name);
                parent.Entries[at] = new ConfigEntry(key.Name, key.Location, node);
                return;
            }
            if (!parent.Keys.Add(key.Name))
            {
                throw new SpecException(new SpecError(key.Location, parent.Path.Length == 0 ? key.Name : parent.Path + "." + key.Name, "duplicate key"));
            }
            parent.Entries.Add(new ConfigEntry(key.Name, key.Location, node));
        }

        private void Merge(Frame parent, ConfigNode node, SourceLocation location)
        {
            var sources = node switch
            {
                ConfigMapping mapping => [mapping],
                ConfigSequence sequence when sequence.Items.All(i => i is ConfigMapping) => sequence.Items.Cast<ConfigMapping>().ToList(),
                _ => throw new SpecException(new SpecError(location, parent.Path.Length == 0 ? MergeKey : parent.Path + "." + MergeKey, "a merge key takes a mapping or a list of mappings (<<: *base or <<: [*a, *b])")),
            };
            foreach (var entry in sources.SelectMany(m => m.Entries))
            {
                if (parent.Keys.Add(entry.Key))
                {
                    parent.Merged.Add(entry.Key);
                    parent.Entries.Add(entry);
                }
            }
        }
    }
}
