#!/usr/bin/env bash
# Python experiments, the three ways a Python user runs them, side by side on the same work: 200 trials (by default)
# of a function that imports numpy, pandas and scipy.stats and does a little work, 2 at a time:
#   fork     Expt function trials (python: work:main), warm host, a forked child per trial (the default mode)
#   inline   Expt function trials run one after another in the warm host (ORruns' pool behaviour)
#   fresh    Expt function trials, a new interpreter per trial
#   command  Expt command trials (python3 work.py), the same code as a script: what Expt offered before
#   pool     a plain ProcessPoolExecutor(2) writing one JSON file per trial, no Expt (ORruns' way)
#   forks    a plain Python loop forking one child per trial from a parent that imported everything, 2 at a time,
#            no Expt: the floor of fork mode on this machine (its page faults: the machine's fault cost is printed)
# Rounds are interleaved (every way once per round, the order rotating) and each figure is the median wall time of the
# whole command (Expt's start and its store included). Then the warm host's own cost per trial: an empty function,
# -j 1, fork and inline modes, (wall - the same run's start-up) / trials, start-up measured with 1 trial.
#   bench/scripts/python-trials.sh [TRIALS] [ROUNDS] [INTERPRETER]     (defaults 200 5 /usr/bin/python3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
trials="${1:-200}"; rounds="${2:-5}"; python="${3:-/usr/bin/python3}"
"$root/expt" --version >/dev/null # builds the ReadyToRun CLI once
expt="$root/artifacts/cli/expt"
"$python" -c 'import numpy, pandas, scipy.stats' || { echo "$python lacks numpy/pandas/scipy" >&2; exit 1; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
pkg="$("$expt" python path)"

cat > work.py <<'PY'
import numpy as np
import pandas as pd
import scipy.stats as st

import expt


def main(x):
    rng = np.random.default_rng(expt.seed)
    sample = rng.normal(x / 100, 1.0, 2000)
    frame = pd.DataFrame({"v": sample, "g": np.arange(sample.size) % 4})
    return {"mean": float(sample.mean()), "p": float(st.ttest_1samp(sample, 0.0).pvalue),
            "spread": float(frame.groupby("g")["v"].std().max())}


if __name__ == "__main__":
    expt.run(main)
PY

cat > pool.py <<'PY'
import json, os, sys
from concurrent.futures import ProcessPoolExecutor


def one(x):
    import numpy as np, pandas as pd, scipy.stats as st  # imported once per pool worker, as ORruns' users do
    rng = np.random.default_rng(x)
    sample = rng.normal(x / 100, 1.0, 2000)
    frame = pd.DataFrame({"v": sample, "g": np.arange(sample.size) % 4})
    result = {"mean": float(sample.mean()), "p": float(st.ttest_1samp(sample, 0.0).pvalue),
              "spread": float(frame.groupby("g")["v"].std().max())}
    with open(os.path.join(sys.argv[2], "trial-%d.json" % x), "w") as f:
        json.dump({"params": {"x": x}, "results": result}, f)


if __name__ == "__main__":
    os.makedirs(sys.argv[2], exist_ok=True)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(one, range(int(sys.argv[1]))))
PY

cat > forks.py <<'PY'
import json, os, sys
import work  # numpy, pandas, scipy.stats imported once, in the parent


def trial(x, out):
    import expt
    os.environ.update(EXPT_TRIAL_ID=str(x), EXPT_SEED=str(x), EXPT_PARAMS=json.dumps({"x": x}))
    result = work.main(x)
    with open(os.path.join(out, "trial-%d.json" % x), "w") as f:
        json.dump({"params": {"x": x}, "results": result}, f)


if __name__ == "__main__":
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    running = 0
    for x in range(n):
        if running == 2:
            os.wait()
            running -= 1
        if os.fork() == 0:
            trial(x, out)
            os._exit(0)
        running += 1
    while running:
        os.wait()
        running -= 1
PY

