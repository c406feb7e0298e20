"""The trial a script runs as: what Expt hands it (parameters, seed, files) and what it hands back.

Inside Expt everything comes from the ``EXPT_*`` environment (command trials) or from the warm host (function trials);
outside Expt (``python3 train.py`` alone) parameters come from ``name=value`` words on the command line, metrics and
results are printed, and artifacts go to ``./artifacts``.
"""

import atexit
import json
import math
import os
import shutil
import sys
import threading
from pathlib import Path

from ._params import Params, from_argv

__all__ = ["Trial", "current", "reset"]

_lock = threading.Lock()
_current = None
_registered = False

# Step metrics are written in batches: a loop logging every step costs a list append, not a file write.
_FLUSH_ROWS = 1000


class Trial:
    """One trial: its parameters and identity, and the ways to report what it found.

    A function trial may take one argument named ``trial`` to receive this object; a script reaches the same through
    the module (``expt.params``, ``expt.log(...)``).
    """

    def __init__(self, environ=None, argv=None):
        env = os.environ if environ is None else environ
        self.inside = "EXPT_TRIAL_ID" in env
        if self.inside:
            self.params = Params(_loads(env.get("EXPT_PARAMS", "{}")))
            self.seed = int(env.get("EXPT_SEED", "0"))
            self.replicate = int(env.get("EXPT_REPLICATE", "0"))
            self.attempt = int(env.get("EXPT_ATTEMPT", "1"))
            self.trial_id = env["EXPT_TRIAL_ID"]
            self.study = env.get("EXPT_STUDY", "")
            self.trial_dir = Path(env.get("EXPT_TRIAL_DIR", "."))
            self._results_path = env.get("EXPT_RESULTS")
            self._metrics_path = env.get("EXPT_METRICS")
            self._tags_path = env.get("EXPT_TAGS")
            self._note_path = env.get("EXPT_NOTE")
        else:
            self.params = from_argv(sys.argv[1:] if argv is None else argv)
            self.seed = int(env.get("EXPT_SEED", "0"))
            self.replicate = 0
            self.attempt = 1
            self.trial_id = None
            self.study = None
            self.trial_dir = Path("artifacts")
            self._results_path = self._metrics_path = self._tags_path = self._note_path = None
        self._rows = []
        self._results = {}
        self._written = False

    # --- what the trial reports -------------------------------------------------------------------------------------

    def log(self, step=None, **metrics):
        """Step metrics: ``trial.log(step=10, loss=0.3, acc=0.9)``; without ``step`` each metric counts 0, 1, 2..."""
        if step is not None:
            step = _step(step)
        row = {}
        if step is not None:
            row["step"] = step
        for name, value in metrics.items():
            row[name] = _number(name, value)
        if not self.inside:
            print(" ".join("%s=%s" % (k, v) for k, v in row.items()))
            return
        with _lock:
            self._rows.append(row)
            if len(self._rows) >= _FLUSH_ROWS:
                self._flush_metrics()

    def result(self, **values):
        """Final results, merged with earlier calls: ``trial.result(loss=0.25, accuracy=0.91)``."""
        with _lock:
            self._results.update(values)
        if not self.inside:
            print("result: " + " ".join("%s=%s" % (k, v) for k, v in values.items()))

    def artifact(self, obj, name=None):
        """Keeps a file with the trial: a path (copied; ``name`` renames it), a matplotlib figure (saved as ``name``,
        such as ``loss.png``), or bytes (written as ``name``). Returns where it was kept."""
        self.trial_dir.mkdir(parents=True, exist_ok=True)
        if hasattr(obj, "savefig"):
            target = self.trial_dir / _safe_name(name or "figure.png")
            obj.savefig(str(target))
        elif isinstance(obj, (bytes, bytearray, memoryview)):
            target = self.trial_dir / _safe_name(name)
            target.write_bytes(bytes(obj))
        elif isinstance(obj, (str, os.PathLike)):
            source = Path(obj)
            if not source.is_file():
                raise FileNotFoundError("no file %s to keep as an artifact" % source)
            target = self.trial_dir / _safe_name(name or source.name)
            if source.resolve() != target.resolve():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(str(source), str(target))
        else:
            raise TypeError("an artifact is a path, a figure (savefig) or bytes; got %s" % type(obj).__name__)
        if not self.inside:
            print("artifact: %s" % target)
        return target

    def tag(self, *tags):
        """Tags for the trial (one word each): ``trial.tag("diverged")``."""
        for tag in tags:
            if not isinstance(tag, str) or not tag or any(c.isspace() or c == "," for c in tag):
                raise ValueError("a tag is one word without spaces or commas, got %r" % (tag,))
        if not self.inside:
            print("tags: " + " ".join(tags))
            return
        with open(self._tags_path, "a", encoding="utf-8") as f:
            for tag in tags:
                f.write(tag + "\n")

    def note(self, text):
        """A note about the trial (shown by ``expt show``; at most 4,096 characters are kept)."""
        if not self.inside:
            print("note: " + text)
            return
        with open(self._note_path, "a", encoding="utf-8") as f:
            f.write(str(text) + "\n")

    # --- writing ----------------------------------------------------------------------------------------------------

    def _flush_metrics(self):
        if not self._rows or not self._metrics_path:
            self._rows = []
            return
        lines = "".join(json.dumps(row, allow_nan=True) + "\n" for row in self._rows)
        self._rows = []
        with open(self._metrics_path, "a", encoding="utf-8") as f:
            f.write(lines)

    def flush(self, returned=None):
        """Writes what is pending: step metrics, and the results (those given to ``result`` and, for a function trial,
        the dict it returned). Called at exit; safe to call more than once."""
        with _lock:
            self._flush_metrics()
            if returned:
                self._results.update(returned)
                if not self.inside:
                    print("result: " + " ".join("%s=%s" % (k, v) for k, v in returned.items()))
            if self.inside and self._results_path and (self._results or returned is not None):
                # json writes NaN and infinities as bare words, which Expt accepts as Python users write them.
                with open(self._results_path, "w", encoding="utf-8") as f:
                    json.dump(self._results, f, allow_nan=True, default=_default)
                self._written = True

    def __repr__(self):
        where = "trial %s of %s" % (self.trial_id, self.study) if self.inside else "outside Expt"
        return "<expt.Trial %s, replicate %d, seed %d, params %s>" % (where, self.replicate, self.seed, dict(self.params.flat()))


