namespace Expt.Storage;

/// <summary>What a store keeps about a study when it is created.</summary>
/// <param name="Name">Unique name.</param>
/// <param name="Description">Free text.</param>
/// <param name="Tags">Labels.</param>
/// <param name="SpecJson">The resolved definition (see <see cref="Spec.StudySpec.ToJson"/>).</param>
/// <param name="Fingerprint">What must not change for the study to stay comparable.</param>
/// <param name="Seed">The study seed.</param>
/// <param name="ProvenanceJson">Where and how the study was created, as a JSON object.</param>
public sealed record StudyDefinition(string Name, string? Description, IReadOnlyList<string> Tags, string SpecJson, string Fingerprint, long Seed, string? ProvenanceJson);
