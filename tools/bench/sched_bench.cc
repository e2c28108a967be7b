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
//   bazel run --config=opt //tools/bench:sched_bench
//   ./tools/bench.sh          # the same, with the targets from the issue
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"

namespace {

constexpr uint32_t kTableBits = 16;
constexpr uint32_t kTableMask = (1u << kTableBits) - 1;

enum class Dist { kExponential, kUniform };

// 64 Ki increments in ns, >= 1 so time always moves (equal times would also
// be legal; they are just not what the hold model measures).
std::vector<int64_t> make_increments(Dist dist) {
  sim::Rng rng = sim::Rng::stream(42, dist == Dist::kExponential ? "bench/exp" : "bench/uni");
  std::vector<int64_t> v(kTableMask + 1);
  for (int64_t& x : v) {
    if (dist == Dist::kExponential) {
      // Inverse transform of a 53-bit uniform in (0, 1]; doubles are fine
      // here: the table is built once and only its shape matters.
      const double u = (static_cast<double>(rng.next() >> 11) + 1.0) * 0x1p-53;
      x = 1 + static_cast<int64_t>(-std::log(u) * 1000.0);
    } else {
      x = rng.between(1, 2000);
    }
  }
  return v;
}

template <int D>
struct Hold {
  using Scheduler = sim::BasicScheduler<sim::DaryHeap<D>>;

  struct Ev final : sim::Event {
    Scheduler* sched = nullptr;
    Hold* hold = nullptr;
    void fire() override {
      sched->schedule(*this, sched->now() + sim::ns(hold->inc[hold->cursor++ & kTableMask]));
    }
  };

  Scheduler sched;
  std::vector<int64_t> inc;
  uint32_t cursor = 0;
  std::unique_ptr<Ev[]> events;

  Hold(size_t n, Dist dist) : inc(make_increments(dist)), events(new Ev[n]) {
    sched.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      events[i].sched = &sched;
      events[i].hold = this;
      sched.schedule(events[i], sched.now() + sim::ns(inc[cursor++ & kTableMask]));
    }
    for (size_t i = 0; i < n; ++i) sched.run_one();  // warm up to steady state
  }
};

template <int D, Dist kDist>
void BM_Hold(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  Hold<D> h(n, kDist);
  for (auto _ : state) {
    h.sched.run_one();
  }
  benchmark::DoNotOptimize(h.sched.now());
  if (h.sched.pending_events() != n) state.SkipWithError("queue size changed");
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(D == 4 ? "DaryHeap<4>" : "DaryHeap<2>");
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Hold, 4, Dist::kExponential)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, 2, Dist::kExponential)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, 4, Dist::kUniform)->Arg(1000)->Arg(1000000);
BENCHMARK_TEMPLATE(BM_Hold, 2, Dist::kUniform)->Arg(1000)->Arg(1000000);

BENCHMARK_MAIN();
