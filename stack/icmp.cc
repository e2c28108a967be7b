// stack/icmp.cc: ICMP errors and echo, ping sockets (net/ipv4/icmp.c,
// net/ipv4/ping.c, Linux 6.x).
#include "stack/icmp.h"

#include <algorithm>
#include <cstring>

#include "stack/errno.h"
#include "stack/host.h"
#include "stack/ip.h"
#include "stack/sock.h"
#include "stack/steps.h"
#include "stack/task.h"
#include "stack/udp.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceArg;
using sim::TraceKind;

namespace {
// icmp_pointers[].error: which types are errors (never answered with errors).
bool icmp_is_error(uint8_t type) {
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}
constexpr uint32_t kIcmpRatemask = 0x1818;  // net.ipv4.icmp_ratemask: types 3, 4, 11, 12
constexpr int kXrlimBurstFactor = 6;         // XRLIM_BURST_FACTOR (net/ipv4/icmp.c)
constexpr int kIcmpMsgsPerSec = 1000;        // net.ipv4.icmp_msgs_per_sec
constexpr int kIcmpMsgsBurst = 50;           // net.ipv4.icmp_msgs_burst
}  // namespace

Icmp::Icmp(Host& host) : host_(host) {}

void Icmp::frag_time_exceeded(const SkBuff& head) {
  // The expiry runs in the timer softirq; the model charges it to CPU 0.
  send_error(host_.cpu(0), &head, IcmpHdr::kTimeExceeded, 1 /* ICMP_EXC_FRAGTIME */, 0);
}

// icmp_global_allow(): a host-wide token bucket.
bool Icmp::global_allow(sim::Time now) {
  const int64_t delta_ns = std::min<int64_t>((now - global_stamp_).ns(), 1000000000);
  if (delta_ns > 1000000000 / 50) {
    const int64_t incr = kIcmpMsgsPerSec * delta_ns / 1000000000;
    if (incr) {
      global_credit_ = std::min<int64_t>(global_credit_ + incr, kIcmpMsgsBurst);
      global_stamp_ = now;
    }
  }
  if (global_credit_ > 0) {
    global_credit_--;
    return true;
  }
  return false;
}

// inet_peer_xrlim_allow(): per destination, one error per icmp_ratelimit
// with a burst of XRLIM_BURST_FACTOR.
bool Icmp::peer_allow(uint32_t daddr, uint8_t type, sim::Time now) {
  if (!((1u << type) & kIcmpRatemask)) return true;
  const int64_t timeout = host_.jiffies.from_duration(sim::ms(host_.sysctl.ipv4_icmp_ratelimit));
  if (timeout == 0) return true;
  const int64_t now_j = host_.jiffies.at(now);
  Peer& p = peers_[daddr];
  if (!p.seen) {
    p.seen = true;
    p.last = now_j - 60 * host_.jiffies.hz;  // "so that the first calculation is at its maximum"
  }
  int64_t token = p.tokens + now_j - p.last;
  p.last = now_j;
  token = std::min<int64_t>(token, kXrlimBurstFactor * timeout);
  bool ok = false;
  if (token >= timeout) {
    token -= timeout;
    ok = true;
  }
  p.tokens = token;
  return ok;
}

