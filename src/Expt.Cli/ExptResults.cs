using Expt.Analysis;
using Expt.Storage;

namespace Expt;

/// <summary>
/// Opens a study's results from a program or a notebook (Polyglot / .NET Interactive):
/// <code>
/// await using var results = await ExptResults.LoadAsync("quickstart");
/// foreach (var g in results.Summary("best", by: ["cooling"])) Console.WriteLine($"{g.Key}: {g.Stats.Mean} ± {g.Stats.Sem}");
/// </code>
/// </summary>
public static class ExptResults
{
    /// <summary>Loads a study from a SQLite store (default <c>./.expt/expt.db</c>, or <c>$EXPT_STORE</c>).</summary>
    public static async Task<StudyResults> LoadAsync(string study, string? store = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(study);
        var path = store ?? Environment.GetEnvironmentVariable("EXPT_STORE") ?? ".expt/expt.db";
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no store at {Path.GetFullPath(path)}", path);
        }
        var opened = await Cli.Defaults.Stores().OpenAsync(new StoreOpenRequest(path) { MustExist = true }, cancellationToken).ConfigureAwait(false);
        return await StudyResults.LoadOwningAsync(opened, study, cancellationToken).ConfigureAwait(false);
    }
}
