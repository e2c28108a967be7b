// sim/event_queue.h: the priority queues the Scheduler can run on.
//
// An Event is intrusive: it carries its own key (time, insertion sequence)
// and its position in the queue, so scheduling allocates nothing and
// cancelling or moving an event costs O(log n). Ties in time are broken by
// the insertion sequence, so events at the same instant run in the order they
// were scheduled (the ns-3 rule), on every machine.
//
// Two implementations share one interface (push, pop, erase, update, top,
// size) and the same tests:
//   DaryHeap<4>  the default: a 4-ary implicit heap whose slots hold the key
//                inline, so sifting compares without touching event memory;
//   DaryHeap<2>  the textbook binary heap;
//   ReferenceQueue (tests only) a std::set, obviously correct.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace sim {

class Event;

// The ordering key: earlier time first, then earlier insertion.
struct EventKey {
  Time when;
  uint64_t seq = 0;
  friend bool operator<(const EventKey& a, const EventKey& b) {
    return a.when < b.when || (a.when == b.when && a.seq < b.seq);
  }
};

class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  bool pending() const { return pos_ >= 0; }
  Time when() const { return key_.when; }

  // Called by the Scheduler when the event's time comes. The event is no
  // longer pending when this runs, so it may schedule itself again.
  virtual void fire() = 0;

 protected:
  ~Event() = default;

 private:
  template <int D> friend class DaryHeap;
  friend class ReferenceQueue;
  template <class Q> friend class BasicScheduler;
  EventKey key_;
  int32_t pos_ = -1;  // slot in the queue, -1 when not queued
};

template <int D>
class DaryHeap {
  static_assert(D >= 2);

 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Event* top() const { return heap_.front().ev; }
  const EventKey& top_key() const { return heap_.front().key; }

  void push(Event* e) {
    heap_.push_back(Slot{e->key_, e});
    sift_up(heap_.size() - 1);
  }

  Event* pop() {
    Event* e = heap_.front().ev;
    e->pos_ = -1;
    Slot last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      heap_[0] = last;
      sift_down(0);
    }
    return e;
  }

  void erase(Event* e) {
    size_t i = static_cast<size_t>(e->pos_);
    e->pos_ = -1;
    Slot last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;  // it was the last slot
    heap_[i] = last;
    fix(i);
  }

  // The event's key changed while queued.
  void update(Event* e) {
    size_t i = static_cast<size_t>(e->pos_);
    heap_[i].key = e->key_;
    fix(i);
  }

  void reserve(size_t n) { heap_.reserve(n); }

 private:
  struct Slot {
    EventKey key;
    Event* ev;
  };

  void fix(size_t i) {
    if (i > 0 && heap_[i].key < heap_[(i - 1) / D].key)
      sift_up(i);
    else
      sift_down(i);
  }

  void sift_up(size_t i) {
    Slot s = heap_[i];
    while (i > 0) {
      size_t parent = (i - 1) / D;
      if (!(s.key < heap_[parent].key)) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, s);
  }

  void sift_down(size_t i) {
    Slot s = heap_[i];
    const size_t n = heap_.size();
    for (;;) {
      size_t first = i * D + 1;
      if (first >= n) break;
      size_t best = first;
      size_t end = first + D < n ? first + D : n;
      for (size_t c = first + 1; c < end; ++c)
        if (heap_[c].key < heap_[best].key) best = c;
      if (!(heap_[best].key < s.key)) break;
      place(i, heap_[best]);
      i = best;
    }
    place(i, s);
  }

  void place(size_t i, const Slot& s) {
    heap_[i] = s;
    s.ev->pos_ = static_cast<int32_t>(i);
  }

  std::vector<Slot> heap_;
};

}  // namespace sim
