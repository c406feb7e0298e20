namespace Expt.Mpi;

/// <summary>
/// MPI_COMM_WORLD for this process: its rank and size, and byte messages with tags. Initialised with
/// MPI_THREAD_MULTIPLE, because the coordinator sends from trial tasks while one thread blocks in a receive.
/// </summary>
public sealed class MpiComm
{
    private readonly nint _world;
    private readonly nint _byte;

    private MpiComm(nint world, nint bytes, int rank, int size)
    {
        _world = world;
        _byte = bytes;
        Rank = rank;
        Size = size;
    }

    public int Rank { get; }

    public int Size { get; }

    /// <summary>Initialises MPI; fails with a one-line message when the library is missing or too limited.</summary>
    public static MpiComm Initialize(string? library)
    {
        var handles = MpiNative.Load(library, out var problem) ?? throw new MpiUnavailableException($"--mpi: {problem}");
        Check(MpiNative.InitThread(0, 0, MpiNative.ThreadMultiple, out var provided), "MPI_Init_thread");
        if (provided < MpiNative.ThreadMultiple)
        {
            throw new MpiUnavailableException("--mpi: this MPI library does not support MPI_THREAD_MULTIPLE, which expt needs");
        }
        // Errors come back as codes (and become exceptions) instead of killing the process: a send to a rank that
        // died must not take the coordinator down before it has given the trials back.
        Check(MpiNative.CommSetErrorHandler(handles.World, handles.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(MpiNative.CommRank(handles.World, out var rank), "MPI_Comm_rank");
        Check(MpiNative.CommSize(handles.World, out var size), "MPI_Comm_size");
        return new MpiComm(handles.World, handles.Byte, rank, size);
    }

    public void Send(int destination, int tag, byte[] message) =>
        Check(MpiNative.Send(message, message.Length, _byte, destination, tag, _world), "MPI_Send");

    /// <summary>Blocks until a message arrives (no polling), then returns it with its source and tag.</summary>
    public (int Source, int Tag, byte[] Message) Receive(int source = MpiNative.AnySource, int tag = MpiNative.AnyTag)
    {
        Check(MpiNative.Probe(source, tag, _world, out var status), "MPI_Probe");
        Check(MpiNative.GetCount(status, _byte, out var count), "MPI_Get_count");
        var buffer = new byte[count];
        Check(MpiNative.Receive(buffer, count, _byte, status.Source, status.Tag, _world, out _), "MPI_Recv");
        return (status.Source, status.Tag, buffer);
    }

    public void Shutdown() => MpiNative.Finalize();

    /// <summary>Ends every rank of the job (when this one cannot go on and the others would wait forever).</summary>
    public void Abort(int code) => MpiNative.Abort(_world, code);

    private static void Check(int code, string function)
    {
        if (code != 0)
        {
            throw new InvalidOperationException($"{function} failed with MPI error {code}");
        }
    }
}
