"""Calling a trial function: finding it, seeding, passing the parameters, and turning what it did into results.

The same code runs a function trial in the warm host, in a fresh interpreter (``python -m expt._runner``), and in a
script's ``expt.run(main)``: so a function gives the same results, bit for bit, however it is run.
"""

import hashlib
import importlib
import importlib.util
import inspect
import os
import random
import sys
import traceback

from . import _trial

__all__ = ["load_function", "module_file", "call", "format_error", "source_hash"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

# The number of traceback frames an error keeps: the user's, innermost last, as Python prints them.
_FRAMES = 8


def load_function(target, workdir=None):
    """The function ``target`` names: ``module:function`` (``pkg.mod:fn``), or ``path/to/file.py:function``.

    Raises ValueError for a target of the wrong shape and ImportError/AttributeError as Python does.
    """
    module_name, function_name = _split(target)
    workdir = os.path.abspath(workdir or os.getcwd())
    if module_name.endswith(".py") or "/" in module_name:
        path = module_name if os.path.isabs(module_name) else os.path.join(workdir, module_name)
        if not os.path.isfile(path):
            raise ImportError("no file %s (python: %s)" % (path, target))
        # The file's directory comes first, so its sibling modules import as they do when it runs as a script.
        directory = os.path.dirname(os.path.abspath(path))
        if directory not in sys.path:
            sys.path.insert(0, directory)
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        if workdir not in sys.path:
            sys.path.insert(0, workdir)
        module = importlib.import_module(module_name)
    function = module
    for part in function_name.split("."):
        if not hasattr(function, part):
            raise AttributeError("module %s has no function %r (python: %s)" % (module_name, function_name, target))
        function = getattr(function, part)
    if not callable(function):
        raise TypeError("%s is not a function (python: %s)" % (function_name, target))
    # A decorated function (functools.wraps) is called as it is, but its source is where the user wrote it.
    return function


def module_file(function):
    """The source file of a function's module, or None (a built-in)."""
    module = sys.modules.get(getattr(function, "__module__", None) or "")
    path = getattr(module, "__file__", None)
    return os.path.abspath(path) if path else None


def source_hash(path):
    """The SHA-256 of a file's bytes, as provenance records it."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _split(target):
    if not isinstance(target, str) or target.count(":") != 1:
        raise ValueError("python: expected module:function or path/file.py:function, got %r" % (target,))
    module_name, function_name = target.split(":")
    if not module_name or not function_name:
        raise ValueError("python: expected module:function or path/file.py:function, got %r" % (target,))
    return module_name, function_name


def seed_generators(seed):
    """Seeds the generators a trial may use without asking: ``random`` and, when imported, numpy's global one."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed % (2 ** 32))


def arguments(function, trial):
    """What the function is called with: the trial itself (one parameter named ``trial``), or the parameters it names
    as keyword arguments (all of them when it takes ``**kwargs``)."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return (), dict(trial.params)
    parameters = list(signature.parameters.values())
    if len(parameters) == 1 and parameters[0].name == "trial" and parameters[0].kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.POSITIONAL_ONLY):
        return (trial,), {}
    if any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters):
        return (), dict(trial.params)
    names = {p.name for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    missing = [p.name for p in parameters
               if p.name in names and p.default is inspect.Parameter.empty and p.name not in trial.params]
    if missing:
        raise TypeError("%s() needs the parameter%s %s, which the trial does not have (it has: %s)" % (
            getattr(function, "__name__", "function"), "s" if len(missing) > 1 else "", ", ".join(missing),
            ", ".join(sorted(trial.params)) or "none"))
    return (), {name: value for name, value in trial.params.items() if name in names}


def call(function, trial=None):
    """Runs one trial of ``function``: seeds, calls, and hands its results to the trial (written at flush).

    Returns the results dict. A function returns a dict of results, a number (kept as ``value``, as an Optuna
    objective returns it) or None (results given with ``expt.result`` only).
    """
    trial = trial or _trial.current()
    seed_generators(trial.seed)
    args, kwargs = arguments(function, trial)
    returned = function(*args, **kwargs)
    results = _as_results(function, returned)
    trial.flush(results)
    return results


def _as_results(function, returned):
    if returned is None:
        return {}
    if isinstance(returned, dict):
        for key in returned:
            if not isinstance(key, str):
                raise TypeError("%s() returned a dict with the key %r; result names are strings" % (
                    getattr(function, "__name__", "function"), key))
        return returned
    if isinstance(returned, bool):
        return {"value": returned}
    if isinstance(returned, (int, float)) or (hasattr(returned, "item") and not hasattr(returned, "__len__")):
        return {"value": returned.item() if hasattr(returned, "item") else returned}
    raise TypeError("%s() returned %s; return a dict of results such as {'loss': 0.25}, a number, or None" % (
        getattr(function, "__name__", "function"), type(returned).__name__))


def format_error(error):
    """A failed trial's error: the exception, then the last frames of its traceback, the user's code first (the frames
    of Expt's own package are left out)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not _is_expt_frame(f.filename)]
    lines = traceback.format_exception_only(type(error), error)
    text = "".join(lines).rstrip()
    if frames:
        shown = frames[-_FRAMES:]
        text += "\nTraceback (most recent call last%s):\n" % (", %d frames left out" % (len(frames) - len(shown)) if len(frames) > len(shown) else "")
        text += "".join(traceback.format_list(shown)).rstrip()
    return text


def _is_expt_frame(filename):
    try:
        return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR
    except (TypeError, ValueError):
        return False
