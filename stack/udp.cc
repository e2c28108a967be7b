// stack/udp.cc: UDP send and receive (net/ipv4/udp.c, ip_output.c's
// ip_make_skb/ip_append_data; Linux 6.x).
#include "stack/udp.h"

#include <cstring>

#include "stack/errno.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/ip.h"
#include "stack/qdisc.h"
#include "stack/sock.h"
#include "stack/steps.h"
#include "stack/task.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceArg;
using sim::TraceKind;

namespace {
// icmp_err_convert[] (net/ipv4/icmp.c): errno and "fatal" per unreach code.
struct ErrConvert {
  int errno_;
  bool fatal;
};
constexpr ErrConvert kIcmpErrConvert[16] = {
    {ENETUNREACH, false}, {EHOSTUNREACH, false}, {ENOPROTOOPT, true},
    {ECONNREFUSED, true}, {EMSGSIZE, false},     {EOPNOTSUPP, false},
    {ENETUNREACH, true},  {EHOSTDOWN, true}, {ENONET, true},
    {ENETUNREACH, true},  {EHOSTUNREACH, true},  {ENETUNREACH, false},
    {EHOSTUNREACH, false}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
    {EHOSTUNREACH, true}};
}  // namespace

Udp::Udp(Host& host) : host_(host), port_rng_(host.rng("udp_port")) {}

// --------------------------------------------------------------- ports

int Udp::get_port(Sock* sk, uint16_t port) {
  if (port == 0) {
    // Ephemeral: a random start in ip_local_port_range, then the first
    // free port (udp_lib_get_port scans from a random offset too).
    const int lo = static_cast<int>(host_.sysctl.ipv4_ip_local_port_range_lo);
    const int hi = static_cast<int>(host_.sysctl.ipv4_ip_local_port_range_hi);
    const int range = hi - lo + 1;
    const int start = static_cast<int>(port_rng_.below(static_cast<uint64_t>(range)));
    for (int i = 0; i < range; ++i) {
      const uint16_t p = static_cast<uint16_t>(lo + (start + i) % range);
      if (ports_[p].empty()) {
        port = p;
        break;
      }
    }
    if (port == 0) return -EADDRINUSE;
  } else {
    for (Sock* o : ports_[port])
      if (!o->dead && (o->rcv_saddr == 0 || sk->rcv_saddr == 0 || o->rcv_saddr == sk->rcv_saddr))
        return -EADDRINUSE;  // no SO_REUSEADDR modelled
  }
  sk->num = port;
  ports_[port].push_back(sk);
  return 0;
}

void Udp::unhash(Sock* sk) {
  auto it = ports_.find(sk->num);
  if (it == ports_.end()) return;
  auto& v = it->second;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i] == sk) {
      v.erase(v.begin() + static_cast<long>(i));
      break;
    }
}

// __udp4_lib_lookup(): the best-scoring socket (compute_score): a bound
// address, a connected peer and port each make a socket more specific.
Sock* Udp::lookup(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport) {
  auto it = ports_.find(dport);
  if (it == ports_.end()) return nullptr;
  Sock* best = nullptr;
  int best_score = -1;
  for (Sock* sk : it->second) {
    if (sk->dead) continue;
    int score = 0;
    if (sk->rcv_saddr) {
      if (sk->rcv_saddr != daddr) continue;
      score += 4;
    }
    if (sk->daddr) {
      if (sk->daddr != saddr) continue;
      score += 4;
    }
    if (sk->dport) {
      if (sk->dport != sport) continue;
      score += 4;
    }
    if (score > best_score) {
      best = sk;
      best_score = score;
    }
  }
  return best;
}

// ------------------------------------------------------------------ send

