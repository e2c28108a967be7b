// nic_model/mac.h: the Ethernet MAC's transmit side: how long a frame
// occupies the wire, and what the hardware does to the bytes on the way
// out (checksum insertion, TCP segmentation offload).
//
// Wire occupancy of a frame of L bytes as the skb holds it (destination MAC
// to the end of the payload, no FCS), IEEE 802.3 clause 3/4:
//   preamble 7 + SFD 1 + max(L, 60) + FCS 4 + inter-frame gap 12 bytes,
// so a 1514-byte frame takes 1538 byte times: 12.304 us at 1 Gbit/s, and a
// minimum frame (60 + FCS = 64 bytes) 84 byte times. A MacSerializer keeps
// one BitClock per transmitter, so a million back-to-back frames end at
// exactly their total bits over the rate.
//
//   MacSerializer mac(sim::Rate{1000000000});
//   sim::Duration busy = mac.frame(1514);  // last bit of the FCS
//   sim::Duration gap = mac.gap();         // then the IFG
#pragma once

#include <cstdint>

#include "sim/time.h"
#include "stack/skbuff.h"

namespace nic_model {

// IEEE 802.3 framing constants.
constexpr uint32_t kPreambleSfd = 8;   // 7 bytes preamble + 1 byte SFD
constexpr uint32_t kFcs = 4;           // CRC-32 frame check sequence
constexpr uint32_t kIfg = 12;          // minimum inter-frame gap (96 bit times)
constexpr uint32_t kMinFrameNoFcs = 60;  // ETH_ZLEN (include/uapi/linux/if_ether.h)

// Bits on the wire for a frame of `len` bytes (without FCS), preamble to
// FCS, padding included; the IFG is separate.
constexpr uint64_t frame_wire_bits(uint32_t len) {
  return uint64_t{kPreambleSfd + (len < kMinFrameNoFcs ? kMinFrameNoFcs : len) + kFcs} * 8;
}

class MacSerializer {
 public:
  explicit MacSerializer(sim::Rate rate = {}) : clock_(rate) {}
  void set_rate(sim::Rate r) { clock_.set_rate(r); }
  sim::Rate rate() const { return clock_.rate(); }
  // Time from the first preamble bit to the last FCS bit.
  sim::Duration frame(uint32_t len) { return clock_.next(frame_wire_bits(len)); }
  // The inter-frame gap that follows.
  sim::Duration gap() { return clock_.next(kIfg * 8); }

 private:
  sim::BitClock clock_;
};

// CHECKSUM_PARTIAL completed by the hardware: the ones'-complement sum from
// csum_start to the end of the packet, folded, stored at csum_start +
// csum_offset. The stack left the pseudo-header sum in that field (as
// Linux's udp4_hwcsum/tcp_v4_send_check do), so the sum covers it. A UDP
// result of 0 goes out as 0xffff (RFC 768: 0 means "no checksum").
// Returns false when the offsets do not fit the packet.
bool hw_insert_checksum(stack::SkBuff& skb);

// TCP segmentation offload: splits `skb` (data at the Ethernet header, IPv4
// + TCP, gso_size > 0) into frames of at most gso_size payload bytes each,
// allocated from `pool`, as the hardware's TSE does (82599 datasheet 7.2.4;
// Linux's software twin is tcp_gso_segment/inet_gso_segment): every
// segment gets the headers with IP total length, IP id (+1 per segment) and
// header checksum fixed, TCP sequence advanced, FIN/PSH only on the last,
// CWR only on the first, and a full TCP checksum. Calls `emit(seg)` for
// each, in order. Returns the number of segments, 0 if the headers could
// not be parsed (then nothing was allocated).
template <class Emit>
uint32_t hw_tso_segment(const stack::SkBuff& skb, stack::SkbPool& pool, sim::Time now,
                        Emit&& emit);

// The parsed offsets the TSO engine needs (from the context descriptor's
// MACLEN/IPLEN/L4LEN fields in hardware).
struct TsoHeaders {
  uint32_t ip_off = 0, tcp_off = 0, hdr_len = 0, payload = 0;
};
bool tso_parse(const stack::SkBuff& skb, TsoHeaders* h);
// Builds segment `i` (payload [i*mss, ...)) into a fresh skb.
stack::SkBuff* tso_build_segment(const stack::SkBuff& skb, const TsoHeaders& h, uint32_t mss,
                                 uint32_t i, uint32_t nsegs, stack::SkbPool& pool, sim::Time now);

// A copy of `src` for the wire: the same bytes and offsets, none of the
// host's attachments (socket, route, destructor), which stay with the
// driver's skb until TX clean.
stack::SkBuff* wire_copy(const stack::SkBuff& src, stack::SkbPool& pool, sim::Time now);

template <class Emit>
uint32_t hw_tso_segment(const stack::SkBuff& skb, stack::SkbPool& pool, sim::Time now,
                        Emit&& emit) {
  TsoHeaders h;
  if (!tso_parse(skb, &h) || skb.gso_size == 0) return 0;
  const uint32_t mss = skb.gso_size;
  const uint32_t n = h.payload == 0 ? 1 : (h.payload + mss - 1) / mss;
  for (uint32_t i = 0; i < n; ++i) emit(tso_build_segment(skb, h, mss, i, n, pool, now));
  return n;
}

}  // namespace nic_model
