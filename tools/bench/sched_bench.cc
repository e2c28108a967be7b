// tools/bench/sched_bench.cc: the scheduler's event rate, by the hold model.
//
// The classic benchmark for pending-event sets (Jones 1986): keep N events
// pending; each step pops the earliest and schedules one at now + a random
// increment, so the queue size stays N. Here the step is exactly what a run
// does: Scheduler::run_one() pops, advances the clock and calls fire(), and
// fire() reschedules the same intrusive event, as a periodic timer would.
//
// Increments come from a table precomputed with a seeded sim::Rng, so the
// measured loop holds no RNG work (the table is read sequentially and stays
// cheap to stream). Two shapes: exponential (mean 1 us, the textbook hold
// model) and uniform in [1, 2000] ns. Before timing, N warm-up steps bring
// the queue to its steady state (the initial fill is not a hold-model queue).
//
// BM_HoldSplit is the same hold model with the push outside fire(): the loop
// runs the event, then schedules it again, so a queue cannot gain from
// knowing that a push follows a pop (it checks that nothing does).
//
//   bazel run --config=opt //tools/bench:sched_bench
//   ./tools/bench.sh          # the same, with the targets from the issue
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"
#include "tools/bench/hold.h"

namespace {

using sim::bench::Dist;
using sim::bench::Hold;

template <class Q>
const char* name();
template <> const char* name<sim::DaryHeap<4>>() { return "DaryHeap<4>"; }
template <> const char* name<sim::DaryHeap<2>>() { return "DaryHeap<2>"; }
template <> const char* name<sim::BucketHeap>() { return "BucketHeap"; }

template <class Q, Dist kDist, bool kSplit>
void run(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Hold<Q> h(n, kDist, kSplit);
  for (auto _ : state) {
    h.step();
  }
  benchmark::DoNotOptimize(h.sched.now());
  if (h.sched.pending_events() != n) state.SkipWithError("queue size changed");
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(name<Q>());
}

template <class Q, Dist kDist>
void BM_Hold(benchmark::State& state) { run<Q, kDist, false>(state); }
template <class Q, Dist kDist>
void BM_HoldSplit(benchmark::State& state) { run<Q, kDist, true>(state); }

}  // namespace

using sim::DaryHeap;
using sim::BucketHeap;
constexpr Dist kExp = Dist::kExponential;
constexpr Dist kUni = Dist::kUniform;

BENCHMARK_TEMPLATE(BM_Hold, BucketHeap, kExp)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeap<4>, kExp)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeap<2>, kExp)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, BucketHeap, kUni)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeap<4>, kUni)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, DaryHeap<2>, kUni)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_HoldSplit, BucketHeap, kExp)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_HoldSplit, DaryHeap<4>, kExp)->Arg(1000)->Arg(1000000);

BENCHMARK_MAIN();
