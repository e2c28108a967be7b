// Scheduler and event-queue tests, run against every queue implementation:
// the bucket heap, the 4-ary heap, the binary heap, and a std::set reference.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"
#include "sim/timer.h"
#include "tests/reference_queue.h"

using namespace sim;

namespace {

template <class Q>
struct Recorder final : Event {
  std::vector<int>* log = nullptr;
  int id = 0;
  void fire() override { log->push_back(id); }
};

Time at(int64_t ns_) { return Time::zero() + ns(ns_); }

}  // namespace

TEMPLATE_TEST_CASE("events run in time order, ties in insertion order", "[sim][scheduler]",
                   BucketHeap, DaryHeap<4>, DaryHeap<2>, ReferenceQueue) {
  BasicScheduler<TestType> s;
  std::vector<int> log;
  std::vector<Recorder<TestType>> ev(6);
  for (int i = 0; i < 6; ++i) {
    ev[i].log = &log;
    ev[i].id = i;
  }
  s.schedule(ev[0], at(30));
  s.schedule(ev[1], at(10));
  s.schedule(ev[2], at(20));
  s.schedule(ev[3], at(10));  // same time as ev[1], scheduled later: runs after it
  s.schedule(ev[4], at(10));
  s.schedule(ev[5], at(0));
  s.run_until(at(100));
  CHECK(log == std::vector<int>{5, 1, 3, 4, 2, 0});
  CHECK(s.now() == at(100));
  CHECK(s.events_executed() == 6);
}

TEMPLATE_TEST_CASE("cancel and reschedule", "[sim][scheduler]", BucketHeap, DaryHeap<4>,
                   DaryHeap<2>, ReferenceQueue) {
  BasicScheduler<TestType> s;
  std::vector<int> log;
  std::vector<Recorder<TestType>> ev(4);
  for (int i = 0; i < 4; ++i) {
    ev[i].log = &log;
    ev[i].id = i;
    s.schedule(ev[i], at(10 * (i + 1)));
  }
  s.cancel(ev[1]);
  CHECK_FALSE(ev[1].pending());
  s.cancel(ev[1]);  // cancelling twice is harmless
  s.schedule(ev[0], at(35));  // moved later: now runs after ev[2]
  s.schedule(ev[3], at(35));  // same time as ev[0], rescheduled after it
  CHECK(s.pending_events() == 3);
  s.run_until(at(34));
  CHECK(log == std::vector<int>{2});
  CHECK(s.now() == at(34));
  s.run_until(at(100));
  CHECK(log == std::vector<int>{2, 0, 3});
}

TEMPLATE_TEST_CASE("run_until leaves later events pending", "[sim][scheduler]", BucketHeap,
                   DaryHeap<4>, DaryHeap<2>, ReferenceQueue) {
  BasicScheduler<TestType> s;
  std::vector<int> log;
  Recorder<TestType> a, b;
  a.log = b.log = &log;
  a.id = 1;
  b.id = 2;
  s.schedule(a, at(50));
  s.schedule(b, at(51));
  s.run_until(at(50));  // an event exactly at the stop time runs
  CHECK(log == std::vector<int>{1});
  CHECK(b.pending());
  CHECK(s.next_time() == at(51));
}

// Many random operations; every queue must produce the same firing order.
template <class Q>
std::vector<int> random_workload(uint64_t seed) {
  BasicScheduler<Q> s;
  std::vector<int> log;
  std::vector<Recorder<Q>> ev(200);
  Rng rng(seed);
  for (int i = 0; i < 200; ++i) {
    ev[i].log = &log;
    ev[i].id = i;
  }
  for (int round = 0; round < 2000; ++round) {
    auto& e = ev[rng.below(200)];
    switch (rng.below(4)) {
      case 0:
      case 1:
        s.schedule(e, s.now() + ns(static_cast<int64_t>(rng.below(50))));
        break;
      case 2:
        s.cancel(e);
        break;
      case 3:
        s.run_one();
        break;
    }
  }
  s.run_until(Time::max());
  return log;
}

