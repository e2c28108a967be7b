// stack/ip.cc: IPv4 output, input and forwarding (net/ipv4/ip_output.c,
// ip_input.c, ip_forward.c, route.c; Linux 6.x).
#include "stack/ip.h"

#include "stack/dev.h"
#include "stack/errno.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/ip_fragment.h"
#include "stack/neighbour.h"
#include "stack/netfilter.h"
#include "stack/sock.h"
#include "stack/steps.h"
#include "stack/udp.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceArg;
using sim::TraceKind;

Ip::Ip(Host& host) : host_(host) {
  // ip_idents are random at boot (ip_rt_init: get_random_bytes), so IDs
  // do not start at 0 and differ per host.
  sim::Rng r = host.rng("ip_id");
  ident_seed_ = static_cast<uint32_t>(r.next());
  for (uint16_t& id : idents_) id = static_cast<uint16_t>(r.next());
}

void Ip::drop(Cpu& cpu, SkBuff* skb, DropReason reason, uint16_t step, const char* fn) {
  if (cpu.tracer().on())
    cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step, fn, skb->id, "{}: {}",
                      drop_reason_name(reason), drop_reason_text(reason));
  host_.pool().drop(skb, reason);
}

// ------------------------------------------------------------------ routes

DstEntry* Ip::route_output(Cpu& cpu, uint32_t daddr, uint64_t skb_id, int* err) {
  TRACE_FN(cpu, step::kUdp02, "ip_route_output_flow", skb_id);
  cpu.charge(host_.costs.ip_route_output);
  FibEntry* fe = host_.fib.lookup(daddr);
  if (!fe || fe->type == RtnType::kUnreachable) {
    host_.mib.ip.inc(IpMibField::OutNoRoutes);
    *err = fe ? -EHOSTUNREACH : -ENETUNREACH;
    TRACE_BRANCH(cpu, step::kUdp02, "fib_lookup", skb_id, "no route to {}: {}",
                 TraceArg::ipv4(daddr), fe ? "-EHOSTUNREACH" : "-ENETUNREACH");
    return nullptr;
  }
  DstEntry* rt = &fe->dst_cache;
  rt->use++;
  if (cpu.tracer().on()) {
    if (fe->type == RtnType::kLocal)
      cpu.tracer().branch(cpu.now(), step::kUdp02, "fib_lookup", skb_id,
                          "{} is local: dev lo", TraceArg::ipv4(daddr));
    else if (fe->gateway)
      cpu.tracer().branch(cpu.now(), step::kUdp02, "fib_lookup", skb_id,
                          "{} via {} dev {} (matched {}/{})", TraceArg::ipv4(daddr),
                          TraceArg::ipv4(fe->gateway), fe->dev->name.c_str(),
                          TraceArg::ipv4(fe->dst), fe->plen);
    else
      cpu.tracer().branch(cpu.now(), step::kUdp02, "fib_lookup", skb_id,
                          "{} on-link dev {} (matched {}/{})", TraceArg::ipv4(daddr),
                          fe->dev->name.c_str(), TraceArg::ipv4(fe->dst), fe->plen);
  }
  *err = 0;
  return rt;
}

DstEntry* Ip::route_input(uint32_t daddr, const NetDevice* in) {
  FibEntry* fe = host_.fib.lookup(daddr);
  if (!fe) return nullptr;
  fe->dst_cache.use++;
  return &fe->dst_cache;
}

// ip_idents_reserve(): a counter per hash bucket. (The kernel also adds a
// random jump proportional to the jiffies since the bucket was last used;
// the model keeps plain increments, so IDs are easy to follow in a pcap.)
uint16_t Ip::select_ident(uint32_t saddr, uint32_t daddr, uint8_t proto, uint32_t segs) {
  uint32_t h = ident_seed_ ^ daddr;
  h = (h ^ (h >> 16)) * 0x45d9f3bu;
  h ^= saddr * 0x9e3779b1u ^ proto;
  h = (h ^ (h >> 16)) * 0x45d9f3bu;
  uint16_t& id = idents_[(h ^ (h >> 16)) & 2047];
  const uint16_t v = id;
  id = static_cast<uint16_t>(id + segs);
  return v;
}

// IP-02: the header as __ip_make_skb() / ip_queue_xmit() write it.
void Ip::build_header(Cpu& cpu, SkBuff* skb, const IpHeaderArgs& a) {
  Ipv4Hdr ip;
  ip.ihl = 5;
  ip.tos = a.tos;
  ip.tot_len = static_cast<uint16_t>(skb->len() + 20);
  ip.id = a.id;
  ip.frag_off = a.df ? IP_DF : 0;
  ip.ttl = a.ttl;
  ip.protocol = a.protocol;
  ip.saddr = a.saddr;
  ip.daddr = a.daddr;
  ip.emit(skb->push(20));
  skb->reset_network_header();
  TRACE_BRANCH(cpu, step::kIp02, "ip_build_header", skb->id,
               "{} -> {} proto {} ttl {} tos {:#x} id {} {}", TraceArg::ipv4(a.saddr),
               TraceArg::ipv4(a.daddr), a.protocol, a.ttl, a.tos, a.id, a.df ? "DF" : "no DF");
}

