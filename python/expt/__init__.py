"""Expt for Python: write an experiment as a script or a function, run it with Expt, load what it found.

Inside a trial (a command trial, or a function trial in the warm host)::

    import expt
    lr = expt.params.lr                 # the trial's parameters (attribute access, dotted names nested)
    rng = random.Random(expt.seed)      # its seed; also expt.replicate, expt.trial_id, expt.trial_dir
    expt.log(step=i, loss=loss)         # step metrics, batched, written at exit
    expt.result(loss=loss, acc=acc)     # final results (a function may return a dict instead)
    expt.artifact(fig, "loss.png")      # a file or a matplotlib figure kept with the trial
    expt.tag("diverged"); expt.note("restarted twice")

Outside Expt (``python3 train.py lr=0.1``) the same script runs: parameters from ``name=value`` words, metrics and
results printed. From a notebook::

    df = expt.load("lr-sweep")          # a pandas DataFrame (a list of dicts without pandas)
    expt.summary("lr-sweep", metric="loss", by=["lr"])
"""

import sys as _sys

from ._call import call as _run_function
from ._call import format_error as _format_error
from ._params import Params
from ._store import StoreError, load, load_metrics, studies, summary
from ._table import Table
from ._trial import Trial
from ._trial import current as _current

__version__ = "0.1.0"

__all__ = ["Params", "StoreError", "Table", "Trial", "artifact", "flush", "load", "load_metrics", "log", "note",
           "param", "result", "run", "studies", "summary", "tag"]

_ATTRIBUTES = ("params", "seed", "replicate", "attempt", "trial_id", "study", "trial_dir", "inside")


def log(step=None, **metrics):
    """Step metrics of this trial: ``expt.log(step=10, loss=0.3)``; batched, written at exit."""
    _current().log(step, **metrics)


def result(**values):
    """Final results of this trial: ``expt.result(loss=0.25)``; later calls add to earlier ones."""
    _current().result(**values)


def artifact(obj, name=None):
    """Keeps a file (a path), a matplotlib figure or bytes with this trial; returns where it went."""
    return _current().artifact(obj, name)


def tag(*tags):
    """Tags this trial: ``expt.tag("diverged")``."""
    _current().tag(*tags)


def note(text):
    """A note about this trial, shown by ``expt show``."""
    _current().note(text)


def param(name, default=None):
    """A parameter, or ``default`` when the trial has none of that name (how a script keeps running outside Expt)."""
    return _current().params.get(name, default)


def run(function):
    """Runs ``function`` as this script's trial: ``if __name__ == "__main__": expt.run(main)``.

    The function takes the parameters as keyword arguments (or one argument named ``trial``) and returns a dict of
    results, as a function trial (``python: train:main``) does; run by Expt as a command, or alone
    (``python3 train.py lr=0.1``, its defaults for what is not given), it gives the same results. An exception prints
    the trial's error and exits 1.
    """
    try:
        return _run_function(function)
    except Exception as error:  # a script's failure: its error on stderr, exit code 1
        print(_format_error(error), file=_sys.stderr)
        _sys.exit(1)


def flush():
    """Writes pending metrics and results now (they are written at exit in any case)."""
    _current().flush()


def __getattr__(name):
    # params, seed, replicate...: read from the current trial each time (the warm host changes it between trials).
    if name in _ATTRIBUTES:
        return getattr(_current(), name)
    raise AttributeError("module 'expt' has no attribute %r" % name)


def __dir__():
    return sorted(list(globals()) + list(_ATTRIBUTES))
