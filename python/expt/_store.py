"""Reading a store from Python: a study's trials, step metrics and summary, straight into pandas.

SQLite stores are read directly with the standard library's ``sqlite3``, read-only (safe while a run writes: a reader
sees the last committed state). PostgreSQL stores are read through ``psycopg`` when it is installed, else through the
``expt`` command line's JSON export (``$EXPT_CLI``, or ``expt`` on the PATH).
"""

import datetime
import json
import math
import os
import shutil
import sqlite3
import struct
import subprocess
import urllib.parse

from . import _stats
from ._table import Table, frame

__all__ = ["load", "load_metrics", "summary", "studies", "StoreError"]

DEFAULT_STORE = os.path.join(".expt", "expt.db")
_NON_FINITE = {"NaN": math.nan, "nan": math.nan, "Infinity": math.inf, "inf": math.inf,
               "-Infinity": -math.inf, "-inf": -math.inf}
_STATUSES = ("pending", "running", "completed", "failed", "timeout", "cancelled")


class StoreError(Exception):
    """The store cannot be read, or has no such study."""


def load(study, store=None, status=None, as_pandas=None):
    """The trials of a study, one row each: ``id, study, status``, each parameter, ``replicate, seed``, each result
    (a result named as a parameter becomes ``result.NAME``), ``duration`` (seconds), ``attempts``, ``name``, ``tags``,
    ``note``, ``error``, ``started``, ``finished``, as ``expt export`` lists them.

    Returns a pandas DataFrame when pandas is installed (``as_pandas=False`` for a list of dicts), else a
    :class:`Table` (a list of dicts that renders as an HTML table in a notebook). Numbers keep their types, NaN and
    infinities are floats, array results are lists. ``status`` keeps only trials of that status (or statuses).
    """
    rows = _reader(store).trials(study)
    if status is not None:
        wanted = {status} if isinstance(status, str) else set(status)
        unknown = wanted - set(_STATUSES)
        if unknown:
            raise ValueError("status: %s is not a trial status; expected %s" % (", ".join(sorted(unknown)), ", ".join(_STATUSES)))
        rows = [r for r in rows if r["status"] in wanted]
    return frame(_wide(rows), as_pandas, "trials of " + study)


def load_metrics(study, store=None, metric=None, as_pandas=None):
    """The step metrics of a study's trials, tidy: one row per point with ``trial, study`` and each parameter,
    ``replicate, metric, step, value, time`` (a UTC datetime). ``metric`` keeps only that metric (or metrics)."""
    reader = _reader(store)
    trials = reader.trials(study)
    wanted = None if metric is None else ({metric} if isinstance(metric, str) else set(metric))
    points = reader.metrics_of(study) if hasattr(reader, "metrics_of") else None
    out = []
    for trial in trials:
        params = trial["params"]
        for name, step, value, time in (points.get(trial["id"], []) if points is not None else reader.metrics(trial["id"])):
            if wanted is not None and name not in wanted:
                continue
            row = {"trial": trial["id"], "study": trial["study"]}
            row.update(params)
            row.update(replicate=trial["replicate"], metric=name, step=step, value=value, time=time)
            out.append(row)
    return frame(out, as_pandas, "step metrics of " + study)


def summary(study, metric=None, by=None, store=None, confidence=0.95, goal=None, as_pandas=None):
    """One row per parameter point (or per value of ``by``) and metric, with the numbers of ``expt summary``:
    ``n, mean, std, sem, ci_low, ci_high`` (Student t), ``min, median, max, rank, goal, failed, missing, non_finite``.

    ``metric`` (a name or a list; default every numeric result, declared objectives first), ``by`` (parameter names to
    group by; default each point), ``goal`` (``"minimize"``/``"maximize"``; default the study's objectives, else
    minimize) sets the ranking.
    """
    reader = _reader(store)
    trials = reader.trials(study)
    objectives = reader.objectives(study)
    names = [p for t in trials for p in t["params"]]
    if by is not None:
        keys = [by] if isinstance(by, str) else list(by)
        for key in keys:
            if key not in names:
                raise ValueError("by: %r is not a parameter; parameters: %s" % (key, ", ".join(dict.fromkeys(names))))
    else:
        keys = None
    available = []
    for t in trials:
        if t["status"] == "completed":
            for name, value in t["results"].items():
                if _is_number(value) and name not in available:
                    available.append(name)
    if metric is None:
        order = list(objectives)
        metrics = sorted(available, key=lambda m: order.index(m) if m in order else len(order))
    else:
        metrics = [metric] if isinstance(metric, str) else list(metric)
        for m in metrics:
            if m not in available:
                raise ValueError("metric: no completed trial has a numeric result %r; results: %s" % (m, ", ".join(available) or "none"))
    if goal not in (None, "minimize", "maximize"):
        raise ValueError("goal: expected 'minimize' or 'maximize', got %r" % (goal,))
    out = []
    for m in metrics:
        minimize = (goal or objectives.get(m, "minimize")) == "minimize"
        out.extend(_summarize(trials, m, keys, minimize, confidence))
    return frame(out, as_pandas, "summary of " + study)


