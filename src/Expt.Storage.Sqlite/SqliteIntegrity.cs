namespace Expt.Storage.Sqlite;

/// <summary>When a SQLite store's structure is checked as it is opened.</summary>
public enum SqliteIntegrity
{
    /// <summary>Checked (<c>PRAGMA quick_check</c>) when the file is at most <see cref="SqliteStoreOptions.CheckLimitBytes"/>: a few tens of milliseconds.</summary>
    WhenSmall,

    /// <summary>Always checked: what a run or a worker, about to write for a long time, pays once.</summary>
    Always,

    /// <summary>Not checked at opening, and a damage mark does not stop the opening (<c>expt doctor</c>).</summary>
    Never,
}
