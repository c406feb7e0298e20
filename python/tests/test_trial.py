import io
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest
from contextlib import redirect_stdout

from expt import _trial
from expt._trial import Trial

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def environment(directory, **params):
    return {
        "EXPT_TRIAL_ID": "abc123", "EXPT_STUDY": "s", "EXPT_PARAMS": json.dumps(params), "EXPT_SEED": "42",
        "EXPT_REPLICATE": "2", "EXPT_ATTEMPT": "1", "EXPT_TRIAL_DIR": directory,
        "EXPT_RESULTS": os.path.join(directory, "results.json"), "EXPT_METRICS": os.path.join(directory, "metrics.jsonl"),
        "EXPT_TAGS": os.path.join(directory, "tags.txt"), "EXPT_NOTE": os.path.join(directory, "notes.txt"),
    }


class InsideTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.trial = Trial(environment(self.dir, lr=0.1, model={"depth": 3}))

    def read(self, name):
        with open(os.path.join(self.dir, name)) as f:
            return f.read()

    def test_identity_from_the_environment(self):
        t = self.trial
        self.assertTrue(t.inside)
        self.assertEqual((t.seed, t.replicate, t.trial_id, t.study), (42, 2, "abc123", "s"))
        self.assertEqual(t.params.lr, 0.1)
        self.assertEqual(t.params["model.depth"], 3)

    def test_metrics_are_batched_then_written_as_wide_lines(self):
        for step in range(3):
            self.trial.log(step=step, loss=1.0 / (step + 1), acc=step)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "metrics.jsonl")))  # nothing written yet: batched
        self.trial.flush()
        lines = [json.loads(line) for line in self.read("metrics.jsonl").splitlines()]
        self.assertEqual(lines[2], {"step": 2, "loss": 1.0 / 3, "acc": 2})

    def test_a_thousand_rows_are_written_without_waiting_for_exit(self):
        for step in range(_trial._FLUSH_ROWS):
            self.trial.log(step=step, x=step)
        self.assertEqual(len(self.read("metrics.jsonl").splitlines()), _trial._FLUSH_ROWS)

    def test_non_finite_values_round_trip_as_python_writes_them(self):
        self.trial.log(step=0, loss=math.nan)
        self.trial.result(loss=math.inf, low=-math.inf, gap=math.nan)
        self.trial.flush()
        results = json.loads(self.read("results.json"), parse_constant=lambda c: float(c.replace("Infinity", "inf")))
        self.assertEqual(results["loss"], math.inf)
        self.assertEqual(results["low"], -math.inf)
        self.assertTrue(math.isnan(results["gap"]))
        self.assertIn("NaN", self.read("metrics.jsonl"))

    def test_returned_results_merge_with_given_ones(self):
        self.trial.result(a=1)
        self.trial.flush({"b": 2})
        self.assertEqual(json.loads(self.read("results.json")), {"a": 1, "b": 2})

    def test_steps_are_integers_and_metrics_numbers(self):
        with self.assertRaises(TypeError):
            self.trial.log(step=1.5, loss=1)
        with self.assertRaises(TypeError):
            self.trial.log(step=1, loss="high")
        self.trial.log(step=2.0, ok=True)  # 2.0 is step 2; a bool is 0 or 1
        self.trial.flush()
        self.assertEqual(json.loads(self.read("metrics.jsonl")), {"step": 2, "ok": 1})

    def test_artifacts_files_bytes_and_figures(self):
        source = os.path.join(tempfile.mkdtemp(), "model.bin")
        with open(source, "wb") as f:
            f.write(b"weights")
        kept = self.trial.artifact(source)
        with open(kept, "rb") as f:
            self.assertEqual(f.read(), b"weights")
        self.assertEqual(os.path.dirname(str(kept)), self.dir)
        self.trial.artifact(b"\x89PNG", "raw.png")
        with open(os.path.join(self.dir, "raw.png"), "rb") as f:
            self.assertEqual(f.read(), b"\x89PNG")

        class Figure:
            def savefig(self, path):
                with open(path, "w") as f:
                    f.write("figure")

        self.trial.artifact(Figure(), "loss.png")
        self.assertEqual(self.read("loss.png"), "figure")
        with self.assertRaises(ValueError):
            self.trial.artifact(b"x", "../escape.txt")
        with self.assertRaises(FileNotFoundError):
            self.trial.artifact("/no/such/file")

    def test_a_real_matplotlib_figure(self):
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            self.skipTest("matplotlib is not installed")
        fig, ax = plt.subplots()
        ax.plot([1, 2, 3])
        path = self.trial.artifact(fig, "loss.png")
        plt.close(fig)
        with open(path, "rb") as f:
            self.assertEqual(f.read(4), b"\x89PNG")

    def test_tags_and_notes(self):
        self.trial.tag("diverged", "slow")
        self.trial.note("restarted twice")
        self.assertEqual(self.read("tags.txt").split(), ["diverged", "slow"])
        self.assertEqual(self.read("notes.txt").strip(), "restarted twice")
        with self.assertRaises(ValueError):
            self.trial.tag("two words")

    def test_numpy_values(self):
        try:
            import numpy as np
        except ImportError:
            self.skipTest("numpy is not installed")
        self.trial.log(step=np.int64(1), loss=np.float32(0.5))
        self.trial.result(vector=np.arange(3), best=np.float64(0.25))
        self.trial.flush()
        self.assertEqual(json.loads(self.read("results.json")), {"vector": [0, 1, 2], "best": 0.25})
        self.assertEqual(json.loads(self.read("metrics.jsonl")), {"step": 1, "loss": 0.5})


class OutsideTest(unittest.TestCase):
    def test_parameters_from_the_command_line_and_output_printed(self):
        t = Trial(environ={}, argv=["lr=0.5", "--fast"])
        self.assertFalse(t.inside)
        self.assertEqual(t.params.lr, 0.5)
        out = io.StringIO()
        with redirect_stdout(out):
            t.log(step=1, loss=0.25)
            t.result(loss=0.25)
            t.flush()
        self.assertIn("step=1 loss=0.25", out.getvalue())
        self.assertIn("result: loss=0.25", out.getvalue())

    def test_a_script_runs_alone_with_its_defaults(self):
        directory = tempfile.mkdtemp()
        script = os.path.join(directory, "train.py")
        with open(script, "w") as f:
            f.write("import expt\n"
                    "def main(lr, epochs=2):\n"
                    "    for i in range(epochs):\n"
                    "        expt.log(step=i, loss=lr * i)\n"
                    "    return {'loss': lr * epochs, 'seed': expt.seed}\n"
                    "if __name__ == '__main__':\n"
                    "    expt.run(main)\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("EXPT_")}
        env["PYTHONPATH"] = PACKAGE
        done = subprocess.run([sys.executable, script, "lr=0.5"], env=env, cwd=directory, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("step=1 loss=0.5", done.stdout)
        self.assertIn("result: loss=1.0 seed=0", done.stdout)
        missing = subprocess.run([sys.executable, script], env=env, cwd=directory, capture_output=True, text=True)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("main() needs the parameter lr", missing.stderr)
        self.assertNotIn("_call.py", missing.stderr)  # Expt's own frames are left out


if __name__ == "__main__":
    unittest.main()
