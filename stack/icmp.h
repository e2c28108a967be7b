// stack/icmp.h: ICMP (net/ipv4/icmp.c) and ping sockets (net/ipv4/ping.c).
//
// Errors (icmp_send): destination unreachable (net, host, protocol, port,
// fragmentation needed), time exceeded; never about an ICMP error, a
// non-first fragment or a broadcast, and rate limited as the kernel does
// (icmp_global_allow: net.ipv4.icmp_msgs_per_sec / burst; per destination:
// net.ipv4.icmp_ratelimit for the types in icmp_ratemask). Errors reaching
// their sender go to the protocol's err handler (udp_err: ECONNREFUSED on a
// connected socket, the error queue with IP_RECVERR).
// Echo (icmp_echo) is answered; echo replies go to ping sockets
// (SOCK_DGRAM, IPPROTO_ICMP) matched by identifier.
#pragma once

#include <cstdint>
#include <map>

#include "sim/cpu.h"
#include "stack/ip_fragment.h"
#include "stack/skbuff.h"

namespace stack {

class Host;
struct Sock;

class Icmp final : public DefragOps {
 public:
  explicit Icmp(Host& host);

  // ip_expire(): a fragment queue timed out holding its first fragment.
  void frag_time_exceeded(const SkBuff& head) override;

  // icmp_send(): an error about `orig` (data at its IP header) back to its
  // source. Does not consume `orig`.
  void send_error(sim::Cpu& cpu, const SkBuff* orig, uint8_t type, uint8_t code, uint32_t info);
  // icmp_rcv(): data at the ICMP header.
  void rcv(sim::Cpu& cpu, SkBuff* skb);

  // Ping sockets: bound by identifier (the socket's "port").
  void ping_hash(Sock* sk);
  void ping_unhash(Sock* sk);
  // ping_v4_sendmsg(): the user gives an ICMP echo header plus data.
  long ping_sendmsg(sim::Cpu& cpu, Sock* sk, const uint8_t* data, size_t len, uint32_t daddr);

 private:
  bool global_allow(sim::Time now);
  bool peer_allow(uint32_t daddr, uint8_t type, sim::Time now);
  void echo_reply(sim::Cpu& cpu, SkBuff* skb);
  void deliver_error(sim::Cpu& cpu, SkBuff* skb, uint8_t type, uint8_t code, uint32_t info);

  Host& host_;
  // icmp_global: a token bucket of icmp_msgs_per_sec (1000), burst 50.
  int64_t global_credit_ = 50;
  sim::Time global_stamp_;
  // inet_peer rate limit per destination (rate_tokens in jiffies).
  struct Peer {
    int64_t tokens = 0;
    int64_t last = 0;
    bool seen = false;
  };
  std::map<uint32_t, Peer> peers_;
  std::map<uint16_t, Sock*> ping_socks_;
  uint16_t next_ping_id_ = 0;
};

}  // namespace stack
