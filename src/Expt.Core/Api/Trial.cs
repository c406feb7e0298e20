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
    private SeededRandom? _random;

    internal Trial(TrialContext context, TimeProvider time, CancellationToken cancellationToken)
    {
        _context = context;
        _time = time;
        CancellationToken = cancellationToken;
    }

    /// <summary>The 8-hex-digit trial id.</summary>
    public string Id => _context.Lease.TrialId;

    /// <summary>The study name.</summary>
    public string Study => _context.Lease.StudyName;

    /// <summary>The parameter values.</summary>
    public ParamSet Params => _context.Params;

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
        }
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
