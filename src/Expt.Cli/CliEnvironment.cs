using Spectre.Console;

namespace Expt.Cli;

/// <summary>What commands read from and write to, injected so tests control all of it.</summary>
internal sealed record CliEnvironment
{
    /// <summary>Where data and progress go (stdout).</summary>
    public required IAnsiConsole Out { get; init; }

    /// <summary>Where errors and notes go (stderr).</summary>
    public required TextWriter Error { get; init; }

    /// <summary>True when stdout is an interactive terminal (live progress, boxed tables, colour).</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Tables print as Markdown (<c>--style markdown</c>): for pasting into notebooks and issues.</summary>
    public bool MarkdownTables { get; init; }

    /// <summary>True when the user can answer a question on stdin.</summary>
    public bool CanPrompt { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    public ExperimentCatalog Experiments { get; init; } = new();

    /// <summary>The kinds of store <c>--store</c> may name (<see cref="Defaults.Stores"/>, plus a host's own).</summary>
    public Storage.StoreProviders Stores { get; init; } = Defaults.Stores();

    /// <summary>The executors by kind: Expt's own and those plugins registered (<c>EXPT_PLUGINS</c>); set when the program starts.</summary>
    public Plugins.ExecutorProviders Executors { get; init; } = new();

    /// <summary>How to start this program again as a worker process (for isolation): the executable and leading arguments.</summary>
    public IReadOnlyList<string> SelfCommand { get; init; } = [];

    /// <summary>Standard input, for commands that read text from it (<c>expt note ID -</c>).</summary>
    public TextReader Input { get; init; } = Console.In;

    /// <summary>Reads one answer line from the user.</summary>
    public Func<string?> ReadLine { get; init; } = Console.ReadLine;

    /// <summary>Ctrl+C and termination signals.</summary>
    public IInterruptSource Interrupts { get; init; } = new ConsoleInterruptSource();
}
