using System.CommandLine;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt tag ID... +best -old</c>: adds and removes tags of trials.</summary>
internal sealed class TagCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string[]> _items = new("items")
    {
        Description = "Trial ids (or prefixes), then +TAG to add a tag and -TAG to remove one",
        Arity = ArgumentArity.OneOrMore,
    };

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt tag 3fa9c1d2 +best",
        "expt tag 3fa9 71c0 +baseline -draft",
    ];

    public override Command Build()
    {
        var command = new Command("tag", "Add (+TAG) and remove (-TAG) tags of trials; expt ls --tag and expt compare --tag find them.");
        command.Arguments.Add(_items);
        // "-old" is a tag to remove, not an unknown option: the items are read here, in their order.
        command.TreatUnmatchedTokensAsErrors = false;
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        var items = (parseResult.GetValue(_items) ?? []).Concat(parseResult.UnmatchedTokens).ToList();
        var add = new List<string>();
        var remove = new List<string>();
        var prefixes = new List<string>();
        foreach (var item in items)
        {
            if (item.Length > 0 && item[0] is '+' or '-')
            {
                var tag = item[1..];
                if (TagNames.Problem(tag) is { } problem)
                {
                    throw new UserException($"{item}: {problem}");
                }
                (item[0] == '+' ? add : remove).Add(tag);
            }
            else
            {
                prefixes.Add(item);
            }
        }
        if (prefixes.Count == 0)
        {
            throw new UserException("expected at least one trial id before the tags, e.g. expt tag 3fa9c1d2 +best");
        }
        if (add.Count == 0 && remove.Count == 0)
        {
            throw new UserException("expected at least one +TAG to add or -TAG to remove, e.g. expt tag 3fa9c1d2 +best -draft");
        }
        if (add.Intersect(remove, StringComparer.Ordinal).FirstOrDefault() is { } both)
        {
            throw new UserException($"'{both}' is both added and removed");
        }
        if (add.Distinct(StringComparer.Ordinal).Count() is var adding and > StoredValues.MaxTags)
        {
            throw new UserException($"a trial keeps at most {StoredValues.MaxTags} tags; this adds {adding}");
        }
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var trials = await Lookup.TrialsAsync(store, prefixes, cancellationToken).ConfigureAwait(false);
        // Refused whole rather than kept in part: what is said to be added is what is kept.
        foreach (var trial in trials)
        {
            var after = trial.Tags.Union(add, StringComparer.Ordinal).Except(remove, StringComparer.Ordinal).Count();
            if (after > StoredValues.MaxTags)
            {
                throw new UserException($"a trial keeps at most {StoredValues.MaxTags} tags; {trial.Id} has {trial.Tags.Count} and would have {after}: remove some first (expt tag {trial.Id} -TAG)");
            }
        }
        var count = await store.TagTrialsAsync([.. trials.Select(t => t.Id).Distinct(StringComparer.Ordinal)], add, remove, cancellationToken).ConfigureAwait(false);
        var what = string.Join(", ", add.Select(t => "+" + t).Concat(remove.Select(t => "-" + t)));
        await Env.Error.WriteLineAsync($"tagged {Text.Counted.Of(count, "trial")}: {what}").ConfigureAwait(false);
        return ExitCodes.Success;
    }
}