void Icmp::send_error(Cpu& cpu, const SkBuff* orig, uint8_t type, uint8_t code, uint32_t info) {
  TRACE_FN(cpu, step::kRx03, "__icmp_send", orig->id);
  Ipv4Hdr in;
  const uint8_t* ih = orig->buf.data() + orig->network_header;
  const uint32_t avail = orig->tail - orig->network_header;
  if (!in.parse(ih, avail)) return;
  // Never about a non-first fragment, a broadcast, or an ICMP error.
  if (in.frag_offset_bytes() != 0 || orig->pkt_type == 1 || orig->pkt_type == 2) return;
  if (in.protocol == IPPROTO_ICMP && avail >= in.hdr_len() + 1 && icmp_is_error(ih[in.hdr_len()]))
    return;
  const sim::Time now = cpu.now();
  const bool masked = (1u << type) & kIcmpRatemask && !(type == 3 && code == IcmpHdr::kFragNeeded);
  int e = 0;
  DstEntry* rt = host_.ip->route_output(cpu, in.saddr, orig->id, &e);
  if (!rt) return;
  const bool loopback = rt->dev && rt->dev->loopback;  // no rate limit towards ourselves
  if (masked && !loopback && (!global_allow(now) || !peer_allow(in.saddr, type, now))) {
    TRACE_BRANCH(cpu, step::kRx03, "icmpv4_xrlim_allow", orig->id,
                 "ICMP type {} to {} rate limited", type, TraceArg::ipv4(in.saddr));
    return;
  }
  // The error quotes as much of the datagram as fits in 576 bytes.
  const uint32_t quote = std::min<uint32_t>(avail, 576 - 20 - 8);
  SkBuff* skb = host_.pool().alloc(8 + quote, now);
  uint8_t* p = skb->put(8 + quote);
  IcmpHdr h;
  h.type = type;
  h.code = code;
  h.rest = (type == 3 && code == IcmpHdr::kFragNeeded) ? (info & 0xffff) : 0;
  h.emit(p);
  std::memcpy(p + 8, ih, quote);
  wr16(p + 2, csum_fold(csum_partial(p, 8 + quote)));
  skb->reset_transport_header();
  // The source: the address the offending packet was sent to, if it is
  // ours, else one of the outgoing device's.
  const uint32_t saddr = host_.is_local_addr(in.daddr) ? in.daddr
                                                         : host_.select_addr(rt->dev, in.saddr);
  IpHeaderArgs a;
  a.saddr = saddr;
  a.daddr = in.saddr;
  a.protocol = IPPROTO_ICMP;
  a.tos = static_cast<uint8_t>((in.tos & 0x1e) | 0xc0);  // IPTOS_PREC_INTERNETCONTROL
  a.ttl = static_cast<uint8_t>(host_.sysctl.ipv4_ip_default_ttl);
  a.id = host_.ip->select_ident(saddr, in.saddr, IPPROTO_ICMP);
  skb->dst = rt;
  skb->priority = 6;  // TC_PRIO_INTERACTIVE for the ICMP socket's tos
  host_.ip->build_header(cpu, skb, a);
  host_.mib.icmp.inc(IcmpMibField::OutMsgs);
  if (type == 3) host_.mib.icmp.inc(IcmpMibField::OutDestUnreachs);
  if (type == 11) host_.mib.icmp.inc(IcmpMibField::OutTimeExcds);
  TRACE_BRANCH(cpu, step::kRx03, "__icmp_send", skb->id, "ICMP type {} code {} to {} about skb {}",
               type, code, TraceArg::ipv4(in.saddr), orig->id);
  host_.ip->ip_local_out(cpu, skb);
}

