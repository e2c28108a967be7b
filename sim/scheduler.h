// sim/scheduler.h: the one deterministic event loop of a simulation.
//
// A Scheduler owns the virtual clock. Events are intrusive (see
// event_queue.h): the model embeds them in its objects (a timer in a socket,
// a completion in a NIC queue), so running the simulation allocates nothing
// per event. There is no global scheduler: every Simulation has its own, so
// two runs fit in one process.
//
//   struct Hello : sim::Event { void fire() override { ... } } hello;
//   sim::Scheduler s;
//   s.schedule(hello, sim::Time::zero() + sim::us(5));
//   s.run_until(sim::Time::zero() + sim::sec(1));
#pragma once

#include <cstdint>

#include "sim/event_queue.h"
#include "sim/time.h"

namespace sim {

template <class Queue>
class BasicScheduler {
 public:
  Time now() const { return now_; }
  uint64_t events_executed() const { return executed_; }
  size_t pending_events() const { return queue_.size(); }

  // Schedules `e` at `at` (not before now). A pending event is moved: it
  // then runs after every event already scheduled for `at`, as if new.
  void schedule(Event& e, Time at) {
    assert(at >= now_ && "an event cannot be scheduled in the past");
    const EventKey k{at, next_seq_++};
    if (e.pending()) {
      queue_.update(&e, k);  // the queue sets the key: it may need the old one
    } else {
      e.key_ = k;
      queue_.push(&e);
    }
  }
  void schedule_in(Event& e, Duration d) { schedule(e, now_ + d); }

  // Virtual events: a model that can tell an event would have no effect
  // when it fires may skip scheduling it, but still take the key it would
  // have had (reserve_key), so that it can later schedule it after all
  // (schedule_key) in exactly its original place among the other events,
  // or ask whether it would already have run (has_run). nic_model/pcie.cc
  // uses this for the read completions that only return a tag.
  EventKey reserve_key(Time at) {
    assert(at >= now_ && "an event cannot be scheduled in the past");
    return EventKey{at, next_seq_++};
  }
  void schedule_key(Event& e, EventKey k) {
    assert(!e.pending() && pos_ < k && "a reserved key must still be ahead");
    e.key_ = k;
    queue_.push(&e);
  }
  // Whether an event with key `k` would have run by now: it is at or before
  // the event running (or the last one run, or the last run_until's stop).
  bool has_run(EventKey k) const { return !(pos_ < k); }

  // Removes a pending event; does nothing if it is not pending.
  void cancel(Event& e) {
    if (e.pending()) queue_.erase(&e);
  }

  // Runs the earliest event; false when none is left.
  bool run_one() {
    if (queue_.empty()) return false;
    Event* e = queue_.pop();
    now_ = e->key_.when;
    pos_ = e->key_;
    ++executed_;
    e->fire();
    return true;
  }

  // Runs every event due at or before `stop`, then leaves the clock at
  // `stop`. Returns early (clock at the last event) if request_stop() is
  // called from inside an event.
  void run_until(Time stop) {
    stop_requested_ = false;
    while (!queue_.empty() && !(stop < queue_.top_key().when)) {
      run_one();
      if (stop_requested_) return;
    }
    // Everything due by `stop` has run, including any virtual event.
    if (now_ <= stop) {
      now_ = stop;
      pos_ = EventKey{stop, UINT64_MAX};
    }
  }

  // Earliest pending time, or Time::max() when nothing is pending.
  Time next_time() const { return queue_.empty() ? Time::max() : queue_.top_key().when; }

  void request_stop() { stop_requested_ = true; }
  void reserve(size_t n) { queue_.reserve(n); }

 private:
  Queue queue_;
  Time now_ = Time::zero();
  EventKey pos_;  // the key of the event running or last run (see has_run)
  uint64_t next_seq_ = 0;
  uint64_t executed_ = 0;
  bool stop_requested_ = false;
};

// BucketHeap: a 4-ary heap for the near future and time buckets beyond it;
// as fast as DaryHeap<4> when few events are pending and ~3x faster with a
// million (tools/bench.sh).
using Scheduler = BasicScheduler<BucketHeap>;

}  // namespace sim
