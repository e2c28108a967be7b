// sim/cpu.h: the CPUs that run the modelled kernel code.
//
// Each host has CPUs. Kernel code (a syscall, a softirq, an IRQ handler)
// runs on one CPU as a Work item: while it runs, the CPU has a local clock
// that starts at the scheduler's time and advances as the model charges the
// cost of each kernel step (cpu.charge(cost)). The steps themselves are not
// events: a whole sendto() down to the doorbell is one Work run, and only
// its asynchronous effects (the MMIO write reaching the NIC, a timer) become
// events, scheduled at the local clock plus their latency.
//
// A CPU runs one thing at a time and is not preempted mid-run: work that
// arrives while it is busy (a wakeup, a hard IRQ, a timer) waits on the
// CPU's run queue and starts when the CPU is free, interrupt-level work
// before task-level work. This is the kernel's behaviour for the network
// paths, which run with bottom halves disabled (rcu_read_lock_bh) and take
// pending softirqs when they re-enable them; a hard IRQ's handler would run
// at once, but it only schedules NAPI, whose softirq then waits the same
// way. It keeps every CPU's trace monotonic.
//
//   struct SendWork : sim::Cpu::Work { void run(sim::Cpu& c) override {...} };
//   cpu.submit(work, when);
#pragma once

#include <cstdint>

#include "sim/scheduler.h"
#include "sim/timer.h"
#include "sim/trace.h"

namespace sim {

class Cpu {
 public:
  // Work to run on a CPU. Embed it in the model object that owns the work.
  class Work : public Event {
   public:
    enum class Level : uint8_t { kIrq = 0, kTask = 1 };
    explicit Work(Level level = Level::kTask) : level_(level) {}
    void set_cpu(Cpu* c) { cpu_ = c; }
    Cpu* cpu() const { return cpu_; }
    Level level() const { return level_; }
    virtual void run(Cpu& cpu) = 0;
    void fire() final;
    // Due: scheduled on the clock, or waiting on the CPU's run queue.
    bool scheduled() const { return pending() || queued_; }

   protected:
    ~Work() = default;

   private:
    friend class Cpu;
    Cpu* cpu_ = nullptr;
    Work* rq_next_ = nullptr;
    bool queued_ = false;
    Level level_;
  };

  Cpu(Scheduler& sched, Tracer tracer, uint16_t index)
      : sched_(&sched), tracer_(tracer), index_(index), free_event_(this) {}
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;

  uint16_t index() const { return index_; }
  Scheduler& sched() const { return *sched_; }
  const Tracer& tracer() const { return tracer_; }

  // The CPU's notion of now: its local clock inside a run, else the
  // scheduler's time.
  Time now() const { return running_ ? clock_ : sched_->now(); }
  bool running() const { return running_; }
  // Advances the local clock by the cost of a kernel step.
  void charge(Duration d) {
    clock_ += d;
    busy_time_ += d;
  }
  Time busy_until() const { return busy_until_; }
  Duration busy_time() const { return busy_time_; }
  // Works waiting for the CPU right now.
  uint32_t runqueue_length() const { return rq_len_; }

  // Runs `w` on this CPU at `when` (or as soon as the CPU is free).
  void submit(Work& w, Time when) {
    w.set_cpu(this);
    if (w.queued_) return;  // already waiting to run
    sched_->schedule(w, when);
  }
  // Takes `w` off the clock and off the run queue.
  void cancel(Work& w);

 private:
  void enqueue(Work& w);
  void dispatch();
  void run_work(Work& w, Time t);