void Icmp::rcv(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx03, "icmp_rcv", skb->id);
  cpu.charge(host_.costs.icmp_rcv);
  host_.mib.icmp.inc(IcmpMibField::InMsgs);
  IcmpHdr h;
  if (!h.parse(skb->data_ptr(), skb->len())) {
    host_.mib.icmp.inc(IcmpMibField::InErrors);
    host_.pool().drop(skb, DropReason::PKT_TOO_SMALL);
    return;
  }
  if (skb->ip_summed != Csum::kPartial &&
      csum_fold(csum_partial(skb->data_ptr(), skb->len())) != 0) {
    host_.mib.icmp.inc(IcmpMibField::InCsumErrors);
    host_.mib.icmp.inc(IcmpMibField::InErrors);
    host_.pool().drop(skb, DropReason::ICMP_CSUM);
    return;
  }
  switch (h.type) {
    case IcmpHdr::kEcho:
      host_.mib.icmp.inc(IcmpMibField::InEchos);
      echo_reply(cpu, skb);
      return;
    case IcmpHdr::kEchoReply: {
      host_.mib.icmp.inc(IcmpMibField::InEchoReps);
      const uint16_t ident = static_cast<uint16_t>(h.rest >> 16);
      auto it = ping_socks_.find(ident);
      if (it == ping_socks_.end() || it->second->dead) {
        TRACE_BRANCH(cpu, step::kRx04, "ping_rcv", skb->id, "no ping socket with id {}", ident);
        host_.pool().drop(skb, DropReason::NO_SOCKET);
        return;
      }
      Sock* sk = it->second;
      if (sk->rmem_alloc > sk->rcvbuf) {
        sk->drops++;
        host_.pool().drop(skb, DropReason::SOCKET_RCVBUFF);
        return;
      }
      sock_queue_rcv_skb(sk, skb, cpu.now());
      TRACE_BRANCH(cpu, step::kRx04, "ping_rcv", skb->id, "echo reply id {} seq {}: socket queue",
                   ident, h.rest & 0xffff);
      cpu.charge(host_.costs.sock_def_readable);
      sk->wq_rx.wake_all(cpu);
      return;
    }
    case IcmpHdr::kDestUnreach:
      host_.mib.icmp.inc(IcmpMibField::InDestUnreachs);
      deliver_error(cpu, skb, h.type, h.code, h.rest);
      return;
    case IcmpHdr::kTimeExceeded:
      host_.mib.icmp.inc(IcmpMibField::InTimeExcds);
      deliver_error(cpu, skb, h.type, h.code, h.rest);
      return;
    default:
      host_.pool().consume(skb);
  }
}

// icmp_echo(): the reply carries the request's identifier, sequence and data.
void Icmp::echo_reply(Cpu& cpu, SkBuff* req) {
  Ipv4Hdr rip;
  rip.parse(req->buf.data() + req->network_header, req->tail - req->network_header);
  const uint32_t len = req->len();
  SkBuff* skb = host_.pool().alloc(len, cpu.now());
  uint8_t* p = skb->put(len);
  std::memcpy(p, req->data_ptr(), len);
  p[0] = IcmpHdr::kEchoReply;
  wr16(p + 2, 0);
  wr16(p + 2, csum_fold(csum_partial(p, len)));
  skb->reset_transport_header();
  host_.pool().consume(req);
  int e = 0;
  DstEntry* rt = host_.ip->route_output(cpu, rip.saddr, skb->id, &e);
  if (!rt) {
    host_.pool().drop(skb, DropReason::IP_OUTNOROUTES);
    return;
  }
  IpHeaderArgs a;
  a.saddr = rip.daddr;
  a.daddr = rip.saddr;
  a.protocol = IPPROTO_ICMP;
  a.tos = rip.tos;
  a.ttl = static_cast<uint8_t>(host_.sysctl.ipv4_ip_default_ttl);
  a.id = host_.ip->select_ident(a.saddr, a.daddr, IPPROTO_ICMP);
  skb->dst = rt;
  host_.ip->build_header(cpu, skb, a);
  host_.mib.icmp.inc(IcmpMibField::OutMsgs);
  host_.mib.icmp.inc(IcmpMibField::OutEchoReps);
  TRACE_BRANCH(cpu, step::kRx03, "icmp_echo", skb->id, "echo reply to {}", TraceArg::ipv4(a.daddr));
  host_.ip->ip_local_out(cpu, skb);
}

