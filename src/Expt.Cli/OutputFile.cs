using System.Text;

namespace Expt.Cli;

/// <summary>
/// A file a command writes because the user named it (<c>-o</c>): one rule for every such write, so no command can
/// destroy what the user owns.
/// <list type="bullet">
/// <item>A store is never written: not the one read, not any other SQLite database (found by its header, so a link
/// or a hard link to one is found too), nor their <c>-wal</c>, <c>-shm</c>, <c>-journal</c> and spool files.</item>
/// <item>A directory is not a file; a missing folder is not created; an empty path is not a path.</item>
/// <item>An existing file is replaced only when it has the extension of what is written (<c>-o table.csv</c> again,
/// and the command says it replaced it), or with <c>--force</c>: a slip such as <c>-o train.py</c> loses nothing.</item>
/// <item>The text goes to a temporary file beside the target, renamed over it once complete: a failed write (a full
/// disk) leaves the old file whole. Devices and pipes (<c>/dev/stdout</c>) are written directly.</item>
/// </list>
/// Every refusal is a <see cref="UserException"/> (one line, exit 2), before anything is written.
/// </summary>
internal sealed class OutputFile
{
    private static readonly byte[] SqliteHeader = Encoding.ASCII.GetBytes("SQLite format 3\0");

    // SQLite's companions of a database file, and Expt's spool beside a store.
    private static readonly string[] Companions = ["-wal", "-shm", "-journal", ".spool"];

    private OutputFile(string option, string path, bool direct, bool replaces)
    {
        Option = option;
        Path = path;
        Direct = direct;
        Replaces = replaces;
    }

    /// <summary>The option that named the file (for messages).</summary>
    public string Option { get; }

    /// <summary>Where the bytes go (links resolved).</summary>
    public string Path { get; }

    /// <summary>A device or a pipe: written in place, never renamed over.</summary>
    private bool Direct { get; }

    /// <summary>An existing file is replaced.</summary>
    public bool Replaces { get; }

    /// <summary>What the command says once written: <c>wrote X</c>, or <c>wrote X (replaced the existing file)</c>.</summary>
    public string Done => Replaces ? $"wrote {Path} (replaced the existing file)" : $"wrote {Path}";

