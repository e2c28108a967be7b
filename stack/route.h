// stack/route.h: the IPv4 routing table and the dst entries it hands out.
//
// Mirrors net/ipv4/fib_*.c and net/ipv4/route.c in what a user sees: a
// longest-prefix-match table (`ip route show` for the main table, plus the
// local table of the host's own and broadcast addresses), and struct rtable
// (DstEntry here) telling the packet where to go: out of a device to a next
// hop (ip_output), up to this host (ip_local_deliver), or on (ip_forward).
// Linux has had no route cache since 3.6; each nexthop caches its output
// and input dst (nh_pcpu_rth_output, nh_rth_input), which is what the
// DstEntry embedded in each entry stands for: a lookup allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace stack {

class NetDevice;

enum class RtnType : uint8_t { kUnicast, kLocal, kBroadcast, kUnreachable };

// struct rtable.
struct DstEntry {
  RtnType type = RtnType::kUnicast;
  NetDevice* dev = nullptr;   // output device (the loopback device for local)
  uint32_t gateway = 0;       // rt_gw4; 0: the destination is on-link
  uint32_t prefsrc = 0;       // source address to use (fib_result_prefsrc)
  uint32_t mtu = 1500;        // dst_mtu
  uint64_t use = 0;           // __use: lookups that returned it
};

// rt_nexthop(): where the frame goes at layer 2.
inline uint32_t rt_nexthop(const DstEntry& rt, uint32_t daddr) {
  return rt.gateway ? rt.gateway : daddr;
}

struct FibEntry {
  uint32_t dst = 0;  // prefix, host order
  uint8_t plen = 0;
  uint32_t gateway = 0;
  NetDevice* dev = nullptr;
  uint32_t metric = 0;
  uint32_t prefsrc = 0;
  RtnType type = RtnType::kUnicast;
  bool local_table = false;  // table local (own addresses, broadcasts) vs main
  DstEntry dst_cache;        // the nexthop's cached dst
};

class Fib {
 public:
  // ip route add DST/PLEN [via GW] dev DEV [metric M] [src PREFSRC]
  FibEntry& add(uint32_t dst, uint8_t plen, uint32_t gateway, NetDevice* dev, uint32_t metric,
                uint32_t prefsrc, RtnType type, bool local_table);
  // fib_lookup(): the local table first, then the main table's longest
  // prefix (lowest metric among equals). nullptr: no route.
  const FibEntry* lookup(uint32_t daddr) const;
  FibEntry* lookup(uint32_t daddr);
  // `ip route show` (main table) lines, in table order.
  std::vector<std::string> dump() const;
  const std::vector<std::unique_ptr<FibEntry>>& entries() const { return entries_; }

 private:
  std::vector<std::unique_ptr<FibEntry>> entries_;  // sorted: local first, then plen desc, metric
};

std::string ipv4_str(uint32_t a);
inline uint32_t prefix_mask(uint8_t plen) { return plen == 0 ? 0 : ~uint32_t{0} << (32 - plen); }

}  // namespace stack