// ------------------------------------------------------------------ output

// A netfilter hook: true if the packet goes on; on DROP it is freed here.
static bool nf_hook(Host& host, Cpu& cpu, NfHook hook, SkBuff* skb, const NetDevice* in,
                    const NetDevice* out, uint16_t step, const char* fn) {
  if (!host.nf->has_rules(hook)) return true;
  cpu.charge(host.costs.nf_hook);
  const NfVerdict v = host.nf->hook(hook, *skb, in, out);
  if (cpu.tracer().on())
    cpu.tracer().branch(cpu.now(), step, fn, skb->id, "netfilter {}: {} ({})", nf_hook_name(hook),
                        v.accept ? "ACCEPT" : "DROP",
                        v.rule >= 0 ? host.nf->rule_text(hook, v.rule).c_str() : "policy");
  if (v.accept) return true;
  if (cpu.tracer().on())
    cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step, "kfree_skb", skb->id,
                      "NETFILTER_DROP at {}", nf_hook_name(hook));
  host.pool().drop(skb, DropReason::NETFILTER_DROP);
  return false;
}

int Ip::ip_local_out(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kIp03, "ip_local_out", skb->id);
  cpu.charge(host_.costs.ip_local_out);
  // __ip_local_out(): final tot_len and header checksum (ip_send_check).
  uint8_t* h = skb->network_hdr();
  wr16(h + 2, static_cast<uint16_t>(skb->len()));
  wr16(h + 10, 0);
  wr16(h + 10, csum_fold(csum_partial(h, (h[0] & 0x0f) * 4u)));
  skb->protocol = ETH_P_IP;
  if (!nf_hook(host_, cpu, NfHook::kLocalOut, skb, nullptr, skb->dst->dev, step::kIp03,
               "nf_hook(NF_INET_LOCAL_OUT)"))
    return -EPERM;
  return dst_output(cpu, skb);
}

int Ip::dst_output(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kIp04, "dst_output", skb->id);
  // skb_dst(skb)->output was set to ip_output by __mkroute_output() for
  // unicast and local routes (ip_mc_output for multicast, not modelled).
  return ip_output(cpu, skb);
}

int Ip::ip_output(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kIp05, "ip_output", skb->id);
  cpu.charge(host_.costs.ip_output);
  host_.mib.ip.inc(IpMibField::OutRequests);
  host_.mib.ipext.inc(IpExtMibField::OutOctets, skb->len());
  skb->dev = skb->dst->dev;
  skb->protocol = ETH_P_IP;
  if (!nf_hook(host_, cpu, NfHook::kPostRouting, skb, nullptr, skb->dev, step::kIp05,
               "nf_hook(NF_INET_POST_ROUTING)"))
    return -EPERM;
  return ip_finish_output(cpu, skb);
}

namespace {
// ip_do_fragment() hands each fragment to ip_finish_output2.
class FragToOutput final : public FragOutput {
 public:
  explicit FragToOutput(Ip& ip) : ip_(ip) {}
  int output(Cpu& cpu, SkBuff* frag) override { return ip_.ip_finish_output2(cpu, frag); }

 private:
  Ip& ip_;
};
}  // namespace

int Ip::ip_finish_output(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kIp06, "ip_finish_output", skb->id);
  const uint32_t mtu = skb->dst->mtu;
  if (skb->len() <= mtu || skb->gso_size) {
    TRACE_BRANCH(cpu, step::kIp06, "ip_finish_output", skb->id,
                 "{} bytes fit the MTU {}: ip_finish_output2", skb->len(), mtu);
    return ip_finish_output2(cpu, skb);
  }
  // ip_fragment(): DF set and not allowed to ignore it -> ICMP frag needed.
  Ipv4Hdr ip;
  ip.parse(skb->network_hdr(), skb->len());
  if ((ip.frag_off & IP_DF) && !skb->ignore_df) {
    host_.mib.ip.inc(IpMibField::FragFails);
    TRACE_BRANCH(cpu, step::kIp06, "ip_fragment", skb->id,
                 "{} bytes > MTU {} with DF: ICMP frag needed, -EMSGSIZE", skb->len(), mtu);
    host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kFragNeeded, mtu);
    drop(cpu, skb, DropReason::PKT_TOO_BIG, step::kIp06, "ip_fragment");
    return -EMSGSIZE;
  }
  TRACE_BRANCH(cpu, step::kIp06, "ip_finish_output", skb->id,
               "{} bytes > MTU {}: ip_fragment", skb->len(), mtu);
  FragToOutput out(*this);
  return ip_do_fragment(cpu, host_.pool(), skb, mtu, out, host_.mib.ip, host_.costs.ip_fragment);
}

