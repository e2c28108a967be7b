// stack/socket.h: the system calls on sockets (net/socket.c), as a task
// makes them: each runs on the task's CPU, charges its cost, and returns
// what Linux returns (a count, or -errno; -ERESTARTSYS when the task was
// put to sleep and must call again once woken).
//
//   long fd = sys.socket(task, AF_INET, SOCK_DGRAM, 0);
//   long n = sys.sendto(task, fd, buf, len, 0, &to);   // SYS-01..03, UDP-01..
#pragma once

#include <cstddef>
#include <cstdint>

#include "stack/sock.h"
#include "stack/task.h"

namespace stack {

class Host;

constexpr int SOCK_NONBLOCK = 0x800;  // O_NONBLOCK, as a socket() type flag

class Syscalls {
 public:
  explicit Syscalls(Host& host);

  long socket(Task& t, int family, int type, int protocol);
  long bind(Task& t, int fd, const SockAddrIn& addr);
  long connect(Task& t, int fd, const SockAddrIn& addr, bool unspec = false);
  long sendto(Task& t, int fd, const uint8_t* buf, size_t len, int flags, const SockAddrIn* to);
  long send(Task& t, int fd, const uint8_t* buf, size_t len, int flags) {
    return sendto(t, fd, buf, len, flags, nullptr);
  }
  // sendmsg() with one iovec: the same path as sendto.
  long sendmsg(Task& t, int fd, const uint8_t* buf, size_t len, int flags, const SockAddrIn* to) {
    return sendto(t, fd, buf, len, flags, to);
  }
  // `ttl`, when given, receives the datagram's IP TTL (IP_RECVTTL's cmsg).
  long recvfrom(Task& t, int fd, uint8_t* buf, size_t len, int flags, SockAddrIn* from,
                int* ttl = nullptr);
  // recvmsg(MSG_ERRQUEUE): the next queued error (IP_RECVERR), or -EAGAIN.
  long recv_error(Task& t, int fd, SockExtendedErr* out);
  long close(Task& t, int fd);
  long setsockopt(Task& t, int fd, int level, int opt, int val);
  long getsockopt(Task& t, int fd, int level, int opt, int* val);

  uint64_t calls() const { return calls_; }

 private:
  Sock* enter(Task& t, int fd, sim::Duration extra = sim::Duration::zero());
  Host& host_;
  uint64_t calls_ = 0;
};

}  // namespace stack