TEST_CASE("all queue implementations agree on a random workload", "[sim][scheduler]") {
  for (uint64_t seed : {1u, 2u, 3u, 42u}) {
    auto ref = random_workload<ReferenceQueue>(seed);
    CHECK(random_workload<BucketHeap>(seed) == ref);
    CHECK(random_workload<DaryHeap<4>>(seed) == ref);
    CHECK(random_workload<DaryHeap<2>>(seed) == ref);
    CHECK(ref.size() > 500);
  }
}

// A heap deep enough that sifting crosses DaryHeap's cached-levels boundary
// (16384 slots), where child selection switches from conditional moves to
// branches: both halves must keep the exact (time, seq) order, ties included.
template <class Q>
std::vector<int> large_workload(uint64_t seed) {
  constexpr int kEvents = 50000;
  BasicScheduler<Q> s;
  std::vector<int> log;
  std::vector<Recorder<Q>> ev(kEvents);
  Rng rng(seed);
  for (int i = 0; i < kEvents; ++i) {
    ev[i].log = &log;
    ev[i].id = i;
    // Few distinct times: many ties, decided by insertion order.
    s.schedule(ev[i], s.now() + ns(static_cast<int64_t>(rng.below(1000))));
  }
  for (int round = 0; round < 60000; ++round) {
    auto& e = ev[rng.below(kEvents)];
    switch (rng.below(5)) {
      case 0: s.schedule(e, s.now() + ns(static_cast<int64_t>(rng.below(1000)))); break;
      case 1: s.cancel(e); break;
      default: s.run_one(); break;
    }
  }
  s.run_until(Time::max());
  return log;
}

TEST_CASE("all queue implementations agree on a large heap", "[sim][scheduler]") {
  auto ref = large_workload<ReferenceQueue>(7);
  CHECK(large_workload<BucketHeap>(7) == ref);
  CHECK(large_workload<DaryHeap<4>>(7) == ref);
  CHECK(large_workload<DaryHeap<2>>(7) == ref);
  CHECK(ref.size() > 40000);
}

// BucketHeap in bucket mode (more than its 8192-slot plain-heap limit):
// times spread over many orders of magnitude (empty buckets, far_ split
// again and again, events falling before the horizon), ties with now, and
// enough cancels and reschedules to compact. Every queue must agree with the
// reference, pending() and the pending count included.
template <class Q>
std::vector<int> spread_workload(uint64_t seed) {
  constexpr int kEvents = 30000;
  BasicScheduler<Q> s;
  std::vector<int> log;
  std::vector<Recorder<Q>> ev(kEvents);
  Rng rng(seed);
  auto delay = [&] {
    switch (rng.below(4)) {
      case 0: return ns(0);  // a tie with now
      case 1: return ns(static_cast<int64_t>(rng.below(100)));
      case 2: return ns(static_cast<int64_t>(rng.below(1000000)));
      default: return ns(static_cast<int64_t>(rng.below(1u << 30)) << rng.below(20));
    }
  };
  for (int i = 0; i < kEvents; ++i) {
    ev[i].log = &log;
    ev[i].id = i;
    s.schedule(ev[i], s.now() + delay());
  }
  size_t pending = kEvents;
  for (int round = 0; round < 200000; ++round) {
    auto& e = ev[rng.below(kEvents)];
    switch (rng.below(8)) {
      case 0:
      case 1:
        pending += !e.pending();
        s.schedule(e, s.now() + delay());
        break;
      case 2:
        pending -= e.pending();
        s.cancel(e);
        CHECK_FALSE(e.pending());
        break;
      default:
        if (s.run_one()) --pending;
        break;
    }
    if (s.pending_events() != pending)
      FAIL("pending_events() " << s.pending_events() << " != " << pending << " at round " << round);
  }
  CHECK(std::count_if(ev.begin(), ev.end(), [](const auto& e) { return e.pending(); }) ==
        static_cast<std::ptrdiff_t>(pending));
  // An event at the very end of time sorts last and is not lost.
  s.schedule(ev[0], Time::max());
  s.run_until(Time::max());
  CHECK(s.pending_events() == 0);
  CHECK(log.back() == 0);
  return log;
}

