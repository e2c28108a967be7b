// nic_model/mac.cc: transmit offloads done in hardware.
#include "nic_model/mac.h"

#include <cstring>

#include "stack/wire.h"

namespace nic_model {

using stack::SkBuff;

bool hw_insert_checksum(SkBuff& skb) {
  const uint32_t start = skb.csum_start;
  const uint32_t field = start + skb.csum_offset;
  if (start < skb.data || field + 2 > skb.tail) return false;
  uint8_t* b = skb.buf.data();
  uint16_t c = stack::csum_fold(stack::csum_partial(b + start, skb.tail - start));
  // offsetof(struct udphdr, check) == 6: a UDP checksum that computes to 0
  // is sent as all ones (CSUM_MANGLED_0 in include/net/checksum.h).
  if (skb.csum_offset == 6 && c == 0) c = 0xffff;
  stack::wr16(b + field, c);
  skb.ip_summed = stack::Csum::kNone;
  return true;
}

bool tso_parse(const SkBuff& skb, TsoHeaders* h) {
  const uint8_t* p = skb.data_ptr();
  const uint32_t len = skb.len();
  if (len < stack::ETH_HLEN + 20 || stack::rd16(p + 12) != stack::ETH_P_IP) return false;
  h->ip_off = stack::ETH_HLEN;
  const uint32_t ihl = (p[h->ip_off] & 0x0f) * 4u;
  if (ihl < 20 || p[h->ip_off + 9] != stack::IPPROTO_TCP) return false;
  h->tcp_off = h->ip_off + ihl;
  if (len < h->tcp_off + 20) return false;
  const uint32_t doff = (p[h->tcp_off + 12] >> 4) * 4u;
  if (doff < 20 || len < h->tcp_off + doff) return false;
  h->hdr_len = h->tcp_off + doff;
  h->payload = len - h->hdr_len;
  return true;
}

SkBuff* tso_build_segment(const SkBuff& skb, const TsoHeaders& h, uint32_t mss, uint32_t i,
                          uint32_t nsegs, stack::SkbPool& pool, sim::Time now) {
  const uint32_t off = i * mss;
  const uint32_t seg_payload = h.payload - off < mss ? h.payload - off : mss;
  const uint32_t seg_len = h.hdr_len + seg_payload;
  SkBuff* s = pool.alloc(seg_len, now);
  uint8_t* p = s->put(seg_len);
  const uint8_t* src = skb.data_ptr();
  std::memcpy(p, src, h.hdr_len);
  std::memcpy(p + h.hdr_len, src + h.hdr_len + off, seg_payload);
  s->queue_mapping = skb.queue_mapping;
  s->priority = skb.priority;
  s->protocol = skb.protocol;
  s->mac_header = s->data;
  s->network_header = s->data + h.ip_off;
  s->transport_header = s->data + h.tcp_off;

  // IPv4: total length, id incremented per segment, header checksum.
  uint8_t* ip = p + h.ip_off;
  const uint32_t ihl = h.tcp_off - h.ip_off;
  stack::wr16(ip + 2, static_cast<uint16_t>(seg_len - h.ip_off));
  stack::wr16(ip + 4, static_cast<uint16_t>(stack::rd16(src + h.ip_off + 4) + i));
  stack::wr16(ip + 10, 0);
  stack::wr16(ip + 10, stack::csum_fold(stack::csum_partial(ip, ihl)));

  // TCP: sequence number, flags, checksum over the pseudo-header.
  uint8_t* tcp = p + h.tcp_off;
  stack::wr32(tcp + 4, stack::rd32(src + h.tcp_off + 4) + off);
  constexpr uint8_t kFin = 0x01, kPsh = 0x08, kCwr = 0x80;  // include/net/tcp.h TCPHDR_*
  if (i + 1 != nsegs) tcp[13] &= static_cast<uint8_t>(~(kFin | kPsh));
  if (i != 0) tcp[13] &= static_cast<uint8_t>(~kCwr);
  const uint32_t tcp_len = seg_len - h.tcp_off;
  stack::wr16(tcp + 16, 0);
  const uint32_t pseudo = stack::csum_pseudo(stack::rd32(ip + 12), stack::rd32(ip + 16),
                                             stack::IPPROTO_TCP, static_cast<uint16_t>(tcp_len));
  stack::wr16(tcp + 16, stack::csum_fold(stack::csum_partial(tcp, tcp_len, pseudo)));
  return s;
}

SkBuff* wire_copy(const SkBuff& src, stack::SkbPool& pool, sim::Time now) {
  SkBuff* s = pool.clone(src, now);
  s->sk = nullptr;
  s->dst = nullptr;
  s->dev = nullptr;
  s->destructor = stack::Destructor::kNone;
  s->gso_size = 0;
  s->gso_segs = 0;
  s->user = 0;
  return s;
}

}  // namespace nic_model
