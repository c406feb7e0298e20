using System.Text.Json;
using System.Text.RegularExpressions;

namespace Expt.Spec;

/// <summary>
/// A Python function each trial calls (<c>python: train:main</c>): the module (a name, or a file path ending in
/// <c>.py</c>) and the function, how trials run (<see cref="PythonMode"/>), the modules imported once before the first
/// trial (<c>preload</c>), and the interpreter.
/// </summary>
/// <param name="Function"><c>module:function</c> or <c>path/to/file.py:function</c>.</param>
/// <param name="Mode">How each trial runs.</param>
/// <param name="Preload">Modules the warm host imports before the user's (numpy, torch...).</param>
/// <param name="Interpreter">The Python to run (a name on the PATH or a path).</param>
public sealed partial record PythonTarget(string Function, PythonMode Mode, IReadOnlyList<string> Preload, string Interpreter)
{
    /// <summary>The interpreter when none is named.</summary>
    public const string DefaultInterpreter = "python3";

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DottedName();

    /// <summary>The module part: a dotted name or a file path.</summary>
    public string Module => Function[..Function.LastIndexOf(':')];

    /// <summary>True when the module is named by its file (<c>train.py</c>, <c>src/train.py</c>).</summary>
    public bool IsFile => Module.EndsWith(".py", StringComparison.Ordinal) || Module.Contains('/', StringComparison.Ordinal);

    /// <summary>What is wrong with a <c>module:function</c> text, or null when it is well formed.</summary>
    public static string? Problem(string function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var colon = function.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon != function.LastIndexOf(':') || colon == function.Length - 1)
        {
            return $"expected module:function or path/to/file.py:function, got {InputLimits.Quote(function)}";
        }
        var module = function[..colon];
        var name = function[(colon + 1)..];
        if (!DottedName().IsMatch(name))
        {
            return $"'{InputLimits.Quote(name)}' is not a Python function name";
        }
        var isFile = module.EndsWith(".py", StringComparison.Ordinal) || module.Contains('/', StringComparison.Ordinal);
        return isFile || DottedName().IsMatch(module) ? null : $"'{InputLimits.Quote(module)}' is not a Python module name (a file is named with its .py)";
    }

    /// <summary>True for a module name <c>preload</c> accepts.</summary>
    public static bool IsModuleName(string name) => DottedName().IsMatch(name);

    /// <summary>The mode's name as the study file writes it.</summary>
    public static string ModeName(PythonMode mode) => mode switch
    {
        PythonMode.Inline => "inline",
        PythonMode.Fresh => "fresh",
        _ => "fork",
    };

    /// <summary>A mode from its name, or null.</summary>
    public static PythonMode? ParseMode(string? name) => name switch
    {
        "fork" => PythonMode.Fork,
        "inline" => PythonMode.Inline,
        "fresh" => PythonMode.Fresh,
        _ => null,
    };

    /// <summary>Writes the target as the stored study definition keeps it.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("python");
        w.WriteString("function", Function);
        w.WriteString("mode", ModeName(Mode));
        w.WriteStartArray("preload");
        foreach (var module in Preload)
        {
            w.WriteStringValue(module);
        }
        w.WriteEndArray();
        w.WriteString("interpreter", Interpreter);
        w.WriteEndObject();
    }

    /// <summary>Reads what <see cref="WriteTo"/> wrote (null when the study has no Python function, or it is unreadable).</summary>
    public static PythonTarget? FromStored(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("python", out var python) || python.ValueKind != JsonValueKind.Object
            || !python.TryGetProperty("function", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() is not { } function || Problem(function) is not null)
        {
            return null;
        }
        var mode = python.TryGetProperty("mode", out var m) && m.ValueKind == JsonValueKind.String ? ParseMode(m.GetString()) ?? PythonMode.Fork : PythonMode.Fork;
        var preload = python.TryGetProperty("preload", out var p) && p.ValueKind == JsonValueKind.Array
            ? p.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).Where(IsModuleName).ToList()
            : [];
        var interpreter = python.TryGetProperty("interpreter", out var i) && i.ValueKind == JsonValueKind.String && i.GetString() is { Length: > 0 } text ? text : DefaultInterpreter;
        return new PythonTarget(function, mode, preload, interpreter);
    }
}
