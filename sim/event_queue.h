// sim/event_queue.h: the priority queues the Scheduler can run on.
//
// An Event is intrusive: it carries its own key (time, insertion sequence)
// and its position in the queue, so scheduling allocates nothing and
// cancelling or moving an event costs O(log n). Ties in time are broken by
// the insertion sequence, so events at the same instant run in the order they
// were scheduled (the ns-3 rule), on every machine.
//
// The implementations share one interface (push, pop, erase, update, top,
// top_key, size, empty, reserve) and the same tests:
//   BucketHeap   a small heap for the near future, time buckets for the
//                rest; never writes into event memory (cancelled slots are
//                retired lazily, by key); O(1) amortised in big queues;
//   DaryHeap<4>  the default: a 4-ary implicit heap whose slots hold the key
//                inline and that keeps each event's slot index in the event
//                (pos_); fewest instructions in small queues;
//   DaryHeap<2>  the textbook binary heap;
//   ReferenceQueue (tests only) a std::set, obviously correct.
#pragma once

#include <algorithm>
#include <bit>
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
  friend class BucketHeap;
  friend class ReferenceQueue;
  template <class Q> friend class BasicScheduler;
  EventKey key_;
  // DaryHeap: slot in the queue; BucketHeap, ReferenceQueue: 0. -1 when not
  // queued, in every queue: pending() reads it.
  int32_t pos_ = -1;
};

namespace detail {

// A heap slot holds the key inline (so sifting compares without touching
// event memory) as two words: the time with its sign bit flipped, so unsigned
// order is signed order, and the sequence. Compared as one 128-bit unsigned
// integer, that is exactly EventKey's (time, seq) order, and it compiles to a
// compare-and-borrow pair without branches.
struct HeapSlot {
  uint64_t seq;
  uint64_t when;  // Time::ns() ^ 2^63
  Event* ev;

  static HeapSlot make(const EventKey& k, Event* e) {
    return HeapSlot{k.seq, static_cast<uint64_t>(k.when.ns()) ^ (1ull << 63), e};
  }
  unsigned __int128 packed() const { return (static_cast<unsigned __int128>(when) << 64) | seq; }
  bool before(const HeapSlot& o) const { return packed() < o.packed(); }
  // Keys are unique (seq is), so equal keys mean the same scheduling.
  bool same_key(const HeapSlot& o) const { return seq == o.seq && when == o.when; }
  EventKey key() const { return EventKey{Time::from_ns(static_cast<int64_t>(when ^ (1ull << 63))), seq}; }
};

// Slots up to here (384 KiB) stay in L2 cache in a busy heap: above it,
// comparisons cost cycles, not misses, and conditional moves win.
inline constexpr size_t kCachedSlots = 16384;

// The smallest of the D children starting at c, all present. Written as
// selects so the compiler can use conditional moves: which child is the
// smallest is a coin toss the branch predictor cannot learn.
template <int D>
inline size_t min_child_full(const HeapSlot* h, size_t c) {
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
// The same for the last node, which may have fewer than D children.
inline size_t min_child_part(const HeapSlot* h, size_t c, size_t n) {
  size_t best = c;
  for (size_t j = c + 1; j < n; ++j) best = h[j].before(h[best]) ? j : best;
  return best;
}

}  // namespace detail

template <int D>
class DaryHeap {
  static_assert(D >= 2);

 public:
  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Event* top() const { return heap_.front().ev; }
  EventKey top_key() const { return heap_.front().key(); }

