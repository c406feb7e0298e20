using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Expt.Execution;

/// <summary>
/// Builds the <c>expt</c> Python package as a wheel (PEP 427: a zip of the package and its <c>.dist-info</c>, every
/// file's SHA-256 in <c>RECORD</c>) from the copy that ships with this program, for <c>pip install</c> in a notebook's
/// environment. Pure Python, no dependencies: one wheel for every platform (<c>py3-none-any</c>).
/// </summary>
public static partial class PythonWheel
{
    [GeneratedRegex("^__version__ = \"([0-9A-Za-z.+-]+)\"", RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex VersionLine();

    /// <summary>The package's version, as its <c>__init__.py</c> declares it.</summary>
    public static string Version(string packageDirectory)
    {
        ArgumentNullException.ThrowIfNull(packageDirectory);
        var init = File.ReadAllText(Path.Combine(packageDirectory, "expt", "__init__.py"));
        return VersionLine().Match(init) is { Success: true } m ? m.Groups[1].Value : "0.0.0";
    }

    /// <summary>The wheel's file name: <c>expt-VERSION-py3-none-any.whl</c>.</summary>
    public static string FileName(string version) => $"expt-{version}-py3-none-any.whl";

    /// <summary>Writes the wheel into <paramref name="stream"/>.</summary>
    /// <param name="packageDirectory">The directory holding <c>expt/</c> (see <see cref="PythonPackage.Directory"/>).</param>
    /// <param name="stream">Where the zip goes.</param>
    public static void Write(string packageDirectory, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(packageDirectory);
        ArgumentNullException.ThrowIfNull(stream);
        var version = Version(packageDirectory);
        var info = $"expt-{version}.dist-info";
        var files = new List<(string Path, byte[] Content)>();
        foreach (var file in Directory.GetFiles(Path.Combine(packageDirectory, "expt"), "*.py").Order(StringComparer.Ordinal))
        {
            files.Add(($"expt/{Path.GetFileName(file)}", File.ReadAllBytes(file)));
        }
        files.Add(($"{info}/METADATA", Encoding.UTF8.GetBytes(string.Join('\n',
            "Metadata-Version: 2.1",
            "Name: expt",
            $"Version: {version}",
            "Summary: Expt for Python: experiments as scripts or functions, run by Expt, loaded into pandas",
            "License: MIT",
            "Requires-Python: >=3.9",
            "Provides-Extra: pandas",
            "Requires-Dist: pandas; extra == \"pandas\"",
            "Provides-Extra: postgres",
            "Requires-Dist: psycopg; extra == \"postgres\"",
            string.Empty))));
        files.Add(($"{info}/WHEEL", Encoding.UTF8.GetBytes(string.Join('\n',
            "Wheel-Version: 1.0",
            "Generator: expt",
            "Root-Is-Purelib: true",
            "Tag: py3-none-any",
            string.Empty))));
        var record = new StringBuilder();
        foreach (var (path, content) in files)
        {
            var hash = Convert.ToBase64String(SHA256.HashData(content)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            record.Append(path).Append(",sha256=").Append(hash).Append(',').Append(content.Length).Append('\n');
        }
        record.Append(info).Append("/RECORD,,\n");
        files.Add(($"{info}/RECORD", Encoding.UTF8.GetBytes(record.ToString())));
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (path, content) in files)
        {
            var entry = zip.CreateEntry(path, CompressionLevel.Optimal);
            // A fixed time: the same package gives the same wheel, byte for byte.
            entry.LastWriteTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var target = entry.Open();
            target.Write(content);
        }
    }
}