// UDP-01 udp_sendmsg().
long Udp::sendmsg(Cpu& cpu, Sock* sk, const uint8_t* data, size_t len, int flags,
                  const uint32_t* daddr_in, const uint16_t* dport_in, uint64_t call_id) {
  TRACE_FN(cpu, step::kUdp01, "udp_sendmsg", call_id);
  cpu.charge(host_.costs.udp_sendmsg);
  if (len > 0xffff) return -EMSGSIZE;
  const bool corkreq = sk->corkflag || (flags & MSG_MORE);
  if (sk->pending) {
    // A corked datagram is being built: append to it.
    TRACE_BRANCH(cpu, step::kUdp01, "udp_sendmsg", call_id,
                 "socket corked with {} bytes pending: ip_append_data", sk->cork_len);
  }
  uint32_t daddr;
  uint16_t dport;
  bool connected = false;
  if (sk->pending) {
    daddr = sk->cork_daddr;
    dport = sk->cork_dport;
  } else if (daddr_in) {
    daddr = *daddr_in;
    dport = *dport_in;
    if (dport == 0) return -EINVAL;
  } else {
    if (sk->state != TCP_ESTABLISHED) {
      TRACE_BRANCH(cpu, step::kUdp01, "udp_sendmsg", call_id,
                   "no address given and the socket is not connected: -EDESTADDRREQ");
      return -EDESTADDRREQ;
    }
    daddr = sk->daddr;
    dport = sk->dport;
    connected = true;
  }
  // UDP-02: the route (cached on a connected socket: sk_dst_check).
  DstEntry* rt = nullptr;
  if (sk->pending) {
    rt = sk->cork_dst;
  } else if (connected && sk->dst_cache) {
    rt = sk->dst_cache;
    TRACE_BRANCH(cpu, step::kUdp02, "sk_dst_check", call_id,
                 "connected socket: cached route dev {}", rt->dev->name.c_str());
  } else {
    int e = 0;
    rt = host_.ip->route_output(cpu, daddr, call_id, &e);
    if (!rt) return e;
    if (connected) sk->dst_cache = rt;
  }
  const uint32_t saddr = sk->rcv_saddr ? sk->rcv_saddr
                                       : (rt->prefsrc ? rt->prefsrc : host_.select_addr(rt->dev, daddr));
  const uint32_t ulen = static_cast<uint32_t>(len) + UdpHdr::kLen;

  if (!corkreq && !sk->pending) {
    // UDP-03 fast path: ip_make_skb() builds the whole datagram.
    TRACE_FN(cpu, step::kUdp03, "ip_make_skb", call_id);
    if (ulen + 20 > 0xffff) return -EMSGSIZE;  // more than 65507 bytes of payload
    // sock_alloc_send_skb(): a pending error first, then the send buffer.
    if (sk->sk_err) {
      const int e = sk->sk_err;
      sk->sk_err = 0;
      TRACE_BRANCH(cpu, step::kUdp03, "sock_alloc_send_pskb", call_id,
                   "pending socket error reported: -{}", errno_name(e));
      return -e;
    }
    if (sk->wmem_alloc >= sk->sndbuf) {
      TRACE_BRANCH(cpu, step::kUdp03, "sock_alloc_send_pskb", call_id,
                   "sk_wmem_alloc {} >= sk_sndbuf {}: {}", sk->wmem_alloc, sk->sndbuf,
                   (flags & MSG_DONTWAIT) ? "-EAGAIN" : "wait for memory");
      if (flags & MSG_DONTWAIT) {
        host_.mib.udp.inc(UdpMibField::SndbufErrors);
        return -EAGAIN;
      }
      return -ERESTARTSYS;  // the caller blocks the task on wq_tx
    }
    SkBuff* skb = host_.pool().alloc(ulen, cpu.now());
    skb_set_owner_w(skb, sk);
    // The copy from user space (getfrag = ip_generic_getfrag).
    uint8_t* p = skb->put(ulen);
    std::memcpy(p + UdpHdr::kLen, data, len);
    cpu.charge(host_.costs.ip_make_skb + host_.costs.copy(len));
    skb->reset_transport_header();
    skb->dst = rt;
    // CHECKSUM_PARTIAL when the device can checksum and it fits the MTU.
    const bool fits = ulen + 20 <= rt->mtu;
    if (fits && (rt->dev->features & netif_f::kHwCsum)) skb->ip_summed = Csum::kPartial;
    // IP_PMTUDISC_WANT (or DONT) lets a datagram above the MTU be
    // fragmented here despite DF (skb->ignore_df); DF is set only when it fits.
    skb->ignore_df = sk->pmtudisc < 2;
    TRACE_BRANCH(cpu, step::kUdp03, "ip_make_skb", skb->id, "{} bytes copied into skb {} ({})",
                 static_cast<uint64_t>(len), skb->id,
                 fits ? "fits the MTU" : "larger than the MTU: will be fragmented");
    long rc = 0;
    send_skb(cpu, sk, skb, saddr, daddr, dport, &rc);
    return rc < 0 ? rc : static_cast<long>(len);
  }

  // Corked: ip_append_data() into the pending datagram.
  if (!sk->pending) {
    sk->pending = true;
    sk->cork_daddr = daddr;
    sk->cork_dport = dport;
    sk->cork_saddr = saddr;
    sk->cork_dst = rt;
    sk->cork_len = 0;
  }
  if (sk->cork_len + len + UdpHdr::kLen + 20 > 0xffff) {
    // Too much pending: udp_flush_pending_frames() and -EMSGSIZE.
    while (SkBuff* s = sk->cork_queue.dequeue()) host_.pool().drop(s, DropReason::SOCKET_SNDBUFF);
    sk->pending = false;
    sk->cork_len = 0;
    return -EMSGSIZE;
  }
  SkBuff* piece = host_.pool().alloc(static_cast<uint32_t>(len), cpu.now());
  std::memcpy(piece->put(static_cast<uint32_t>(len)), data, len);
  skb_set_owner_w(piece, sk);
  cpu.charge(host_.costs.copy(len));
  sk->cork_queue.enqueue_tail(piece);
  sk->cork_len += static_cast<uint32_t>(len);
  TRACE_BRANCH(cpu, step::kUdp03, "ip_append_data", piece->id,
               "corked ({}): {} bytes appended, {} pending", sk->corkflag ? "UDP_CORK" : "MSG_MORE",
               static_cast<uint64_t>(len), sk->cork_len);
  if (!corkreq) {
    const long rc = push_pending_frames(cpu, sk);
    return rc < 0 ? rc : static_cast<long>(len);
  }
  return static_cast<long>(len);
}

