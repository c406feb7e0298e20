#!/usr/bin/env bash
# Runs every test of Expt and ends with one line: "N passed, N failed, N skipped".
# Needs only the .NET SDK (and python3 for the example-based tests); restores NuGet packages itself.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Debian packages the tests use: python3 (example studies), git (provenance), rsvg-convert (PNG plots),
# PostgreSQL (the shared store's conformance suite and the distributed fault tests), PgBouncer (the same suite through a
# pooler in transaction mode), OpenMPI (the MPI tests),
# Chromium (the dashboard's browser tests, driven by Playwright; its own browser download does not work here).
missing=()
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v rsvg-convert >/dev/null 2>&1 || missing+=(librsvg2-bin)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v mpiexec >/dev/null 2>&1 || missing+=(openmpi-bin)
command -v sbatch >/dev/null 2>&1 || missing+=(slurm-wlm munge)
[[ -x /usr/sbin/pgbouncer ]] || command -v pgbouncer >/dev/null 2>&1 || missing+=(pgbouncer)
[[ -x /usr/bin/chromium ]] || missing+=(chromium chromium-driver)
# Debian's python3 with the libraries Python users bring (the expt package's tests and the Python benchmark use them).
for module in numpy:python3-numpy pandas:python3-pandas scipy:python3-scipy matplotlib:python3-matplotlib psycopg:python3-psycopg; do
  /usr/bin/python3 -c "import ${module%%:*}" >/dev/null 2>&1 || missing+=("${module#*:}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "test.sh: installing ${missing[*]}" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 || echo "test.sh: could not install ${missing[*]}" >&2
fi

echo "== build" >&2
if ! dotnet build Expt.slnx -nologo -v quiet -clp:ErrorsOnly 2>&1 | tee -a "$log"; then
  echo "0 passed, 1 failed"
  exit 1
fi
if grep -q " error " "$log"; then
  echo "0 passed, 1 failed"
  exit 1
fi

results="$(mktemp -d)"
trap 'rm -rf "$log" "$results"' EXIT

# A throwaway PostgreSQL server for this run, in memory, stopped on exit.
pgdir="/dev/shm/expt-test-pg-$$"
[[ -d /dev/shm ]] || pgdir="/tmp/expt-test-pg-$$"
echo "== postgres" >&2
if ! EXPT_TEST_POSTGRES="$(tests/scripts/postgres.sh start "$pgdir")"; then
  echo "test.sh: could not start PostgreSQL" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export EXPT_TEST_POSTGRES EXPT_TEST_POSTGRES_DIR="$pgdir"
trap 'tests/scripts/postgres.sh stop "$pgdir"; rm -rf "$log" "$results"' EXIT

# PgBouncer in transaction mode in front of it (a pool of 20 server connections), stopped on exit.
bouncerdir="$pgdir-bouncer"
echo "== pgbouncer" >&2
if ! EXPT_TEST_PGBOUNCER="$(tests/scripts/pgbouncer.sh start "$bouncerdir" "$pgdir" 20)"; then
  echo "test.sh: could not start PgBouncer" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export EXPT_TEST_PGBOUNCER
trap 'tests/scripts/pgbouncer.sh stop "$bouncerdir"; tests/scripts/postgres.sh stop "$pgdir"; rm -rf "$log" "$results"' EXIT

# A single-node Slurm cluster on localhost for the Slurm tests, stopped on exit.
echo "== slurm" >&2
if ! tests/scripts/slurm.sh start; then
  echo "test.sh: could not start Slurm" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
trap 'tests/scripts/slurm.sh stop; tests/scripts/pgbouncer.sh stop "$bouncerdir"; tests/scripts/postgres.sh stop "$pgdir"; rm -rf "$log" "$results"' EXIT

echo "== test" >&2
dotnet test Expt.slnx --no-build -nologo --logger trx --results-directory "$results" "$@" 2>&1 | tee "$log" | grep -avE "^(Test run for|A total of|Results File:)" >&2
status=${PIPESTATUS[0]}

# Sum the counters of every test assembly's TRX report.
read -r passed failed skipped < <(cat "$results"/*.trx 2>/dev/null | grep -o '<Counters [^>]*>' | awk '
  { for (i = 1; i <= NF; i++) { split($i, kv, "=\""); v = kv[2]; sub(/".*/, "", v);
      if (kv[1] == "passed") p += v; if (kv[1] == "failed" || kv[1] == "error" || kv[1] == "timeout" || kv[1] == "aborted") f += v;
      if (kv[1] == "notExecuted") s += v } }
  END { printf "%d %d %d\n", p, f, s }')
reports=$(ls "$results"/*.trx 2>/dev/null | wc -l)

# The expt Python package's own unittest suite, with Debian's python3 (no network, no install).
echo "== python" >&2
pylog="$results/python.log"
(cd python && /usr/bin/python3 -m unittest discover -s tests -t . >"$pylog" 2>&1)
pystatus=$?
grep -aE "^(FAIL|ERROR):|^Ran |^OK|^FAILED" "$pylog" >&2
read -r ran pyfailed pyskipped < <(awk '
  /^Ran [0-9]+ test/ { r = $2 }
  /^(OK|FAILED)/ { while (match($0, /(failures|errors|skipped)=[0-9]+/)) { kv = substr($0, RSTART, RLENGTH); split(kv, a, "=");
      if (a[1] == "skipped") s += a[2]; else f += a[2]; $0 = substr($0, RSTART + RLENGTH) } }
  END { printf "%d %d %d\n", r, f, s }' "$pylog")
if [[ $pystatus -ne 0 && $pyfailed -eq 0 ]]; then
  pyfailed=1 # the suite did not run to its end: count it
  tail -20 "$pylog" >&2
fi
passed=$((passed + ran - pyfailed - pyskipped))
failed=$((failed + pyfailed))
skipped=$((skipped + pyskipped))
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  failed=1 # the run failed without a failed test (a crash, a hang): count it
fi
if [[ $reports -lt 3 ]]; then
  echo "test.sh: only $reports test assemblies reported results" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $status -eq 0 && $pystatus -eq 0 ]]
