// stack/socket.cc: socket system calls (net/socket.c, net/ipv4/af_inet.c's
// inet_sendmsg/inet_recvmsg, net/ipv4/udp.c's connect and recvmsg,
// net/core/sock.c's setsockopt).
#include "stack/socket.h"

#include <algorithm>
#include <cstring>

#include "stack/af_inet.h"
#include "stack/errno.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/ip.h"
#include "stack/pkt_sched.h"
#include "stack/steps.h"
#include "stack/udp.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceArg;

Syscalls::Syscalls(Host& host) : host_(host) {}

// Entry of a socket syscall: the syscall cost, the counters, the fd lookup.
Sock* Syscalls::enter(Task& t, int fd, sim::Duration extra) {
  t.cpu().charge(host_.costs.syscall_entry + extra);
  ++calls_;
  ++t.syscalls;
  return t.fd_lookup(fd);
}

long Syscalls::socket(Task& t, int family, int type, int protocol) {
  Cpu& cpu = t.cpu();
  TRACE_FN(cpu, step::kReg02, "__sys_socket", 0);
  cpu.charge(host_.costs.syscall_entry);
  ++calls_;
  ++t.syscalls;
  const bool nonblock = type & SOCK_NONBLOCK;
  type &= ~(SOCK_NONBLOCK | 0x80000 /* SOCK_CLOEXEC */);
  if (family != AF_INET) return -EAFNOSUPPORT;  // only inet_family_ops registered
  Sock* sk = nullptr;
  const long e = host_.inet->inet_create(cpu, type, protocol, &sk);
  if (e < 0) return e;
  sk->nonblock = nonblock;
  return t.fd_install(sk);
}

long Syscalls::bind(Task& t, int fd, const SockAddrIn& addr) {
  Cpu& cpu = t.cpu();
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  if (sk->num) return -EINVAL;  // already bound
  if (addr.addr && !host_.is_local_addr(addr.addr)) return -EADDRNOTAVAIL;
  sk->rcv_saddr = addr.addr;
  sk->saddr = addr.addr;
  if (sk->prot == ProtoKind::kPing) {
    sk->num = addr.port;
    host_.icmp->ping_hash(sk);
    return 0;
  }
  const int e = host_.udp->get_port(sk, addr.port);
  if (e) {
    sk->rcv_saddr = sk->saddr = 0;
    return e;
  }
  TRACE_BRANCH(cpu, step::kSys01, "inet_bind", 0, "socket bound to {}:{}", TraceArg::ipv4(addr.addr),
               sk->num);
  return 0;
}

// ip4_datagram_connect(): remember the peer and its route.
long Syscalls::connect(Task& t, int fd, const SockAddrIn& addr, bool unspec) {
  Cpu& cpu = t.cpu();
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  if (unspec) {  // AF_UNSPEC: disconnect
    sk->daddr = 0;
    sk->dport = 0;
    sk->state = TCP_CLOSE;
    sk->dst_cache = nullptr;
    return 0;
  }
  int e = 0;
  DstEntry* rt = host_.ip->route_output(cpu, addr.addr, 0, &e);
  if (!rt) return e;
  if (!sk->num) {
    const int be = host_.inet->inet_autobind(cpu, sk, 0);
    if (be) return be;
  }
  if (!sk->saddr) sk->saddr = rt->prefsrc ? rt->prefsrc : host_.select_addr(rt->dev, addr.addr);
  if (!sk->rcv_saddr) sk->rcv_saddr = sk->saddr;
  sk->daddr = addr.addr;
  sk->dport = addr.port;
  sk->state = TCP_ESTABLISHED;
  sk->dst_cache = rt;
  sk->ip_id = static_cast<uint16_t>(host_.ip->select_ident(sk->saddr, sk->daddr, IPPROTO_UDP));
  TRACE_BRANCH(cpu, step::kSys01, "ip4_datagram_connect", 0, "connected to {}:{} via dev {}",
               TraceArg::ipv4(addr.addr), addr.port, rt->dev->name.c_str());
  return 0;
}

