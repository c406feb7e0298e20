using System.Runtime.InteropServices;

namespace Expt.Mpi;

/// <summary>
/// The few MPI functions Expt needs, from the system's OpenMPI (libmpi.so.40) through P/Invoke. OpenMPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_BYTE</c>) are addresses of exported objects, looked up once.
/// </summary>
internal static partial class MpiNative
{
    public const string Library = "libmpi.so.40";
    public const int ThreadMultiple = 3;
    public const int AnySource = -1;
    public const int AnyTag = -1;

    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;

    /// <summary>OpenMPI's MPI_Status on 64-bit Linux.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Status
    {
        public int Source;
        public int Tag;
        public int Error;
        public int Cancelled;
        public nuint Count;
    }

    [LibraryImport("libc", EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint DlOpen(string file, int mode);

    private static nint s_handle;

    /// <summary>
    /// Loads libmpi (<paramref name="path"/>, or libmpi.so.40 from the system) with RTLD_GLOBAL (its plugins, loaded
    /// later, need its symbols) and returns its handles, or null with the reason when there is no MPI library.
    /// </summary>
    public static (nint World, nint Byte, nint ErrorsReturn)? Load(string? path, out string? problem)
    {
        problem = null;
        if (!OperatingSystem.IsLinux())
        {
            problem = "MPI support needs Linux with OpenMPI";
            return null;
        }
        var handle = DlOpen(path ?? Library, RtldNow | RtldGlobal);
        if (handle == 0
            || !NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out var world)
            || !NativeLibrary.TryGetExport(handle, "ompi_mpi_byte", out var bytes)
            || !NativeLibrary.TryGetExport(handle, "ompi_mpi_errors_return", out var errorsReturn))
        {
            problem = $"{path ?? Library} (OpenMPI 4) was not found; install it (apt-get install openmpi-bin), set EXPT_MPI_LIBRARY to its path, or run without --mpi";
            return null;
        }
        if (Interlocked.Exchange(ref s_handle, handle) == 0)
        {
            // The P/Invoke declarations below name libmpi.so.40: bind them to the library just loaded.
            NativeLibrary.SetDllImportResolver(typeof(MpiNative).Assembly, (name, _, _) => name == Library ? s_handle : 0);
        }
        return (world, bytes, errorsReturn);
    }

    [LibraryImport(Library, EntryPoint = "MPI_Init_thread")]
    public static partial int InitThread(nint argc, nint argv, int required, out int provided);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_set_errhandler")]
    public static partial int CommSetErrorHandler(nint comm, nint handler);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static partial int CommRank(nint comm, out int rank);

    [LibraryImport(Library, EntryPoint = "MPI_Comm_size")]
    public static partial int CommSize(nint comm, out int size);

    [LibraryImport(Library, EntryPoint = "MPI_Send")]
    public static partial int Send(byte[] buffer, int count, nint datatype, int destination, int tag, nint comm);

    [LibraryImport(Library, EntryPoint = "MPI_Probe")]
    public static partial int Probe(int source, int tag, nint comm, out Status status);

    [LibraryImport(Library, EntryPoint = "MPI_Get_count")]
    public static partial int GetCount(in Status status, nint datatype, out int count);

    [LibraryImport(Library, EntryPoint = "MPI_Recv")]
    public static partial int Receive(byte[] buffer, int count, nint datatype, int source, int tag, nint comm, out Status status);

    [LibraryImport(Library, EntryPoint = "MPI_Finalize")]
    public static partial int Finalize();

    [LibraryImport(Library, EntryPoint = "MPI_Abort")]
    public static partial int Abort(nint comm, int errorCode);
}
