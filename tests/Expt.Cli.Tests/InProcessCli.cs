using Spectre.Console;

namespace Expt.Cli.Tests;

/// <summary>Runs <c>expt</c> in this process, in a directory of its own, with a plain console and no environment.</summary>
public sealed class InProcessCli : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("expt-cli-").FullName;

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>Whether the console says it is a terminal (the live panel is drawn only there).</summary>
    public bool Terminal { get; set; }

    public void Write(string name, string text) => File.WriteAllText(Path.Combine(Directory, name), text);

    public async Task<(int Exit, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var env = new CliEnvironment
        {
            Out = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No }),
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