// udp_push_pending_frames() -> ip_finish_skb(): the pieces become one datagram.
long Udp::push_pending_frames(Cpu& cpu, Sock* sk) {
  if (!sk->pending) return 0;
  TRACE_FN(cpu, step::kUdp03, "udp_push_pending_frames", 0);
  const uint32_t ulen = sk->cork_len + UdpHdr::kLen;
  SkBuff* skb = host_.pool().alloc(ulen, cpu.now());
  uint8_t* p = skb->put(ulen) + UdpHdr::kLen;
  while (SkBuff* piece = sk->cork_queue.dequeue()) {
    std::memcpy(p, piece->data_ptr(), piece->len());
    p += piece->len();
    skb_orphan(host_, cpu, piece);
    host_.pool().consume(piece);
  }
  skb_set_owner_w(skb, sk);
  skb->reset_transport_header();
  DstEntry* rt = sk->cork_dst;
  skb->dst = rt;
  skb->ignore_df = sk->pmtudisc < 2;
  // ip_append_data with MSG_MORE never asks for CHECKSUM_PARTIAL.
  sk->pending = false;
  sk->cork_len = 0;
  long rc = 0;
  send_skb(cpu, sk, skb, sk->cork_saddr, sk->cork_daddr, sk->cork_dport, &rc);
  return rc;
}

