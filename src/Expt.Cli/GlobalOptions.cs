using System.CommandLine;

namespace Expt.Cli;

/// <summary>Options every command takes.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "The store: a SQLite file path (default ./.expt/expt.db, or $EXPT_STORE)",
        Recursive = true,
    };

    public static Option<OutputFormat> Format() => new("--format")
    {
        Description = "Output format: table, json, csv or markdown",
        DefaultValueFactory = _ => OutputFormat.Table,
    };
}
