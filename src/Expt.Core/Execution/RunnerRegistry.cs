using System.Text.Json;

namespace Expt.Execution;

/// <summary>
/// The runners (processes that run trials: <c>expt run</c>, <c>expt worker</c>) alive on this host, each recorded in a
/// small file (its process id and start time, its token, its workers, its store). A runner that starts looks for
/// records of runners that died (their process is gone, or its id now belongs to another process): it ends whatever
/// processes still carry the dead runner's token, gives that runner's trials back to the queue at once (see
/// <see cref="Storage.AttemptPolicy"/>), and removes the record. So no trial of a dead runner keeps running, and none
/// waits out a lease on the machine where its runner died.
/// </summary>
public sealed class RunnerRegistry
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly string _directory;
    private readonly string _host;
    private readonly Lock _gate = new();
    private readonly HashSet<string> _workers = new(StringComparer.Ordinal);

    /// <summary>A registry in <paramref name="directory"/> (default: <see cref="DefaultDirectory"/>).</summary>
    public RunnerRegistry(string? directory = null)
    {
        _directory = directory ?? DefaultDirectory;
        _host = Environment.MachineName;
    }

    /// <summary>Where runners of this user are recorded: <c>$XDG_RUNTIME_DIR/expt/runners</c>, else <c>~/.cache/expt/runners</c>.</summary>
    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime
            ? Path.Combine(runtime, "expt", "runners")
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile, Environment.SpecialFolderOption.DoNotVerify), ".cache", "expt", "runners");

    /// <summary>A runner that died, as found by <see cref="RecoverDead"/>.</summary>
    /// <param name="Pid">Its process id.</param>
    /// <param name="Workers">The workers it ran (their leases are what to give back).</param>
    /// <param name="ProcessesEnded">How many of its trials' processes were still running and were ended.</param>
    public sealed record DeadRunner(int Pid, IReadOnlyList<string> Workers, int ProcessesEnded);

    private sealed record Entry(string Host, int Pid, long Start, string Token, string Store, List<string> Workers, DateTimeOffset Since);

    private string FileOf(string token) => Path.Combine(_directory, token + ".json");

    /// <summary>Records this process as a runner of <paramref name="workerId"/> on <paramref name="store"/>.</summary>
    public void Register(string workerId, string store)
    {
        ArgumentNullException.ThrowIfNull(workerId);
        ArgumentNullException.ThrowIfNull(store);
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        lock (_gate)
        {
            _workers.Add(workerId);
            var entry = new Entry(_host, Environment.ProcessId, ProcessTree.StartTicks(Environment.ProcessId), TrialProcesses.RunnerToken, store, [.. _workers], DateTimeOffset.UtcNow);
            try
            {
                Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                var path = FileOf(TrialProcesses.RunnerToken);
                File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(entry, Json));
                File.Move(path + ".tmp", path, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // No place to record it: a dead runner's trials then come back when their leases run out.
            }
        }
    }

    /// <summary>Removes this process's record (it ended normally: nothing of it needs recovering).</summary>
    public void Unregister()
    {
        try
        {
            File.Delete(FileOf(TrialProcesses.RunnerToken));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Finds the runners of this host that died: ends the processes still carrying their token, and returns those
    /// that used <paramref name="store"/> (whose trials the caller gives back), removing their records. Records of
    /// dead runners of other stores stay for a runner of that store (a week at most).
    /// </summary>
    public IReadOnlyList<DeadRunner> RecoverDead(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var dead = new List<DeadRunner>();
        if (!OperatingSystem.IsLinux() || !Directory.Exists(_directory))
        {
            return dead;
        }
        foreach (var path in Directory.EnumerateFiles(_directory, "*.json"))
        {
            Entry? entry;
            try
            {
                entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(path), Json);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
            {
                continue;
            }
            if (entry is null || entry.Host != _host || entry.Token == TrialProcesses.RunnerToken || ProcessTree.IsRunning(entry.Pid, entry.Start))
            {
                continue;
            }
            var ended = TrialProcesses.KillMarked(entry.Token);
            if (entry.Store == store || entry.Since < DateTimeOffset.UtcNow.AddDays(-7))
            {
                if (entry.Store == store)
                {
                    dead.Add(new DeadRunner(entry.Pid, entry.Workers, ended));
                }
                try
                {
                    File.Delete(path);
                }
                catch (IOException)
                {
                }
            }
        }
        return dead;
    }
}
