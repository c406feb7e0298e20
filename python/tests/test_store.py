"""expt.load, load_metrics, summary and studies against a SQLite store made by Expt's own migrations."""

import glob
import json
import math
import os
import sqlite3
import struct
import tempfile
import unittest

import expt
from expt import _store

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIGRATIONS = sorted(glob.glob(os.path.join(REPO, "src", "Expt.Storage.Sqlite", "Migrations", "*.sql")))

try:
    import pandas
except ImportError:
    pandas = None


def make_store(path):
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    for migration in MIGRATIONS:
        with open(migration) as f:
            db.executescript(f.read())
    spec = json.dumps({"name": "sweep", "objectives": {"acc": "maximize"}})
    db.execute("INSERT INTO studies (id, name, description, spec, fingerprint, seed, created) VALUES (1, 'sweep', 'lr sweep', ?, 'f', 7, 1000)", (spec,))
    rows = [
        # id, seq, replicate, params, status, results, error
        ("a", 0, 0, {"lr": 0.1, "opt": "sgd"}, "completed", {"loss": 1.0, "acc": 0.5, "curve": [1, 2]}, None),
        ("b", 1, 1, {"lr": 0.1, "opt": "sgd"}, "completed", {"loss": 2.0, "acc": 0.7, "curve": [3, 4]}, None),
        ("c", 2, 2, {"lr": 0.1, "opt": "sgd"}, "completed", {"loss": "NaN", "acc": 0.6}, None),
        ("d", 3, 0, {"lr": 0.2, "opt": "sgd"}, "completed", {"loss": 0.5, "acc": 0.9, "lr": 5}, None),
        ("e", 4, 1, {"lr": 0.2, "opt": "sgd"}, "failed", None, "ValueError: boom"),
        ("f", 5, 2, {"lr": 0.2, "opt": "sgd"}, "pending", None, None),
    ]
    for trial_id, seq, rep, params, status, results, error in rows:
        db.execute("INSERT INTO trials (id, study_id, key, seq, replicate, params, seed, status, attempts, created, started, finished, "
                   "duration_ms, results, error, tags, note, name) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 1, 1000, 1700000000000, 1700000001500, 1500, ?, ?, ?, ?, ?)",
                   (trial_id, trial_id, seq, rep, json.dumps(params), 100 + seq, status, None if results is None else json.dumps(results),
                    error, json.dumps(["x"] if trial_id == "a" else []), "hello" if trial_id == "a" else None, None))
    usage = {"wall_seconds": 1.5, "cpu_user_seconds": 1.0, "cpu_system_seconds": 0.25, "peak_memory_bytes": 2097152,
             "energy_wh": 0.0035, "co2_g": 0.0016625, "energy_method": "estimate; cpu: CPU time x 10 W per core (no RAPL)"}
    db.execute("UPDATE trials SET usage = ? WHERE id = 'a'", (json.dumps(usage),))
    steps = struct.pack("<3q", 0, 1, 2)
    vals = struct.pack("<3d", 1.0, 0.5, math.nan)
    times = struct.pack("<3q", 1700000000000, 1700000000100, 1700000000200)
    db.execute("INSERT INTO metric_chunks VALUES ('a', 'loss', 0, 3, ?, ?, ?)", (steps, vals, times))
    db.commit()
    return db


class StoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.path = os.path.join(cls.dir, "expt.db")
        cls.db = make_store(cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.db.close()

    def test_what_a_trial_used_and_its_estimated_energy_come_as_export_names_them(self):
        rows = {r["id"]: r for r in expt.load("sweep", store=self.path, as_pandas=False)}
        self.assertEqual(rows["a"]["usage.cpu_seconds"], 1.25)
        self.assertEqual(rows["a"]["usage.peak_memory_mb"], 2.0)
        self.assertEqual(rows["a"]["usage.energy_wh"], 0.0035)
        self.assertEqual(rows["a"]["usage.co2_g"], 0.0016625)
        self.assertTrue(rows["a"]["usage.energy_method"].startswith("estimate; "))
        self.assertIsNone(rows["b"]["usage.energy_wh"])

    def test_rows_as_export_lists_them(self):
        rows = expt.load("sweep", store=self.path, as_pandas=False)
        self.assertIsInstance(rows, expt.Table)
        self.assertEqual([r["id"] for r in rows], ["a", "b", "c", "d", "e", "f"])
        self.assertEqual(rows.columns[:7], ["id", "study", "status", "lr", "opt", "replicate", "seed"])
        first = rows[0]
        self.assertEqual((first["lr"], first["opt"], first["loss"], first["curve"]), (0.1, "sgd", 1.0, [1, 2]))
        self.assertEqual((first["duration"], first["tags"], first["note"]), (1.5, ["x"], "hello"))
        self.assertEqual(first["started"].year, 2023)
        self.assertTrue(math.isnan(rows[2]["loss"]))  # stored as "NaN": a float again
        self.assertEqual(rows[3]["result.lr"], 5)  # a result named as a parameter
        self.assertEqual(rows[4]["error"], "ValueError: boom")
        self.assertIsNone(rows[5]["loss"])

    def test_a_parameter_named_like_a_column_keeps_both(self):
        trial = {"id": "t", "study": "s", "status": "completed", "params": {"seed": 3, "x": 1}, "replicate": 0,
                 "seed": 12345, "results": {"duration": 2.0}, "duration": 1.5, "attempts": 1, "name": None,
                 "tags": [], "note": None, "error": None, "started": None, "finished": None}
        row = _store._wide([trial])[0]
        self.assertEqual((row["params.seed"], row["seed"], row["x"]), (3, 12345, 1))
        self.assertEqual((row["result.duration"], row["duration"]), (2.0, 1.5))

    def test_a_status_filter(self):
        self.assertEqual(len(expt.load("sweep", store=self.path, status="completed", as_pandas=False)), 4)
        self.assertEqual(len(expt.load("sweep", store=self.path, status=["failed", "pending"], as_pandas=False)), 2)
        with self.assertRaises(ValueError):
            expt.load("sweep", store=self.path, status="done")

    @unittest.skipIf(pandas is None, "pandas is not installed")
    def test_a_dataframe_with_typed_columns(self):
        df = expt.load("sweep", store=self.path)
        self.assertIsInstance(df, pandas.DataFrame)
        self.assertEqual(str(df["lr"].dtype), "float64")
        self.assertEqual(str(df["replicate"].dtype), "int64")
        self.assertEqual(df.loc[0, "curve"], [1, 2])
        self.assertEqual(df.groupby("lr")["acc"].mean().round(6).to_dict(), {0.1: 0.6, 0.2: 0.9})

    def test_the_summary_of_expt_summary(self):
        rows = expt.summary("sweep", metric="loss", store=self.path, as_pandas=False)
        low, high = rows
        self.assertEqual((low["lr"], low["n"], low["non_finite"], low["failed"], low["missing"]), (0.1, 2, 1, 0, 0))
        self.assertEqual((low["mean"], low["median"], low["min"], low["max"]), (1.5, 1.5, 1.0, 2.0))
        self.assertAlmostEqual(low["ci_high"] - low["mean"], 12.706204736174707 * 0.5, places=10)
        self.assertEqual((high["n"], high["failed"], high["rank"], low["rank"]), (1, 1, 1, 2))
        self.assertEqual(high["goal"], "minimize")
        self.assertEqual(low["params"], {"lr": 0.1, "opt": "sgd"})

    def test_objectives_order_and_rank(self):
        rows = expt.summary("sweep", store=self.path, by="lr", as_pandas=False)
        # The declared objective first, then the other numeric results in the order trials report them.
        self.assertEqual([r["metric"] for r in rows], ["acc", "acc", "loss", "loss", "lr", "lr"])
        self.assertEqual(rows[0]["goal"], "maximize")
        best = [r for r in rows if r["metric"] == "acc" and r["rank"] == 1][0]
        self.assertEqual(best["lr"], 0.2)
        self.assertEqual(set(rows[0]), {"lr", "params", "metric", "n", "mean", "std", "sem", "ci_low", "ci_high", "min",
                                        "median", "max", "rank", "goal", "failed", "missing", "non_finite"})
        with self.assertRaises(ValueError):
            expt.summary("sweep", store=self.path, metric="nope")
        with self.assertRaises(ValueError):
            expt.summary("sweep", store=self.path, by="momentum")

    def test_step_metrics_tidy(self):
        rows = expt.load_metrics("sweep", store=self.path, as_pandas=False)
        self.assertEqual([(r["trial"], r["metric"], r["step"]) for r in rows], [("a", "loss", 0), ("a", "loss", 1), ("a", "loss", 2)])
        self.assertEqual(rows[1]["value"], 0.5)
        self.assertTrue(math.isnan(rows[2]["value"]))
        self.assertEqual(rows[0]["lr"], 0.1)
        self.assertEqual(rows[2]["time"].microsecond, 200000)
        self.assertEqual(len(expt.load_metrics("sweep", store=self.path, metric="acc", as_pandas=False)), 0)

    def test_studies(self):
        (study,) = expt.studies(store=self.path, as_pandas=False)
        self.assertEqual((study["name"], study["trials"], study["completed"], study["failed"], study["pending"]), ("sweep", 6, 4, 1, 1))

    def test_read_only_and_safe_while_a_run_writes(self):
        writer = sqlite3.connect(self.path)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE trials SET status = 'running' WHERE id = 'f'")
        try:
            rows = expt.load("sweep", store=self.path, as_pandas=False)
            self.assertEqual(rows[5]["status"], "pending")  # the last committed state
        finally:
            writer.rollback()
            writer.close()
        reader = _store._reader(self.path)
        with self.assertRaises(sqlite3.OperationalError):
            reader.connection.execute("DELETE FROM trials")

    def test_errors_name_what_is_wrong(self):
        with self.assertRaises(expt.StoreError) as caught:
            expt.load("nope", store=self.path)
        self.assertIn("sweep", str(caught.exception))
        with self.assertRaises(expt.StoreError):
            expt.load("sweep", store=os.path.join(self.dir, "missing.db"))
        other = os.path.join(self.dir, "other.db")
        sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
        with self.assertRaises(expt.StoreError) as caught:
            expt.load("sweep", store=other)
        self.assertIn("not an Expt store", str(caught.exception))

    def test_a_directory_or_the_environment_names_the_store(self):
        self.assertEqual(len(expt.load("sweep", store=self.dir, as_pandas=False)), 6)
        os.environ["EXPT_STORE"] = self.path
        try:
            self.assertEqual(len(expt.load("sweep", as_pandas=False)), 6)
        finally:
            del os.environ["EXPT_STORE"]

    def test_a_notebook_shows_html(self):
        rows = expt.load("sweep", store=self.path, as_pandas=False)
        page = rows._repr_html_()
        self.assertIn("<table>", page)
        self.assertIn("<th>lr</th>", page)
        self.assertIn("NaN", page)
        self.assertIn("sweep", repr(rows))
        table = expt.Table([{"v": "<script>"}] * 60, title="t")
        self.assertIn("&lt;script&gt;", table._repr_html_())
        self.assertIn("first 50 of 60", table._repr_html_())


if __name__ == "__main__":
    unittest.main()
