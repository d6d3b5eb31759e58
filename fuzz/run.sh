#!/usr/bin/env bash
# Runs every fuzz target of driftless for a bounded time and prints, per
# target, the executions done and the crashes found.
#
#   fuzz/run.sh            # 60 seconds per target
#   fuzz/run.sh 600        # ten minutes per target
#   fuzz/run.sh 30 ledger_rows split_statements   # only these targets
#
# Works on stable Rust: cargo-fuzz's coverage instrumentation needs no
# sanitizer (`-s none`), and RUSTC_BOOTSTRAP=1 lets stable rustc accept the
# one unstable flag cargo-fuzz passes. Needs `cargo install cargo-fuzz` and a
# C++ compiler (libFuzzer is built from source by libfuzzer-sys).
#
# Each target starts from its committed seeds in fuzz/corpus/<target>/ (the
# statement splitter also from every .sql fixture of the project) and
# writes what it learns to fuzz/target/corpus/<target>/ (not committed).
# Crashing inputs land in fuzz/artifacts/<target>/; reproduce one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> fuzz/artifacts/<target>/crash-…
# and commit it to fuzz/corpus/<target>/ with the fix, so that the normal
# test suite (tests/e2e/fuzz_corpus.rs) replays it from then on.
set -uo pipefail
cd "$(dirname "$0")"

seconds=${1:-60}
shift || true
case $seconds in
  '' | *[!0-9]*) echo "usage: fuzz/run.sh [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
all_targets=(snapshot_json config_toml migration_files split_statements ledger_rows)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

if ! command -v cargo-fuzz >/dev/null; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
  exit 2
fi
export RUSTC_BOOTSTRAP=1
echo "building the fuzz targets (release, coverage instrumentation, no sanitizer)"
logs=target/fuzz-logs
mkdir -p "$logs"
cargo fuzz build -s none -O >"$logs/build.log" 2>&1 || { cat "$logs/build.log" >&2; echo "build failed" >&2; exit 2; }
bin=target/$(rustc -vV | sed -n 's/^host: //p')/release
printf '\n%-18s %12s %8s %10s %s\n' target executions crashes corpus seconds
failed=0
for t in "${targets[@]}"; do
  work=target/corpus/$t
  mkdir -p "$work" "artifacts/$t"
  if [ "$t" = split_statements ]; then
    # The project's own SQL fixtures seed the splitter from where they live.
    find ../examples ../crates -path '*/target' -prune -o -name '*.sql' -type f -print \
      | while read -r f; do cp "$f" "$work/fixture_$(printf '%s' "$f" | tr '/.' '__')"; done
  fi
  marker=$logs/$t.start
  touch "$marker"
  # -fork keeps going after a crash, so one run reports every crash it finds.
  "$bin/$t" "$work" "corpus/$t" \
    -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -rss_limit_mb=2048 -timeout=10 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1
  new_crashes=$(find "artifacts/$t" -type f -newer "$marker")
  crashes=$(printf '%s' "$new_crashes" | grep -c . || true)
  # With -fork, libFuzzer's summary lines read "#<execs>: cov: … corp: <n>/…".
  execs=$(grep -oE '^#[0-9]+' "$logs/$t.log" | tail -n 1 | tr -d '#')
  corpus=$(find "$work" -type f | wc -l)
  printf '%-18s %12s %8s %10s %s\n' "$t" "${execs:-0}" "$crashes" "$corpus" "$seconds"
  if [ "$crashes" -gt 0 ]; then
    failed=1
    printf '%s\n' "$new_crashes" | sed 's|^|    crash: fuzz/|'
  fi
done
echo
echo "logs: fuzz/$logs/"
exit $failed
