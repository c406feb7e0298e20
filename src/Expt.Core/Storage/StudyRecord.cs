namespace Expt.Storage;

/// <summary>A study as stored: its definition (as JSON), fingerprint, seed and provenance.</summary>
/// <param name="Id">Store-assigned id.</param>
/// <param name="Name">Unique name.</param>
/// <param name="Description">Free text.</param>
/// <param name="Tags">Labels.</param>
/// <param name="SpecJson">The resolved definition.</param>
/// <param name="Fingerprint">See <see cref="Spec.StudySpec.Fingerprint"/>.</param>
/// <param name="Seed">The study seed.</param>
/// <param name="Created">When it was created.</param>
/// <param name="ProvenanceJson">Where and how it was created.</param>
public sealed record StudyRecord(string Id, string Name, string? Description, IReadOnlyList<string> Tags, string SpecJson, string Fingerprint, long Seed, DateTimeOffset Created, string? ProvenanceJson);
