using System.IO.Enumeration;
using System.Text;

namespace Expt.Execution;

/// <summary>What a trial directory entry is, as listed without following links.</summary>
public enum TrialFileKind
{
    /// <summary>A file (or a special file such as a FIFO, listed with length 0).</summary>
    File,

    /// <summary>A symbolic link, to a file or a directory: listed, never followed.</summary>
    Link,
}

/// <summary>One entry of a trial directory.</summary>
/// <param name="Path">Relative to the trial directory, with '/' separators.</param>
/// <param name="Kind">File or link.</param>
/// <param name="Length">Bytes (of the link itself for a link).</param>
/// <param name="LinkTarget">Where a link points, as written.</param>
public sealed record TrialFileEntry(string Path, TrialFileKind Kind, long Length, string? LinkTarget);

/// <summary>A trial directory's entries; <paramref name="Truncated"/> when it had more than the walk takes.</summary>
/// <param name="Entries">In path order.</param>
/// <param name="Truncated">The directory holds more entries, or deeper ones, than were listed.</param>
public sealed record TrialFileListing(IReadOnlyList<TrialFileEntry> Entries, bool Truncated);

/// <summary>
/// Reads what a trial left in its directory without trusting it: walks never follow a directory link (a link to
/// <c>..</c> cannot make them loop) and stop at <see cref="MaxEntries"/> entries and <see cref="MaxDepth"/> levels;
/// reads take at most a given number of bytes, refuse links, and never open a FIFO or a device (which could block or
/// never end).
/// </summary>
public static class TrialFiles
{
    /// <summary>The most entries a walk lists.</summary>
    public const int MaxEntries = 10_000;

    /// <summary>The deepest directory level a walk enters.</summary>
    public const int MaxDepth = 32;

    /// <summary>The files Expt itself writes in a trial directory (not artifacts).</summary>
    public static readonly IReadOnlySet<string> OwnFiles = new HashSet<string>(StringComparer.Ordinal)
    {
        CommandExecutor.StdoutFile, CommandExecutor.StderrFile, CommandExecutor.ResultsFile, CommandExecutor.MetricsFileName,
    };

