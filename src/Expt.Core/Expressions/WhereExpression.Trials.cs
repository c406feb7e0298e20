using System.Globalization;
using Expt.Spec;
using Expt.Trials;

namespace Expt.Expressions;

// The language bound to stored trials: what a name means for a trial (parameter, result or field).
public sealed partial class WhereExpression
{
    /// <summary>
    /// Evaluates the expression over one trial: its parameters, then its results, then the fields <c>id</c>,
    /// <c>study</c>, <c>status</c>, <c>replicate</c>, <c>seed</c>, <c>attempts</c>, <c>duration</c> (seconds),
    /// <c>host</c> and <c>exit_code</c>. <c>params.NAME</c> is only a parameter, <c>results.NAME</c> only a result.
    /// </summary>
    public bool Matches(Storage.TrialRecord trial)
    {
        ArgumentNullException.ThrowIfNull(trial);
        var results = Analysis.ResultValues.Parse(trial.ResultsJson);
        return Matches(trial, Spec.ParamSet.FromJson(trial.ParamsJson), name =>
        {
            var result = results.FirstOrDefault(r => r.Key == name);
            return (result.Key is not null, result.Value);
        });
    }

    /// <summary>As <see cref="Matches(Storage.TrialRecord)"/>, with the trial's parameters and results already parsed.</summary>
    public bool Matches(Storage.TrialRecord trial, ParamSet parameters, IReadOnlyDictionary<string, object?> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        return Matches(trial, parameters, name => results.TryGetValue(name, out var value) ? (true, value) : (false, null));
    }

    private bool Matches(Storage.TrialRecord trial, ParamSet parameters, Func<string, (bool Found, object? Value)> result)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(parameters);
        return Evaluate((string name, out object? value) =>
        {
            // params.NAME and results.NAME say which is meant (a parameter named seed, a result named like a field).
            if (name.StartsWith("params.", StringComparison.Ordinal))
            {
                return parameters.TryGetValue(name["params.".Length..], out value) || parameters.TryGetValue(name, out value);
            }
            if (name.StartsWith("results.", StringComparison.Ordinal))
            {
                var (has, named) = result(name["results.".Length..]);
                value = named;
                return has;
            }
            if (parameters.TryGetValue(name, out value))
            {
                return true;
            }
            var (found, resultValue) = result(name);
            if (found)
            {
                value = resultValue;
                return true;
            }
            value = name switch
            {
                "id" => trial.Id,
                "study" => trial.StudyName,
                "status" => trial.Status.ToName(),
                "replicate" => (long)trial.Replicate,
                "seed" => trial.Seed,
                "attempts" => (long)trial.Attempts,
                "duration" => trial.Duration?.TotalSeconds,
                "host" => trial.Host,
                "exit_code" => (long?)trial.ExitCode,
                _ => null,
            };
            return value is not null;
        });
    }

    /// <summary>Formats a value as a literal of this language.</summary>
    public static string Literalize(object? value) => value is string s ? "'" + s.Replace("'", "\\'", StringComparison.Ordinal) + "'" : ParamValues.Format(value).ToString(CultureInfo.InvariantCulture);
}
