#!/usr/bin/env bash
# Fuzzes the parsers a user's files reach (safetensors + configuration, IDX, gzip, .npy, PNG,
# JPEG) with libFuzzer and AddressSanitizer, for RUNS inputs each (default 1,000,000), two
# targets at a time, then merges what was found into the kept corpus Fuzz/corpus/TARGET/
# (minimised: only inputs that add coverage). Crashing inputs are copied to Fuzz/crashers/TARGET/,
# which the tests replay, and the script fails.
#
#     bash scripts/fuzz.sh                     # every target, 1,000,000 inputs each
#     bash scripts/fuzz.sh png jpeg            # some targets
#     RUNS=20000 bash scripts/fuzz.sh gzip     # a quick look
#
# Logs go to .build-fuzz/logs/TARGET.log; the summary lines to stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash scripts/setup.sh >/dev/null
runs="${RUNS:-1000000}"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors idx gzip npy png jpeg)
scratch=.build-fuzz
mkdir -p "$scratch/logs" "$scratch/seeds"

# Seeds come from the library's own writers (a plain build of gk-fuzz).
swift build --product gk-fuzz >/dev/null
rm -rf "$scratch/seeds"
"$(swift build --show-bin-path)/gk-fuzz" seeds "$scratch/seeds"

echo "building gk-fuzz with libFuzzer and AddressSanitizer (first time: several minutes)"
# Release: the optimised Swift runs some 100 times faster under ASan than a debug build.
swift build -c release --scratch-path "$scratch" --product gk-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING >"$scratch/logs/build.log" 2>&1 ||
  { tail -30 "$scratch/logs/build.log"; exit 1; }
fuzzer="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/gk-fuzz"

run_target() {
  local target="$1" work="$scratch/work/$1"
  rm -rf "$work" && mkdir -p "$work/new" "$work/artifacts" "Fuzz/corpus/$target"
  local start=$SECONDS status=0
  # -rss_limit_mb: a parser that allocates from a file's claims fails here; -timeout: one that hangs.
  GK_FUZZ_TARGET="$target" "$fuzzer" -runs="$runs" -max_len=65536 -rss_limit_mb=2048 -timeout=20 \
    -seed=1 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/new" "Fuzz/corpus/$target" "$scratch/seeds/$target" >"$scratch/logs/$target.log" 2>&1 || status=$?
  local seconds=$((SECONDS - start))
  # Keep a minimal corpus: the inputs that add coverage to what is kept already.
  GK_FUZZ_TARGET="$target" "$fuzzer" -merge=1 -max_len=65536 "Fuzz/corpus/$target" "$work/new" "$scratch/seeds/$target" \
    >>"$scratch/logs/$target.log" 2>&1 || true
  local executed coverage crashers
  executed=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/logs/$target.log" | tail -1 | awk '{print $2}')
  coverage=$(grep -o 'cov: [0-9]*' "$scratch/logs/$target.log" | tail -1 | awk '{print $2}')
  crashers=$(find "$work/artifacts" -type f | wc -l)
  if [ "$crashers" -gt 0 ]; then
    mkdir -p "Fuzz/crashers/$target"
    cp "$work/artifacts"/* "Fuzz/crashers/$target/"
  fi
  echo "$target: ${executed:-0} inputs in ${seconds} s, coverage ${coverage:-?} edges, corpus $(ls "Fuzz/corpus/$target" | wc -l) files, crashers $crashers (exit $status)"
  [ "$status" -eq 0 ] && [ "$crashers" -eq 0 ]
}

failed=0
pids=()
for target in "${targets[@]}"; do
  run_target "$target" &
  pids+=($!)
  if [ ${#pids[@]} -eq 2 ]; then
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    pids=()
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
exit $failed
