using Expt.Trials;

namespace Expt.Spec;

/// <summary>A random-search distribution for one parameter, sampled from the study seed.</summary>
public abstract record Distribution
{
    /// <summary>Draws one value.</summary>
    public abstract object? Sample(SeededRandom random);

    /// <summary>A uniform float in [Low, High).</summary>
    public sealed record Uniform(double Low, double High) : Distribution
    {
        /// <inheritdoc />
        public override object? Sample(SeededRandom random) => ParamValues.NormalizeDouble(Low + ((High - Low) * random.NextDouble()));
    }

    /// <summary>A float whose logarithm is uniform in [log Low, log High).</summary>
    public sealed record LogUniform(double Low, double High) : Distribution
    {
        /// <inheritdoc />
        public override object? Sample(SeededRandom random) =>
            ParamValues.NormalizeDouble(Math.Exp(Math.Log(Low) + ((Math.Log(High) - Math.Log(Low)) * random.NextDouble())));
    }

    /// <summary>A normally distributed float (Box-Muller).</summary>
    public sealed record Normal(double Mean, double StdDev) : Distribution
    {
        /// <inheritdoc />
        public override object? Sample(SeededRandom random)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            return ParamValues.NormalizeDouble(Mean + (StdDev * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)));
        }
    }

    /// <summary>A uniform integer in [Low, High], both ends included.</summary>
    public sealed record IntUniform(long Low, long High) : Distribution
    {
        /// <inheritdoc />
        public override object? Sample(SeededRandom random) => random.NextInt64(Low, High + 1);
    }

    /// <summary>One of the given values, each equally likely.</summary>
    public sealed record Choice(IReadOnlyList<object?> Options) : Distribution
    {
        /// <inheritdoc />
        public override object? Sample(SeededRandom random) => Options[random.Next(Options.Count)];
    }
}
