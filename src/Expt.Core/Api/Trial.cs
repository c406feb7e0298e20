using Expt.Execution;
using Expt.Spec;
using Expt.Storage;
using Expt.Trials;

namespace Expt;

/// <summary>
/// One running trial, as C# experiment code sees it: its parameters, seed, a seeded random generator, a directory
/// for files, a cancellation token, and methods to log step metrics and record results.
/// </summary>
public sealed class Trial
{
    private readonly TrialContext _context;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, object?> _results = new(StringComparer.Ordinal);
    private readonly List<MetricPoint> _metrics = [];
    private readonly Dictionary<string, long> _nextStep = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly List<string> _tags = [];
    private readonly System.Text.StringBuilder _note = new();
    private SeededRandom? _random;
    private Task _flushing = Task.CompletedTask;
    private long _lastFlush;

    /// <summary>Buffered points are written to the store once this many accumulate (or every few seconds).</summary>
    internal const int FlushPoints = MetricChunk.MaxPoints;

    private static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(2);

    internal Trial(TrialContext context, TimeProvider time, CancellationToken cancellationToken)
    {
        _context = context;
        _time = time;
        CancellationToken = cancellationToken;
        _lastFlush = time.GetTimestamp();
    }

    /// <summary>The 8-hex-digit trial id.</summary>
    public string Id => _context.Lease.TrialId;

    public string Study => _context.Lease.StudyName;

    public ParamSet Params => _context.Params;

    /// <summary>The cores this trial was given (<c>resources:</c>); 0 when the study declares none.</summary>
    public int Cpus => _context.Grant.Needs.Cpus;

    /// <summary>The GPU devices this trial was given, as <c>CUDA_VISIBLE_DEVICES</c> names them; empty when none.</summary>
    public IReadOnlyList<string> Gpus => _context.Grant.GpuNames;

    /// <summary>The trial seed (see <see cref="TrialIdentity.Seed"/>).</summary>
    public long Seed => _context.Lease.Seed;

    /// <summary>The replicate index, from 0.</summary>
    public int Replicate => _context.Lease.Replicate;

    /// <summary>This attempt's number, from 1.</summary>
    public int Attempt => _context.Lease.Attempt;

    /// <summary>A random generator seeded with <see cref="Seed"/>: the same numbers on every run of this trial.</summary>
    public Random Random => _random ??= new SeededRandom(Seed);

    /// <summary>Signalled when the trial times out or is interrupted; long loops should check it.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The trial's own directory, created on first use.</summary>
    public string Directory
    {
        get
        {
            System.IO.Directory.CreateDirectory(_context.TrialDirectory);
            return _context.TrialDirectory;
        }
    }

    /// <summary>A parameter converted to <typeparamref name="T"/>.</summary>
    public T Get<T>(string name) => Params.Get<T>(name);

    /// <summary>Logs one point of a step metric; without a step, the metric's next step (0, 1, 2...).</summary>
    public void Log(string name, double value, long? step = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_lock)
        {
            var s = step ?? _nextStep.GetValueOrDefault(name);
            _nextStep[name] = s + 1;
            _metrics.Add(new MetricPoint(name, s, value, _time.GetUtcNow()));
            // Batches, not points, go to the store: a million points cost a few hundred writes. A crash loses at
            // most the batch not yet flushed, and the trial then fails.
            if (_context.AppendMetrics is { } append && (_metrics.Count >= FlushPoints || _time.GetElapsedTime(_lastFlush) >= FlushInterval))
            {
                var batch = _metrics.ToArray();
                _metrics.Clear();
                _lastFlush = _time.GetTimestamp();
                var previous = _flushing;
                _flushing = FlushAsync(previous, append, batch);
            }
        }
    }

    private static async Task FlushAsync(Task previous, Func<IReadOnlyList<MetricPoint>, Task<bool>> append, MetricPoint[] batch)
    {
        await previous.ConfigureAwait(false);
        await append(batch).ConfigureAwait(false);
    }

    /// <summary>Waits for flushes in progress; what is left is written with the outcome.</summary>
    internal Task DrainAsync()
    {
        lock (_lock)
        {
            return _flushing;
        }
    }

    /// <summary>Saves bytes as an artifact in the trial directory (an image, an array dump, a model); returns its path.</summary>
    public string SaveArtifact(string name, ReadOnlySpan<byte> data)
    {
        var path = ArtifactPath(name);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>Saves text as an artifact in the trial directory; returns its path.</summary>
    public string SaveArtifact(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var path = ArtifactPath(name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Copies a file into the trial directory as an artifact; returns its new path.</summary>
    public string SaveArtifactFile(string sourcePath, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(sourcePath);
        var path = ArtifactPath(name ?? Path.GetFileName(sourcePath));
        File.Copy(sourcePath, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// Appends a free-form note about this trial: stored as the trial's note (shown by <c>expt show</c> and
    /// <c>expt ls</c>, changed later with <c>expt note</c>) and kept in notes.txt in the trial directory.
    /// </summary>
    public void Note(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        lock (_lock)
        {
            File.AppendAllText(Path.Combine(Directory, NotesFile), text.TrimEnd() + "\n");
            _note.Append(text.TrimEnd()).Append('\n');
        }
    }

    /// <summary>Tags this trial (e.g. <c>trial.Tag("diverged")</c>); the tags are stored with its outcome.</summary>
    /// <exception cref="ArgumentException">A tag is empty, has spaces or commas, or starts with + or -.</exception>
    public void Tag(params string[] tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var tag in tags)
        {
            ArgumentNullException.ThrowIfNull(tag, nameof(tags));
            if (TagNames.Problem(tag) is { } problem)
            {
                throw new ArgumentException(problem, nameof(tags));
            }
        }
        lock (_lock)
        {
            _tags.AddRange(tags);
        }
    }

    internal IReadOnlyList<string> Tags
    {
        get
        {
            lock (_lock)
            {
                return [.. _tags];
            }
        }
    }

    internal string? NoteText
    {
        get
        {
            lock (_lock)
            {
                return _note.Length == 0 ? null : StoredValues.Note(_note.ToString());
            }
        }
    }

    /// <summary>The file notes go to, in the trial directory.</summary>
    public const string NotesFile = "notes.txt";

    private string ArtifactPath(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        // Artifacts stay inside the trial directory whatever the name says.
        var file = Path.GetFileName(name);
        if (file.Length == 0 || file is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a file name", nameof(name));
        }
        return Path.Combine(Directory, file);
    }

    /// <summary>Records a final result; a returned object's members are merged over these.</summary>
    public void Result(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        lock (_lock)
        {
            _results[name] = value;
        }
    }

    internal IReadOnlyDictionary<string, object?> Results
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, object?>(_results, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>The points not flushed yet.</summary>
    internal IReadOnlyList<MetricPoint> Metrics
    {
        get
        {
            lock (_lock)
            {
                return [.. _metrics];
            }
        }
    }
}
