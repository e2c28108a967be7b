// stack/timer_list.h: struct timer_list as the stack uses it.
//
// A kernel timer's callback runs in the TIMER_SOFTIRQ of the CPU that armed
// it, with that CPU's time charged for what it does (an ARP probe, a
// retransmission). TimerList is therefore a CPU Work item at interrupt
// level that the scheduler fires at the expiry time: arming it costs one
// event, nothing is allocated. Expiries given in jiffies are rounded as the
// kernel's timer wheel rounds them (sim::timer_wheel_expiry).
//
//   TimerList t;
//   t.setup<&Neighbour::timer_handler>(this, &cpu0);
//   t.mod_jiffies(jiffies, now_j + 250);   // mod_timer(&t, jiffies + HZ)
#pragma once

#include "sim/cpu.h"
#include "sim/timer.h"

namespace stack {

class TimerList final : public sim::Cpu::Work {
 public:
  TimerList() : Work(Level::kIrq) {}

  template <auto Method, class T>
  void setup(T* owner, sim::Cpu* cpu) {
    owner_ = owner;
    fn_ = [](void* o, sim::Cpu& c) { (static_cast<T*>(o)->*Method)(c); };
    set_cpu(cpu);
  }

  // mod_timer() with an absolute time.
  void mod(sim::Time expires) {
    sim::Scheduler& s = cpu()->sched();
    if (expires < s.now()) expires = s.now();
    s.schedule(*this, expires);
  }
  // mod_timer() with an expiry in jiffies: fires when the timer wheel would.
  void mod_jiffies(const sim::Jiffies& j, int64_t expires_j) {
    const int64_t now_j = j.at(cpu()->sched().now());
    mod(j.to_time(sim::timer_wheel_expiry(now_j, expires_j)));
  }
  // del_timer(): true if it was pending.
  bool del() {
    bool was = scheduled();
    cpu()->cancel(*this);
    return was;
  }
  // timer_pending(): armed, or expired and waiting for its CPU.
  bool timer_pending() const { return scheduled(); }
  sim::Time expires() const { return when(); }

  void run(sim::Cpu& c) override { fn_(owner_, c); }

 private:
  void* owner_ = nullptr;
  void (*fn_)(void*, sim::Cpu&) = nullptr;
};

}  // namespace stack