// SYS-01 __sys_sendto() -> SYS-02 sock_sendmsg() -> SYS-03 inet_sendmsg().
long Syscalls::sendto(Task& t, int fd, const uint8_t* buf, size_t len, int flags,
                      const SockAddrIn* to) {
  Cpu& cpu = t.cpu();
  const uint64_t call_id = 0;
  TRACE_FN(cpu, step::kSys01, "__sys_sendto", call_id);
  Sock* sk = enter(t, fd, host_.costs.sockfd_lookup);
  if (!sk) {
    TRACE_BRANCH(cpu, step::kSys01, "sockfd_lookup_light", call_id, "fd {} is not a socket: -EBADF",
                 fd);
    return -EBADF;
  }
  if (sk->nonblock) flags |= MSG_DONTWAIT;  // O_NONBLOCK -> MSG_DONTWAIT
  TRACE_BRANCH(cpu, step::kSys01, "__sys_sendto", call_id, "fd {} -> socket {}, {} bytes{}{}", fd,
               sk->id, static_cast<uint64_t>(len), to ? ", address given" : "",
               (flags & MSG_DONTWAIT) ? ", MSG_DONTWAIT" : "");
  long rc;
  {
    TRACE_FN(cpu, step::kSys02, "sock_sendmsg", call_id);
    cpu.charge(host_.costs.sock_sendmsg);
    TRACE_FN(cpu, step::kSys03, "inet_sendmsg", call_id);
    cpu.charge(host_.costs.inet_sendmsg);
    if (!sk->num) {
      const int e = host_.inet->inet_autobind(cpu, sk, call_id);
      if (e) return -EAGAIN;
    }
    if (sk->prot == ProtoKind::kPing) {
      if (!to && sk->state != TCP_ESTABLISHED) return -EDESTADDRREQ;
      rc = host_.icmp->ping_sendmsg(cpu, sk, buf, len, to ? to->addr : sk->daddr);
    } else {
      rc = host_.udp->sendmsg(cpu, sk, buf, len, flags, to ? &to->addr : nullptr,
                              to ? &to->port : nullptr, call_id);
    }
  }
  if (rc == -ERESTARTSYS) t.block_on(sk->wq_tx);
  return rc;
}

// inet_recvmsg() -> udp_recvmsg() / ping_recvmsg().
long Syscalls::recvfrom(Task& t, int fd, uint8_t* buf, size_t len, int flags, SockAddrIn* from,
                        int* ttl) {
  Cpu& cpu = t.cpu();
  TRACE_FN(cpu, step::kRx06, "__sys_recvfrom", 0);
  Sock* sk = enter(t, fd, host_.costs.sockfd_lookup);
  if (!sk) return -EBADF;
  if (sk->nonblock) flags |= MSG_DONTWAIT;
  cpu.charge(host_.costs.udp_recvmsg);
  // __skb_recv_udp(): a pending error first, then the queue.
  if (sk->sk_err) {
    const int e = sk->sk_err;
    sk->sk_err = 0;
    TRACE_BRANCH(cpu, step::kRx06, "__skb_recv_udp", 0, "pending socket error: -{}", errno_name(e));
    return -e;
  }
  SkBuff* skb = sk->receive_queue.dequeue();
  if (!skb) {
    if (flags & MSG_DONTWAIT) return -EAGAIN;
    TRACE_BRANCH(cpu, step::kRx06, "__skb_wait_for_more_packets", 0,
                 "receive queue empty: task {} sleeps", t.name().c_str());
    t.block_on(sk->wq_rx);
    return -ERESTARTSYS;
  }
  Ipv4Hdr ip;
  ip.parse(skb->buf.data() + skb->network_header, skb->tail - skb->network_header);
  const uint8_t* payload = skb->data_ptr();
  uint32_t plen = skb->len();
  uint16_t sport = 0;
  if (sk->prot == ProtoKind::kUdp) {
    sport = rd16(payload);
    payload += UdpHdr::kLen;
    plen -= UdpHdr::kLen;
  }
  const size_t copied = std::min<size_t>(len, plen);
  if (buf && copied) std::memcpy(buf, payload, copied);
  cpu.charge(host_.costs.copy(copied));
  if (from) {
    from->addr = ip.saddr;
    from->port = sport;
  }
  if (ttl) *ttl = ip.ttl;
  if (sk->prot == ProtoKind::kUdp) host_.mib.udp.inc(UdpMibField::InDatagrams);
  TRACE_BRANCH(cpu, step::kRx06, "udp_recvmsg", skb->id, "{} bytes from {}:{} to task {}{}",
               static_cast<uint64_t>(copied), TraceArg::ipv4(ip.saddr), sport, t.name().c_str(),
               copied < plen ? " (MSG_TRUNC)" : "");
  skb_orphan(host_, cpu, skb);
  host_.pool().consume(skb);
  return static_cast<long>((flags & MSG_TRUNC) ? plen : copied);
}

long Syscalls::recv_error(Task& t, int fd, SockExtendedErr* out) {
  Cpu& cpu = t.cpu();
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  SkBuff* skb = sk->error_queue.dequeue();
  if (!skb) return -EAGAIN;
  *out = *skb->cb_as<SockExtendedErr>();
  skb_orphan(host_, cpu, skb);
  host_.pool().consume(skb);
  // ip_recv_error() clears sk_err when the error was taken from the queue.
  sk->sk_err = 0;
  return 0;
}