int Ip::ip_finish_output2(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kIp07, "ip_finish_output2", skb->id);
  cpu.charge(host_.costs.ip_finish_output2);
  host_.mib.ip.inc(IpMibField::OutTransmits);
  const DstEntry& rt = *skb->dst;
  Ipv4Hdr ip;
  ip.parse(skb->network_hdr(), skb->len());
  const uint32_t nexthop = rt_nexthop(rt, ip.daddr);
  Neighbour* n = host_.arp->lookup_or_create(cpu, rt.dev, nexthop);
  TRACE_BRANCH(cpu, step::kIp07, "ip_neigh_for_gw", skb->id, "next hop {} dev {}: neigh {}",
               TraceArg::ipv4(nexthop), rt.dev->name.c_str(), nud_state_name(n->nud_state));
  return host_.arp->neigh_output(cpu, n, skb);
}

// ------------------------------------------------------------------ input

void Ip::rcv(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx03, "ip_rcv", skb->id);
  cpu.charge(host_.costs.ip_rcv);
  if (skb->pkt_type == 3) {  // PACKET_OTHERHOST
    drop(cpu, skb, DropReason::OTHERHOST, step::kRx03, "ip_rcv_core");
    return;
  }
  host_.mib.ip.inc(IpMibField::InReceives);
  host_.mib.ipext.inc(IpExtMibField::InOctets, skb->len());
  Ipv4Hdr ip;
  if (!ip.parse(skb->data_ptr(), skb->len())) {
    host_.mib.ip.inc(IpMibField::InHdrErrors);
    drop(cpu, skb, DropReason::IP_INHDR, step::kRx03, "ip_rcv_core");
    return;
  }
  if (!Ipv4Hdr::checksum_ok(skb->data_ptr(), ip.hdr_len())) {
    host_.mib.ip.inc(IpMibField::InHdrErrors);
    drop(cpu, skb, DropReason::IP_CSUM, step::kRx03, "ip_rcv_core");
    return;
  }
  if (skb->len() < ip.tot_len || ip.tot_len < ip.hdr_len()) {
    host_.mib.ipext.inc(IpExtMibField::InTruncatedPkts);
    drop(cpu, skb, DropReason::PKT_TOO_SMALL, step::kRx03, "ip_rcv_core");
    return;
  }
  skb->trim(ip.tot_len);  // Ethernet padding goes
  skb->transport_header = skb->network_header + ip.hdr_len();
  if (!nf_hook(host_, cpu, NfHook::kPreRouting, skb, skb->dev, nullptr, step::kRx03,
               "nf_hook(NF_INET_PRE_ROUTING)"))
    return;
  rcv_finish(cpu, skb);
}

// ip_rcv_finish() -> ip_route_input_noref(): local, forward, or error.
void Ip::rcv_finish(Cpu& cpu, SkBuff* skb) {
  Ipv4Hdr ip;
  ip.parse(skb->data_ptr(), skb->len());
  DstEntry* rt = route_input(ip.daddr, skb->dev);
  skb->dst = rt;
  if (rt && (rt->type == RtnType::kLocal || rt->type == RtnType::kBroadcast)) {
    TRACE_BRANCH(cpu, step::kRx03, "ip_rcv_finish", skb->id, "{} is {}: ip_local_deliver",
                 TraceArg::ipv4(ip.daddr), rt->type == RtnType::kLocal ? "ours" : "broadcast");
    local_deliver(cpu, skb);
    return;
  }
  if (!host_.sysctl.ipv4_ip_forward) {
    // ip_error() without forwarding: counted, no ICMP.
    host_.mib.ip.inc(IpMibField::InAddrErrors);
    TRACE_BRANCH(cpu, step::kRx03, "ip_rcv_finish", skb->id,
                 "{} is not ours and net.ipv4.ip_forward=0", TraceArg::ipv4(ip.daddr));
    drop(cpu, skb, DropReason::IP_INADDRERRORS, step::kRx03, "ip_error");
    return;
  }
  if (!rt || rt->type == RtnType::kUnreachable) {
    host_.mib.ipext.inc(IpExtMibField::InNoRoutes);
    TRACE_BRANCH(cpu, step::kRx03, "ip_rcv_finish", skb->id, "no route to {}: ICMP net unreachable",
                 TraceArg::ipv4(ip.daddr));
    host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kNetUnreach, 0);
    drop(cpu, skb, DropReason::IP_OUTNOROUTES, step::kRx03, "ip_error");
    return;
  }
  TRACE_BRANCH(cpu, step::kRx03, "ip_rcv_finish", skb->id, "{} not ours: ip_forward via {}",
               TraceArg::ipv4(ip.daddr), rt->dev->name.c_str());
  forward(cpu, skb);
}