// UDP-04 udp_send_skb() and UDP-05 ip_send_skb().
void Udp::send_skb(Cpu& cpu, Sock* sk, SkBuff* skb, uint32_t saddr, uint32_t daddr,
                   uint16_t dport, long* rc) {
  {
    TRACE_FN(cpu, step::kUdp04, "udp_send_skb", skb->id);
    cpu.charge(host_.costs.udp_send_skb);
    const uint32_t ulen = skb->len();
    UdpHdr uh;
    uh.source = sk->num;
    uh.dest = dport;
    uh.len = static_cast<uint16_t>(ulen);
    uh.check = 0;
    uint8_t* p = skb->transport_hdr();
    uh.emit(p);
    const uint32_t pseudo = csum_pseudo(saddr, daddr, IPPROTO_UDP, static_cast<uint16_t>(ulen));
    if (skb->ip_summed == Csum::kPartial) {
      // udp4_hwcsum(): the pseudo-header sum in the field; the NIC adds the rest.
      uint32_t s = pseudo;
      while (s >> 16) s = (s & 0xffff) + (s >> 16);
      wr16(p + 6, static_cast<uint16_t>(s));
      skb->csum_start = static_cast<uint16_t>(skb->transport_header);
      skb->csum_offset = 6;
      TRACE_BRANCH(cpu, step::kUdp04, "udp4_hwcsum", skb->id,
                   "checksum offloaded: CHECKSUM_PARTIAL, pseudo-header sum in the field");
    } else {
      uint16_t c = csum_fold(csum_partial(p, ulen, pseudo));
      if (c == 0) c = 0xffff;  // CSUM_MANGLED_0
      wr16(p + 6, c);
      cpu.charge(host_.costs.csum(ulen));
      TRACE_BRANCH(cpu, step::kUdp04, "udp_csum", skb->id, "checksum in software: {:#06x}", c);
    }
  }
  IpHeaderArgs a;
  a.saddr = saddr;
  a.daddr = daddr;
  a.protocol = IPPROTO_UDP;
  a.tos = sk->tos;
  a.ttl = static_cast<uint8_t>(sk->ttl >= 0 ? sk->ttl : host_.sysctl.ipv4_ip_default_ttl);
  const bool fits = skb->len() + 20 <= skb->dst->mtu;
  a.df = fits && sk->pmtudisc >= 1 && !host_.sysctl.ipv4_ip_no_pmtu_disc;
  // ip_select_ident_segs(): a connected socket counts its own IDs; an
  // unconnected DF datagram gets ID 0; else the shared generator.
  if (sk->daddr) a.id = sk->ip_id++;
  else if (a.df) a.id = 0;
  else a.id = host_.ip->select_ident(saddr, daddr, IPPROTO_UDP);
  skb->priority = sk->priority;
  skb->mark = sk->mark;
  host_.ip->build_header(cpu, skb, a);

  TRACE_FN(cpu, step::kUdp05, "ip_send_skb", skb->id);
  int err = host_.ip->ip_local_out(cpu, skb);
  // net_xmit_errno(): a qdisc drop becomes -ENOBUFS, congestion is not an error.
  if (err > 0) err = (err == NET_XMIT_CN) ? 0 : -ENOBUFS;
  if (err) {
    host_.mib.ip.inc(IpMibField::OutDiscards);
    if (err == -ENOBUFS && !sk->recverr) {
      host_.mib.udp.inc(UdpMibField::SndbufErrors);
      TRACE_BRANCH(cpu, step::kUdp06, "udp_send_skb", 0,
                   "-ENOBUFS from the device layer: SndbufErrors, not reported without IP_RECVERR");
      err = 0;
    }
  } else {
    host_.mib.udp.inc(UdpMibField::OutDatagrams);
    TRACE_BRANCH(cpu, step::kUdp06, "UDP_INC_STATS", 0, "Udp OutDatagrams {}",
                 host_.mib.udp[UdpMibField::OutDatagrams]);
  }
  *rc = err;
}

