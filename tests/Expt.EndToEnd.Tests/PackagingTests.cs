using System.Diagnostics;

namespace Expt.EndToEnd.Tests;

/// <summary>
/// Expt packed as users get it: the packages of this source tree, in a local folder feed, installed the way the README
/// says (a dotnet tool; a library package in a fresh console project; the dotnet new template) and used to run a study.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PackagingTests(PackagingTests.Feed feed) : IClassFixture<PackagingTests.Feed>, IDisposable
{
    private readonly ExptCli _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>Packs the solution once for the class, with a version of its own so no cached package stands in.</summary>
    public sealed class Feed : IDisposable
    {
        public Feed()
        {
            Root = FindRoot();
            Directory = System.IO.Directory.CreateTempSubdirectory("expt-feed-").FullName;
            Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
            var pack = Run("dotnet", ["pack", Path.Combine(Root, "Expt.slnx"), "-c", "Release", "-o", Directory, $"-p:VersionSuffix={Version["0.1.0-".Length..]}", "-p:ExptPack=true", "-nologo", "-v", "quiet"], Root, TimeSpan.FromMinutes(8));
            pack.ExitCode.ShouldBe(0, pack.Output);
            // Restores see the local feed first, then the registry for the dependencies (YamlDotNet, Npgsql, ...).
            Config = Path.Combine(Directory, "nuget.config");
            File.WriteAllText(Config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{Directory}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
        }

        public string Root { get; }

        public string Directory { get; }

        public string Version { get; }

        public string Config { get; }

        public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

        private static string FindRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Expt.slnx")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("Expt.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    internal static (int ExitCode, string Output) Run(string program, IEnumerable<string> args, string directory, TimeSpan timeout, IDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment.Remove("EXPT_STORE");
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private (int ExitCode, string Output) Dotnet(string directory, params string[] args) => Run("dotnet", args, directory, TimeSpan.FromMinutes(5));

    [Fact]
    public void The_dotnet_tool_installs_from_the_feed_and_runs_a_study()
    {
        var tools = Path.Combine(_cli.Directory, "tools");
        var install = Dotnet(_cli.Directory, "tool", "install", "Expt.Tool", "--tool-path", tools, "--version", feed.Version, "--configfile", feed.Config);
        install.ExitCode.ShouldBe(0, install.Output);
        var expt = Path.Combine(tools, "expt");
        var version = Run(expt, ["--version"], _cli.Directory, TimeSpan.FromMinutes(1));
        version.Output.ShouldContain(feed.Version);
        var run = Run(expt, ["run", "--name", "tool", "--set", "x=1,2,3", "--", "echo", "{x}"], _cli.Directory, TimeSpan.FromMinutes(2));
        run.ExitCode.ShouldBe(0, run.Output);
        run.Output.ShouldContain("3 completed, 0 failed");
        Run(expt, ["studies", "--format", "csv"], _cli.Directory, TimeSpan.FromMinutes(1)).Output.ShouldContain("tool,");
    }

    [Fact]
    public void The_library_package_hosts_a_csharp_study_in_a_fresh_console_project()
    {
        var project = Path.Combine(_cli.Directory, "MyStudy");
        Dotnet(_cli.Directory, "new", "console", "-n", "MyStudy", "-o", project).ExitCode.ShouldBe(0);
        File.Copy(feed.Config, Path.Combine(project, "nuget.config"));
        var add = Dotnet(project, "add", "package", "Expt.Cli", "--version", feed.Version);
        add.ExitCode.ShouldBe(0, add.Output);
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using Expt;
            using Expt.Cli;

            return await Experiment.Define("square")
                .Param("x", 1, 2, 3)
                .Replications(2)
                .Minimize("y")
                .Run(trial => new { y = trial.Get<int>("x") * trial.Get<int>("x") })
                .RunAsync(args);
            """);
        var run = Dotnet(project, "run", "--", "run", "square", "-q");
        run.ExitCode.ShouldBe(0, run.Output);
        run.Output.ShouldContain("6 completed, 0 failed");
        var summary = Dotnet(project, "run", "--", "summary", "square", "--format", "csv");
        summary.Output.ShouldContain("\n3,2,9,0,0,");
    }

    [Fact]
    public void The_dotnet_new_template_makes_a_study_project_that_runs()
    {
        // A home of its own: dotnet new install writes to the user's settings.
        var home = new Dictionary<string, string> { ["DOTNET_CLI_HOME"] = Path.Combine(_cli.Directory, "home") };
        var install = Run("dotnet", ["new", "install", Path.Combine(feed.Directory, $"Expt.Templates.{feed.Version}.nupkg")], _cli.Directory, TimeSpan.FromMinutes(3), home);
        install.ExitCode.ShouldBe(0, install.Output);
        var created = Run("dotnet", ["new", "expt-study", "-n", "Coins"], _cli.Directory, TimeSpan.FromMinutes(2), home);
        created.ExitCode.ShouldBe(0, created.Output);
        var project = Path.Combine(_cli.Directory, "Coins");
        File.ReadAllText(Path.Combine(project, "Coins.csproj")).ShouldContain($"Version=\"{feed.Version}\"");
        File.ReadAllText(Path.Combine(project, "Program.cs")).ShouldContain("Experiment.Define(\"Coins\")");
        File.Copy(feed.Config, Path.Combine(project, "nuget.config"));
        var run = Run("dotnet", ["run", "--", "run", "-q"], project, TimeSpan.FromMinutes(5), home);
        run.ExitCode.ShouldBe(0, run.Output);
        run.Output.ShouldContain("30 completed, 0 failed");
    }
}
