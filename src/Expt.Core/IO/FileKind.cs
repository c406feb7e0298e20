namespace Expt.IO;

/// <summary>What a path names, without following a final link.</summary>
public enum FileKind
{
    /// <summary>Nothing there.</summary>
    Missing,

    /// <summary>A regular file.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link.</summary>
    Link,

    /// <summary>A named pipe: opening it could block, reading it could never end.</summary>
    Fifo,

    /// <summary>A socket.</summary>
    Socket,

    /// <summary>A character device (<c>/dev/null</c>, <c>/dev/full</c>, a terminal).</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,
}
