// stack/ip.h: IPv4 output and input (net/ipv4/ip_output.c, ip_input.c,
// ip_forward.c, route.c's output and input lookups).
//
// Output, as the seeds walk it:
//   ip_route_output (UDP-02 / IP-01) -> header (IP-02) -> ip_local_out
//   (IP-03, NF_INET_LOCAL_OUT) -> dst_output (IP-04) -> ip_output (IP-05,
//   NF_INET_POST_ROUTING) -> ip_finish_output (IP-06: fragment above the
//   MTU) -> ip_finish_output2 (IP-07: the neighbour) -> neigh_output.
// Input: ip_rcv (RX-03: header checks, NF_INET_PRE_ROUTING) ->
//   ip_rcv_finish (route input) -> ip_local_deliver (reassembly,
//   NF_INET_LOCAL_IN) -> udp_rcv / icmp_rcv, or ip_forward (TTL,
//   NF_INET_FORWARD) -> ip_output.
#pragma once

#include <cstdint>

#include "sim/cpu.h"
#include "stack/route.h"
#include "stack/skbuff.h"

namespace stack {

class Host;
struct Sock;

// What the IP layer keeps in skb->cb (struct inet_skb_parm, IPCB()).
struct IpCb {
  uint8_t flags;  // IPSKB_FORWARDED etc.
  uint8_t frag_max_size_hi;
  uint16_t frag_max_size;
};

// Parameters of an IP header to build (what inet_sock + ipcm give).
struct IpHeaderArgs {
  uint32_t saddr = 0, daddr = 0;
  uint8_t protocol = 0;
  uint8_t tos = 0;
  uint8_t ttl = 64;
  bool df = false;
  uint16_t id = 0;
};

class Ip {
 public:
  explicit Ip(Host& host);

  // ip_route_output_flow(): a route for daddr, or nullptr with *err set
  // (-ENETUNREACH; OutNoRoutes counted).
  DstEntry* route_output(sim::Cpu& cpu, uint32_t daddr, uint64_t skb_id, int* err);
  // ip_route_input_noref(): where a received packet goes.
  DstEntry* route_input(uint32_t daddr, const NetDevice* in);

  // ip_select_ident(): the IP ID for a datagram (per-destination counter
  // bucket, seeded per host, as ip_idents does).
  uint16_t select_ident(uint32_t saddr, uint32_t daddr, uint8_t proto, uint32_t segs = 1);
  // IP-02: push and fill a 20-byte IPv4 header in front of the skb data.
  void build_header(sim::Cpu& cpu, SkBuff* skb, const IpHeaderArgs& a);

  // IP-03 ip_local_out(): data at the IP header, skb->dst set.
  int ip_local_out(sim::Cpu& cpu, SkBuff* skb);
  // IP-04 dst_output().
  int dst_output(sim::Cpu& cpu, SkBuff* skb);
  // IP-05 ip_output().
  int ip_output(sim::Cpu& cpu, SkBuff* skb);
  // IP-06 ip_finish_output().
  int ip_finish_output(sim::Cpu& cpu, SkBuff* skb);
  // IP-07 ip_finish_output2().
  int ip_finish_output2(sim::Cpu& cpu, SkBuff* skb);

  // RX-03 ip_rcv(): data at the IP header.
  void rcv(sim::Cpu& cpu, SkBuff* skb);

 private:
  void rcv_finish(sim::Cpu& cpu, SkBuff* skb);
  void local_deliver(sim::Cpu& cpu, SkBuff* skb);
  void local_deliver_finish(sim::Cpu& cpu, SkBuff* skb);
  void forward(sim::Cpu& cpu, SkBuff* skb);
  void drop(sim::Cpu& cpu, SkBuff* skb, DropReason reason, uint16_t step, const char* fn);

  Host& host_;
  uint32_t ident_seed_;
  uint16_t idents_[2048] = {};  // ip_idents: IP_IDENTS_SZ buckets
};

}  // namespace stack
