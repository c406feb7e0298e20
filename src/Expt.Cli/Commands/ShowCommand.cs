using System.CommandLine;
using Expt.Cli.Output;
using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;
using Spectre.Console;

namespace Expt.Cli.Commands;

/// <summary><c>expt show ID</c>: everything about one trial: params, results, metrics, error, where its files are, log tails.</summary>
internal sealed class ShowCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _id = new("id") { Description = "Trial id (a unique prefix is enough)" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } =
    [
        "expt show 3fa9",
        "expt show 3fa9c1d2 --format json",
    ];

    public override Command Build()
    {
        var command = new Command("show", "Show one trial.");
        command.Arguments.Add(_id);
        command.Options.Add(_format);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var trial = await Lookup.TrialAsync(store, parseResult.GetValue(_id)!, cancellationToken).ConfigureAwait(false);
        var metrics = await store.GetMetricsAsync(trial.Id, cancellationToken).ConfigureAwait(false);
        var directory = await TrialDirectories.LocalAsync(store, trial, cancellationToken).ConfigureAwait(false);
        var study = await store.GetStudyAsync(trial.StudyName, cancellationToken).ConfigureAwait(false);
        // The invocation that ran the trial (its code, command line and machine), or the study's for older trials.
        var runProvenance = await RunProvenance.ForTrialAsync(store, trial, cancellationToken).ConfigureAwait(false);
        var format = parseResult.GetValue(_format);
        var artifacts = TrialFiles.Artifacts(directory);
        if (format == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("trial");
                TrialJson.Write(w, trial);
                w.WriteString("directory", Directory.Exists(directory) ? directory : null);
                w.WriteStartObject("metrics");
                foreach (var group in metrics.GroupBy(m => m.Name))
                {
                    w.WriteStartObject(group.Key);
                    w.WriteNumber("count", group.Count());
                    WriteNumber(w, "last", group.Last().Value);
                    WriteNumber(w, "min", group.Min(m => m.Value));
                    WriteNumber(w, "max", group.Max(m => m.Value));
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteStartArray("artifacts");
                foreach (var file in artifacts.Entries)
                {
                    w.WriteStartObject();
                    w.WriteString("name", file.Path);
                    w.WriteString("path", Path.Combine(directory, file.Path));
                    w.WriteNumber("bytes", file.Length);
                    if (file.Kind == TrialFileKind.Link)
                    {
                        w.WriteString("link", file.LinkTarget);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteBoolean("artifacts_truncated", artifacts.Truncated);
                TrialJson.WriteStored(w, "provenance", trial.ProvenanceJson, "null");
                TrialJson.WriteStored(w, "study_provenance", study?.ProvenanceJson, "null");
                w.WriteString("run", trial.RunId);
                TrialJson.WriteStored(w, "run_provenance", trial.RunId is null ? null : runProvenance, "null");
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }

        var rows = new List<IReadOnlyList<string>>
        {
            Row("id", trial.Id),
            Row("study", trial.StudyName),
            Row("status", trial.Status.ToName()),
            Row("replicate", trial.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Row("seed", trial.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Row("attempts", $"{trial.Attempts} of {trial.MaxAttempts}" + (trial.Interruptions > 0 ? $" ({trial.Interruptions} interrupted in a row)" : string.Empty)),
            Row("started", trial.Started?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-"),
            Row("finished", trial.Finished?.ToString("u", System.Globalization.CultureInfo.InvariantCulture) ?? "-"),
            Row("duration", trial.Duration is { } d ? DurationParser.Format(d) : "-"),
            Row("host", trial.Host is null ? "-" : $"{trial.Host} (pid {trial.Pid})"),
        };
        if (trial.Name is { } trialName)
        {
            rows.Insert(1, Row("name", trialName));
        }
        if (trial.Tags.Count > 0)
        {
            rows.Add(Row("tags", string.Join(", ", trial.Tags)));
        }
        if (trial.Rank is { } rank)
        {
            rows.Add(Row("mpi rank", rank.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (trial.ExitCode is { } code)
        {
            rows.Add(Row("exit code", code.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        if (!trial.Needs.IsNone)
        {
            rows.Add(Row("needs", trial.Needs.ToString() + (trial.Needs.MemoryLimitBytes is { } limit ? $", limit {Resources.Sizes.Format(limit)}" : string.Empty)));
        }
        if (Resources.TrialUsage.FromJson(trial.UsageJson) is { } usage && usage.ToString() is { Length: > 0 } used)
        {
            rows.Add(Row("used", used));
        }
        rows.AddRange(ParamSet.FromJson(trial.ParamsJson).Select(p => Row("param " + p.Key, ParamValues.Format(p.Value))));
        rows.AddRange(TrialJson.ResultValues(trial.ResultsJson).Select(r => Row("result " + r.Key, TrialJson.Display(r.Value))));
        foreach (var group in metrics.GroupBy(m => m.Name))
        {
            rows.Add(Row("metric " + group.Key, $"{group.Count()} points, last {TrialJson.Display(group.Last().Value)}, min {TrialJson.Display(group.Min(m => m.Value))}, max {TrialJson.Display(group.Max(m => m.Value))}"));
        }
        rows.AddRange(artifacts.Entries.Select(f => Row("artifact", f.Kind == TrialFileKind.Link ? $"{f.Path} -> {f.LinkTarget} (link, not followed)" : $"{f.Path} ({f.Length:N0} bytes)")));
        if (artifacts.Truncated)
        {
            rows.Add(Row("artifact", $"… more files than the {TrialFiles.MaxEntries:N0} listed (or deeper than {TrialFiles.MaxDepth} levels)"));
        }
        rows.AddRange(HistoryRows(trial.History));
        rows.AddRange(ProvenanceRows(trial.ProvenanceJson, runProvenance));
        if (Directory.Exists(directory))
        {
            rows.Add(Row("directory", directory));
        }
        TableRenderer.Write(Env, new TableData(["field", "value"], rows), format);
        if (format != OutputFormat.Table)
        {
            return ExitCodes.Success;
        }
        if (trial.Error is { } error)
        {
            Section(trial.Status == TrialStatus.Completed ? "warnings" : "error", error);
        }
        if (trial.Note is { } note)
        {
            Section("note", note);
        }
        else if (TrialFiles.ReadEnd(Path.Combine(directory, Trial.NotesFile), 16 * 1024, out var skipped) is { Length: > 0 } notes)
        {
            Section("notes", (skipped > 0 ? $"[… the first {skipped:N0} bytes are not shown]\n" : string.Empty) + notes.TrimEnd());
        }
        foreach (var file in new[] { CommandExecutor.StdoutFile, CommandExecutor.StderrFile })
        {
            if (CommandExecutor.Tail(directory, file, 10) is { } tail)
            {
                Section($"{file} (last lines)", tail);
            }
        }
        return ExitCodes.Success;
    }

    private static void WriteNumber(System.Text.Json.Utf8JsonWriter w, string name, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private void Section(string title, string body)
    {
        body = Expt.Text.TerminalText.Escape(body, keepLines: true);
        if (Env.IsTerminal)
        {
            Env.Out.Write(new Panel(new Spectre.Console.Text(body)).Header(title).Expand());
        }
        else
        {
            Env.Out.Profile.Out.Writer.WriteLine($"--- {title} ---\n{body}");
        }
    }

    private static IReadOnlyList<string> Row(string field, string value) => [field, value];

    private static IEnumerable<IReadOnlyList<string>> ProvenanceRows(string? trialProvenance, string? studyProvenance)
    {
        // Stored JSON is read without trusting it: a damaged row shows less, it does not fail the command.
        if (Parse(trialProvenance) is { ValueKind: System.Text.Json.JsonValueKind.Object } m)
        {
            string Get(string name) => m.TryGetProperty(name, out var v) ? v.ToString() : "?";
            yield return Row("machine", $"{Get("host")}: {Get("cpu")}, {Get("cores")} cores, {Get("os")}, {Get("runtime")}");
        }
        if (Parse(studyProvenance) is { ValueKind: System.Text.Json.JsonValueKind.Object } study)
        {
            if (study.TryGetProperty("git", out var git) && git.ValueKind == System.Text.Json.JsonValueKind.Object)
            {
                var commit = git.TryGetProperty("commit", out var c) ? c.ToString() : "?";
                var branch = git.TryGetProperty("branch", out var b) ? b.ToString() : "?";
                var dirty = git.TryGetProperty("dirty", out var d) && d.ValueKind == System.Text.Json.JsonValueKind.True ? " (uncommitted changes recorded)" : string.Empty;
                yield return Row("git", $"{commit[..Math.Min(12, commit.Length)]} on {branch}{dirty}");
            }
            if (study.TryGetProperty("argv", out var argv) && argv.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                yield return Row("command line", string.Join(' ', argv.EnumerateArray().Select(a => a.ToString())));
            }
        }
    }

    /// <summary>Earlier attempts of the trial (retried failures, interruptions), one row each.</summary>
    private static IEnumerable<IReadOnlyList<string>> HistoryRows(string? history)
    {
        if (Parse(history) is not { ValueKind: System.Text.Json.JsonValueKind.Array } entries)
        {
            yield break;
        }
        foreach (var entry in entries.EnumerateArray().Where(e => e.ValueKind == System.Text.Json.JsonValueKind.Object))
        {
            string Get(string name) => entry.TryGetProperty(name, out var v) ? v.ToString() : "?";
            yield return Row("history", $"{Get("time")} attempt {Get("attempt")} {Get("event")}: {Get("reason")}");
        }
    }

    private static System.Text.Json.JsonElement? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            return doc.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
