"""The warm host's protocol, driven as Expt drives it: FIFOs for the trial's output, JSON lines both ways."""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MODULE = '''
import ctypes, os, random, time
import expt
LOADED_AT = time.time()
COUNTER = [0]
print("importing")
def main(kind, x=1):
    COUNTER[0] += 1
    print("out", kind)
    if kind == "raise":
        raise KeyError("missing")
    if kind == "segv":
        ctypes.string_at(0)
    if kind == "exit":
        os._exit(5)
    if kind == "sleep":
        time.sleep(60)
    expt.log(step=0, v=x)
    return {"x": x, "r": random.random(), "count": COUNTER[0], "pid": os.getpid(), "host": os.getppid(),
            "loaded": LOADED_AT, "seed": expt.seed}
'''


class Host:
    def __init__(self, directory, mode="fork"):
        self.dir = directory
        env = dict(os.environ, PYTHONPATH=PACKAGE)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "expt._host", "--function", "hostmod:main", "--mode", mode, "--workdir", directory],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=directory)
        self.stderr = []
        self.stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.stderr_reader.start()

    def _read_stderr(self):
        with self.process.stderr:
            self.stderr.append(self.process.stderr.read())

    def reply(self):
        line = self.process.stdout.readline()
        return json.loads(line) if line else None

    def run(self, n, **params):
        """Runs one trial; returns (started, exited, stdout text, results, error text)."""
        trial_dir = tempfile.mkdtemp(dir=self.dir)
        pipes = {name: os.path.join(trial_dir, name) for name in ("stdout", "stderr")}
        fds = {}
        for name, path in pipes.items():
            os.mkfifo(path)
            fds[name] = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            os.set_blocking(fds[name], True)
        env = {"EXPT_TRIAL_ID": "t%d" % n, "EXPT_STUDY": "s", "EXPT_PARAMS": json.dumps(params), "EXPT_SEED": str(100 + n),
               "EXPT_TRIAL_DIR": trial_dir, "EXPT_RESULTS": os.path.join(trial_dir, "results.json"),
               "EXPT_METRICS": os.path.join(trial_dir, "metrics.jsonl")}
        request = {"env": env, "stdout": pipes["stdout"], "stderr": pipes["stderr"], "error": os.path.join(trial_dir, "error.txt")}
        self.process.stdin.write((json.dumps(request) + "\n").encode())
        self.process.stdin.flush()
        started = self.reply()
        if not started or "started" not in started:
            return started, None, "", None, None
        out = []
        reader = threading.Thread(target=lambda: out.append(_read_all(fds["stdout"])), daemon=True)
        reader.start()
        err = _read_all(fds["stderr"])
        exited = self.reply()
        reader.join(10)
        results = None
        if os.path.exists(env["EXPT_RESULTS"]):
            with open(env["EXPT_RESULTS"]) as f:
                results = json.load(f)
        error = None
        if os.path.exists(request["error"]):
            with open(request["error"]) as f:
                error = f.read()
        return started, exited, (out[0] if out else "") + err, results, error

    def close(self):
        self.process.stdin.close()
        code = self.process.wait(10)
        self.process.stdout.close()
        return code

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if not stream.closed:
                stream.close()


def _read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks).decode()


class ForkHostTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.module = os.path.join(self.dir, "hostmod.py")
        with open(self.module, "w") as f:
            f.write(MODULE)
        self.host = Host(self.dir)
        self.ready = self.host.reply()

    def tearDown(self):
        self.host.kill()

    def test_ready_names_the_module_and_its_hash(self):
        import hashlib
        self.assertEqual(self.ready["ready"]["file"], self.module)
        with open(self.module, "rb") as f:
            self.assertEqual(self.ready["ready"]["sha256"], hashlib.sha256(f.read()).hexdigest())
        # What the module printed at import went to stderr, not into the protocol.
        self.assertEqual(self.host.close(), 0)
        self.host.stderr_reader.join(10)
        self.assertIn("importing", self.host.stderr[0].decode())

    def test_each_trial_is_a_fresh_child_of_the_warm_host(self):
        first = self.host.run(1, kind="ok", x=3)
        second = self.host.run(2, kind="ok", x=4)
        for started, exited, out, results, _ in (first, second):
            self.assertEqual(exited["exited"]["code"], 0)
            self.assertEqual(started["started"], results["pid"])
            self.assertEqual(results["host"], self.host.process.pid)
            self.assertEqual(results["count"], 1)  # state is not shared: each child starts from the host's
            self.assertIn("out ok", out)
        self.assertEqual(first[3]["loaded"], second[3]["loaded"])  # imported once
        self.assertEqual(first[3]["seed"], 101)
        self.assertNotEqual(first[3]["r"], second[3]["r"])

    def test_failures_stay_in_their_trial(self):
        _, exited, out, _, error = self.host.run(1, kind="raise")
        self.assertEqual(exited["exited"]["code"], 1)
        self.assertTrue(error.startswith("KeyError: 'missing'"), error)
        self.assertIn("hostmod.py", error)
        _, exited, out, _, _ = self.host.run(2, kind="segv")
        self.assertEqual(exited["exited"]["code"], -11)
        self.assertIn("Segmentation fault", out)  # faulthandler names the Python frames
        _, exited, _, _, _ = self.host.run(3, kind="exit")
        self.assertEqual(exited["exited"]["code"], 5)
        _, exited, _, results, _ = self.host.run(4, kind="ok", x=9)
        self.assertEqual((exited["exited"]["code"], results["x"]), (0, 9))

    def test_a_changed_module_is_never_run_stale(self):
        self.host.run(1, kind="ok")
        time.sleep(0.01)
        with open(self.module, "a") as f:
            f.write("\n# edited\n")
        started, _, _, _, _ = self.host.run(2, kind="ok")
        self.assertIn("stale", started)
        self.assertEqual(self.host.process.wait(10), 0)
        self.host.kill()


class InlineHostTest(unittest.TestCase):
    def test_trials_run_in_the_host_one_after_another(self):
        directory = tempfile.mkdtemp()
        with open(os.path.join(directory, "hostmod.py"), "w") as f:
            f.write(MODULE)
        host = Host(directory, mode="inline")
        self.assertIn("ready", host.reply())
        first = host.run(1, kind="ok")
        second = host.run(2, kind="raise")
        third = host.run(3, kind="ok")
        self.assertEqual(first[3]["pid"], host.process.pid)
        self.assertEqual(third[3]["count"], 3)  # state passes from trial to trial, as in a process pool
        self.assertEqual(second[1]["exited"]["code"], 1)
        self.assertIn("out ok", third[2])
        self.assertEqual(host.close(), 0)


class ImportErrorTest(unittest.TestCase):
    def test_an_import_error_is_reported_once(self):
        directory = tempfile.mkdtemp()
        with open(os.path.join(directory, "hostmod.py"), "w") as f:
            f.write("import no_such_module_anywhere\n")
        host = Host(directory)
        reply = host.reply()
        self.assertTrue(reply["error"].startswith("ModuleNotFoundError"), reply)
        self.assertEqual(host.process.wait(10), 1)
        host.kill()


if __name__ == "__main__":
    unittest.main()
