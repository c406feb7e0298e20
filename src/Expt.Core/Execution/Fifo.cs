using System.ComponentModel;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Expt.Execution;

/// <summary>
/// A named pipe in the file system, read by this process and written by another that opens it by name (a forked
/// Python child cannot be handed a descriptor). The read end is opened without waiting for a writer, then made
/// blocking: reading starts only once the writer has opened it, and ends when every writer has closed it.
/// </summary>
internal static class Fifo
{
    private const int ReadOnly = 0, NonBlocking = 0x800, CloseOnExec = 0x80000, SetFlags = 4, GetFlags = 3;

    /// <summary>Makes a FIFO at <paramref name="path"/> (owner only) and opens its read end.</summary>
    public static PipeStream CreateReader(string path)
    {
        if (mkfifo(path, Convert.ToUInt32("600", 8)) != 0)
        {
            throw new IOException($"cannot make the pipe {path}: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
        var fd = open(path, ReadOnly | NonBlocking | CloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"cannot open the pipe {path}: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
        }
        var flags = fcntl(fd, GetFlags, 0);
        fcntl(fd, SetFlags, flags & ~NonBlocking);
        return new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle(fd, ownsHandle: true));
    }

#pragma warning disable SYSLIB1054, CA5392, CA2101, SA1300, IDE1006 // plain libc calls taking a path and ints
    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int mkfifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, uint mode);

    [DllImport("libc", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fcntl(int fd, int command, int argument);
#pragma warning restore SYSLIB1054, CA5392, CA2101, SA1300, IDE1006
}