  void push(Event* e) {
    heap_.push_back(Slot::make(e->key_, e));
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

  // Moves a queued event to key `k`.
  void update(Event* e, EventKey k) {
    e->key_ = k;
    const size_t i = static_cast<size_t>(e->pos_);
    heap_[i] = Slot::make(k, e);
    fix(i);
  }

  void reserve(size_t n) { heap_.reserve(n); }

 private:
  using Slot = detail::HeapSlot;
  static size_t min_child_full(const Slot* h, size_t c) { return detail::min_child_full<D>(h, c); }
  static size_t min_child_part(const Slot* h, size_t c, size_t n) {
    return detail::min_child_part(h, c, n);
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


namespace detail {

// Heap algorithms on arrays of slots that never touch event memory.
template <int D>
inline void sift_up(HeapSlot* h, size_t i, const HeapSlot s) {
  while (i > 0) {
    const size_t parent = (i - 1) / D;
    if (!s.before(h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = s;
}

// Places s at i or below, in a heap of n slots whose slot i is free.
template <int D>
inline void sift_down(HeapSlot* h, size_t n, size_t i, const HeapSlot s) {
  for (;;) {
    const size_t c = i * D + 1;
    size_t best;
    if (c + D <= n)
      best = min_child_full<D>(h, c);
    else if (c < n)
      best = min_child_part(h, c, n);
    else
      break;
    if (!h[best].before(s)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = s;
}

template <int D>
[[gnu::always_inline]] inline void push_heap(std::vector<HeapSlot>& v, const HeapSlot& s) {
  v.push_back(s);
  sift_up<D>(v.data(), v.size() - 1, s);
}

template <int D>
inline void pop_heap(std::vector<HeapSlot>& v) {
  const HeapSlot last = v.back();
  v.pop_back();
  if (!v.empty()) sift_down<D>(v.data(), v.size(), 0, last);
}

// Floyd's bottom-up construction, O(n).
template <int D>
inline void make_heap(std::vector<HeapSlot>& v) {
  HeapSlot* h = v.data();
  const size_t n = v.size();
  if (n < 2) return;
  for (size_t i = (n - 2) / D + 1; i-- > 0;) sift_down<D>(h, n, i, h[i]);
}

}  // namespace detail

// BucketHeap: a small heap for the near future and time buckets for the
// rest, so that in a big queue each event is copied a few times, in order,
// instead of sifted through log n cold heap levels.
//
// Why: in a hold-model queue of 1M events a new event lands at a random rank,
// and a heap pop sifts a slot through ~10 levels, the lower ones cache and
// TLB misses that depend on each other. Here:
//
//   near_     a 4-ary heap of every slot before the horizon (bucket cur_'s
//             end). The earliest event is its root.
//   buckets_  unsorted vectors of slots, bucket d holding times in
//             [lo_ + d * 2^shift_, lo_ + (d + 1) * 2^shift_), d in (cur_, nb_).
//   far_      an unsorted vector of the slots after the last bucket.
//
// A push appends to its bucket (or sifts into near_ if it falls before the
// horizon). When near_ runs empty, the next non-empty bucket becomes near_
// (vectors are swapped, then heapified in O(k)). When the buckets run out,
// far_ is split again: the earliest three quarters go into ~k/64 buckets
// whose width is chosen from the times actually pending, the rest wait in
// far_. Each pass is O(n) over events that then run, so a push and a pop
// cost O(1) amortised plus a sift in a heap of ~64 slots (O(log n) in the
// worst case, when many events share an instant: then near_ is a big heap).
// Up to kSpill pending events (the small-queue case), near_ holds them all
// and this is just a heap.
//
// Keys decide everything: buckets partition by time only, ties of time
// share a bucket, and near_ orders by (time, seq), so the order is exactly
// (time, insertion sequence), and deterministic (no hashing, no addresses).
//
// Cancel and reschedule are lazy, as a queued event cannot be found from the
// event without writing positions into event memory on every move (the cost
// this queue avoids). The old slot's key (unique, as its seq is) goes into a
// second heap, dead_. Both heaps come out in key order, so near_'s root is
// stale exactly when dead_'s root has the same key, and both are dropped.
// Staleness is decided by key alone: a stale slot's event is never read, so
// its owner may destroy an event right after cancelling it. When stale slots
// outnumber live ones, every vector is filtered (O(n log k) for k > n/2 stale
// slots, O(log n) per cancel amortised), so memory stays within twice the
// live count. pending() stays exact: pos_ is 0 while queued and -1 otherwise,
// written by push, pop and erase, when the event is being touched anyway.
//
// Vectors keep their capacity (they are swapped, never freed), so a steady
// simulation allocates nothing.
class BucketHeap {
  static constexpr int D = 4;
  using Slot = detail::HeapSlot;

 public:
  bool empty() const { return slots_ == dead_.size(); }
  size_t size() const { return slots_ - dead_.size(); }
  // Invariant between calls: if anything is queued, near_'s root is the
  // earliest slot and is live.
  Event* top() const { return near_.front().ev; }
  EventKey top_key() const { return near_.front().key(); }

  void push(Event* e) {
    e->pos_ = 0;
    add(Slot::make(e->key_, e));
  }

  Event* pop() {
    Event* e = near_.front().ev;
    e->pos_ = -1;
    detail::pop_heap<D>(near_);
    --slots_;
    settle();
    // The next event to run is now known: start fetching it.
    if (!near_.empty()) __builtin_prefetch(near_.front().ev);
    return e;
  }

  void erase(Event* e) {
    e->pos_ = -1;
    retire(Slot::make(e->key_, e));
  }

  void update(Event* e, EventKey k) {
    const Slot old = Slot::make(e->key_, e);
    e->key_ = k;
    add(Slot::make(k, e));
    retire(old);
  }

  void reserve(size_t n) {
    near_.reserve(n < kSpill ? n : kSpill + 1);
    if (n > kSpill) far_.reserve(n);
  }

 private:
  [[gnu::always_inline]] void add(const Slot& s) {
    ++slots_;
    if (s.when >= lo_) {
      const uint64_t d = (s.when - lo_) >> shift_;
      if (d > cur_) {
        if (d < nb_)
          buckets_[d].push_back(s);
        else
          far_.push_back(s);
        return;
      }
    }
    detail::push_heap<D>(near_, s);
    // Only a plain heap spills: a big near_ in bucket mode means many
    // events at one instant, which no split could separate.
    if (nb_ == 0 && near_.size() > kSpill) {
      near_.swap(far_);  // far_ is empty while there are no buckets
      split_far();
    }
  }

  void retire(const Slot& old) {
    detail::push_heap<D>(dead_, old);
    if (dead_.size() >= kMinCompact && 2 * dead_.size() > slots_) compact();
    settle();
  }

  // Restores the invariant: refills near_ if it ran empty, drops stale roots.
  [[gnu::always_inline]] void settle() {
    for (;;) {
      if (near_.empty() && !refill()) return;
      if (dead_.empty() || !near_.front().same_key(dead_.front())) return;
      detail::pop_heap<D>(near_);
      detail::pop_heap<D>(dead_);
      --slots_;
    }
  }

  // near_ is empty: the next bucket becomes near_, or far_ is split again.
  bool refill() {
    while (cur_ + 1 < nb_) {
      std::vector<Slot>& b = buckets_[++cur_];
      if (!b.empty()) {
        near_.swap(b);
        detail::make_heap<D>(near_);
        return true;
      }
    }
    if (far_.empty()) {
      to_heap_mode();
      return false;
    }
    if (far_.size() <= kSpill) {
      near_.swap(far_);
      detail::make_heap<D>(near_);
      to_heap_mode();
    } else {
      split_far();
    }
    return true;
  }

  void to_heap_mode() {
    // Every time is below lo_ (or is the last one, which maps to d = 0):
    // every push goes to near_.
    lo_ = ~uint64_t{0};
    shift_ = 0;
    cur_ = 0;
    nb_ = 0;
  }

  // near_ is empty and no bucket is left: spreads the earliest three
  // quarters of far_ over buckets of ~kPerBucket slots, width a power of
  // two (a shift, not a division, per push); the rest stay in far_.
  void split_far() {
    const size_t n = far_.size();
    const auto by_when = [](const Slot& a, const Slot& b) { return a.when < b.when; };
    const size_t k = n - n / 4;  // < n: the epoch ends at the k-th time
    std::nth_element(far_.begin(), far_.begin() + static_cast<ptrdiff_t>(k), far_.end(), by_when);
    const uint64_t q = far_[k].when;
    const uint64_t lo = std::min_element(far_.begin(), far_.begin() + static_cast<ptrdiff_t>(k) + 1,
                                         by_when)->when;
    const uint64_t span = q - lo;
    const uint64_t want = std::max<uint64_t>(1, k / kPerBucket);
    // span / want < 2^shift, so nb <= want; at least one bucket.
    const int shift = std::min(static_cast<int>(std::bit_width(span / want)), 63);
    const size_t nb = static_cast<size_t>(span >> shift) + 1;
    if (buckets_.size() < nb) buckets_.resize(nb);
    lo_ = lo;
    shift_ = shift;
    nb_ = nb;
    size_t keep = 0;
    for (const Slot& s : far_) {
      const uint64_t d = (s.when - lo) >> shift;
      if (d < nb)
        buckets_[d].push_back(s);
      else
        far_[keep++] = s;
    }
    far_.resize(keep);
    cur_ = 0;  // bucket 0 holds lo: never empty
    near_.swap(buckets_[0]);
    detail::make_heap<D>(near_);
  }

  // Drops every stale slot. Called only when dead_ is large.
  void compact() {
    const auto less = [](const Slot& a, const Slot& b) { return a.before(b); };
    std::sort(dead_.begin(), dead_.end(), less);
    const auto drop = [&](std::vector<Slot>& v) {
      std::erase_if(v, [&](const Slot& s) { return std::binary_search(dead_.begin(), dead_.end(), s, less); });
    };
    drop(near_);
    detail::make_heap<D>(near_);
    for (size_t d = cur_ + 1; d < nb_; ++d) drop(buckets_[d]);
    drop(far_);
    slots_ -= dead_.size();
    dead_.clear();
  }

  // Up to this many events the queue is a plain heap (fits in L2 cache).
  static constexpr size_t kSpill = 8192;
  // Slots per bucket aimed at when far_ is split.
  static constexpr size_t kPerBucket = 64;
  // Below this many stale slots, compacting is not worth a pass.
  static constexpr size_t kMinCompact = 64;

  std::vector<Slot> near_;
  std::vector<std::vector<Slot>> buckets_;  // [0, nb_) in use; spares kept
  std::vector<Slot> far_;
  std::vector<Slot> dead_;  // keys of the stale slots, a heap
  size_t slots_ = 0;        // in near_, buckets_ and far_, stale ones included
  uint64_t lo_ = ~uint64_t{0};
  int shift_ = 0;
  size_t cur_ = 0;  // buckets up to cur_ have gone into near_
  size_t nb_ = 0;   // buckets in use; 0: near_ holds everything
};

}  // namespace sim