def _loads(text):
    return json.loads(text, parse_constant=lambda c: {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[c])


def _step(step):
    if isinstance(step, bool):
        raise TypeError("step must be an integer, got %r" % (step,))
    if isinstance(step, int):
        return step
    if hasattr(step, "__index__"):  # numpy integers
        return step.__index__()
    if isinstance(step, float) and step.is_integer():
        return int(step)
    raise TypeError("step must be an integer, got %r" % (step,))


def _number(name, value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value)  # numpy scalars, 0-d arrays
    except (TypeError, ValueError):
        raise TypeError("metric %r must be a number, got %r" % (name, value)) from None


def _default(value):
    # numpy scalars and arrays, and anything with tolist(), become plain JSON.
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError("result of type %s is not JSON; return numbers, text, lists or dicts" % type(value).__name__)


def _safe_name(name):
    if not name:
        raise ValueError("an artifact needs a name")
    name = str(name)
    if os.path.isabs(name) or ".." in Path(name).parts:
        raise ValueError("an artifact's name stays inside the trial directory, got %r" % name)
    return name


def current():
    """The trial this process runs (made from the environment the first time)."""
    global _current, _registered
    with _lock:
        if _current is None:
            _current = Trial()
            if not _registered:
                atexit.register(_at_exit)
                _registered = True
        return _current


def reset(trial=None):
    """Makes ``trial`` (or a new one from the environment) the current trial: how the warm host switches trials."""
    global _current
    with _lock:
        _current = trial
    return current() if trial is None else trial


def _at_exit():
    trial = _current
    if trial is not None:
        try:
            trial.flush()
        except OSError as error:
            print("expt: could not write the trial's results: %s" % error, file=sys.stderr)