// --------------------------------------------------------------- receive

void Udp::rcv(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx04, "udp_rcv", skb->id);
  cpu.charge(host_.costs.udp_rcv);
  UdpHdr uh;
  Ipv4Hdr ip;
  ip.parse(skb->buf.data() + skb->network_header, skb->tail - skb->network_header);
  if (!uh.parse(skb->data_ptr(), skb->len()) || uh.len < UdpHdr::kLen || uh.len > skb->len()) {
    host_.mib.udp.inc(UdpMibField::InErrors);
    host_.pool().drop(skb, DropReason::PKT_TOO_SMALL);
    return;
  }
  skb->trim(uh.len);
  // udp4_csum_init(): verified by the NIC, absent (0), or checked here.
  if (uh.check != 0 && skb->ip_summed != Csum::kUnnecessary && skb->ip_summed != Csum::kPartial) {
    const uint32_t pseudo = csum_pseudo(ip.saddr, ip.daddr, IPPROTO_UDP, uh.len);
    cpu.charge(host_.costs.csum(uh.len));
    if (csum_fold(csum_partial(skb->data_ptr(), uh.len, pseudo)) != 0) {
      host_.mib.udp.inc(UdpMibField::InCsumErrors);
      host_.mib.udp.inc(UdpMibField::InErrors);
      TRACE_BRANCH(cpu, step::kRx04, "udp_rcv", skb->id, "bad UDP checksum");
      host_.pool().drop(skb, DropReason::UDP_CSUM);
      return;
    }
  }
  Sock* sk = lookup(ip.saddr, uh.source, ip.daddr, uh.dest);
  if (!sk) {
    if (skb->pkt_type != 0) {  // broadcast/multicast: nobody listens, no error
      host_.pool().consume(skb);
      return;
    }
    host_.mib.udp.inc(UdpMibField::NoPorts);
    TRACE_BRANCH(cpu, step::kUdp06, "__UDP_INC_STATS", skb->id, "Udp NoPorts {}",
                 host_.mib.udp[UdpMibField::NoPorts]);
    TRACE_BRANCH(cpu, step::kRx04, "__udp4_lib_rcv", skb->id,
                 "no socket on port {}: NoPorts, ICMP port unreachable", uh.dest);
    skb->push(static_cast<uint32_t>(skb->data - skb->network_header));
    host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kPortUnreach, 0);
    if (cpu.tracer().on())
      cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kRx04, "kfree_skb", skb->id,
                        "NO_SOCKET: nothing bound to port {}", uh.dest);
    host_.pool().drop(skb, DropReason::NO_SOCKET);
    return;
  }
  // __udp_enqueue_schedule_skb(): over the receive buffer -> dropped.
  if (sk->rmem_alloc > sk->rcvbuf) {
    host_.mib.udp.inc(UdpMibField::RcvbufErrors);
    host_.mib.udp.inc(UdpMibField::InErrors);
    TRACE_BRANCH(cpu, step::kUdp06, "UDP_INC_STATS", skb->id, "Udp RcvbufErrors {}",
                 host_.mib.udp[UdpMibField::RcvbufErrors]);
    sk->drops++;
    if (cpu.tracer().on())
      cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kRx04, "kfree_skb", skb->id,
                        "SOCKET_RCVBUFF: sk_rmem_alloc {} > sk_rcvbuf {}: RcvbufErrors",
                        sk->rmem_alloc, sk->rcvbuf);
    host_.pool().drop(skb, DropReason::SOCKET_RCVBUFF);
    return;
  }
  // __sk_mem_raise_allocated(): all UDP sockets together stay under the hard
  // limit of net.ipv4.udp_mem (pages), else MemErrors (0: unlimited here).
  if (host_.sysctl.ipv4_udp_mem_pages > 0) {
    int64_t allocated = skb->truesize;
    for (const auto& [port, socks] : ports_)
      for (const Sock* o : socks) allocated += o->rmem_alloc;
    if (allocated > host_.sysctl.ipv4_udp_mem_pages * 4096) {
      host_.mib.udp.inc(UdpMibField::MemErrors);
      host_.mib.udp.inc(UdpMibField::InErrors);
      if (cpu.tracer().on())
        cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kRx04, "kfree_skb", skb->id,
                          "PROTO_MEM: UDP memory {} bytes over udp_mem max {} pages: MemErrors",
                          allocated, host_.sysctl.ipv4_udp_mem_pages);
      host_.pool().drop(skb, DropReason::PROTO_MEM);
      return;
    }
  }
  // The IP header stays reachable through network_header, for recvfrom's address.
  sock_queue_rcv_skb(sk, skb, cpu.now());
  TRACE_BRANCH(cpu, step::kRx04, "__udp_enqueue_schedule_skb", skb->id,
               "queued on socket port {} ({} skbs, rmem {} of {})", uh.dest,
               sk->receive_queue.qlen(), sk->rmem_alloc, sk->rcvbuf);
  // sk_data_ready = sock_def_readable(): wake a blocked reader.
  cpu.charge(host_.costs.sock_def_readable);
  sk->wq_rx.wake_all(cpu);
}