study() { # name mode|command
  if [ "$2" = command ]; then
    printf 'name: %s\ncommand: %s work.py\nenv:\n  PYTHONPATH: %s\nparams:\n  x: range(%s)\nparallel: 2\n' "$1" "$python" "$pkg" "$trials"
  else
    printf 'name: %s\npython:\n  function: work:main\n  mode: %s\n  interpreter: %s\nparams:\n  x: range(%s)\nparallel: 2\n' "$1" "$2" "$python" "$trials"
  fi
}
for way in fork inline fresh command; do study "$way" "$way" > "$way.yaml"; done

elapsed() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
run_way() { # way round
  case "$1" in
    pool) elapsed "$python" pool.py "$trials" "out-$2" ;;
    forks) elapsed env PYTHONPATH="$pkg" "$python" forks.py "$trials" "forks-$2" ;;
    *) elapsed "$expt" run "$1.yaml" --store "store-$1-$2.db" -q ;;
  esac
}
check() { # every Expt trial completed
  local n; n=$("$expt" ls --study "$1" --store "store-$1-1.db" --status completed --format csv | tail -n +2 | wc -l)
  [ "$n" = "$trials" ] || { echo "$1: $n of $trials trials completed" >&2; exit 1; }
}

ways=(fork inline fresh command pool forks)
declare -A times
echo "$trials trials, -j 2, $rounds interleaved rounds, $("$python" --version 2>&1), numpy $("$python" -c 'import numpy; print(numpy.__version__)'), $(nproc) cores"
for round in $(seq 1 "$rounds"); do
  for i in "${!ways[@]}"; do
    way="${ways[$(( (i + round) % ${#ways[@]} ))]}"
    times[$way]+="$(run_way "$way" "$round") "
  done
done
for way in fork inline fresh command; do check "$way"; done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
pool=$(echo "${times[pool]}" | median)
[ "$(ls "forks-1" | wc -l)" = "$trials" ] || { echo "forks: not every trial wrote its file" >&2; exit 1; }
printf '%-8s %9s %12s %10s\n' way "median s" "ms/trial" "vs pool"
for way in "${ways[@]}"; do
  m=$(echo "${times[$way]}" | median)
  printf '%-8s %9.2f %12.1f %9.2fx\n' "$way" "$m" "$(echo "$m * 1000 / $trials" | bc -l)" "$(echo "$m / $pool" | bc -l)"
done

# The warm host's own cost: an empty function, one slot, so nothing overlaps.
cat > empty.py <<'PY'
def main(x):
    return {"x": x}
PY
host_run() { # mode trials round
  printf 'name: e%s\npython:\n  function: empty:main\n  mode: %s\n  interpreter: %s\nparams:\n  x: range(%s)\nparallel: 1\n' "$2" "$1" "$python" "$2" > "e$1$2.yaml"
  elapsed "$expt" run "e$1$2.yaml" --store "e$1$2-$3.db" -q
}
for mode in fork inline; do
  one=""; many=""
  for round in $(seq 1 "$rounds"); do one+="$(host_run "$mode" 1 "$round") "; many+="$(host_run "$mode" "$trials" "$round") "; done
  o=$(echo "$one" | median); m=$(echo "$many" | median)
  printf 'warm host, %s, empty function, -j 1: 1 trial %.2f s, %s trials %.2f s: %.1f ms per trial\n' "$mode" "$o" "$trials" "$m" "$(echo "($m - $o) * 1000 / ($trials - 1)" | bc -l)"
done
# What a page fault costs here: fork mode pays one per page a child writes that its parent had (copy on write).
"$python" - <<'PY'
import mmap, time
m = mmap.mmap(-1, 64 << 20)
t = time.perf_counter()
for i in range(0, 64 << 20, 4096):
    m[i] = 1
print("this machine: %.1f us per page fault (bare metal: well under 1 us)" % ((time.perf_counter() - t) * 1e6 / (16 << 10)))
PY