TEST_CASE("all queue implementations agree on a spread-out workload", "[sim][scheduler]") {
  for (uint64_t seed : {5u, 6u}) {
    auto ref = spread_workload<ReferenceQueue>(seed);
    CHECK(spread_workload<BucketHeap>(seed) == ref);
    CHECK(spread_workload<DaryHeap<4>>(seed) == ref);
    CHECK(spread_workload<DaryHeap<2>>(seed) == ref);
    CHECK(ref.size() > 60000);
  }
}

// BucketHeap retires cancelled slots lazily, by key, without reading the
// event: an owner may free an event right after cancelling it (under ASan,
// a read of a stale slot's event would be caught).
TEMPLATE_TEST_CASE("events may be destroyed once cancelled", "[sim][scheduler]", BucketHeap,
                   DaryHeap<4>, DaryHeap<2>, ReferenceQueue) {
  BasicScheduler<TestType> s;
  std::vector<int> log;
  std::vector<std::unique_ptr<Recorder<TestType>>> ev;
  for (int i = 0; i < 20000; ++i) {
    ev.push_back(std::make_unique<Recorder<TestType>>());
    ev.back()->log = &log;
    ev.back()->id = i;
    s.schedule(*ev.back(), at(i % 977));
  }
  // Destroy every even event after cancelling it, the earliest included.
  for (int i = 0; i < 20000; i += 2) {
    s.cancel(*ev[i]);
    ev[i].reset();
  }
  CHECK(s.pending_events() == 10000);
  s.run_until(at(500));
  for (int i = 1; i < 20000; i += 2) {
    if (i % 977 > 500) {
      s.schedule(*ev[i], at(600));  // rescheduled, then cancelled and freed
      s.cancel(*ev[i]);
      ev[i].reset();
    }
  }
  s.run_until(Time::max());
  CHECK(s.pending_events() == 0);
  std::vector<int> expect;
  for (int t = 0; t <= 500; ++t)
    for (int i = t; i < 20000; i += 977)
      if (i % 2 == 1) expect.push_back(i);
  CHECK(log == expect);
}

namespace {
struct Owner {
  Scheduler* s;
  Timer t;
  std::vector<int64_t> fired;
  void expire() { fired.push_back(s->now().ns()); }
};
}  // namespace

TEST_CASE("kernel-style timers: mod, del, pending, re-arm from the callback", "[sim][timer]") {
  Scheduler s;
  Owner o{&s, {}, {}};
  o.t.setup<&Owner::expire>(&o);
  CHECK_FALSE(o.t.pending());
  o.t.mod(s, at(100));
  CHECK(o.t.pending());
  CHECK(o.t.expires() == at(100));
  o.t.mod(s, at(200));  // mod_timer on a pending timer moves it
  s.run_until(at(150));
  CHECK(o.fired.empty());
  CHECK(o.t.del(s));        // del_timer returns 1 for a pending timer
  CHECK_FALSE(o.t.del(s));  // and 0 after
  s.run_until(at(300));
  CHECK(o.fired.empty());
  o.t.mod(s, at(400));
  s.run_until(at(1000));
  CHECK(o.fired == std::vector<int64_t>{400});
}

TEST_CASE("timer wheel granularity follows kernel/time/timer.c", "[sim][timer]") {
  // Level 0 (delta < 63 jiffies): fires one jiffy after expiry.
  CHECK(timer_wheel_expiry(1000, 1001) == 1002);
  CHECK(timer_wheel_expiry(1000, 1050) == 1051);
  // Level 1 (63 <= delta < 504): 8-jiffy granularity, rounded up.
  CHECK(timer_wheel_expiry(0, 63) == 64);
  CHECK(timer_wheel_expiry(0, 100) == 104);
  CHECK(timer_wheel_expiry(0, 104) == 112);
  // Level 2 (504 <= delta < 4032): 64 jiffies.
  CHECK(timer_wheel_expiry(0, 1000) == 1024);
  // A 30 s timer at HZ=250 (7500 jiffies) lands on level 3: 512 jiffies.
  CHECK(timer_wheel_expiry(0, 7500) == 7680);
  Jiffies j{250};
  CHECK(j.tick() == ms(4));
  CHECK(j.from_duration(ms(200)) == 50);
  CHECK(j.from_duration(ms(1)) == 1);  // msecs_to_jiffies rounds up
}
