using System.CommandLine;
using System.Reflection;
using Expt.Cli.Commands;
using Spectre.Console;

namespace Expt.Cli;

/// <summary>
/// Hosts the whole <c>expt</c> command line in a program, with that program's C# experiments, the way
/// <c>BenchmarkSwitcher.FromAssembly(...).Run(args)</c> does:
/// <code>return await ExptHost.RunAsync(args, typeof(Program).Assembly);</code>
/// Then <c>dotnet run -- run anneal</c>, <c>dotnet run -- ls</c> and the rest work on the program's own experiments.
/// </summary>
public static class ExptHost
{
    /// <summary>Runs the command line with the experiments marked <see cref="ExperimentAttribute"/> in an assembly.</summary>
    public static Task<int> RunAsync(string[] args, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return RunAsync(args, ExperimentCatalog.FromAssembly(assembly));
    }

    /// <summary>Runs the command line with the given experiments.</summary>
    public static Task<int> RunAsync(string[] args, params ExperimentDefinition[] experiments) => RunAsync(args, new ExperimentCatalog(experiments));

    /// <summary>Runs the command line with the given experiments.</summary>
    public static Task<int> RunAsync(string[] args, ExperimentCatalog experiments)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(experiments);
        var terminal = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb";
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        var env = new CliEnvironment
        {
            Out = console,
            Error = Console.Error,
            IsTerminal = terminal,
            CanPrompt = !Console.IsInputRedirected && !Console.IsErrorRedirected,
            Experiments = experiments,
            SelfCommand = SelfCommand(),
        };
        return RunAsync(args, env);
    }

    internal static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        // Everything after "--" in "expt run ... -- COMMAND ARGS" is the trial command, verbatim.
        var split = Array.IndexOf(args, "--");
        var trailing = split >= 0 && args.Length > 0 && args[0] == "run" ? args[(split + 1)..] : [];
        var parsed = split >= 0 && trailing.Length > 0 ? args[..split] : args;
        if (parsed.Length == 0)
        {
            parsed = ["--help"];
        }
        if (ApplyStyle(parsed, env) is not { } styled)
        {
            return ExitCodes.UsageError;
        }
        env = styled;
        // Plugins register their parts before any command runs, into the same registry Expt's own parts are in.
        try
        {
            var registry = new Plugins.ExptRegistry(env.Stores, Defaults.Executors(env.Experiments, env.SelfCommand));
            Plugins.PluginLoader.Load(env.GetEnvironmentVariable("EXPT_PLUGINS"), registry);
            env = env with { Executors = registry.Executors };
        }
        catch (Plugins.ExecutorSetupException ex)
        {
            await env.Error.WriteLineAsync("error: " + ex.Message).ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        var globals = new GlobalOptions();
        var root = new RootCommand("""
            Expt runs computational experiments (parameter sweeps × replications) in parallel, tracks everything they
            produce in a store, and compares the results.

            Quick start:
              expt run examples/quickstart/expt.yaml
              expt studies
              expt ls --study quickstart --status failed
            """);
        root.Options.Add(globals.Store);
        root.Options.Add(globals.Credentials);
        root.Options.Add(globals.Artifacts);
        root.Options.Add(globals.Style);
        ExptCommand[] commands =
        [
            new RunCommand(env, globals, trailing),
            new LsCommand(env, globals),
            new ShowCommand(env, globals),
            new StudiesCommand(env, globals),
            new AddCommand(env, globals),
            new RetryCommand(env, globals),
            new CancelCommand(env, globals),
            new TagCommand(env, globals),
            new NoteCommand(env, globals),
            new RmCommand(env, globals),
            new SummaryCommand(env, globals),
            new CompareGroupsCommand(env, globals),
            new ExportCommand(env, globals),
            new LogsCommand(env, globals),
            new DiffCommand(env, globals),
            new CompareCommand(env, globals),
            new PlotCommand(env, globals),
            new ReportCommand(env, globals),
            new ServeCommand(env, globals),
            new WorkerCommand(env, globals),
            new StatusCommand(env, globals),
            new DoctorCommand(env, globals),
            new Commands.Slurm.SlurmCommand(env, globals),
            new Commands.Python.PythonCommand(env, globals),
            new TrialHostCommand(env, globals),
        ];
        var examples = new Dictionary<Command, IReadOnlyList<string>>();
        foreach (var command in commands)
        {
            var built = command.Build();
            examples[built] = command.Examples;
            root.Subcommands.Add(built);
        }
        var parseResult = root.Parse(parsed);
        if (parseResult.Errors.Count > 0)
        {
            // A mistyped option is bad input like any other: one line each, exit 2, not a page of help.
            foreach (var error in parseResult.Errors)
            {
                await env.Error.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            }
            var name = parseResult.CommandResult.Command == root ? "expt" : "expt " + parseResult.CommandResult.Command.Name;
            await env.Error.WriteLineAsync($"see '{name} --help'").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        var configuration = new InvocationConfiguration
        {
            Output = env.Out.Profile.Out.Writer,
            Error = env.Error,
            // Commands handle Ctrl+C themselves: the first stops scheduling, the second interrupts trials.
            ProcessTerminationTimeout = null,
        };
        var exit = await parseResult.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        if (parseResult.Action is System.CommandLine.Help.HelpAction && examples.TryGetValue(parseResult.CommandResult.Command, out var lines) && lines.Count > 0)
        {
            var writer = env.Out.Profile.Out.Writer;
            await writer.WriteLineAsync("Examples:").ConfigureAwait(false);
            foreach (var line in lines)
            {
                await writer.WriteLineAsync("  " + line).ConfigureAwait(false);
            }
            await writer.WriteLineAsync().ConfigureAwait(false);
        }
        return exit;
    }

    /// <summary>Applies <c>--style</c> (or <c>$EXPT_STYLE</c>) before any command sees the console; null (with the error said) for an unknown style.</summary>
    private static CliEnvironment? ApplyStyle(string[] args, CliEnvironment env)
    {
        string? style = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--style" && i + 1 < args.Length)
            {
                style = args[i + 1];
            }
            else if (args[i].StartsWith("--style=", StringComparison.Ordinal))
            {
                style = args[i]["--style=".Length..];
            }
        }
        var source = style is null ? "EXPT_STYLE" : "--style";
        style ??= env.GetEnvironmentVariable("EXPT_STYLE");
        switch (style?.ToLowerInvariant())
        {
            case null or "" or "auto": return env;
            case "rich": return env with { IsTerminal = true };
            // "simple" is what ORruns calls plain output.
            case "plain" or "simple": return env with { IsTerminal = false };
            case "markdown": return env with { IsTerminal = false, MarkdownTables = true };
            default:
                env.Error.WriteLine($"error: {source}: '{Spec.InputLimits.Quote(style)}' is not a style; expected auto, rich, plain (or simple) or markdown");
                return null;
        }
    }

    private static string[] SelfCommand()
    {
        var process = Environment.ProcessPath;
        if (process is null)
        {
            return [];
        }
        // Under "dotnet app.dll" the process is the dotnet host: start it with the app's entry assembly again.
        if (Path.GetFileNameWithoutExtension(process) == "dotnet" && Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry)
        {
            return [process, entry];
        }
        return [process];
    }
}
