using System.CommandLine;
using Expt.Execution;
using Expt.Spec;

namespace Expt.Cli;

/// <summary>
/// The base of every command: builds its System.CommandLine <see cref="Command"/> and turns user mistakes into
/// one-line messages with the right exit code, never a stack trace.
/// </summary>
internal abstract class ExptCommand(CliEnvironment env, GlobalOptions globals)
{
    protected CliEnvironment Env { get; } = env;

    protected GlobalOptions Globals { get; } = globals;

    public abstract Command Build();

    /// <summary>Example command lines, printed after the command's --help.</summary>
    public virtual IReadOnlyList<string> Examples { get; } = [];

    protected abstract Task<int> ExecuteAsync(ParseResult parseResult, CancellationToken cancellationToken);

    protected Command Wire(Command command)
    {
        command.SetAction((parseResult, cancellationToken) => InvokeAsync(parseResult, cancellationToken));
        return command;
    }

    private async Task<int> InvokeAsync(ParseResult parseResult, CancellationToken cancellationToken)
    {
        try
        {
            return await ExecuteAsync(parseResult, cancellationToken).ConfigureAwait(false);
        }
        catch (SpecException ex)
        {
            foreach (var error in ex.Errors)
            {
                await Env.Error.WriteLineAsync($"error: {Text.TerminalText.Escape(error.ToString())}").ConfigureAwait(false);
            }
            return ExitCodes.UsageError;
        }
        catch (StudyConflictException ex)
        {
            await Env.Error.WriteLineAsync($"error: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.UsageError;
        }
        catch (UserException ex)
        {
            await Env.Error.WriteLineAsync($"error: {Text.TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
            return ex.ExitCode;
        }
        catch (Slurm.SlurmException ex)
        {
            await Env.Error.WriteLineAsync($"error: {Text.TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
            return ex.Failed ? ExitCodes.TrialsFailed : ExitCodes.UsageError;
        }
        catch (Storage.StoreFailedException ex)
        {
            // One line, exit 4, and where the finished trials are: none is lost.
            var kept = ex.Kept > 0 ? $"; {Text.Counted.Of(ex.Kept, "finished trial")} kept in {ex.SpoolPath}, recorded by the next expt run or expt worker here" : string.Empty;
            var lost = ex.Lost > 0 ? $"; {Text.Counted.Of(ex.Lost, "finished trial")} could not be kept and will run again" : string.Empty;
            await Env.Error.WriteLineAsync($"error: the store could not be written ({Text.TerminalText.Escape(ex.Message.Split('\n')[0].TrimEnd('.'))}){kept}{lost}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        catch (Storage.StoreIncompatibleException ex)
        {
            // Nothing was written: another program's database, the server's own schema, or a store from a newer Expt.
            await Env.Error.WriteLineAsync($"error: {Text.TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
            return ex.WrongTarget ? ExitCodes.UsageError : ExitCodes.StoreError;
        }
        catch (Storage.StoreDamagedException ex)
        {
            await Env.Error.WriteLineAsync($"error: {Text.TerminalText.Escape(ex.Message)}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        catch (Storage.StoreUnavailableException ex)
        {
            await Env.Error.WriteLineAsync($"error: the store is unreachable: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        catch (System.Data.Common.DbException ex)
        {
            // A store fault is not the user's mistake, but it is not a crash of expt either: one line, exit 4.
            await Env.Error.WriteLineAsync($"error: the store failed: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.StoreError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await Env.Error.WriteLineAsync("interrupted").ConfigureAwait(false);
            return ExitCodes.Interrupted;
        }
    }

    protected StoreSettings StoreOption(ParseResult parseResult) =>
        new(parseResult.GetValue(Globals.Store), parseResult.GetValue(Globals.Credentials), parseResult.GetValue(Globals.Artifacts));
}
