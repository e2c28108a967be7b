// tools/bench/hold.h: the hold model, shared by sched_bench (time) and
// sched_count (instructions under callgrind). See sched_bench.cc.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"

namespace sim::bench {

constexpr uint32_t kTableBits = 16;
constexpr uint32_t kTableMask = (1u << kTableBits) - 1;

enum class Dist { kExponential, kUniform };

// 64 Ki increments in ns, >= 1 so time always moves (equal times would also
// be legal; they are just not what the hold model measures).
inline std::vector<int64_t> make_increments(Dist dist) {
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

// N events pending; step() runs the earliest, which schedules itself again
// at now + the next increment: from inside fire(), or (split) from the loop
// after run_one() returns.
template <class Queue>
struct Hold {
  using Scheduler = sim::BasicScheduler<Queue>;

  struct Ev final : sim::Event {
    Hold* hold = nullptr;
    void fire() override {
      if (hold->split)
        hold->fired = this;
      else
        hold->reschedule(*this);
    }
  };

  Scheduler sched;
  std::vector<int64_t> inc;
  uint32_t cursor = 0;
  bool split;
  Ev* fired = nullptr;
  std::unique_ptr<Ev[]> events;

  void reschedule(Ev& e) { sched.schedule(e, sched.now() + sim::ns(inc[cursor++ & kTableMask])); }

  void step() {
    sched.run_one();
    if (split) reschedule(*fired);
  }

  Hold(size_t n, Dist dist, bool split_push) : inc(make_increments(dist)), split(split_push), events(new Ev[n]) {
    sched.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      events[i].hold = this;
      reschedule(events[i]);
    }
    for (size_t i = 0; i < n; ++i) step();  // warm up to steady state
  }
};

}  // namespace sim::bench
