using System.Runtime.InteropServices;

namespace Expt.IO;

/// <summary>
/// What a path is, and which file it is (device and inode), asked of the kernel with <c>statx</c>: .NET tells a
/// directory and a link from a file, but not a FIFO or a device from an empty file, nor two names of one file apart.
/// Elsewhere than Linux, what .NET tells.
/// </summary>
public static class FileKinds
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, StatxType = 0x1, StatxIno = 0x100;
    private const int StatxSize = 256, ModeOffset = 28, InodeOffset = 32, DevMajorOffset = 136, DevMinorOffset = 140;

    private static bool _unavailable;

    /// <summary>What <paramref name="path"/> names; a final link is not followed.</summary>
    public static FileKind Of(string path) => Stat(path, follow: false)?.Kind ?? Fallback(path);

    /// <summary>
    /// The file a path names (links followed), as (device, inode): two paths with the same identity are one file,
    /// whatever links and hard links lead to it. Null when it does not exist or cannot be told.
    /// </summary>
    public static (ulong Device, ulong Inode)? Identity(string path) => Stat(path, follow: true) is { Kind: not FileKind.Missing } s ? (s.Device, s.Inode) : null;

    private static FileKind Fallback(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return FileKind.Link;
        }
        return Directory.Exists(path) ? FileKind.Directory : info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    private static (FileKind Kind, ulong Device, ulong Inode)? Stat(string path, bool follow)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux() || _unavailable || path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
        {
            return null;
        }
        var buffer = new byte[StatxSize];
        try
        {
            if (statx(AtFdCwd, path, follow ? 0 : AtSymlinkNoFollow, StatxType | StatxIno, buffer) != 0)
            {
                return (FileKind.Missing, 0, 0);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            _unavailable = true;
            return null;
        }
        var mode = BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000;
        var kind = mode switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.Link,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            _ => FileKind.Regular,
        };
        var device = ((ulong)BitConverter.ToUInt32(buffer, DevMajorOffset) << 32) | BitConverter.ToUInt32(buffer, DevMinorOffset);
        return (kind, device, BitConverter.ToUInt64(buffer, InodeOffset));
    }

#pragma warning disable SYSLIB1054, CA5392, CA2101, SA1300, IDE1006 // one plain libc call; the path marshalled as UTF-8
    [DllImport("libc", SetLastError = true)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mask, [Out] byte[] buffer);
#pragma warning restore SYSLIB1054, CA5392, CA2101, SA1300, IDE1006
}
