// stack/inet_ecn.h: ECN codepoints and INET_ECN_set_ce() (include/net/inet_ecn.h).
//
// An AQM that would drop a packet of an ECN-capable flow marks it instead:
// the two low bits of the IPv4 TOS byte become CE (11), and the header
// checksum is patched incrementally (RFC 1624), as IP_ECN_set_ce() does,
// so the frame stays valid on the wire and in pcap files.
//
//   if (ecn && INET_ECN_set_ce(*skb)) stats.ecn_mark++; else drop(skb);
#pragma once

#include <cstdint>

#include "stack/skbuff.h"
#include "stack/wire.h"

namespace stack {

// enum { INET_ECN_NOT_ECT, INET_ECN_ECT_1, INET_ECN_ECT_0, INET_ECN_CE }.
constexpr uint8_t INET_ECN_NOT_ECT = 0;
constexpr uint8_t INET_ECN_ECT_1 = 1;
constexpr uint8_t INET_ECN_ECT_0 = 2;
constexpr uint8_t INET_ECN_CE = 3;
constexpr uint8_t INET_ECN_MASK = 3;

// IP_ECN_set_ce(): marks an ECT packet CE. Returns true if the packet now
// carries CE (it was ECT, or already CE), false for a Not-ECT packet,
// which the caller must drop instead.
inline bool ip_ecn_set_ce(uint8_t* iph) {
  const uint8_t ecn = iph[1] & INET_ECN_MASK;
  if (ecn == INET_ECN_CE) return true;
  if (ecn == INET_ECN_NOT_ECT) return false;
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), m the 16-bit word holding
  // version/IHL and TOS, before and after.
  const uint16_t old_word = rd16(iph);
  iph[1] |= INET_ECN_CE;
  const uint16_t new_word = rd16(iph);
  uint32_t sum = static_cast<uint16_t>(~rd16(iph + 10));
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  wr16(iph + 10, static_cast<uint16_t>(~sum));
  return true;
}

// INET_ECN_set_ce(): only IPv4 is modelled; the IP header must lie in
// the skb (skb_network_header + sizeof(iphdr) <= skb_tail_pointer).
inline bool INET_ECN_set_ce(SkBuff& skb) {
  if (skb.protocol != ETH_P_IP) return false;
  if (uint64_t{skb.network_header} + 20 > skb.tail) return false;
  return ip_ecn_set_ce(skb.network_hdr());
}

}  // namespace stack