// icmp_unreach() / icmp_err: hand the error to the protocol of the quoted
// datagram (udp_err, ping_err).
void Icmp::deliver_error(Cpu& cpu, SkBuff* skb, uint8_t type, uint8_t code, uint32_t info) {
  Ipv4Hdr outer;
  outer.parse(skb->buf.data() + skb->network_header, skb->tail - skb->network_header);
  Ipv4Hdr inner;
  const uint8_t* q = skb->data_ptr() + 8;
  const uint32_t qlen = skb->len() - 8;
  if (!inner.parse(q, qlen) || qlen < inner.hdr_len() + 8) {
    host_.mib.icmp.inc(IcmpMibField::InErrors);
    host_.pool().drop(skb, DropReason::PKT_TOO_SMALL);
    return;
  }
  const uint8_t* l4 = q + inner.hdr_len();
  if (inner.protocol == IPPROTO_UDP) {
    host_.udp->err(cpu, inner.saddr, inner.daddr, rd16(l4), rd16(l4 + 2), type, code, info,
                   outer.saddr);
  } else if (inner.protocol == IPPROTO_ICMP) {
    // ping_err(): report to the ping socket that sent the echo.
    auto it = ping_socks_.find(rd16(l4 + 4));
    if (it != ping_socks_.end() && it->second->recverr)
      it->second->sk_err = type == 3 ? EHOSTUNREACH : ETIMEDOUT;
  }
  TRACE_BRANCH(cpu, step::kRx03, "icmp_unreach", skb->id,
               "ICMP type {} code {} from {} about {} proto {}", type, code,
               TraceArg::ipv4(outer.saddr), TraceArg::ipv4(inner.daddr), inner.protocol);
  host_.pool().consume(skb);
}

void Icmp::ping_hash(Sock* sk) {
  // ping_get_port(): the identifier is the socket's "port".
  if (sk->num == 0) {
    for (int i = 0; i < 65536; ++i) {
      const uint16_t id = static_cast<uint16_t>(++next_ping_id_);
      if (id && !ping_socks_.count(id)) {
        sk->num = id;
        break;
      }
    }
  }
  ping_socks_[sk->num] = sk;
}

void Icmp::ping_unhash(Sock* sk) { ping_socks_.erase(sk->num); }

long Icmp::ping_sendmsg(Cpu& cpu, Sock* sk, const uint8_t* data, size_t len, uint32_t daddr) {
  TRACE_FN(cpu, step::kSys03, "ping_v4_sendmsg", 0);
  if (len < 8 || len > 0xffff - 20) return -EINVAL;
  if (data[0] != IcmpHdr::kEcho || data[1] != 0) return -EINVAL;
  int e = 0;
  DstEntry* rt = host_.ip->route_output(cpu, daddr, 0, &e);
  if (!rt) return e;
  if (sk->num == 0) ping_hash(sk);
  SkBuff* skb = host_.pool().alloc(static_cast<uint32_t>(len), cpu.now());
  uint8_t* p = skb->put(static_cast<uint32_t>(len));
  std::memcpy(p, data, len);
  cpu.charge(host_.costs.copy(len) + host_.costs.csum(len));
  wr16(p + 4, sk->num);  // the identifier is the socket's, not the user's
  wr16(p + 2, 0);
  wr16(p + 2, csum_fold(csum_partial(p, static_cast<uint32_t>(len))));
  skb->reset_transport_header();
  skb_set_owner_w(skb, sk);
  const uint32_t saddr = rt->prefsrc ? rt->prefsrc : host_.select_addr(rt->dev, daddr);
  IpHeaderArgs a;
  a.saddr = saddr;
  a.daddr = daddr;
  a.protocol = IPPROTO_ICMP;
  a.tos = sk->tos;
  a.ttl = static_cast<uint8_t>(sk->ttl >= 0 ? sk->ttl : host_.sysctl.ipv4_ip_default_ttl);
  a.df = skb->len() + 20 <= rt->mtu && sk->pmtudisc >= 1;
  a.id = a.df ? 0 : host_.ip->select_ident(saddr, daddr, IPPROTO_ICMP);
  skb->dst = rt;
  skb->priority = sk->priority;
  host_.ip->build_header(cpu, skb, a);
  host_.mib.icmp.inc(IcmpMibField::OutMsgs);
  host_.mib.icmp.inc(IcmpMibField::OutEchos);
  const int rc = host_.ip->ip_local_out(cpu, skb);
  return rc < 0 && rc != -EPERM ? rc : static_cast<long>(len);
}

}  // namespace stack
