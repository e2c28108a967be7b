// stack/wire.h: wire formats, as in smoltcp's wire/: each header is a
// plain representation (parse from bytes, emit to bytes), and the Internet
// checksum. Everything is big-endian on the wire; the structs hold host
// order. Parsing never reads past the buffer: it returns false instead.
//
//   Ipv4Hdr ip;
//   if (!ip.parse(skb->data_ptr(), skb->len())) drop(IP_INHDR);
//   ip.ttl--; ip.emit(skb->network_hdr());   // recomputes the checksum
#pragma once

#include <cstdint>
#include <cstring>

#include "stack/netdevice.h"

namespace stack {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void wr32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// The Internet checksum (RFC 1071), as csum_partial()/csum_fold() do it:
// a 32-bit ones'-complement accumulator, folded to 16 bits at the end.
inline uint32_t csum_partial(const uint8_t* p, uint32_t len, uint32_t sum = 0) {
  uint64_t s = sum;
  while (len >= 2) {
    s += rd16(p);
    p += 2;
    len -= 2;
  }
  if (len) s += uint32_t{p[0]} << 8;
  while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
  return static_cast<uint32_t>(s);
}
inline uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}
// csum_tcpudp_nofold(): the pseudo-header sum for TCP and UDP.
inline uint32_t csum_pseudo(uint32_t saddr, uint32_t daddr, uint8_t proto, uint16_t len) {
  uint64_t s = (saddr >> 16) + (saddr & 0xffff) + (daddr >> 16) + (daddr & 0xffff) + proto + len;
  while (s >> 32) s = (s & 0xffffffff) + (s >> 32);
  return static_cast<uint32_t>(s);
}

// Ethernet II header (14 bytes).
struct EthHdr {
  MacAddr dst, src;
  uint16_t proto = 0;
  static constexpr uint32_t kLen = 14;
  bool parse(const uint8_t* p, uint32_t len) {
    if (len < kLen) return false;
    std::memcpy(dst.b.data(), p, 6);
    std::memcpy(src.b.data(), p + 6, 6);
    proto = rd16(p + 12);
    return true;
  }
  void emit(uint8_t* p) const {
    std::memcpy(p, dst.b.data(), 6);
    std::memcpy(p + 6, src.b.data(), 6);
    wr16(p + 12, proto);
  }
};

// ARP for IPv4 over Ethernet (RFC 826), 28 bytes.
struct ArpHdr {
  static constexpr uint16_t kRequest = 1;  // ARPOP_REQUEST
  static constexpr uint16_t kReply = 2;    // ARPOP_REPLY
  static constexpr uint32_t kLen = 28;
  uint16_t op = 0;
  MacAddr sha, tha;
  uint32_t spa = 0, tpa = 0;
  bool parse(const uint8_t* p, uint32_t len) {
    if (len < kLen) return false;
    // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4.
    if (rd16(p) != 1 || rd16(p + 2) != ETH_P_IP || p[4] != 6 || p[5] != 4) return false;
    op = rd16(p + 6);
    std::memcpy(sha.b.data(), p + 8, 6);
    spa = rd32(p + 14);
    std::memcpy(tha.b.data(), p + 18, 6);
    tpa = rd32(p + 24);
    return true;
  }
  void emit(uint8_t* p) const {
    wr16(p, 1);
    wr16(p + 2, ETH_P_IP);
    p[4] = 6;
    p[5] = 4;
    wr16(p + 6, op);
    std::memcpy(p + 8, sha.b.data(), 6);
    wr32(p + 14, spa);
    std::memcpy(p + 18, tha.b.data(), 6);
    wr32(p + 24, tpa);
  }
};

constexpr uint8_t IPPROTO_ICMP = 1;
constexpr uint8_t IPPROTO_TCP = 6;
constexpr uint8_t IPPROTO_UDP = 17;
constexpr uint16_t IP_DF = 0x4000;  // include/net/ip.h
constexpr uint16_t IP_MF = 0x2000;
constexpr uint16_t IP_OFFSET = 0x1fff;

// IPv4 header (RFC 791); options are kept as raw bytes, not interpreted.
struct Ipv4Hdr {
  uint8_t ihl = 5;  // in 32-bit words
  uint8_t tos = 0;
  uint16_t tot_len = 0;
  uint16_t id = 0;
  uint16_t frag_off = 0;  // flags and offset, as in the header
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  uint16_t check = 0;
  uint32_t saddr = 0, daddr = 0;