void Ip::local_deliver(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx03, "ip_local_deliver", skb->id);
  Ipv4Hdr ip;
  ip.parse(skb->data_ptr(), skb->len());
  if (ip.is_fragment()) {
    cpu.charge(host_.costs.ip_defrag);
    skb = host_.defrag->ip_defrag(cpu, skb);
    if (!skb) return;  // queued (or dropped) until the datagram is whole
    TRACE_BRANCH(cpu, step::kRx03, "ip_defrag", skb->id, "datagram reassembled: {} bytes",
                 skb->len());
    skb->transport_header = skb->network_header + 20;
  }
  if (!nf_hook(host_, cpu, NfHook::kLocalIn, skb, skb->dev, nullptr, step::kRx03,
               "nf_hook(NF_INET_LOCAL_IN)"))
    return;
  local_deliver_finish(cpu, skb);
}

// ip_local_deliver_finish() -> ip_protocol_deliver_rcu().
void Ip::local_deliver_finish(Cpu& cpu, SkBuff* skb) {
  Ipv4Hdr ip;
  ip.parse(skb->data_ptr(), skb->len());
  skb->pull(ip.hdr_len());
  skb->reset_transport_header();
  switch (ip.protocol) {
    case IPPROTO_UDP:
      host_.mib.ip.inc(IpMibField::InDelivers);
      host_.udp->rcv(cpu, skb);
      return;
    case IPPROTO_ICMP:
      host_.mib.ip.inc(IpMibField::InDelivers);
      host_.icmp->rcv(cpu, skb);
      return;
    default:
      host_.mib.ip.inc(IpMibField::InUnknownProtos);
      skb->push(ip.hdr_len());
      TRACE_BRANCH(cpu, step::kRx03, "ip_protocol_deliver_rcu", skb->id,
                   "no handler for protocol {}: ICMP protocol unreachable", ip.protocol);
      host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kProtUnreach, 0);
      drop(cpu, skb, DropReason::IP_NOPROTO, step::kRx03, "ip_protocol_deliver_rcu");
  }
}

// ip_forward(): TTL, MTU, NF_INET_FORWARD, then out through dst_output.
void Ip::forward(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx03, "ip_forward", skb->id);
  cpu.charge(host_.costs.ip_forward);
  if (skb->pkt_type != 0) {  // only PACKET_HOST is forwarded
    drop(cpu, skb, DropReason::OTHERHOST, step::kRx03, "ip_forward");
    return;
  }
  Ipv4Hdr ip;
  ip.parse(skb->data_ptr(), skb->len());
  if (ip.ttl <= 1) {
    host_.mib.ip.inc(IpMibField::InHdrErrors);
    TRACE_BRANCH(cpu, step::kRx03, "ip_forward", skb->id, "TTL {}: ICMP time exceeded", ip.ttl);
    host_.icmp->send_error(cpu, skb, IcmpHdr::kTimeExceeded, 0, 0);
    drop(cpu, skb, DropReason::TTL_EXPIRED, step::kRx03, "ip_forward");
    return;
  }
  const uint32_t mtu = skb->dst->mtu;
  if (skb->len() > mtu && (ip.frag_off & IP_DF)) {
    host_.mib.ip.inc(IpMibField::FragFails);
    TRACE_BRANCH(cpu, step::kRx03, "ip_forward", skb->id,
                 "{} bytes > MTU {} with DF: ICMP frag needed", skb->len(), mtu);
    host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kFragNeeded, mtu);
    drop(cpu, skb, DropReason::PKT_TOO_BIG, step::kRx03, "ip_forward");
    return;
  }
  // ip_decrease_ttl(): TTL-1 and an incremental checksum update (RFC 1624).
  uint8_t* h = skb->data_ptr();
  h[8] = static_cast<uint8_t>(h[8] - 1);
  uint32_t check = rd16(h + 10) + 0x0100u;
  wr16(h + 10, static_cast<uint16_t>(check + (check >= 0xffff)));
  skb->cb_as<IpCb>()->flags |= 0x01;  // IPSKB_FORWARDED
  if (!nf_hook(host_, cpu, NfHook::kForward, skb, skb->dev, skb->dst->dev, step::kRx03,
               "nf_hook(NF_INET_FORWARD)"))
    return;
  host_.mib.ip.inc(IpMibField::ForwDatagrams);
  skb->sk = nullptr;
  skb->priority = 0;
  dst_output(cpu, skb);
}

}  // namespace stack
