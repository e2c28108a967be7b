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
// A CPU that is busy delays the next task-level Work until it is free.
// Interrupt-level work (hard IRQs and softirqs) preempts the running task
// instead, as in Linux: it starts at once and pushes the CPU's busy horizon
// out by its own cost (the interrupted task finishes that much later).
// Interrupt-level runs do not overlap each other: one raised while another
// is running (a softirq raised by an IRQ handler) starts when it ends.
//
//   struct SendWork : sim::Cpu::Work { void run(sim::Cpu& c) override {...} };
//   cpu.submit(work, when);
#pragma once

#include <cstdint>

#include "sim/scheduler.h"
#include "sim/trace.h"

namespace sim {

class Cpu {
 public:
  // Work to run on a CPU. Embed it in the model object that owns the work.
  class Work : public Event {
   public:
    enum class Level : uint8_t { kTask, kIrq };
    explicit Work(Level level = Level::kTask) : level_(level) {}
    void set_cpu(Cpu* c) { cpu_ = c; }
    Cpu* cpu() const { return cpu_; }
    virtual void run(Cpu& cpu) = 0;
    void fire() final;

   protected:
    ~Work() = default;

   private:
    Cpu* cpu_ = nullptr;
    Level level_;
  };

  Cpu(Scheduler& sched, Tracer tracer, uint16_t index)
      : sched_(&sched), tracer_(tracer), index_(index) {}

  uint16_t index() const { return index_; }
  Scheduler& sched() const { return *sched_; }
  const Tracer& tracer() const { return tracer_; }

  // The CPU's notion of now: its local clock inside a run, else the
  // scheduler's time.
  Time now() const { return depth_ > 0 ? clock_ : sched_->now(); }
  bool running() const { return depth_ > 0; }
  // Advances the local clock by the cost of a kernel step.
  void charge(Duration d) {
    clock_ += d;
    busy_time_ += d;
  }
  Time busy_until() const { return busy_until_; }
  Duration busy_time() const { return busy_time_; }

  // Runs `w` on this CPU at `when` (or as soon as the CPU is free).
  void submit(Work& w, Time when) {
    w.set_cpu(this);
    sched_->schedule(w, when);
  }

 private:
  friend class Work;
  Scheduler* sched_;
  Tracer tracer_;
  uint16_t index_;
  int depth_ = 0;        // nesting: an IRQ inside a task run
  Time clock_;           // the local clock while running
  Time busy_until_;      // when the CPU is next free for task-level work
  Time irq_until_;       // when the current interrupt-level run ends
  Duration busy_time_;   // total simulated time spent running
};

inline void Cpu::Work::fire() {
  Cpu& c = *cpu_;
  const Time t = c.sched_->now();
  if (level_ == Level::kTask && (c.busy_until_ > t || c.depth_ > 0)) {
    // The CPU is busy: run when it is free, behind what is already there.
    c.sched_->schedule(*this, c.busy_until_ > t ? c.busy_until_ : t);
    return;
  }
  if (level_ == Level::kIrq && c.depth_ == 0 && c.irq_until_ > t) {
    // Another interrupt-level run is still going on this CPU.
    c.sched_->schedule(*this, c.irq_until_);
    return;
  }
  const Time saved_clock = c.clock_;
  const int saved_depth = c.depth_;
  c.clock_ = t;
  ++c.depth_;
  run(c);
  const Duration spent = c.clock_ - t;
  c.depth_ = saved_depth;
  if (saved_depth > 0) {
    c.clock_ = saved_clock + spent;  // a nested run delays the interrupted one
  }
  if (level_ == Level::kIrq) {
    if (saved_depth == 0) c.irq_until_ = t + spent;
    if (c.busy_until_ > t)
      c.busy_until_ = c.busy_until_ + spent;  // preempted work finishes later
    else
      c.busy_until_ = t + spent;
  } else if (saved_depth == 0) {
    c.busy_until_ = t + spent;
  }
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