  uint32_t hdr_len() const { return ihl * 4u; }
  uint32_t frag_offset_bytes() const { return (frag_off & IP_OFFSET) * 8u; }
  bool more_fragments() const { return frag_off & IP_MF; }
  bool is_fragment() const { return frag_off & (IP_MF | IP_OFFSET); }

  // Parses and checks the basics ip_rcv_core() checks: version 4, ihl >= 5,
  // the buffer holds the header. The checksum is read, not verified.
  bool parse(const uint8_t* p, uint32_t len) {
    if (len < 20 || (p[0] >> 4) != 4) return false;
    ihl = p[0] & 0x0f;
    if (ihl < 5 || len < hdr_len()) return false;
    tos = p[1];
    tot_len = rd16(p + 2);
    id = rd16(p + 4);
    frag_off = rd16(p + 6);
    ttl = p[8];
    protocol = p[9];
    check = rd16(p + 10);
    saddr = rd32(p + 12);
    daddr = rd32(p + 16);
    return true;
  }
  // Writes the 20-byte fixed header and its checksum (ip_send_check()).
  void emit(uint8_t* p) {
    p[0] = static_cast<uint8_t>(0x40 | ihl);
    p[1] = tos;
    wr16(p + 2, tot_len);
    wr16(p + 4, id);
    wr16(p + 6, frag_off);
    p[8] = ttl;
    p[9] = protocol;
    wr16(p + 10, 0);
    wr32(p + 12, saddr);
    wr32(p + 16, daddr);
    check = csum_fold(csum_partial(p, hdr_len()));
    wr16(p + 10, check);
  }
  static bool checksum_ok(const uint8_t* p, uint32_t hdr_len) {
    return csum_fold(csum_partial(p, hdr_len)) == 0;
  }
};

// UDP header (RFC 768).
struct UdpHdr {
  static constexpr uint32_t kLen = 8;
  uint16_t source = 0, dest = 0, len = 0, check = 0;
  bool parse(const uint8_t* p, uint32_t l) {
    if (l < kLen) return false;
    source = rd16(p);
    dest = rd16(p + 2);
    len = rd16(p + 4);
    check = rd16(p + 6);
    return true;
  }
  void emit(uint8_t* p) const {
    wr16(p, source);
    wr16(p + 2, dest);
    wr16(p + 4, len);
    wr16(p + 6, check);
  }
};

// ICMP header (RFC 792): type, code, checksum and the 4-byte rest.
struct IcmpHdr {
  static constexpr uint32_t kLen = 8;
  static constexpr uint8_t kEchoReply = 0;
  static constexpr uint8_t kDestUnreach = 3;
  static constexpr uint8_t kEcho = 8;
  static constexpr uint8_t kTimeExceeded = 11;
  // Destination-unreachable codes (include/uapi/linux/icmp.h).
  static constexpr uint8_t kNetUnreach = 0;
  static constexpr uint8_t kHostUnreach = 1;
  static constexpr uint8_t kProtUnreach = 2;
  static constexpr uint8_t kPortUnreach = 3;
  static constexpr uint8_t kFragNeeded = 4;
  uint8_t type = 0, code = 0;
  uint16_t check = 0;
  uint32_t rest = 0;  // echo: id << 16 | sequence; frag needed: mtu in low 16 bits
  bool parse(const uint8_t* p, uint32_t l) {
    if (l < kLen) return false;
    type = p[0];
    code = p[1];
    check = rd16(p + 2);
    rest = rd32(p + 4);
    return true;
  }
  void emit(uint8_t* p) const {
    p[0] = type;
    p[1] = code;
    wr16(p + 2, check);
    wr32(p + 4, rest);
  }
};

// Dotted-quad for messages ("10.0.0.1"); addresses are host order uint32.
inline void format_ipv4(uint32_t a, char out[16]) {
  int n = 0;
  for (int i = 3; i >= 0; --i) {
    unsigned v = (a >> (8 * i)) & 0xff;
    if (v >= 100) out[n++] = static_cast<char>('0' + v / 100);
    if (v >= 10) out[n++] = static_cast<char>('0' + v / 10 % 10);
    out[n++] = static_cast<char>('0' + v % 10);
    if (i) out[n++] = '.';
  }
  out[n] = 0;
}

}  // namespace stack
