using System.Security.Cryptography;
using System.Text.Json;
using Expt.Spec;

namespace Expt.Provenance;

/// <summary>
/// The source of a study's Python function as provenance records it: the function, its module's file and the file's
/// SHA-256, so a result can always be traced to the code that produced it.
/// </summary>
public static class PythonSource
{
    /// <summary>The module's file: a path as given, else <c>a/b.py</c> or <c>a/b/__init__.py</c> under the study's directory; null when the module is installed elsewhere.</summary>
    public static string? File(PythonTarget target, string workDir)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(workDir);
        if (target.IsFile)
        {
            return Path.GetFullPath(target.Module, workDir);
        }
        var relative = target.Module.Replace('.', Path.DirectorySeparatorChar);
        return new[] { Path.Combine(workDir, relative + ".py"), Path.Combine(workDir, relative, "__init__.py") }.FirstOrDefault(System.IO.File.Exists);
    }

    /// <summary>A JSON object: <c>function</c>, <c>mode</c>, <c>file</c> and <c>sha256</c> (null when the file is not found).</summary>
    public static string Describe(PythonTarget target, string workDir)
    {
        ArgumentNullException.ThrowIfNull(target);
        var file = File(target, workDir);
        string? hash = null;
        if (file is not null)
        {
            try
            {
                using var stream = System.IO.File.OpenRead(file);
                hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                hash = null;
            }
        }
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("function", target.Function);
            w.WriteString("mode", PythonTarget.ModeName(target.Mode));
            w.WriteString("file", file);
            w.WriteString("sha256", hash);
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
