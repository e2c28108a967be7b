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
  EventKey top_key() const { return heap_.front().key(); }

  void push(Event* e) {
    heap_.push_back(Slot::make(e));
    sift_up(heap_.size() - 1);
  }

  Event* pop() {
    Slot* h = heap_.data();
    Event* e = h[0].ev;
    e->pos_ = -1;
    const size_t n = heap_.size() - 1;  // size after the pop
    const Slot last = h[n];
    heap_.pop_back();
    if (n == 0) return e;
    h[0] = last;
    sift_down(0);
    // The next event to run is now known: start fetching it (its vtable
    // pointer and key are read when it fires), overlapping the caller's work.
    __builtin_prefetch(h[0].ev);
    return e;
  }

  void erase(Event* e) {
    const size_t i = static_cast<size_t>(e->pos_);
    e->pos_ = -1;
    const Slot last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;  // it was the last slot
    place(heap_.data(), i, last);
    fix(i);
  }

  // The event's key changed while queued.
  void update(Event* e) {
    const size_t i = static_cast<size_t>(e->pos_);
    heap_[i] = Slot::make(e);
    fix(i);
  }

  void reserve(size_t n) { heap_.reserve(n); }

 private:
  // A slot holds the key inline (so sifting compares without touching event
  // memory) as two words: the time with its sign bit flipped, so unsigned
  // order is signed order, and the sequence. Compared as one 128-bit
  // unsigned integer, that is exactly EventKey's (time, seq) order, and it
  // compiles to a compare-and-borrow pair without branches.
  struct Slot {
    uint64_t seq;
    uint64_t when;  // Time::ns() ^ 2^63
    Event* ev;

    static Slot make(Event* e) {
      return Slot{e->key_.seq, static_cast<uint64_t>(e->key_.when.ns()) ^ (1ull << 63), e};
    }
    unsigned __int128 packed() const {
      return (static_cast<unsigned __int128>(when) << 64) | seq;
    }
    bool before(const Slot& o) const { return packed() < o.packed(); }
    EventKey key() const {
      return EventKey{Time::from_ns(static_cast<int64_t>(when ^ (1ull << 63))), seq};
    }
  };

  // The smallest of the D children starting at c, all present. Written as
  // selects so the compiler can use conditional moves: which child is the
  // smallest is a coin toss the branch predictor cannot learn.
  static size_t min_child_full(const Slot* h, size_t c) {
    if (c >= kCachedSlots) {
      // Deep in a big heap the children are a cache miss away. A branch
      // lets the CPU guess the smallest child and start loading its
      // children before the comparison resolves (right about half the time
      // or better), where conditional moves would wait for every miss in turn.
      size_t best = c;
      for (size_t j = c + 1; j < c + D; ++j)
        if (h[j].when < h[best].when || (h[j].when == h[best].when && h[j].seq < h[best].seq))
          best = j;
      return best;
    }
    if constexpr (D == 4) {
      const size_t a = c + h[c + 1].before(h[c]);
      const size_t b = c + 2 + h[c + 3].before(h[c + 2]);
      return h[b].before(h[a]) ? b : a;
    } else {
      size_t best = c;
      for (size_t j = c + 1; j < c + D; ++j) best = h[j].before(h[best]) ? j : best;
      return best;
    }
  }
  // Slots up to here (384 KiB) stay in L2 cache in a busy heap: above it,
  // comparisons cost cycles, not misses, and conditional moves win.
  static constexpr size_t kCachedSlots = 16384;
  // The same for the last node, which may have fewer than D children.
  static size_t min_child_part(const Slot* h, size_t c, size_t n) {
    size_t best = c;
    for (size_t j = c + 1; j < n; ++j) best = h[j].before(h[best]) ? j : best;
    return best;
  }

  static void place(Slot* h, size_t i, const Slot& s) {
    h[i] = s;
    s.ev->pos_ = static_cast<int32_t>(i);
  }

  void fix(size_t i) {
    if (i > 0 && heap_[i].before(heap_[(i - 1) / D]))
      sift_up(i);
    else
      sift_down(i);
  }

  void sift_up(size_t i) {
    Slot* h = heap_.data();
    const Slot s = h[i];
    while (i > 0) {
      const size_t parent = (i - 1) / D;
      if (!s.before(h[parent])) break;
      place(h, i, h[parent]);
      i = parent;
    }
    place(h, i, s);
  }

  void sift_down(size_t i) {
    Slot* h = heap_.data();
    const Slot s = h[i];
    const size_t n = heap_.size();
    for (;;) {
      const size_t c = i * D + 1;
      size_t best;
      if (c + D <= n)
        best = min_child_full(h, c);
      else if (c < n)
        best = min_child_part(h, c, n);
      else
        break;
      if (!h[best].before(s)) break;
      place(h, i, h[best]);
      i = best;
    }
    place(h, i, s);
  }

  std::vector<Slot> heap_;
};

}  // namespace sim