def studies(store=None, as_pandas=None):
    """The studies of a store: ``name, description, trials`` and a count per status."""
    return frame(_reader(store).studies(), as_pandas, "studies")


# --- summaries ------------------------------------------------------------------------------------------------------

def _summarize(trials, metric, keys, minimize, confidence):
    groups = {}
    for trial in sorted(trials, key=lambda t: t["seq"]):
        params = trial["params"] if keys is None else {k: trial["params"].get(k) for k in keys}
        groups.setdefault(json.dumps(params, sort_keys=True, default=str), (params, []))[1].append(trial)
    rows = []
    for params, members in groups.values():
        values, failed, missing = [], 0, 0
        for trial in sorted(members, key=lambda t: (t["replicate"], t["seq"])):
            if trial["status"] in ("failed", "timeout"):
                failed += 1
            elif trial["status"] == "completed":
                value = trial["results"].get(metric)
                if _is_number(value):
                    values.append(float(value))
                else:
                    missing += 1
        stats = _stats.describe(values, confidence)
        row = {k: v for k, v in params.items() if k not in _RESERVED}
        row.update(params=params, metric=metric)
        row.update(stats)
        row.update(rank=None, goal="minimize" if minimize else "maximize", failed=failed, missing=missing)
        row["non_finite"] = row.pop("non_finite")
        rows.append(row)
    ranked = sorted((r for r in rows if r["n"] > 0), key=lambda r: r["mean"] if minimize else -r["mean"])
    for i, row in enumerate(ranked):
        row["rank"] = i + 1
    return rows


_RESERVED = {"metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "min", "median", "max", "rank", "goal", "failed",
             "missing", "nan", "non_finite", "params", "adaptive"}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# --- rows -----------------------------------------------------------------------------------------------------------

def _wide(trials):
    any_usage = any(t.get("usage") for t in trials)
    param_names = list(dict.fromkeys(name for t in trials for name in t["params"]))
    result_names = list(dict.fromkeys(name for t in trials for name in t["results"]))
    rows = []
    for t in trials:
        row = {"id": t["id"], "study": t["study"], "status": t["status"]}
        for name in param_names:
            # A parameter named like a column of every trial (PyExperimenter's keyfield "seed") is "params.NAME".
            row["params." + name if name in _FIXED else name] = t["params"].get(name)
        row["replicate"] = t["replicate"]
        row["seed"] = t["seed"]
        for name in result_names:
            row["result." + name if name in param_names or name in _FIXED else name] = t["results"].get(name)
        row.update(duration=t["duration"], attempts=t["attempts"], name=t["name"], tags=t["tags"], note=t["note"],
                   error=t["error"], started=t["started"], finished=t["finished"])
        if any_usage:
            row.update(_usage_columns(t.get("usage") or {}))
        rows.append(row)
    return rows


# What a trial used, as `expt export` names it: CPU seconds, peak memory, wall time, and the estimated energy and CO2
# with the method that estimated them (an estimate is never to be read as a measurement).
def _usage_columns(usage):
    cpu = usage.get("cpu_user_seconds")
    peak = usage.get("peak_memory_bytes")
    return {
        "usage.cpu_seconds": None if cpu is None else round(cpu + (usage.get("cpu_system_seconds") or 0), 6),
        "usage.peak_memory_mb": None if peak is None else round(peak / 1048576.0, 6),
        "usage.wall_seconds": usage.get("wall_seconds"),
        "usage.energy_wh": usage.get("energy_wh"),
        "usage.co2_g": usage.get("co2_g"),
        "usage.energy_method": usage.get("energy_method"),
    }


def _usage(text):
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_FIXED = {"id", "study", "status", "replicate", "seed", "duration", "attempts", "name", "tags", "note", "error",
          "started", "finished"}


