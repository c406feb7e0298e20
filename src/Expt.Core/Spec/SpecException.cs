namespace Expt.Spec;

/// <summary>Thrown when a study definition is invalid; carries every problem found, not just the first.</summary>
public sealed class SpecException : Exception
{
    /// <summary>Creates the exception from the problems found.</summary>
    public SpecException(IReadOnlyList<SpecError> errors)
        : base(string.Join(Environment.NewLine, errors?.Select(e => e.ToString()) ?? []))
    {
        ArgumentNullException.ThrowIfNull(errors);
        Errors = errors;
    }

    /// <summary>Creates the exception from one problem.</summary>
    public SpecException(SpecError error)
        : this([error])
    {
    }

    /// <summary>Not for use: a spec exception always carries its errors.</summary>
    public SpecException()
        : this([])
    {
    }

    /// <summary>Not for use: a spec exception always carries its errors.</summary>
    public SpecException(string message)
        : this([new SpecError(SourceLocation.Code, string.Empty, message)])
    {
    }

    /// <summary>Not for use: a spec exception always carries its errors.</summary>
    public SpecException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [new SpecError(SourceLocation.Code, string.Empty, message)];
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<SpecError> Errors { get; }
}
