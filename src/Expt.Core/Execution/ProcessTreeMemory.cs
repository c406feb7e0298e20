using System.Globalization;

namespace Expt.Execution;

/// <summary>
/// Samples the memory of running trials' process trees: every process in a trial's session (each trial starts as a
/// session leader, so its children, grandchildren and background jobs are all in it), their resident sets summed,
/// the highest sum kept. One scan of <c>/proc</c> per tick serves every trial being watched; nothing runs while none is.
/// </summary>
internal static class ProcessTreeMemory
{
    /// <summary>How often the trees are sampled.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static readonly Lock Gate = new();
    private static readonly Dictionary<int, Watch> Watched = [];
    private static readonly long PageSize = Environment.SystemPageSize;
    private static Task? _loop;

    /// <summary>A trial being watched: the highest memory its tree has held so far.</summary>
    public sealed class Watch : IDisposable
    {
        private readonly TaskCompletionSource _exceeded = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _peak;

        internal Watch(int session, long? limit)
        {
            Session = session;
            Limit = limit;
        }

        public int Session { get; }

        /// <summary>The most memory the tree may hold (<c>memory_limit</c>), or null.</summary>
        public long? Limit { get; }

        /// <summary>Completes when a sample finds the tree above <see cref="Limit"/>.</summary>
        public Task Exceeded => _exceeded.Task;

        /// <summary>The highest sum of resident sets sampled, in bytes (0 before the first sample).</summary>
        public long Peak => Interlocked.Read(ref _peak);

        internal void Sample(long bytes)
        {
            long current;
            while (bytes > (current = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, bytes, current) != current)
            {
            }
            if (bytes > Limit)
            {
                _exceeded.TrySetResult();
            }
        }

        public void Dispose()
        {
            lock (Gate)
            {
                Watched.Remove(Session);
            }
        }
    }

    /// <summary>
    /// Starts watching the tree of the session <paramref name="session"/>, signalling when it holds more than
    /// <paramref name="limit"/>; null where there is no <c>/proc</c>.
    /// </summary>
    public static Watch? Start(int session, long? limit = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var watch = new Watch(session, limit);
        lock (Gate)
        {
            Watched[session] = watch;
            if (_loop is null || _loop.IsCompleted)
            {
                _loop = Task.Run(LoopAsync);
            }
        }
        return watch;
    }

    private static async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync().ConfigureAwait(false))
        {
            Watch[] watches;
            lock (Gate)
            {
                if (Watched.Count == 0)
                {
                    _loop = null;
                    return;
                }
                watches = [.. Watched.Values];
            }
            var sums = Scan(watches.Select(w => w.Session).ToHashSet());
            foreach (var watch in watches)
            {
                if (sums.TryGetValue(watch.Session, out var bytes))
                {
                    watch.Sample(bytes);
                }
            }
        }
    }

    /// <summary>The summed resident memory of the processes of each of <paramref name="sessions"/>.</summary>
    internal static Dictionary<int, long> Scan(IReadOnlySet<int> sessions)
    {
        var sums = new Dictionary<int, long>();
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return sums;
        }
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }
            if (Read(Path.Combine(entry, "stat")) is { } stat && sessions.Contains(stat.Session))
            {
                sums[stat.Session] = sums.GetValueOrDefault(stat.Session) + (stat.RssPages * PageSize);
            }
        }
        return sums;
    }

    // /proc/PID/stat: "pid (comm) state ppid pgrp session ... rss ...": the name may hold spaces and parentheses, so
    // the fields are counted from the last ')'. Session is field 6, rss (in pages) field 24.
    private static (int Session, long RssPages)? Read(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // the process ended meanwhile
        }
        var close = text.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }
        var fields = text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 21
            && int.TryParse(fields[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var session)
            && long.TryParse(fields[21], NumberStyles.Integer, CultureInfo.InvariantCulture, out var rss)
            ? (session, rss)
            : null;
    }
}
