namespace Expt.Spec;

/// <summary>How a Python function's trials run.</summary>
public enum PythonMode
{
    /// <summary>Each trial in a child forked from a warm host that imported everything once (the default).</summary>
    Fork,

    /// <summary>Trials one after another in the warm host itself: fastest, but state passes from trial to trial.</summary>
    Inline,

    /// <summary>Each trial in a fresh interpreter, which imports everything again (what forking cannot do safely, after CUDA).</summary>
    Fresh,
}
