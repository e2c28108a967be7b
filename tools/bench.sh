#!/usr/bin/env bash
# Builds the benchmarks with -c opt and runs them, then prints each figure
# beside the target from the issue (events/s, the median of 3 repetitions):
#   hold model, 1k pending   >= 20 M events/s
#   hold model, 1M pending   >=  5 M events/s
# Extra arguments go to Google Benchmark (e.g. --benchmark_filter=1000000).
# The machine is shared: figures move with the load; compare medians.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bazel build --config=opt //tools/bench:sched_bench >/tmp/skbsim-bench-build.$$.log 2>&1 || {
  cat /tmp/skbsim-bench-build.$$.log >&2; rm -f /tmp/skbsim-bench-build.$$.log; exit 1; }
rm -f /tmp/skbsim-bench-build.$$.log
out=$(mktemp /tmp/skbsim-bench.XXXXXX.json)
trap 'rm -f "$out"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$root/bazel-bin/tools/bench/sched_bench" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_out="$out" \
  --benchmark_out_format=json "$@" >/dev/null
python3 - "$out" <<'PY'
import json, sys
targets = {1000: 20e6, 1000000: 5e6}
rows = json.load(open(sys.argv[1]))["benchmarks"]
print(f"{'benchmark':44} {'events/s':>12} {'target':>10} {'ratio':>6}")
for b in rows:
    if b.get("aggregate_name") != "median":
        continue
    name = b["run_name"]
    n = int(name.rsplit("/", 1)[1])
    rate = b["events/s"]
    t = targets.get(n)
    ratio = f"{rate / t:6.2f}" if t else "     -"
    flag = "" if not t or rate >= t else "  below target"
    print(f"{name:44} {rate / 1e6:10.2f} M {t / 1e6 if t else 0:8.0f} M {ratio}{flag}")
PY
