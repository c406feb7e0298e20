using System.CommandLine;
using Expt.Resources;
using Expt.Spec;

namespace Expt.Cli;

/// <summary>
/// <c>--cpus</c>, <c>--memory</c>, <c>--gpus</c>: what a worker (or <c>expt run</c>) may schedule trials onto, in place
/// of what it finds (the machine, a Slurm allocation, <c>CUDA_VISIBLE_DEVICES</c>).
/// </summary>
internal sealed class CapacityOptions
{
    /// <summary>How long a trial that does not fit may be passed over by smaller ones before the worker drains for it.</summary>
    public static readonly TimeSpan BackfillWindow = TimeSpan.FromSeconds(60);

    public Option<int?> Cpus { get; } = GlobalOptions.Integer("--cpus", "--cores", "Cores trials may use in all (default: this machine's, or the Slurm allocation's)", "a number of cores");

    public Option<string?> Memory { get; } = new("--memory") { Description = "Memory trials may use in all, e.g. 64G (default: what is available at start, less 5%)" };

    public Option<string?> Gpus { get; } = new("--gpus") { Description = "GPU devices trials may use, e.g. 0,1,3; all (every GPU nvidia-smi lists); or none (default: CUDA_VISIBLE_DEVICES, or what nvidia-smi lists)" };

    public IEnumerable<Option> All => [Cpus, Memory, Gpus];

    /// <summary>Parses the options, before anything touches the store; a mistake is a one-line usage error.</summary>
    public (int? Cpus, long? Memory, IReadOnlyList<string>? Gpus, bool Given) Parse(ParseResult parseResult)
    {
        var cpus = parseResult.GetValue(Cpus);
        if (cpus is < 1 or > 65536)
        {
            throw new UserException($"--cpus: expected a number of cores from 1 to 65536, got {cpus}");
        }
        long? memory = null;
        if (parseResult.GetValue(Memory) is { } text)
        {
            memory = ByteSizeParser.TryParse(text, out var bytes) && bytes >= 1L << 20
                ? bytes
                : throw new UserException($"--memory: expected a size such as 512M or 64G, got '{InputLimits.Quote(text)}'");
        }
        IReadOnlyList<string>? gpus = null;
        if (parseResult.GetValue(Gpus) is { } all && all.Trim() == "all")
        {
            gpus = CapacityDetector.AllGpus;
        }
        else if (parseResult.GetValue(Gpus) is { } list)
        {
            try
            {
                gpus = MachineCapacity.ParseGpus(list);
            }
            catch (FormatException ex)
            {
                throw new UserException($"--gpus: {ex.Message}");
            }
        }
        return (cpus, memory, gpus, cpus is not null || memory is not null || gpus is not null);
    }

    /// <summary>
    /// The worker's pool: when a study it runs declares resources, or any of the options is given; null otherwise
    /// (trials are bounded by <c>-j</c> alone, as without resources).
    /// </summary>
    public ResourcePool? Pool(ParseResult parseResult, bool declared, CliEnvironment env)
    {
        var (cpus, memory, gpus, given) = Parse(parseResult);
        return declared || given ? new ResourcePool(CapacityDetector.Detect(cpus, memory, gpus, env.GetEnvironmentVariable, message => env.Error.WriteLine($"warning: {message}")), BackfillWindow, env.Time) : null;
    }
}
