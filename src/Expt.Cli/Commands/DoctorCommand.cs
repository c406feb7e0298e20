using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Expt.Cli.Output;
using Expt.Execution;
using Expt.Storage;

namespace Expt.Cli.Commands;

/// <summary>
/// <c>expt doctor</c>: checks a store. Its structure, fully (SQLite's <c>integrity_check</c>: every page, every index
/// against its table), where the store can check itself; every stored value, as the views read them (JSON that does
/// not parse, statuses no Expt wrote); and studies whose enqueue was interrupted. A store found healthy loses a damage
/// mark left by an earlier error; a damaged one says how to recover what is readable. Exit 0 when healthy, 4 when not.
/// </summary>
internal sealed class DoctorCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private const int MaxListed = 20;
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } = ["expt doctor", "expt doctor --store recovered.db", "expt doctor --format json"];

    public override Command Build()
    {
        var command = new Command("doctor", "Check a store: its structure (SQLite's integrity_check), every stored value, and interrupted enqueues.");
        command.Options.Add(_format);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        IExptStore store;
        try
        {
            store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult) with { Inspect = true }, Env, cancellationToken).ConfigureAwait(false);
        }
        catch (StoreDamagedException ex)
        {
            // So damaged it cannot even be opened (its schema is unreadable): that is the finding.
            Report(parseResult, ex.Store ?? "the store", [("structure", false, ex.Message)], healthy: false);
            await Env.Error.WriteLineAsync(Advice(ex.Store ?? "expt.db")).ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        await using var _ = store;
        var clock = Stopwatch.StartNew();
        var checks = new List<(string Check, bool Ok, string Detail)>();
        var damaged = false;
        if (store.GetCapability<IIntegrityCheck>() is { } integrity)
        {
            var mark = integrity.DamageMark;
            IReadOnlyList<string> problems;
            try
            {
                problems = await integrity.CheckIntegrityAsync(MaxListed, cancellationToken).ConfigureAwait(false);
            }
            catch (StoreDamagedException ex)
            {
                problems = [ex.Message];
            }
            damaged = problems.Count > 0;
            checks.Add(("structure", !damaged, damaged ? string.Join("; ", problems) : $"ok (integrity_check, {clock.Elapsed.TotalSeconds:0.##} s)"));
            if (mark is not null && !damaged)
            {
                integrity.ClearDamageMark();
                checks.Add(("damage mark", true, $"removed: the store was marked damaged ({mark}) and is healthy now"));
            }
            else if (mark is not null)
            {
                checks.Add(("damage mark", false, mark));
            }
        }
        else
        {
            checks.Add(("structure", true, "checked by the database server itself"));
        }
        if (!damaged)
        {
            checks.AddRange(await RowsAsync(store, cancellationToken).ConfigureAwait(false));
        }
        Report(parseResult, store.Description, checks, !damaged);
        if (damaged)
        {
            await Env.Error.WriteLineAsync(Advice(store.Description)).ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        return ExitCodes.Success;
    }

    private static string Advice(string path) =>
        $"the store {path} is damaged; nothing more is written to it. Keep a copy, then recover what is readable with: sqlite3 {path} .recover | sqlite3 recovered.db (Debian: apt-get install sqlite3), and check it with: expt doctor --store recovered.db";

    private void Report(ParseResult parseResult, string description, List<(string Check, bool Ok, string Detail)> checks, bool healthy)
    {
        if (parseResult.GetValue(_format) == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartObject();
                w.WriteString("store", description);
                w.WriteBoolean("healthy", healthy);
                w.WriteStartArray("checks");
                foreach (var (check, ok, detail) in checks)
                {
                    w.WriteStartObject();
                    w.WriteString("check", check);
                    w.WriteBoolean("ok", ok);
                    w.WriteString("detail", detail);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
        }
        else
        {
            var rows = checks.Select(c => (IReadOnlyList<string>)[c.Check, c.Ok ? "ok" : "PROBLEM", Text.TerminalText.Escape(c.Detail)]).ToList();
            TableRenderer.Write(Env, new TableData(["check", "state", "detail"], rows), parseResult.GetValue(_format));
        }
    }

    /// <summary>Every stored value read as the views read it: what could not be (shown as far as it can) is counted.</summary>
    private static async Task<List<(string, bool, string)>> RowsAsync(IExptStore store, CancellationToken cancellationToken)
    {
        var checks = new List<(string, bool, string)>();
        var studies = await store.ListStudiesAsync(cancellationToken).ConfigureAwait(false);
        var damagedStudies = studies.Where(s => StoredValues.Json(s.Study.SpecJson) is not { ValueKind: System.Text.Json.JsonValueKind.Object }
            || (s.Study.ProvenanceJson is not null && StoredValues.Json(s.Study.ProvenanceJson) is null)).Select(s => s.Study.Name).ToList();
        var damagedTrials = new List<string>();
        var total = 0;
        foreach (var study in studies)
        {
            const int Page = 10_000;
            for (var offset = 0; ; offset += Page)
            {
                var trials = await store.ListTrialsAsync(new TrialFilter { StudyId = study.Study.Id, Limit = Page, Offset = offset }, cancellationToken).ConfigureAwait(false);
                total += trials.Count;
                foreach (var t in trials)
                {
                    var bad = new List<string>();
                    if (StoredValues.Json(t.ParamsJson) is not { ValueKind: System.Text.Json.JsonValueKind.Object })
                    {
                        bad.Add("params");
                    }
                    foreach (var (name, json) in new[] { ("results", t.ResultsJson), ("provenance", t.ProvenanceJson), ("history", t.History), ("usage", t.UsageJson) })
                    {
                        if (json is not null && StoredValues.Json(json) is null)
                        {
                            bad.Add(name);
                        }
                    }
                    if (bad.Count > 0)
                    {
                        damagedTrials.Add($"{t.Id} ({string.Join(", ", bad)})");
                    }
                }
                if (trials.Count < Page)
                {
                    break;
                }
            }
        }
        checks.Add(("studies", damagedStudies.Count == 0, damagedStudies.Count == 0
            ? $"{Text.Counted.Of(studies.Count, "study")}, every definition readable"
            : $"{Text.Counted.Of(damagedStudies.Count, "study")} with a damaged definition or provenance (shown as far as it can be read): {string.Join(", ", damagedStudies.Take(MaxListed))}"));
        checks.Add(("trials", damagedTrials.Count == 0, damagedTrials.Count == 0
            ? $"{Text.Counted.Of(total, "trial")}, every value readable"
            : $"{damagedTrials.Count.ToString("N0", CultureInfo.InvariantCulture)} of {Text.Counted.Of(total, "trial")} hold damaged values (shown as far as they can be read): {string.Join(", ", damagedTrials.Take(MaxListed))}{(damagedTrials.Count > MaxListed ? ", ..." : string.Empty)}"));
        foreach (var study in studies)
        {
            if (await EnqueueProgress.ReadAsync(store, study.Study.Id, study.Total, cancellationToken).ConfigureAwait(false) is { } enqueue)
            {
                checks.Add(("enqueue", false, $"{study.Study.Name}: {enqueue}"));
            }
        }
        return checks;
    }
}