// __udp4_lib_err().
void Udp::err(Cpu& cpu, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
              uint8_t type, uint8_t code, uint32_t info, uint32_t offender) {
  // The socket that sent the datagram: local saddr:sport, remote daddr:dport.
  Sock* sk = lookup(daddr, dport, saddr, sport);
  if (!sk) {
    host_.mib.icmp.inc(IcmpMibField::InErrors);
    return;
  }
  int e = EHOSTUNREACH;
  bool harderr = false;
  if (type == IcmpHdr::kDestUnreach) {
    if (code == IcmpHdr::kFragNeeded) {
      if (sk->pmtudisc == 0) return;  // IP_PMTUDISC_DONT
      e = EMSGSIZE;
      harderr = true;
    } else if (code < 16) {
      e = kIcmpErrConvert[code].errno_;
      harderr = kIcmpErrConvert[code].fatal;
    }
  }
  if (!sk->recverr) {
    // RFC 1122 4.1.3.3: without IP_RECVERR only hard errors, and only on a
    // connected socket, reach the application.
    if (!harderr || sk->state != TCP_ESTABLISHED) {
      TRACE_BRANCH(cpu, step::kRx04, "__udp4_lib_err", 0,
                   "ICMP error -{} for port {}: ignored ({}, no IP_RECVERR)", errno_name(e), sport,
                   harderr ? "socket not connected" : "soft error");
      return;
    }
  } else {
    // ip_icmp_error(): queue on the error queue with the details.
    SkBuff* eskb = host_.pool().alloc(0, cpu.now());
    auto* ee = eskb->cb_as<SockExtendedErr>();
    *ee = SockExtendedErr{};
    ee->ee_errno = e;
    ee->ee_origin = 2;  // SO_EE_ORIGIN_ICMP
    ee->ee_type = type;
    ee->ee_code = code;
    ee->ee_info = info;
    ee->offender = offender;
    ee->dst = daddr;
    ee->port = dport;
    if (sk->rmem_alloc + static_cast<int64_t>(eskb->truesize) > sk->rcvbuf) {
      host_.pool().drop(eskb, DropReason::SOCKET_RCVBUFF);
    } else {
      sk->rmem_alloc += eskb->truesize;
      eskb->sk = sk;
      eskb->destructor = Destructor::kSockRfree;
      sk->error_queue.enqueue_tail(eskb);
    }
  }
  sk->sk_err = e;
  TRACE_BRANCH(cpu, step::kRx04, "__udp4_lib_err", 0,
               "ICMP error for port {}: sk_err = {}, reported on the next call", sport,
               errno_name(e));
  sk->wq_rx.wake_all(cpu);
  sk->wq_tx.wake_all(cpu);
}

}  // namespace stack