    /// <summary>Checks a path the user gave for a file to write.</summary>
    /// <param name="given">The path as given.</param>
    /// <param name="option">The option that gave it (<c>-o</c>).</param>
    /// <param name="workingDirectory">What a relative path is relative to.</param>
    /// <param name="extensions">The extensions of what is written (<c>.csv</c>): an existing file with one of them may be replaced.</param>
    /// <param name="force">Replace any existing file that is not a store.</param>
    /// <exception cref="UserException">The path may not be written; nothing was.</exception>
    public static OutputFile Check(string? given, string option, string workingDirectory, IReadOnlyCollection<string> extensions, bool force)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var path = Resolve(given, option, workingDirectory);
        switch (IO.FileKinds.Of(path))
        {
            case IO.FileKind.Directory:
                throw new UserException($"{option}: {path} is a directory; expected a file name such as {System.IO.Path.Combine(path, "out" + extensions.FirstOrDefault())}");
            case IO.FileKind.Fifo or IO.FileKind.CharacterDevice:
                // A pipe or a device (/dev/stdout): written in place, nothing is replaced.
                return new OutputFile(option, path, direct: true, replaces: false);
            case IO.FileKind.Socket or IO.FileKind.BlockDevice:
                throw new UserException($"{option}: {path} is a {(IO.FileKinds.Of(path) == IO.FileKind.Socket ? "socket" : "block device")}; expected a file name");
            case IO.FileKind.Regular:
                RefuseStore(path, option);
                if (!force && !extensions.Contains(System.IO.Path.GetExtension(path), StringComparer.OrdinalIgnoreCase))
                {
                    var kind = extensions.Count == 0 ? "an output of this command" : $"a {string.Join(" or ", extensions)} file";
                    throw new UserException($"{option}: {path} exists and is not {kind}; add --force to replace it, or choose another name");
                }
                return new OutputFile(option, path, direct: false, replaces: true);
            default:
                var directory = System.IO.Path.GetDirectoryName(path);
                if (directory is not null && !Directory.Exists(directory))
                {
                    throw new UserException($"{option}: no directory {directory}; create it first");
                }
                RefuseStore(path, option);
                return new OutputFile(option, path, direct: false, replaces: false);
        }
    }

    /// <summary>
    /// Checks a path the user gave for a folder to write into (created if missing): not a file, not the folder of a
    /// store; an existing folder that is not empty needs <paramref name="marker"/> in it (what this command wrote
    /// there before) or <paramref name="force"/>.
    /// </summary>
    /// <exception cref="UserException">The folder may not be written into; nothing was.</exception>
    public static string CheckDirectory(string? given, string option, string workingDirectory, string marker, bool force)
    {
        var path = Resolve(given, option, workingDirectory);
        if (File.Exists(path))
        {
            throw new UserException($"{option}: {path} is a file; expected a folder to write into");
        }
        var parent = System.IO.Path.GetDirectoryName(System.IO.Path.TrimEndingDirectorySeparator(path));
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new UserException($"{option}: no directory {parent}; create it first");
        }
        if (Directory.Exists(path))
        {
            IEnumerable<string> entries;
            try
            {
                entries = Directory.EnumerateFileSystemEntries(path).Take(10_000).ToList();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UserException($"{option}: cannot read {path}: {ex.Message}");
            }
            if (entries.FirstOrDefault(e => File.Exists(e) && IsStore(e)) is { } store)
            {
                throw new UserException($"{option}: {path} holds the store {store}; choose a folder of its own");
            }
            if (!force && entries.Any() && !entries.Any(e => System.IO.Path.GetFileName(e) == marker))
            {
                throw new UserException($"{option}: {path} is not empty; choose a new folder, or add --force to write into it");
            }
        }
        return path;
    }

    /// <summary>Writes a file inside a folder checked by <see cref="CheckDirectory"/> (never over a store).</summary>
    public static async Task WriteInsideAsync(string path, string text, CancellationToken cancellationToken)
    {
        await new OutputFile("-o", path, direct: false, replaces: File.Exists(path)).WriteAsync(text, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Copies a file into a folder checked by <see cref="CheckDirectory"/> (never over a store).</summary>
    public static void CopyInside(string source, string target)
    {
        RefuseStore(target, "-o");
        File.Copy(source, target, overwrite: true);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8.</summary>
    /// <exception cref="UserException">The write failed (a full disk, no permission); an existing file is left as it was.</exception>
    public Task WriteAsync(string text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WriteAsync((stream, token) => stream.WriteAsync(Encoding.UTF8.GetBytes(text), token).AsTask(), cancellationToken);
    }

    /// <summary>Writes the file through <paramref name="write"/>.</summary>
    /// <exception cref="UserException">The write failed (a full disk, no permission); an existing file is left as it was.</exception>
    public async Task WriteAsync(Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(write);
        if (Direct)
        {
            try
            {
                await using var device = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, useAsync: false);
                await write(device, cancellationToken).ConfigureAwait(false);
                await device.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new UserException($"{Option}: cannot write {Path}: {ex.Message}");
            }
            return;
        }
        var temporary = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!, $".{System.IO.Path.GetFileName(Path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: false))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            // Checked again at the last moment: the store may have been created there meanwhile.
            RefuseStore(Path, Option);
            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            throw new UserException($"{Option}: cannot write {Path}: {ex.Message}");
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>True when <paramref name="path"/> is a store: a SQLite database, or a companion file of one.</summary>
    public static bool IsStore(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (HasSqliteHeader(path))
        {
            return true;
        }
        var name = System.IO.Path.GetFileName(path);
        foreach (var suffix in Companions)
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && name.Length > suffix.Length && HasSqliteHeader(path[..^suffix.Length]))
            {
                return true;
            }
        }
        // The spool of a PostgreSQL store, under .expt.
        return name.StartsWith("spool-", StringComparison.Ordinal) && name.EndsWith(".spool", StringComparison.Ordinal);
    }

    private static void RefuseStore(string path, string option)
    {
        if (IsStore(path))
        {
            throw new UserException($"{option}: {path} is a store (or a file of one); an output never replaces a store: choose another name");
        }
    }

    private static string Resolve(string? given, string option, string workingDirectory)
    {
        if (string.IsNullOrWhiteSpace(given))
        {
            throw new UserException($"{option}: an empty path; expected a file name");
        }
        string path;
        try
        {
            path = System.IO.Path.GetFullPath(given, workingDirectory);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UserException($"{option}: '{Spec.InputLimits.Quote(given)}' is not a file path");
        }
        // A link is followed to what it names: that is what would be written, and what must not be a store.
        try
        {
            if (IO.FileKinds.Of(path) == IO.FileKind.Link && File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target)
            {
                path = target.FullName;
            }
        }
        catch (IOException ex)
        {
            throw new UserException($"{option}: {path} is a link that cannot be followed: {ex.Message}");
        }
        return path;
    }

    private static bool HasSqliteHeader(string path)
    {
        try
        {
            if (IO.FileKinds.Of(path) == IO.FileKind.Link && File.ResolveLinkTarget(path, returnFinalTarget: true) is { } target)
            {
                path = target.FullName;
            }
            var info = new FileInfo(path);
            if (IO.FileKinds.Of(path) != IO.FileKind.Regular || info.Length < SqliteHeader.Length)
            {
                return false;
            }
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var header = new byte[SqliteHeader.Length];
            return file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) == header.Length && header.AsSpan().SequenceEqual(SqliteHeader);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Unreadable: not known to be a store; writing it will fail with its own message.
            return false;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: a temporary file left behind is named so that it shows what it is.
        }
    }
}