  Scheduler* sched_;
  Tracer tracer_;
  uint16_t index_;
  bool running_ = false;
  Time clock_;          // the local clock while running
  Time busy_until_;     // when the current run ends
  Duration busy_time_;  // total simulated time spent running
  // Run queue: interrupt level first, then tasks; FIFO within a level.
  Work* head_[2] = {nullptr, nullptr};
  Work* tail_[2] = {nullptr, nullptr};
  uint32_t rq_len_ = 0;
  MemberEvent<Cpu, &Cpu::dispatch> free_event_;
};

inline void Cpu::Work::fire() {
  Cpu& c = *cpu_;
  const Time t = c.sched_->now();
  if (c.running_ || c.busy_until_ > t || c.rq_len_ > 0)
    c.enqueue(*this);  // busy, or others are waiting first
  else
    c.run_work(*this, t);
}

inline void Cpu::enqueue(Work& w) {
  const int l = static_cast<int>(w.level_);
  w.queued_ = true;
  w.rq_next_ = nullptr;
  if (tail_[l]) tail_[l]->rq_next_ = &w; else head_[l] = &w;
  tail_[l] = &w;
  ++rq_len_;
  if (!free_event_.pending())
    sched_->schedule(free_event_, busy_until_ > sched_->now() ? busy_until_ : sched_->now());
}

inline void Cpu::dispatch() {
  Work* w = head_[0] ? head_[0] : head_[1];
  if (!w) return;
  const int l = static_cast<int>(w->level_);
  head_[l] = w->rq_next_;
  if (!head_[l]) tail_[l] = nullptr;
  w->rq_next_ = nullptr;
  w->queued_ = false;
  --rq_len_;
  run_work(*w, sched_->now());
}

inline void Cpu::run_work(Work& w, Time t) {
  clock_ = t;
  running_ = true;
  w.run(*this);
  running_ = false;
  busy_until_ = clock_;
  if (rq_len_ > 0 && !free_event_.pending()) sched_->schedule(free_event_, busy_until_);
}

inline void Cpu::cancel(Work& w) {
  sched_->cancel(w);
  if (!w.queued_) return;
  const int l = static_cast<int>(w.level_);
  Work* prev = nullptr;
  for (Work* p = head_[l]; p; prev = p, p = p->rq_next_) {
    if (p != &w) continue;
    if (prev) prev->rq_next_ = p->rq_next_; else head_[l] = p->rq_next_;
    if (tail_[l] == p) tail_[l] = prev;
    break;
  }
  w.queued_ = false;
  w.rq_next_ = nullptr;
  --rq_len_;
}

// function_graph-style scope: "fn() {" at construction, "}" with the time it
// took at destruction. Off, it costs a branch at each end.
class TraceFn {
 public:
  TraceFn(Cpu& cpu, uint16_t step, const char* fn, uint64_t skb)
      : cpu_(cpu), on_(cpu.tracer().on()), step_(step), fn_(fn), skb_(skb) {
    if (on_) {
      start_ = cpu.now();
      cpu.tracer().emit(TraceKind::kEnter, start_, step, fn, skb, "");
    }
  }
  ~TraceFn() {
    if (on_) cpu_.tracer().exit(cpu_.now(), cpu_.now() - start_, step_, fn_, skb_);
  }
  TraceFn(const TraceFn&) = delete;
  TraceFn& operator=(const TraceFn&) = delete;

 private:
  Cpu& cpu_;
  bool on_;
  uint16_t step_;
  const char* fn_;
  uint64_t skb_;
  Time start_;
};

#define SIM_CONCAT2(a, b) a##b
#define SIM_CONCAT(a, b) SIM_CONCAT2(a, b)
// TRACE_FN(cpu, step, "kernel_function", skb_id): traces the enclosing scope.
#define TRACE_FN(cpu, step, fn, skb) ::sim::TraceFn SIM_CONCAT(trace_fn_, __LINE__)(cpu, step, fn, skb)

// TRACE_BRANCH(cpu, step, "fn", skb_id, "why {}", value...): one line of why.
#define TRACE_BRANCH(cpu, step, fn, skb, ...)                                  \
  do {                                                                         \
    if ((cpu).tracer().on())                                                   \
      (cpu).tracer().branch((cpu).now(), step, fn, skb, __VA_ARGS__);                    \
  } while (0)

}  // namespace sim
