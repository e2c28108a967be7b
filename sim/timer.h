// sim/timer.h: kernel-style timers on the Scheduler.
//
// The network stack is full of timers (retransmit, delayed ACK, neighbour
// reachability, interrupt moderation, reassembly). They follow the kernel's
// <linux/timer.h> vocabulary so model code reads like the source:
//
//   sim::Timer rto;                         // struct timer_list
//   rto.setup<&Tcp::retransmit_timer>(this);// timer_setup()
//   rto.mod(sched, now + sim::ms(200));     // mod_timer()
//   rto.del(sched);                         // del_timer()
//   rto.pending();                          // timer_pending()
//
// A Timer is an intrusive Event: arming it allocates nothing. The callback
// is a plain function pointer bound to an owner, never a std::function.
#pragma once

#include "sim/scheduler.h"

namespace sim {

class Timer final : public Event {
 public:
  Timer() = default;

  // Binds the callback: `Method` is a member function of T taking no
  // arguments, called on `owner` when the timer expires.
  template <auto Method, class T>
  void setup(T* owner) {
    owner_ = owner;
    fn_ = [](void* o) { (static_cast<T*>(o)->*Method)(); };
  }

  // mod_timer(): (re)arm to expire at `expires`.
  void mod(Scheduler& s, Time expires) { s.schedule(*this, expires); }
  // del_timer(): disarm; returns whether it was pending, as the kernel does.
  bool del(Scheduler& s) {
    bool was = pending();
    s.cancel(*this);
    return was;
  }
  Time expires() const { return when(); }

  void fire() override { fn_(owner_); }

 private:
  void* owner_ = nullptr;
  void (*fn_)(void*) = nullptr;
};

// An event that calls a member function; for one-shot model events that are
// not timers in the kernel's sense (a DMA completion, the end of a frame).
template <class T, void (T::*Method)()>
class MemberEvent final : public Event {
 public:
  explicit MemberEvent(T* owner = nullptr) : owner_(owner) {}
  void bind(T* owner) { owner_ = owner; }
  void fire() override { (owner_->*Method)(); }

 private:
  T* owner_;
};

// Jiffies: the kernel's timers count ticks of 1/CONFIG_HZ seconds, so a
// timeout asked for in milliseconds expires on a tick boundary. HZ is a
// per-host setting (Debian kernels: CONFIG_HZ=250).
struct Jiffies {
  int hz = 250;
  Duration tick() const { return Duration::from_ns(1000000000 / hz); }
  // The jiffy count at time t (jiffies are counted from time zero here).
  int64_t at(Time t) const { return t.ns() / tick().ns(); }
  Time to_time(int64_t j) const { return Time::from_ns(j * tick().ns()); }
  // msecs_to_jiffies(): rounds up (include/linux/jiffies.h).
  int64_t from_duration(Duration d) const { return (d.ns() + tick().ns() - 1) / tick().ns(); }
};

// When the kernel's timer wheel (kernel/time/timer.c, since 4.8) actually
// fires a timer armed at jiffy `now` for jiffy `expires`. The wheel has
// levels of 64 buckets; level n has a granularity of 8^n jiffies, and a
// timer is filed in the first level whose range covers its delta, its expiry
// rounded up to that level's granularity (calc_index(): "the timer wheel has
// to guarantee that a timer does not fire early", so even level 0 rounds up
// by one jiffy). Short timers fire one tick after their expiry jiffy; long
// ones (a 30 s neighbour timer) late by up to 1/8 of their delta.
inline int64_t timer_wheel_expiry(int64_t now, int64_t expires) {
  constexpr int kLvlClkShift = 3;  // LVL_CLK_SHIFT
  constexpr int kLvlBits = 6;      // LVL_BITS
  constexpr int kLvlDepth = 9;     // LVL_DEPTH for HZ > 100
  int64_t delta = expires - now;
  if (delta < 0) return now + 1;  // already due: fires at the next tick
  for (int lvl = 0; lvl < kLvlDepth; ++lvl) {
    // LVL_START(lvl + 1): the first delta that no longer fits level lvl.
    int64_t next_start = ((int64_t{1} << kLvlBits) - 1) << (lvl * kLvlClkShift);
    if (delta < next_start || lvl == kLvlDepth - 1) {
      // calc_index(): the next bucket boundary of this level after expires.
      const int shift = lvl * kLvlClkShift;
      return ((expires >> shift) + 1) << shift;
    }
  }
  return expires;
}

}  // namespace sim