def _params(text):
    try:
        value = json.loads(text or "{}", parse_constant=lambda c: _NON_FINITE[c])
    except ValueError:
        return {}
    return dict(value) if isinstance(value, dict) else {}


def _results(text):
    if not text:
        return {}
    try:
        value = json.loads(text, parse_constant=lambda c: _NON_FINITE[c])
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    # Non-finite numbers are stored as the strings "NaN", "Infinity" and "-Infinity" (JSON has no such numbers).
    return {k: _NON_FINITE.get(v, v) if isinstance(v, str) else v for k, v in value.items()}


def _tags(text):
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def _time(value):
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc)
    return datetime.datetime.fromtimestamp(value / 1000.0, tz=datetime.timezone.utc)


# --- where the rows come from -----------------------------------------------------------------------------------------

def _reader(store):
    location = store if store is not None else os.environ.get("EXPT_STORE") or DEFAULT_STORE
    location = os.fspath(location)
    if location.startswith(("postgresql://", "postgres://")) or ("=" in location and ";" in location):
        try:
            import psycopg  # noqa: F401  (optional)
        except ImportError:
            return _CliReader(location)
        return _PostgresReader(location)
    if os.path.isdir(location):
        location = os.path.join(location, "expt.db")
    return _SqliteReader(location)


_TRIAL_COLUMNS = ("t.id, s.name, t.status, t.params, t.replicate, t.seed, t.results, t.duration_ms, t.attempts, "
                  "t.name, t.tags, t.note, t.error, t.started, t.finished, t.seq, t.usage")


class _SqlReader:
    placeholder = "?"

    def query(self, sql, args=()):
        raise NotImplementedError

    def _study(self, study):
        rows = self.query("SELECT id, spec FROM %sstudies WHERE name = %s" % (self.prefix, self.placeholder), (study,))
        if not rows:
            names = [r[0] for r in self.query("SELECT name FROM %sstudies ORDER BY name" % self.prefix)]
            raise StoreError("no study %r in %s; studies: %s" % (study, self.where, ", ".join(names) or "none"))
        return rows[0]

    def trials(self, study):
        study_id, _ = self._study(study)
        rows = self.query("SELECT %s FROM %strials t JOIN %sstudies s ON s.id = t.study_id WHERE t.study_id = %s ORDER BY t.seq"
                          % (_TRIAL_COLUMNS, self.prefix, self.prefix, self.placeholder), (study_id,))
        return [dict(id=r[0], study=r[1], status=r[2], params=_params(r[3]), replicate=r[4], seed=r[5],
                     results=_results(r[6]), duration=None if r[7] is None else round(r[7] / 1000.0, 6),
                     attempts=r[8], name=r[9], tags=_tags(r[10]), note=r[11], error=r[12], started=_time(r[13]),
                     finished=_time(r[14]), seq=r[15], usage=_usage(r[16])) for r in rows]

    def objectives(self, study):
        _, spec = self._study(study)
        try:
            value = json.loads(spec or "{}").get("objectives") or {}
        except (ValueError, AttributeError):
            return {}
        return {k: ("maximize" if str(v).lower().startswith("max") else "minimize") for k, v in value.items()}

    def metrics(self, trial_id):
        points = []
        for name, count, steps, vals, times in self.query(
                "SELECT name, count, steps, vals, times FROM %smetric_chunks WHERE trial_id = %s ORDER BY name, seq"
                % (self.prefix, self.placeholder), (trial_id,)):
            count = max(0, min(count, len(steps) // 8, len(vals) // 8, len(times) // 8))
            fmt_i, fmt_d = "<%dq" % count, "<%dd" % count
            for step, value, time in zip(struct.unpack_from(fmt_i, bytes(steps)), struct.unpack_from(fmt_d, bytes(vals)),
                                         struct.unpack_from(fmt_i, bytes(times))):
                points.append((name, step, value, _time(time)))
        return points

    def studies(self):
        out = []
        for study_id, name, description in self.query("SELECT id, name, description FROM %sstudies ORDER BY created, name" % self.prefix):
            counts = dict(self.query("SELECT status, COUNT(*) FROM %strials WHERE study_id = %s GROUP BY status"
                                     % (self.prefix, self.placeholder), (study_id,)))
            row = {"name": name, "description": description, "trials": sum(counts.values())}
            row.update({s: counts.get(s, 0) for s in _STATUSES})
            out.append(row)
        return out


class _SqliteReader(_SqlReader):
    prefix = ""

    def __init__(self, path):
        self.where = path
        if not os.path.isfile(path):
            raise StoreError("no store at %s (expt.load reads .expt/expt.db here, $EXPT_STORE, or store=...)" % path)
        uri = "file:%s?mode=ro" % urllib.parse.quote(os.path.abspath(path))
        try:
            self.connection = sqlite3.connect(uri, uri=True, timeout=30)
            tables = {r[0] for r in self.connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise StoreError("%s is not a readable Expt store: %s" % (path, error)) from None
        if not {"studies", "trials"} <= tables:
            raise StoreError("%s is not an Expt store (it has no studies and trials tables)" % path)

    def query(self, sql, args=()):
        return self.connection.execute(sql, args).fetchall()


class _PostgresReader(_SqlReader):
    placeholder = "%s"

    def __init__(self, location):
        import psycopg
        parts = urllib.parse.urlsplit(location)
        query = urllib.parse.parse_qsl(parts.query)
        schema = next((v for k, v in query if k.lower() in ("schema", "search_path")), None)
        # Expt's own URL parameters are Expt's; the rest (sslmode, connect_timeout, application_name) are libpq's too.
        kept = [(k, v) for k, v in query if k.lower() not in ("schema", "search_path", "pgbouncer")]
        url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, urllib.parse.urlencode(kept), ""))
        self.where = urllib.parse.urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))
        self.prefix = '"%s".' % schema.replace('"', '""') if schema else ""
        try:
            self.connection = psycopg.connect(url if location.startswith(("postgresql://", "postgres://")) else location,
                                              autocommit=True)
        except psycopg.Error as error:
            raise StoreError("cannot read the store at %s: %s" % (self.where, str(error).strip())) from None

    def query(self, sql, args=()):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, args)
            return cursor.fetchall()


