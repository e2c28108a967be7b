// stack/task.cc: tasks, sleeping and waking (kernel/sched: try_to_wake_up,
// schedule; the scheduler itself is not modelled: one task per CPU runs
// when the CPU is free of kernel work).
#include "stack/task.h"

#include "stack/host.h"
#include "stack/sock.h"

namespace stack {

Task::Task(Host& host, std::string name, uint16_t cpu)
    : Work(Level::kTask), host_(host), name_(std::move(name)) {
  pid_ = host.next_pid();
  set_cpu(&host.cpu(cpu));
  fds_.resize(3, nullptr);  // stdin, stdout, stderr
}

Task::~Task() = default;

void Task::start_at(sim::Time t) { cpu().submit(*this, t); }

void Task::sleep_until(sim::Time t) {
  if (t < cpu().sched().now()) t = cpu().sched().now();
  cpu().sched().schedule(*this, t);
}

void Task::block_on(WaitQueue& wq) {
  wq.add(this);
  if (!blocked_) {
    blocked_ = true;
    blocked_since_ = cpu().now();
  }
}

void Task::wake(sim::Cpu& waker) {
  if (!blocked_ || exited_) return;
  blocked_ = false;
  wakeups++;
  blocked_time += waker.now() - blocked_since_;
  waker.charge(host_.costs.wakeup / 2);  // try_to_wake_up(), on the waker's CPU
  // Runnable now: an earlier-armed timeout (a sleep) is pulled in.
  if (!scheduled() || (pending() && when() > waker.now())) cpu().sched().schedule(*this, waker.now());
}

void Task::run(sim::Cpu& c) {
  if (exited_) return;
  if (blocked_) {  // a timeout ended the sleep (schedule_timeout)
    blocked_ = false;
    blocked_time += c.now() - blocked_since_;
  }
  c.charge(host_.costs.wakeup / 2);  // the context switch into this task
  step(c);
}

int Task::fd_install(Sock* sk) {
  for (size_t i = 3; i < fds_.size(); ++i)
    if (!fds_[i]) {
      fds_[i] = sk;
      return static_cast<int>(i);
    }
  fds_.push_back(sk);
  return static_cast<int>(fds_.size() - 1);
}

Sock* Task::fd_lookup(int fd) const {
  if (fd < 0 || static_cast<size_t>(fd) >= fds_.size()) return nullptr;
  return fds_[static_cast<size_t>(fd)];
}

void Task::fd_close(int fd) {
  if (fd >= 0 && static_cast<size_t>(fd) < fds_.size()) fds_[static_cast<size_t>(fd)] = nullptr;
}

}  // namespace stack
