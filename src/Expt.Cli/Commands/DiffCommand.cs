using System.CommandLine;
using System.Text.Json;
using Expt.Cli.Output;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt.Cli.Commands;

/// <summary><c>expt diff ID1 ID2</c>: what differs between two trials: params, results, status, seeds, hosts, provenance.</summary>
internal sealed class DiffCommand(CliEnvironment env, GlobalOptions globals) : ExptCommand(env, globals)
{
    private readonly Argument<string> _a = new("a") { Description = "First trial id" };
    private readonly Argument<string> _b = new("b") { Description = "Second trial id" };
    private readonly Option<OutputFormat> _format = GlobalOptions.Format();

    public override IReadOnlyList<string> Examples { get; } = ["expt diff 3fa9 7c01", "expt diff 3fa9 7c01 --format json"];

    public override Command Build()
    {
        var command = new Command("diff", "Show the parameters, results and provenance that differ between two trials.");
        command.Arguments.Add(_a);
        command.Arguments.Add(_b);
        command.Options.Add(_format);
        return Wire(command);
    }

    protected override async Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        await using var store = await StoreOpener.OpenExistingAsync(StoreOption(parseResult), Env, cancellationToken).ConfigureAwait(false);
        var a = await Lookup.TrialAsync(store, parseResult.GetValue(_a)!, cancellationToken).ConfigureAwait(false);
        var b = await Lookup.TrialAsync(store, parseResult.GetValue(_b)!, cancellationToken).ConfigureAwait(false);
        // Each trial's own invocation: two runs of one study with an edit between them differ in run.git.
        var fa = Fields(a, await RunProvenance.ForTrialAsync(store, a, cancellationToken).ConfigureAwait(false));
        var fb = Fields(b, await RunProvenance.ForTrialAsync(store, b, cancellationToken).ConfigureAwait(false));
        var rows = fa.Keys.Concat(fb.Keys).Distinct(StringComparer.Ordinal)
            .Select(k => (Field: k, A: fa.GetValueOrDefault(k, "(none)"), B: fb.GetValueOrDefault(k, "(none)")))
            .Where(r => r.A != r.B)
            .ToList();
        if (parseResult.GetValue(_format) == OutputFormat.Json)
        {
            JsonOutput.Write(Env, w =>
            {
                w.WriteStartObject();
                w.WriteString("a", a.Id);
                w.WriteString("b", b.Id);
                w.WriteStartArray("differences");
                foreach (var (field, va, vb) in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("field", field);
                    w.WriteString("a", va);
                    w.WriteString("b", vb);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return ExitCodes.Success;
        }
        TableRenderer.Write(Env, new TableData(["field", a.Id, b.Id], rows.Select(r => (IReadOnlyList<string>)[r.Field, r.A, r.B]).ToList()), parseResult.GetValue(_format));
        if (rows.Count == 0)
        {
            await Env.Error.WriteLineAsync("no differences").ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    /// <summary>Every comparable field of a trial, flattened to text.</summary>
    public static Dictionary<string, string> Fields(TrialRecord t, string? runProvenance = null)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["study"] = t.StudyName,
            ["status"] = t.Status.ToName(),
            ["replicate"] = t.Replicate.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["seed"] = t.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["attempts"] = t.Attempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["host"] = t.Host ?? "-",
            ["exit_code"] = t.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-",
            ["name"] = t.Name ?? "-",
            ["tags"] = string.Join(",", t.Tags),
            ["note"] = t.Note ?? "-",
        };
        foreach (var (name, value) in ParamSet.FromJson(t.ParamsJson))
        {
            fields["param " + name] = ParamValues.Format(value);
        }
        foreach (var (name, value) in TrialJson.ResultValues(t.ResultsJson))
        {
            fields["result " + name] = TrialJson.Display(value);
        }
        // Stored JSON is read without trusting it: a damaged row shows what it can, never stops the comparison.
        if (StoredValues.Json(t.ProvenanceJson) is { } provenance)
        {
            Flatten(provenance, "provenance", fields);
        }
        if (StoredValues.Json(runProvenance) is { ValueKind: JsonValueKind.Object } run)
        {
            // How the trial was run: git state, command line, machine; the config is compared as params.
            foreach (var section in run.EnumerateObject().Where(p => p.Name is not ("config" or "time")))
            {
                Flatten(section.Value, "run." + section.Name, fields);
            }
        }
        return fields;
    }

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string> into)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in element.EnumerateObject())
            {
                Flatten(p.Value, prefix + "." + p.Name, into);
            }
        }
        else
        {
            into[prefix] = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
        }
    }
}