    /// <summary>Lists a trial directory: files and links (links not followed), bounded in count and depth.</summary>
    public static TrialFileListing List(string directory, int maxEntries = MaxEntries, int maxDepth = MaxDepth)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory) || new DirectoryInfo(directory).LinkTarget is not null)
        {
            return new TrialFileListing([], false);
        }
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        var truncated = false;
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            MaxRecursionDepth = maxDepth,
            AttributesToSkip = 0,
            IgnoreInaccessible = true,
            ReturnSpecialDirectories = false,
        };
        var entries = new FileSystemEnumerable<TrialFileEntry>(root, (ref FileSystemEntry e) =>
        {
            var relative = Path.GetRelativePath(root, e.ToFullPath()).Replace('\\', '/');
            var link = (e.Attributes & FileAttributes.ReparsePoint) != 0;
            return link
                ? new TrialFileEntry(relative, TrialFileKind.Link, 0, new FileInfo(e.ToFullPath()).LinkTarget)
                : new TrialFileEntry(relative, TrialFileKind.File, e.Length, null);
        }, options)
        {
            // A directory link is listed as a link; only real directories are entered.
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory || (e.Attributes & FileAttributes.ReparsePoint) != 0,
        };
        var list = new List<TrialFileEntry>();
        foreach (var entry in entries)
        {
            if (list.Count == maxEntries)
            {
                truncated = true;
                break;
            }
            list.Add(entry);
        }
        list.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new TrialFileListing(list, truncated);
    }

    /// <summary>The trial's artifacts: what it wrote besides Expt's own logs, results and metrics at the top level.</summary>
    public static TrialFileListing Artifacts(string directory)
    {
        var all = List(directory);
        return all with { Entries = all.Entries.Where(e => !OwnFiles.Contains(e.Path)).ToList() };
    }

    /// <summary>
    /// Reads a file a trial wrote, up to <paramref name="maxBytes"/>: null when it does not exist; an error when it is
    /// a link, a directory, a FIFO, a socket or a device (which could block, never end, or be another's), or larger
    /// than the limit. With <paramref name="readPipes"/>, a pipe is read (bounded): a user's own <c>&lt;(...)</c>.
    /// </summary>
    public static byte[]? ReadBounded(string path, long maxBytes, out string? error, bool readPipes = false)
    {
        ArgumentNullException.ThrowIfNull(path);
        error = null;
        var info = new FileInfo(path);
        if (info.LinkTarget is not null && !readPipes)
        {
            error = $"{info.Name} is a symbolic link (to {Text.TerminalText.Escape(info.LinkTarget)}); write the file itself";
            return null;
        }
        if (!info.Exists)
        {
            if (Directory.Exists(path))
            {
                error = $"{info.Name} is a directory, not a file";
            }
            return null;
        }
        var kind = IO.FileKinds.Of(readPipes && info.LinkTarget is not null ? info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path : path);
        if (kind == IO.FileKind.Fifo && readPipes)
        {
            return ReadPipe(path, maxBytes, info.Name, out error);
        }
        if (kind is not (IO.FileKind.Regular or IO.FileKind.Link))
        {
            error = $"{info.Name} is {Describe(kind)}, not a file; write the file itself";
            return null;
        }
        if (info.Length == 0)
        {
            return [];
        }
        if (info.Length > maxBytes)
        {
            error = $"{info.Name} is {Size(info.Length)}, more than the limit of {Size(maxBytes)}";
            return null;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[Math.Min(info.Length, maxBytes) + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }
        if (total > maxBytes)
        {
            error = $"{info.Name} grew beyond the limit of {Size(maxBytes)} while it was read";
            return null;
        }
        return total == buffer.Length ? buffer : buffer[..total];
    }

    /// <summary>Reads a text file a trial wrote, up to <paramref name="maxBytes"/> (see <see cref="ReadBounded"/>).</summary>
    public static string? ReadText(string path, long maxBytes, out string? error, bool readPipes = false) =>
        ReadBounded(path, maxBytes, out error, readPipes) is { } bytes ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>What a file that is not a regular file is, for messages: <c>a named pipe (FIFO)</c>.</summary>
    public static string Describe(IO.FileKind kind) => kind switch
    {
        IO.FileKind.Fifo => "a named pipe (FIFO)",
        IO.FileKind.Socket => "a socket",
        IO.FileKind.CharacterDevice => "a character device",
        IO.FileKind.BlockDevice => "a block device",
        IO.FileKind.Directory => "a directory",
        IO.FileKind.Link => "a symbolic link",
        IO.FileKind.Missing => "missing",
        _ => "a file",
    };

    private static byte[]? ReadPipe(string path, long maxBytes, string name, out string? error)
    {
        error = null;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                error = $"{name} holds more than the limit of {Size(maxBytes)}";
                return null;
            }
        }
        return buffer.ToArray();
    }

    /// <summary>The last <paramref name="maxBytes"/> bytes of a log, from a seek, never the whole file; null when absent or not a regular file.</summary>
    public static string? ReadEnd(string path, int maxBytes, out long skipped)
    {
        ArgumentNullException.ThrowIfNull(path);
        skipped = 0;
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length == 0)
        {
            return info.Exists && info.LinkTarget is null ? string.Empty : null;
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        skipped = Math.Max(0, stream.Length - maxBytes);
        stream.Seek(skipped, SeekOrigin.Begin);
        var buffer = new byte[Math.Min(maxBytes, stream.Length)];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }
        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    /// <summary>Bytes as a short human size: <c>16 MiB</c>, <c>1.5 KiB</c>, <c>300 bytes</c>.</summary>
    public static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} bytes",
    };
}
