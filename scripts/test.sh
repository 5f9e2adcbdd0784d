#!/usr/bin/env bash
# Runs the whole Renmai test suite on a fresh Debian machine with the .NET 10 SDK:
# installs what the tests need (Chromium, CJK fonts, PostgreSQL, an SMTP server), starts a
# throwaway PostgreSQL cluster on loopback, runs every test project, and prints one summary line
#   tests: N passed, N failed
# Exit code is non-zero when anything failed or no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

need=()
# libreoffice-calc-nogui: the import tests convert csv to xlsx with a real LibreOffice.
for pkg in chromium fonts-noto-cjk postgresql unicode-data libreoffice-calc-nogui; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need[@]}" >/dev/null || { echo "apt-get install failed"; exit 1; }
fi

# A private PostgreSQL cluster, trust auth on 127.0.0.1 only, removed afterwards.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PG_DIR=$(mktemp -d /tmp/renmai-pg.XXXXXX)
PG_PORT=${RENMAI_TEST_PG_PORT:-$(( 56000 + RANDOM % 2000 ))}
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_DIR"; RUN_AS=(runuser -u postgres --); fi
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null || { echo "initdb failed"; exit 1; }
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" start >/dev/null \
  || { cat "$PG_DIR/log"; echo "PostgreSQL did not start"; exit 1; }
stop_pg() { "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PG_DIR"; }
trap stop_pg EXIT
export RENMAI_TEST_PG="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20"

RESULTS="$ROOT/artifacts/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
dotnet build Renmai.slnx -c Release -nologo -v q 2>&1 | grep -E "error|Warn|Elapsed" ; build=${PIPESTATUS[0]}
if [ "$build" -ne 0 ]; then echo "build failed"; echo "tests: 0 passed, 1 failed"; exit 1; fi

status=0
for project in tests/Renmai.Tests tests/Renmai.BrowserTests; do
  name=$(basename "$project")
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" --results-directory "$RESULTS" \
    > "$RESULTS/$name.log" 2>&1 || status=1
  grep -E "^  Failed |^  Skipped |Total tests|Passed!|Failed!| error " "$RESULTS/$name.log" | tail -40
  # Why each failed test failed (its message and the top of its stack), so a CI log alone explains a red run.
  awk '/^  Failed /{n=14} n>0{print "    | " $0; n--}' "$RESULTS/$name.log" | head -120
done

# Sum the counters of every TRX file; a missing TRX means a project did not run.
passed=0; failed=0; skipped=0
for project in tests/Renmai.Tests tests/Renmai.BrowserTests; do
  trx="$RESULTS/$(basename "$project").trx"
  if [ ! -f "$trx" ]; then echo "no results for $project"; failed=$((failed + 1)); continue; fi
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  skipped=$((skipped + $(get notExecuted)))
done
[ "$passed" -eq 0 ] && status=1
[ "$failed" -ne 0 ] && status=1
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
