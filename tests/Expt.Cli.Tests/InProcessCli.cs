using Spectre.Console;

namespace Expt.Cli.Tests;

/// <summary>Runs <c>expt</c> in this process, in a directory of its own, with a plain console and no environment.</summary>
public sealed class InProcessCli : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("expt-cli-").FullName;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Whether the console says it is a terminal (the live panel is drawn only there).</summary>
    public bool Terminal { get; set; }

    /// <summary>The terminal's width in columns, when <see cref="Terminal"/>.</summary>
    public int Width { get; set; } = 80;

    /// <summary>The kinds of store <c>--store</c> may name (Expt's defaults unless set).</summary>
    public Storage.StoreProviders? Stores { get; set; }

    /// <summary>The clock commands see (the system's unless set).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    public void Write(string name, string text) => File.WriteAllText(Path.Combine(Directory, name), text);

    public async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No });
        if (Terminal)
        {
            console.Profile.Width = Width;
            console.Profile.Capabilities.Unicode = true;
        }
        var env = new CliEnvironment
        {
            Out = console,
            Time = Time,
            Stores = Stores ?? Defaults.Stores(),
            Error = error,
            WorkingDirectory = Directory,
            GetEnvironmentVariable = _ => null,
            Interrupts = new NoInterrupts(),
            IsTerminal = Terminal,
        };
        var exit = await ExptHost.RunAsync(args, env);
        return (exit, output.ToString(), error.ToString());
    }

    private sealed class NoInterrupts : IInterruptSource
    {
        public IDisposable Subscribe(Action<bool> onInterrupt) => new Nothing();

        private sealed class Nothing : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
