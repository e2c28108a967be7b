// stack/task.h: a user task (a thread of a process) that runs on one CPU
// and makes system calls.
//
// Applications are Tasks. run() is called whenever the task is runnable and
// its CPU is free; it makes syscalls (stack/socket.h), which charge CPU time
// on the way down the stack. A syscall that would block puts the task on a
// wait queue and returns -ERESTARTSYS; the task then returns from run() and
// is called again when woken, retrying the call as the kernel's wait loops
// do. A task can also sleep until a time (nanosleep).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cpu.h"

namespace stack {

class Host;
struct Sock;
struct WaitQueue;

// Returned by a syscall that put the task to sleep (the kernel's internal
// ERESTARTSYS, never seen by a real program).
constexpr long ERESTARTSYS = 512;

class Task : public sim::Cpu::Work {
 public:
  Task(Host& host, std::string name, uint16_t cpu);
  virtual ~Task();

  Host& host() { return host_; }
  const std::string& name() const { return name_; }
  int pid() const { return pid_; }
  sim::Cpu& cpu() { return *Work::cpu(); }

  // The program: called when runnable. Return after sleeping or finishing.
  virtual void step(sim::Cpu& cpu) = 0;

  // Starts the task at `t`.
  void start_at(sim::Time t);
  // nanosleep() until `t` (the task's run ends; step() is called again then).
  void sleep_until(sim::Time t);
  // Put on a wait queue; the syscall returns -ERESTARTSYS.
  void block_on(WaitQueue& wq);
  // try_to_wake_up(): make runnable on its CPU, from `waker` (charged).
  void wake(sim::Cpu& waker);
  bool blocked() const { return blocked_; }
  bool exited() const { return exited_; }
  void exit() { exited_ = true; }

  // File descriptors: index -> socket (0..2 are stdio, never sockets).
  int fd_install(Sock* sk);
  Sock* fd_lookup(int fd) const;
  void fd_close(int fd);

  uint64_t syscalls = 0;
  uint64_t wakeups = 0;
  sim::Duration blocked_time;

 private:
  void run(sim::Cpu& c) final;
  Host& host_;
  std::string name_;
  int pid_;
  bool blocked_ = false;
  bool exited_ = false;
  sim::Time blocked_since_;
  std::vector<Sock*> fds_;
};

}  // namespace stack
