// tests/reference_queue.h: an obviously correct event queue (a std::set
// ordered by key), to run the scheduler tests against besides the heaps.
#pragma once

#include <set>
#include <utility>

#include "sim/event_queue.h"

namespace sim {

class ReferenceQueue {
 public:
  bool empty() const { return set_.empty(); }
  size_t size() const { return set_.size(); }
  Event* top() const { return set_.begin()->second; }
  const EventKey& top_key() const { return set_.begin()->first; }
  void push(Event* e) {
    set_.emplace(e->key_, e);
    e->pos_ = 0;
  }
  Event* pop() {
    Event* e = set_.begin()->second;
    set_.erase(set_.begin());
    e->pos_ = -1;
    return e;
  }
  void erase(Event* e) {
    set_.erase(find(e));
    e->pos_ = -1;
  }
  void update(Event* e, EventKey k) {
    set_.erase(find(e));
    e->key_ = k;
    set_.emplace(e->key_, e);
  }
  void reserve(size_t) {}

 private:
  struct Less {
    bool operator()(const std::pair<EventKey, Event*>& a, const std::pair<EventKey, Event*>& b) const {
      return a.first < b.first;
    }
  };
  std::set<std::pair<EventKey, Event*>, Less>::iterator find(Event* e) {
    for (auto it = set_.begin(); it != set_.end(); ++it)
      if (it->second == e) return it;
    return set_.end();
  }
  std::set<std::pair<EventKey, Event*>, Less> set_;
};

}  // namespace sim
