// stack/flow_dissector.h: skb_get_hash() (net/core/flow_dissector.c).
//
// A flow hash over the IPv4 5-tuple, computed once and cached in
// skb->hash. fq_codel uses it to pick a flow queue, the device layer to
// pick a TX queue (netdev_pick_tx). Like __skb_get_hash(), it parses the
// packet's bytes (the IPv4 header at skb->network_header, the ports at
// IHL*4 after it), makes the tuple symmetric (both directions of a
// connection hash alike: __flow_hash_consistentify) and mixes it with a
// jhash-style function. The kernel seeds it with a random hashrnd; here
// the seed is a constant, so every run hashes the same.
//
//   uint32_t h = skb_get_hash(*skb);             // never 0
//   uint32_t q = reciprocal_scale(h, n_queues);  // 0..n-1
#pragma once

#include <cstdint>

#include "stack/skbuff.h"

namespace stack {

// The fields the hash covers (a subset of struct flow_keys).
struct FlowKeys {
  uint32_t saddr = 0, daddr = 0;  // host order
  uint16_t sport = 0, dport = 0;  // 0 for fragments and port-less protocols
  uint8_t ip_proto = 0;
  uint16_t n_proto = 0;           // ETH_P_*
  bool is_fragment = false;
};

// skb_flow_dissect_flow_keys(): false if the skb holds no parseable IPv4
// header (keys then carry only n_proto).
bool skb_flow_dissect(const SkBuff& skb, FlowKeys& keys);

// flow_hash_from_keys(): the symmetric, seeded hash of `keys`; never 0.
uint32_t flow_hash_from_keys(FlowKeys keys);

// skb_get_hash(): skb->hash, computed on first use.
uint32_t skb_get_hash(SkBuff& skb);

// jhash2() (include/linux/jhash.h): Bob Jenkins' lookup3 over u32 words.
uint32_t jhash2(const uint32_t* k, uint32_t length, uint32_t initval);

}  // namespace stack