long Syscalls::close(Task& t, int fd) {
  Cpu& cpu = t.cpu();
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  t.fd_close(fd);
  sk->dead = true;
  if (sk->prot == ProtoKind::kUdp) host_.udp->unhash(sk);
  if (sk->prot == ProtoKind::kPing) host_.icmp->ping_unhash(sk);
  // Unread data goes with the socket (udp_destroy_sock / skb_queue_purge).
  while (SkBuff* skb = sk->receive_queue.dequeue()) {
    skb_orphan(host_, cpu, skb);
    host_.pool().drop(skb, DropReason::SOCKET_CLOSE);
  }
  while (SkBuff* skb = sk->error_queue.dequeue()) {
    skb_orphan(host_, cpu, skb);
    host_.pool().consume(skb);
  }
  while (SkBuff* skb = sk->cork_queue.dequeue()) {
    skb_orphan(host_, cpu, skb);
    host_.pool().drop(skb, DropReason::SOCKET_CLOSE);
  }
  return 0;
}

long Syscalls::setsockopt(Task& t, int fd, int level, int opt, int val) {
  Cpu& cpu = t.cpu();
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  if (level == SOL_SOCKET) {
    switch (opt) {
      case SO_SNDBUF: {
        // sock_setsockopt(): capped by wmem_max, then doubled for overhead.
        const int64_t v = std::min<int64_t>(std::max(val, 0), host_.sysctl.core_wmem_max);
        sk->sndbuf = std::max<int64_t>(v * 2, SOCK_MIN_SNDBUF);
        sk->wq_tx.wake_all(cpu);
        return 0;
      }
      case SO_RCVBUF: {
        const int64_t v = std::min<int64_t>(std::max(val, 0), host_.sysctl.core_rmem_max);
        sk->rcvbuf = std::max<int64_t>(v * 2, SOCK_MIN_RCVBUF);
        return 0;
      }
      case SO_PRIORITY:
        sk->priority = static_cast<uint32_t>(val);
        return 0;
    }
    return -ENOPROTOOPT;
  }
  if (level == SOL_IP) {
    switch (opt) {
      case IP_TOS:
        // ip_setsockopt(): the ECN bits stay the kernel's; priority follows TOS.
        sk->tos = static_cast<uint8_t>(val & ~3);
        sk->priority = rt_tos2priority(sk->tos);
        return 0;
      case IP_TTL:
        if (val != -1 && (val < 1 || val > 255)) return -EINVAL;
        sk->ttl = val;
        return 0;
      case IP_RECVERR:
        sk->recverr = val != 0;
        if (!val)
          while (SkBuff* skb = sk->error_queue.dequeue()) {
            skb_orphan(host_, cpu, skb);
            host_.pool().consume(skb);
          }
        return 0;
      case IP_MTU_DISCOVER:
        if (val < 0 || val > 5) return -EINVAL;
        sk->pmtudisc = val;
        return 0;
    }
    return -ENOPROTOOPT;
  }
  if (level == SOL_UDP && opt == UDP_CORK && sk->prot == ProtoKind::kUdp) {
    sk->corkflag = val != 0;
    if (!val) {  // uncorking sends what is pending
      const long rc = host_.udp->push_pending_frames(cpu, sk);
      return rc < 0 ? rc : 0;
    }
    return 0;
  }
  return -ENOPROTOOPT;
}

long Syscalls::getsockopt(Task& t, int fd, int level, int opt, int* val) {
  Sock* sk = enter(t, fd);
  if (!sk) return -EBADF;
  if (level == SOL_SOCKET) {
    switch (opt) {
      case SO_SNDBUF: *val = static_cast<int>(sk->sndbuf); return 0;
      case SO_RCVBUF: *val = static_cast<int>(sk->rcvbuf); return 0;
      case SO_PRIORITY: *val = static_cast<int>(sk->priority); return 0;
      case SO_ERROR: *val = sk->sk_err; sk->sk_err = 0; return 0;
    }
  } else if (level == SOL_IP) {
    switch (opt) {
      case IP_TOS: *val = sk->tos; return 0;
      case IP_TTL: *val = sk->ttl >= 0 ? sk->ttl : static_cast<int>(host_.sysctl.ipv4_ip_default_ttl); return 0;
      case IP_RECVERR: *val = sk->recverr; return 0;
      case IP_MTU_DISCOVER: *val = sk->pmtudisc; return 0;
    }
  } else if (level == SOL_UDP && opt == UDP_CORK) {
    *val = sk->corkflag;
    return 0;
  }
  return -ENOPROTOOPT;
}

}  // namespace stack
