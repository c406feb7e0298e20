"""The warm host of function trials: ``python -m expt._host --function train:main --mode fork``.

Expt starts one host per slot. The host imports the user's module (and any ``--preload`` modules) once, then runs
trials on request:

- ``fork`` (the default): each trial in a child forked from the host, so imports are shared copy-on-write and no state
  passes from one trial to the next. The child leads a session of its own (Expt ends the trial's process group on a
  timeout or a cancel) and joins the trial's control groups before running anything (its memory is measured and
  limited as a command trial's is). A child that crashes (a segfault, ``os._exit``, the OOM killer) fails its trial
  alone; the host goes on.
- ``inline``: trials run one after another in the host itself (a process pool's way): the fastest, but state left by
  one trial (globals, caches, a CUDA context) is seen by the next, and a crash takes the host (Expt starts another).

The protocol is JSON lines: requests on stdin, replies on a private copy of the original stdout (the user's own prints,
at import time, go to stderr). Each trial's stdout and stderr are FIFOs Expt reads, named in the request.
Replies: ``ready`` (with the module's file and hash), ``error`` (the import failed), ``started`` (the trial's pid),
``exited`` (its status and CPU time), ``stale`` (the module changed on disk: the host exits and Expt starts a fresh one,
so a trial never runs an old version of the code).
"""

import faulthandler
import json
import os
import resource
import signal
import sys

from . import _call, _trial

_MAX_REQUEST = 16 * 1024 * 1024


class Host:
    def __init__(self, function, mode, preload, workdir):
        self.target = function
        self.mode = mode
        self.preload = preload
        self.workdir = workdir
        self.function = None
        self.files = {}
        # Replies go to a private descriptor; the process's stdout becomes its stderr, so a print() at import time
        # cannot break the protocol.
        self.replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)
        self.requests = os.fdopen(os.dup(0), "rb", buffering=0)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)

    def reply(self, **message):
        self.replies.write(json.dumps(message) + "\n")
        self.replies.flush()

    def load(self):
        os.chdir(self.workdir)
        try:
            for name in self.preload:
                __import__(name)
            self.function = _call.load_function(self.target, self.workdir)
        except BaseException as error:  # an import error of any kind is the study's error, said once
            self.reply(error=_call.format_error(error))
            return False
        self.files = {}
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and _is_user_file(path, self.workdir):
                try:
                    info = os.stat(path)
                    self.files[path] = (info.st_mtime_ns, info.st_size)
                except OSError:
                    pass
        main = _call.module_file(self.function)
        self.reply(ready={"pid": os.getpid(), "file": main, "sha256": _call.source_hash(main) if main else None,
                          "python": sys.version.split()[0]})
        return True

    def stale(self):
        """A module of the user's (under the study's directory) changed since it was imported."""
        for path, (mtime, size) in self.files.items():
            try:
                info = os.stat(path)
            except OSError:
                return path
            if (info.st_mtime_ns, info.st_size) != (mtime, size):
                return path
        return None

    def serve(self):
        while True:
            line = self.requests.readline(_MAX_REQUEST)
            if not line:
                return 0  # Expt closed the pipe: it is done, or gone
            request = json.loads(line)
            changed = self.stale()
            if changed:
                self.reply(stale=changed)
                return 0
            if self.mode == "inline":
                if not self.run_inline(request):
                    return 0
            else:
                self.run_forked(request)

    def run_forked(self, request):
        ready_read, ready_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_read)
            try:
                _child(self, request, ready_write)
            finally:
                os._exit(70)
        os.close(ready_write)
        # The child says it has joined its groups and opened its output (or it died trying: end of file).
        os.read(ready_read, 1)
        os.close(ready_read)
        self.reply(started=pid)
        while True:
            try:
                _, status, usage = os.wait4(pid, 0)
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else _exit_code(status)
        self.reply(exited={"code": code, "user": usage.ru_utime, "system": usage.ru_stime})

    def run_inline(self, request):
        before = resource.getrusage(resource.RUSAGE_SELF)
        saved = os.dup(1), os.dup(2)
        saved_env = dict(os.environ)
        try:
            _open_output(request)
            self.reply(started=os.getpid())
            code = _run_trial(self, request)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            os.environ.clear()
            os.environ.update(saved_env)
            _trial.reset(None)
        after = resource.getrusage(resource.RUSAGE_SELF)
        self.reply(exited={"code": code, "user": after.ru_utime - before.ru_utime,
                           "system": after.ru_stime - before.ru_stime})
        return True


def _child(host, request, ready):
    os.setsid()
    # Into the trial's control groups before anything runs, so all it allocates is counted (and limited) there.
    for procs in request.get("cgroups") or []:
        try:
            with open(procs, "w") as f:
                f.write("0")
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _open_output(request)
    os.write(ready, b"x")  # Expt reads the output once it is open: a FIFO with no writer reads as ended
    os.close(ready)
    host.replies.close()
    host.requests.close()
    os._exit(_run_trial(host, request))


def _open_output(request):
    """The trial's stdout and stderr become the FIFOs Expt reads."""
    stdout = os.open(request["stdout"], os.O_WRONLY)
    stderr = os.open(request["stderr"], os.O_WRONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(stdout, 1)
    os.dup2(stderr, 2)
    os.close(stdout)
    os.close(stderr)


def _run_trial(host, request):
    """Runs one trial in this process; returns the exit code (0 completed, 1 the function raised)."""
    # A crash of the interpreter (a segfault in an extension) prints the Python frames it happened in to the trial's
    # stderr, which the trial's error then ends with.
    faulthandler.enable()
    os.environ.update(request.get("env") or {})
    os.chdir(host.workdir)
    trial = _trial.reset(_trial.Trial())
    code = 0
    try:
        _call.call(host.function, trial)
    except BaseException as error:  # SystemExit and KeyboardInterrupt too: the trial's, never the host's
        if isinstance(error, SystemExit) and error.code in (None, 0):
            trial.flush()
        else:
            code = 1
            text = _call.format_error(error)
            print(text, file=sys.stderr)
            try:
                with open(request["error"], "w", encoding="utf-8") as f:
                    f.write(text)
            except (KeyError, OSError):
                pass
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _exit_code(status):
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _is_user_file(path, workdir):
    path = os.path.abspath(path)
    root = os.path.abspath(workdir) + os.sep
    return path.startswith(root) and "site-packages" not in path and path.endswith(".py")


def main(argv):
    args = {"--function": None, "--mode": "fork", "--preload": "", "--workdir": os.getcwd()}
    i = 1
    while i < len(argv):
        if argv[i] in args and i + 1 < len(argv):
            args[argv[i]] = argv[i + 1]
            i += 2
        else:
            print("expt._host: unknown argument %r" % argv[i], file=sys.stderr)
            return 2
    if not args["--function"] or args["--mode"] not in ("fork", "inline"):
        print("usage: python -m expt._host --function module:function [--mode fork|inline] [--preload a,b] "
              "[--workdir DIR]", file=sys.stderr)
        return 2
    # A session of its own: a Ctrl+C at the terminal reaches Expt, which decides, not the host.
    try:
        os.setsid()
    except OSError:
        pass
    host = Host(args["--function"], args["--mode"], [p for p in args["--preload"].split(",") if p], args["--workdir"])
    if not host.load():
        return 1
    return host.serve()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
