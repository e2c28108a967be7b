// stack/udp.h: UDP (net/ipv4/udp.c, Linux 6.x).
//
// Send (UDP-01..05): udp_sendmsg() finds the destination (the message's or
// the connected one), routes (cached on a connected socket), then either
// builds one skb with ip_make_skb() (the fast path) or appends to a corked
// datagram (UDP_CORK / MSG_MORE, ip_append_data) sent on uncork;
// udp_send_skb() writes the header and the checksum (offloaded:
// CHECKSUM_PARTIAL with the pseudo-header sum; else in software), and
// ip_send_skb() sends it.
// Receive (RX-04): udp_rcv() checks the header and checksum, looks up the
// socket (connected match scores above a wildcard bind, as compute_score
// does), queues to the receive buffer or counts RcvbufErrors, or answers
// ICMP port unreachable (NoPorts).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "sim/cpu.h"
#include "sim/rng.h"
#include "stack/skbuff.h"

namespace stack {

class Host;
struct Sock;

class Udp {
 public:
  explicit Udp(Host& host);

  // udp_sendmsg(). Returns bytes sent or -errno (-ERESTARTSYS: blocked).
  long sendmsg(sim::Cpu& cpu, Sock* sk, const uint8_t* data, size_t len, int flags,
               const uint32_t* daddr, const uint16_t* dport, uint64_t call_id);
  // udp_push_pending_frames(): send a corked datagram.
  long push_pending_frames(sim::Cpu& cpu, Sock* sk);
  // RX-04 udp_rcv(): data at the UDP header.
  void rcv(sim::Cpu& cpu, SkBuff* skb);
  // __udp4_lib_err(): an ICMP error about a datagram we sent.
  void err(sim::Cpu& cpu, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
           uint8_t type, uint8_t code, uint32_t info, uint32_t offender);

  // Port table: udp_lib_get_port() (0 = pick an ephemeral port).
  int get_port(Sock* sk, uint16_t port);
  void unhash(Sock* sk);
  Sock* lookup(uint32_t saddr, uint16_t sport, uint32_t daddr, uint16_t dport);

 private:
  void send_skb(sim::Cpu& cpu, Sock* sk, SkBuff* skb, uint32_t saddr, uint32_t daddr,
                uint16_t dport, long* rc);
  Host& host_;
  std::map<uint16_t, std::vector<Sock*>> ports_;
  sim::Rng port_rng_;
};

}  // namespace stack
