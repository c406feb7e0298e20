using System.Globalization;
using Expt.Spec;

namespace Expt.Execution;

/// <summary>
/// The environment of a trial process, the same for a command and a Python function: the study's <c>env:</c>, then the
/// trial's <c>EXPT_*</c> variables (id, study, parameters, seed, replicate, attempt, directory and the files it hands
/// back), what it was granted (<c>CUDA_VISIBLE_DEVICES</c>...), and the <c>expt</c> Python package on <c>PYTHONPATH</c>.
/// </summary>
internal static class TrialEnvironment
{
    /// <summary>
    /// Sets the trial's variables in <paramref name="target"/> (which starts as the environment it inherits); returns
    /// an error for a variable <c>env:</c> passes through that this worker does not have, else null.
    /// </summary>
    public static string? Fill(IDictionary<string, string?> target, TrialContext context, IReadOnlyDictionary<string, string> studyEnv, string paramsJson)
    {
        var lease = context.Lease;
        var dir = context.TrialDirectory;
        foreach (var (key, value) in studyEnv)
        {
            // "${NAME}" passes the variable through from this worker's own environment, at run time: how a secret
            // reaches trials on any machine without ever being stored.
            if (CommandExecutor.EnvironmentReference(value) is { } name)
            {
                if (Environment.GetEnvironmentVariable(name) is not { } passed)
                {
                    return $"env.{key}: the variable {name} is not set on this worker ({Environment.MachineName}); set it where the worker runs";
                }
                target[key] = passed;
            }
            else
            {
                target[key] = value;
            }
        }
        target["EXPT_TRIAL_ID"] = lease.TrialId;
        target["EXPT_STUDY"] = lease.StudyName;
        target["EXPT_PARAMS"] = paramsJson;
        foreach (var (name, value) in context.Params)
        {
            // Each value also on its own: a shell script reads "$EXPT_PARAM_LR" with no quoting to get wrong.
            target[CommandTemplate.EnvironmentName(name)] = ParamValues.Format(value);
        }
        target["EXPT_SEED"] = lease.Seed.ToString(CultureInfo.InvariantCulture);
        target["EXPT_REPLICATE"] = lease.Replicate.ToString(CultureInfo.InvariantCulture);
        target["EXPT_ATTEMPT"] = lease.Attempt.ToString(CultureInfo.InvariantCulture);
        target["EXPT_TRIAL_DIR"] = dir;
        target["EXPT_RESULTS"] = Path.Combine(dir, CommandExecutor.ResultsFile);
        target["EXPT_METRICS"] = Path.Combine(dir, CommandExecutor.MetricsFileName);
        target["EXPT_TAGS"] = Path.Combine(dir, TrialLabels.TagsFile);
        target["EXPT_NOTE"] = Path.Combine(dir, Trial.NotesFile);
        foreach (var (key, value) in Resources.ResourceEnvironment.For(context.Grant, name => studyEnv.ContainsKey(name) || Environment.GetEnvironmentVariable(name) is not null))
        {
            target[key] = value;
        }
        if (!target.ContainsKey("PYTHONUNBUFFERED"))
        {
            target["PYTHONUNBUFFERED"] = "1";
        }
        PythonPackage.AddToPath(target);
        return null;
    }

    /// <summary>Starts a retried attempt clean: what an earlier attempt handed back is removed.</summary>
    public static void Prepare(TrialContext context)
    {
        var dir = context.TrialDirectory;
        if (context.Lease.Attempt > 1 && Directory.Exists(dir))
        {
            foreach (var file in new[] { CommandExecutor.ResultsFile, CommandExecutor.MetricsFileName, CommandExecutor.StdoutFile, CommandExecutor.StderrFile })
            {
                File.Delete(Path.Combine(dir, file));
            }
        }
        Directory.CreateDirectory(dir);
    }
}