class _CliReader:
    """PostgreSQL without psycopg: the ``expt`` command line's JSON export."""

    def __init__(self, location):
        self.location = location
        self.cli = os.environ.get("EXPT_CLI") or shutil.which("expt")
        if not self.cli:
            raise StoreError("reading a PostgreSQL store needs psycopg (apt install python3-psycopg, or pip install "
                             "psycopg) or the expt command on the PATH (or $EXPT_CLI)")

    def _run(self, *args):
        done = subprocess.run([self.cli, *args, "--store", self.location], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, check=False)
        if done.returncode != 0:
            raise StoreError(done.stderr.strip() or "expt %s failed (exit code %d)" % (args[0], done.returncode))
        return json.loads(done.stdout, parse_constant=lambda c: _NON_FINITE[c])

    def trials(self, study):
        out = []
        for seq, t in enumerate(self._run("export", study, "--format", "json")):
            results = {k: _NON_FINITE.get(v, v) if isinstance(v, str) else v for k, v in (t.get("results") or {}).items()}
            out.append(dict(id=t["id"], study=t["study"], status=t["status"], params=t.get("params") or {},
                            replicate=t["replicate"], seed=t["seed"], results=results, duration=t.get("duration"),
                            attempts=t.get("attempts"), name=t.get("name"), tags=t.get("tags") or [], note=t.get("note"),
                            error=t.get("error"), started=_iso(t.get("started")), finished=_iso(t.get("finished")), seq=seq,
                            usage=t.get("usage") if isinstance(t.get("usage"), dict) else {}))
        return out

    def objectives(self, study):
        # The CLI's summary applies the study's objectives; its goals per metric say what they are.
        goals = {}
        try:
            for row in self._run("summary", study, "--format", "json"):
                goals.setdefault(row["metric"], row["goal"])
        except StoreError:
            return {}
        return goals

    def metrics_of(self, study):
        by_trial = {}
        for p in self._run("export", study, "--what", "metrics", "--format", "json"):
            value = _NON_FINITE.get(p["value"], p["value"]) if isinstance(p["value"], str) else p["value"]
            by_trial.setdefault(p["trial"], []).append((p["metric"], p["step"], value, _iso(p.get("time"))))
        return by_trial

    def studies(self):
        out = []
        for s in self._run("studies", "--format", "json"):
            row = {"name": s["name"], "description": s.get("description"), "trials": s.get("total", 0)}
            row.update({status: s.get(status, 0) for status in _STATUSES})
            out.append(row)
        return out


def _iso(text):
    if not text:
        return None
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
