namespace Expt.Storage;

/// <summary>What a <see cref="IStoreProvider"/> is asked to open, and how.</summary>
/// <param name="Location">The store's location as the user gave it (a path, a URL, a connection string).</param>
public sealed record StoreOpenRequest(string Location)
{
    /// <summary>What relative paths are relative to.</summary>
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    /// <summary>Open only a store that exists (read-only commands never create one).</summary>
    public bool MustExist { get; init; }

    /// <summary>The location is the default one (<c>./.expt/expt.db</c>), whose folder may be created on demand.</summary>
    public bool IsDefault { get; init; }

    /// <summary>Operations the caller runs at once (a server store opens as many connections).</summary>
    public int Operations { get; init; } = 1;

    /// <summary>Wait, with backoff, for a server that is busy or away rather than fail.</summary>
    public bool WaitForServer { get; init; }

    /// <summary>Check the store's integrity in full on opening (a run); otherwise a store checks what is cheap.</summary>
    public bool CheckIntegrity { get; init; }

    /// <summary>Open a store to inspect it (<c>expt doctor</c>): no check refuses it.</summary>
    public bool Inspect { get; init; }

    /// <summary>A file of credentials (a password) for a server store, or null.</summary>
    public string? Credentials { get; init; }

    /// <summary>A directory every worker shares for trial files, or null.</summary>
    public string? Artifacts { get; init; }

    /// <summary>The clock the store uses.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The environment's variables (PGPASSWORD and the like).</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Where to say what the opening waits for (a busy server), one line at a time.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;
}
