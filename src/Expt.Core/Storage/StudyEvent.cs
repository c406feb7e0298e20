namespace Expt.Storage;

/// <summary>Something that happened to a study, kept with it in the store (for example a Slurm submission).</summary>
/// <param name="Kind">What kind of event, e.g. <c>slurm.submit</c>.</param>
/// <param name="Time">When it was recorded.</param>
/// <param name="DataJson">Its details, as a JSON object.</param>
public sealed record StudyEvent(string Kind, DateTimeOffset Time, string DataJson);
