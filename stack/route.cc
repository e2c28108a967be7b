// stack/route.cc: longest-prefix match over a small sorted table.
//
// Scenario routing tables have tens of entries, so a sorted vector scanned
// from the most specific prefix is both simple and fast; Linux's LC-trie
// (net/ipv4/fib_trie.c) gives the same answers.
#include "stack/route.h"

#include <algorithm>

#include <fmt/format.h>

#include "stack/netdevice.h"

namespace stack {

std::string ipv4_str(uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

FibEntry& Fib::add(uint32_t dst, uint8_t plen, uint32_t gateway, NetDevice* dev, uint32_t metric,
                   uint32_t prefsrc, RtnType type, bool local_table) {
  auto e = std::make_unique<FibEntry>();
  e->dst = dst & prefix_mask(plen);
  e->plen = plen;
  e->gateway = gateway;
  e->dev = dev;
  e->metric = metric;
  e->prefsrc = prefsrc;
  e->type = type;
  e->local_table = local_table;
  e->dst_cache.type = type;
  e->dst_cache.dev = dev;
  e->dst_cache.gateway = gateway;
  e->dst_cache.prefsrc = prefsrc;
  e->dst_cache.mtu = dev ? dev->mtu : 1500;
  FibEntry& ref = *e;
  entries_.push_back(std::move(e));
  // Stable sort keeps insertion order among equals: deterministic.
  std::stable_sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
    if (a->local_table != b->local_table) return a->local_table;
    if (a->plen != b->plen) return a->plen > b->plen;
    return a->metric < b->metric;
  });
  return ref;
}

FibEntry* Fib::lookup(uint32_t daddr) {
  for (auto& e : entries_)
    if ((daddr & prefix_mask(e->plen)) == e->dst) return e.get();
  return nullptr;
}

const FibEntry* Fib::lookup(uint32_t daddr) const {
  return const_cast<Fib*>(this)->lookup(daddr);
}

std::vector<std::string> Fib::dump() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) {
    if (e->local_table) continue;
    std::string s = e->plen == 0 ? "default" : fmt::format("{}/{}", ipv4_str(e->dst), e->plen);
    if (e->type == RtnType::kUnreachable) {
      out.push_back("unreachable " + s);
      continue;
    }
    if (e->gateway) s += " via " + ipv4_str(e->gateway);
    if (e->dev) s += " dev " + e->dev->name;
    if (!e->gateway) s += " proto kernel scope link";
    if (e->prefsrc) s += " src " + ipv4_str(e->prefsrc);
    if (e->metric) s += fmt::format(" metric {}", e->metric);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace stack
