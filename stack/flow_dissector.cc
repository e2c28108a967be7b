// stack/flow_dissector.cc: skb_get_hash() (net/core/flow_dissector.c) and
// a jhash2 (include/linux/jhash.h, Bob Jenkins' lookup3, public domain).
#include "stack/flow_dissector.h"

#include <utility>

#include "stack/wire.h"

namespace stack {

namespace {

constexpr uint32_t rol32(uint32_t w, unsigned s) { return (w << s) | (w >> (32 - s)); }

// JHASH_INITVAL (include/linux/jhash.h): an arbitrary value.
constexpr uint32_t kJhashInitval = 0xdeadbeef;
// The kernel's hashrnd is random per boot (net_get_random_once); a fixed
// seed keeps runs reproducible.
constexpr uint32_t kHashRnd = 0x5eed0001;

// __jhash_mix(): reversible mixing of three words.
inline void jhash_mix(uint32_t& a, uint32_t& b, uint32_t& c) {
  a -= c; a ^= rol32(c, 4);  c += b;
  b -= a; b ^= rol32(a, 6);  a += c;
  c -= b; c ^= rol32(b, 8);  b += a;
  a -= c; a ^= rol32(c, 16); c += b;
  b -= a; b ^= rol32(a, 19); a += c;
  c -= b; c ^= rol32(b, 4);  b += a;
}

// __jhash_final(): final avalanche of three words into c.
inline void jhash_final(uint32_t& a, uint32_t& b, uint32_t& c) {
  c ^= b; c -= rol32(b, 14);
  a ^= c; a -= rol32(c, 11);
  b ^= a; b -= rol32(a, 25);
  c ^= b; c -= rol32(b, 16);
  a ^= c; a -= rol32(c, 4);
  b ^= a; b -= rol32(a, 14);
  c ^= b; c -= rol32(b, 24);
}

}  // namespace

uint32_t jhash2(const uint32_t* k, uint32_t length, uint32_t initval) {
  uint32_t a = kJhashInitval + (length << 2) + initval;
  uint32_t b = a, c = a;
  while (length > 3) {
    a += k[0];
    b += k[1];
    c += k[2];
    jhash_mix(a, b, c);
    length -= 3;
    k += 3;
  }
  switch (length) {  // the last 1..3 words
    case 3: c += k[2]; [[fallthrough]];
    case 2: b += k[1]; [[fallthrough]];
    case 1:
      a += k[0];
      jhash_final(a, b, c);
      break;
    case 0:
      break;
  }
  return c;
}

bool skb_flow_dissect(const SkBuff& skb, FlowKeys& keys) {
  keys = FlowKeys{};
  keys.n_proto = skb.protocol;
  if (skb.protocol != ETH_P_IP) return false;
  if (skb.network_header >= skb.tail) return false;
  const uint8_t* nh = skb.buf.data() + skb.network_header;
  const uint32_t avail = skb.tail - skb.network_header;
  Ipv4Hdr ip;
  if (!ip.parse(nh, avail)) return false;
  keys.saddr = ip.saddr;
  keys.daddr = ip.daddr;
  keys.ip_proto = ip.protocol;
  // __skb_flow_dissect(): every fragment, the first included, stops
  // before the ports unless FLOW_DISSECTOR_F_PARSE_1ST_FRAG is asked for
  // (skb_get_hash does not), so all fragments of a datagram share a hash
  // and a queue and are not reordered.
  if (ip.is_fragment()) {
    keys.is_fragment = true;
    return true;
  }
  // __skb_flow_get_ports(): the first four bytes of TCP and UDP.
  if (ip.protocol == IPPROTO_TCP || ip.protocol == IPPROTO_UDP) {
    const uint32_t off = ip.hdr_len();
    if (uint64_t{off} + 4 <= avail) {
      keys.sport = rd16(nh + off);
      keys.dport = rd16(nh + off + 2);
    }
  }
  return true;
}

uint32_t flow_hash_from_keys(FlowKeys keys) {
  // __flow_hash_consistentify(): order the endpoints so that A->B and
  // B->A hash the same (the kernel compares the raw big-endian words; here
  // host order, which only changes which side is "first").
  if (keys.daddr < keys.saddr || (keys.daddr == keys.saddr && keys.dport < keys.sport)) {
    std::swap(keys.saddr, keys.daddr);
    std::swap(keys.sport, keys.dport);
  }
  const uint32_t words[4] = {
      keys.saddr,
      keys.daddr,
      uint32_t{keys.sport} << 16 | keys.dport,
      uint32_t{keys.n_proto} << 16 | keys.ip_proto,
  };
  uint32_t hash = jhash2(words, 4, kHashRnd);
  // __flow_hash_from_keys(): 0 means "no hash", so never return it.
  if (!hash) hash = 1;
  return hash;
}

uint32_t skb_get_hash(SkBuff& skb) {
  if (skb.hash) return skb.hash;  // skb->l4_hash/sw_hash: already computed
  FlowKeys keys;
  skb_flow_dissect(skb, keys);
  skb.hash = flow_hash_from_keys(keys);
  return skb.hash;
}

}  // namespace stack
