using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Expt.Spec;

/// <summary>Reads a YAML study file into a <see cref="ConfigNode"/> tree with line numbers.</summary>
public static class YamlConfigReader
{
    /// <summary>Parses YAML text; <paramref name="fileName"/> is used in error messages only.</summary>
    /// <exception cref="SpecException">The text is not well-formed YAML or not a mapping.</exception>
    public static ConfigMapping Parse(string text, string fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
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
            throw new SpecException(new SpecError(new SourceLocation(fileName, (int)ex.Start.Line), string.Empty, $"malformed YAML: {message}"));
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's scanner can fail this way on some unterminated flow collections; it gives no position.
            throw new SpecException(new SpecError(new SourceLocation(fileName, 0), string.Empty, $"malformed YAML: {ex.Message} (look for an unclosed [ or {{)"));
        }
        if (stream.Documents.Count == 0)
        {
            throw new SpecException(new SpecError(new SourceLocation(fileName, 1), string.Empty, "the file is empty; expected a mapping with at least 'params' or 'command'"));
        }
        var root = Convert(stream.Documents[0].RootNode, fileName, string.Empty);
        return root as ConfigMapping ?? throw new SpecException(new SpecError(root.Location, string.Empty, "expected a mapping (key: value lines) at the top of the file"));
    }

    private static ConfigNode Convert(YamlNode node, string file, string path)
    {
        var location = new SourceLocation(file, (int)node.Start.Line);
        switch (node)
        {
            case YamlScalarNode scalar:
                return new ConfigScalar(scalar.Value ?? string.Empty, scalar.Style is not ScalarStyle.Plain and not ScalarStyle.Any, location);
            case YamlSequenceNode sequence:
                return new ConfigSequence(sequence.Children.Select((c, i) => Convert(c, file, $"{path}[{i}]")).ToList(), location);
            case YamlMappingNode mapping:
                var entries = new List<ConfigEntry>();
                foreach (var (key, value) in mapping.Children)
                {
                    var keyLocation = new SourceLocation(file, (int)key.Start.Line);
                    if (key is not YamlScalarNode keyScalar || keyScalar.Value is null)
                    {
                        throw new SpecException(new SpecError(keyLocation, path, "expected a plain key"));
                    }
                    var name = keyScalar.Value;
                    var childPath = path.Length == 0 ? name : path + "." + name;
                    if (entries.Any(e => e.Key == name))
                    {
                        throw new SpecException(new SpecError(keyLocation, childPath, "duplicate key"));
                    }
                    entries.Add(new ConfigEntry(name, keyLocation, Convert(value, file, childPath)));
                }
                return new ConfigMapping(entries, location);
            default:
                throw new SpecException(new SpecError(location, path, "unsupported YAML node (aliases and tags are not supported)"));
        }
    }
}
