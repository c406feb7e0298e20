using System.CommandLine;

namespace Expt.Cli.Commands;

/// <summary><c>expt rm STUDY | --id ID...</c>: delete a study or trials, with their files, after confirmation.</summary>
internal sealed class RmCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string?> _study = new("study") { Description = "The study to delete", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<string[]> _ids = new("--id") { Description = "Delete only these trials (id prefixes): --id A B or --id A --id B", AllowMultipleArgumentsPerToken = true };
    private readonly Option<bool> _yes = new("--yes", "-y") { Description = "Do not ask for confirmation" };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt rm lr-sweep",
        "expt rm --id 3fa9c1d2 --yes",
    ];

    public override Command Build()
    {
        var command = new Command("rm", "Delete a study (or some trials) from the store, with their trial directories.");
        command.Arguments.Add(_study);
        command.Options.Add(_ids);
        command.Options.Add(_yes);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var name = parseResult.GetValue(_study);
        var prefixes = parseResult.GetValue(_ids) ?? [];
        if ((name is null) == (prefixes.Length == 0))
        {
            throw new UserException("expected either a study name or --id ID (not both)");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        if (name is not null)
        {
            var study = await Lookup.StudyAsync(store, name, cancellationToken).ConfigureAwait(false);
            var counts = await store.CountAsync(study.Id, cancellationToken).ConfigureAwait(false);
            if (!Confirm(parseResult, $"delete study {study.Name} and its {Text.Counted.Of(counts.Values.Sum(), "trial")}?"))
            {
                return ExitCodes.UsageError;
            }
            await store.DeleteStudyAsync(study.Id, cancellationToken).ConfigureAwait(false);
            DeleteDirectory(Storage.TrialDirectories.StudyPath(store.RunsDirectory, study.Name));
            await Env.Error.WriteLineAsync($"deleted study {study.Name}").ConfigureAwait(false);
            return ExitCodes.Success;
        }
        var trials = await Lookup.TrialsAsync(store, prefixes, cancellationToken).ConfigureAwait(false);
        if (!Confirm(parseResult, $"delete {Text.Counted.Of(trials.Count, "trial")} ({string.Join(", ", trials.Select(t => t.Id))})?"))
        {
            return ExitCodes.UsageError;
        }
        await store.DeleteTrialsAsync(trials.Select(t => t.Id).ToList(), cancellationToken).ConfigureAwait(false);
        foreach (var trial in trials)
        {
            DeleteDirectory(Storage.TrialDirectories.TrialPath(store.RunsDirectory, trial.StudyName, trial.Id));
        }
        await Env.Error.WriteLineAsync($"deleted {Text.Counted.Of(trials.Count, "trial")}").ConfigureAwait(false);
        return ExitCodes.Success;
    }

    private bool Confirm(ParseResult parseResult, string question)
    {
        if (parseResult.GetValue(_yes))
        {
            return true;
        }
        if (!Env.CanPrompt)
        {
            throw new UserException($"{question} refusing without --yes when there is no terminal to ask");
        }
        Env.Error.Write($"{question} [y/N] ");
        var answer = Env.ReadLine()?.Trim();
        if (answer is "y" or "Y" or "yes")
        {
            return true;
        }
        Env.Error.WriteLine("nothing deleted");
        return false;
    }

    private static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
