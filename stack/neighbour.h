// stack/neighbour.h: the neighbour subsystem and ARP (net/core/neighbour.c,
// net/ipv4/arp.c).
//
// A Neighbour maps a next-hop IPv4 address on a device to a MAC address,
// with the NUD state machine of the kernel:
//
//   NONE --send--> INCOMPLETE --reply--> REACHABLE --reachable_time--> STALE
//                      | ucast+mcast probes, retrans_time apart   |
//                      v                                          | send
//                   FAILED (queued skbs dropped, error report)    v
//   REACHABLE <--reply-- PROBE <--delay_first_probe_time-- DELAY
//
// While INCOMPLETE, skbs wait on the neighbour's arp_queue, bounded by
// unres_qlen_bytes: the oldest are dropped first. Once the address is
// known, the Ethernet header is cached (hh_cache) and neigh_output() takes
// the fast path, neigh_hh_output().
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/cpu.h"
#include "sim/rng.h"
#include "stack/netdevice.h"
#include "stack/skbuff.h"
#include "stack/timer_list.h"

namespace stack {

class Host;
class NeighTable;

// NUD states (include/uapi/linux/neighbour.h).
enum : uint8_t {
  NUD_NONE = 0x00,
  NUD_INCOMPLETE = 0x01,
  NUD_REACHABLE = 0x02,
  NUD_STALE = 0x04,
  NUD_DELAY = 0x08,
  NUD_PROBE = 0x10,
  NUD_FAILED = 0x20,
  NUD_NOARP = 0x40,
  NUD_PERMANENT = 0x80,
};
constexpr uint8_t NUD_IN_TIMER = NUD_INCOMPLETE | NUD_REACHABLE | NUD_DELAY | NUD_PROBE;
constexpr uint8_t NUD_VALID =
    NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY;
constexpr uint8_t NUD_CONNECTED = NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE;

const char* nud_state_name(uint8_t state);

// struct neigh_parms, in jiffies as the kernel keeps them.
struct NeighParms {
  int64_t base_reachable_time;  // jiffies
  int64_t reachable_time;       // randomised: [base/2, 3*base/2)
  int64_t retrans_time;
  int64_t delay_probe_time;
  int64_t locktime;
  int ucast_probes;
  int mcast_probes;
  int app_probes;
  int mcast_reprobes = 0;
  int64_t queue_len_bytes;
};

struct Neighbour {
  NeighTable* tbl = nullptr;
  NetDevice* dev = nullptr;
  uint32_t key = 0;  // primary_key: the next hop's IPv4 address
  MacAddr ha;
  uint8_t nud_state = NUD_NONE;
  int probes = 0;
  int64_t confirmed = 0;  // jiffies
  int64_t updated = 0;
  int64_t used = 0;
  bool hh_valid = false;  // hh_cache filled (the Ethernet header is known)
  SkbQueue arp_queue;
  uint64_t arp_queue_len_bytes = 0;
  TimerList timer;
  void timer_handler(sim::Cpu& cpu);
};

// /proc/net/stat/arp_cache.
struct NeighStats {
  uint64_t allocs = 0, lookups = 0, hits = 0, res_failed = 0, rcv_probes_mcast = 0,
           rcv_probes_ucast = 0, unres_discards = 0;
};

class NeighTable {
 public:
  explicit NeighTable(Host& host);
  ~NeighTable();

  // __ipv4_neigh_lookup_noref(), then __neigh_create() if absent.
  Neighbour* lookup(NetDevice* dev, uint32_t key);
  Neighbour* lookup_or_create(sim::Cpu& cpu, NetDevice* dev, uint32_t key);

  // NEIGH-01 neigh_output(): fast path with the cached header, or
  // n->output (neigh_resolve_output). Takes the skb (data at the IP header).
  int neigh_output(sim::Cpu& cpu, Neighbour* n, SkBuff* skb);

  // NEIGH-03 arp_rcv() -> arp_process().
  void arp_rcv(sim::Cpu& cpu, SkBuff* skb);

  // neigh_update(): a new link-layer address or state for `n`.
  void neigh_update(sim::Cpu& cpu, Neighbour* n, const MacAddr* lladdr, uint8_t new_state,
                    bool override);

  const NeighStats& stats() const { return stats_; }
  // `ip neigh show` lines.
  std::vector<std::string> dump() const;
  const NeighParms& parms() const { return parms_; }
  // Frees queued skbs (end of run: counted as still alive otherwise).
  uint64_t queued_skbs() const;

 private:
  friend struct Neighbour;
  int neigh_resolve_output(sim::Cpu& cpu, Neighbour* n, SkBuff* skb);
  int neigh_hh_output(sim::Cpu& cpu, Neighbour* n, SkBuff* skb);
  // __neigh_event_send(): true if the skb may go now; false if it was
  // queued (or dropped).
  bool neigh_event_send(sim::Cpu& cpu, Neighbour* n, SkBuff* skb);
  void neigh_probe(sim::Cpu& cpu, Neighbour* n);
  void neigh_timer(sim::Cpu& cpu, Neighbour* n);
  void neigh_invalidate(sim::Cpu& cpu, Neighbour* n);
  void neigh_connect_flush(sim::Cpu& cpu, Neighbour* n);
  int max_probes(const Neighbour* n) const;
  void add_timer(Neighbour* n, int64_t expires_j);
  // arp_solicit() and arp_send().
  void arp_solicit(sim::Cpu& cpu, Neighbour* n, SkBuff* skb);
  void arp_send(sim::Cpu& cpu, uint16_t op, NetDevice* dev, uint32_t dest_ip,
                const MacAddr& dest_hw, uint32_t src_ip, const MacAddr& target_hw,
                uint64_t cause_skb);
  int64_t now_j() const;

  Host& host_;
  NeighParms parms_;
  NeighStats stats_;
  sim::Rng rng_;
  std::map<std::pair<int, uint32_t>, std::unique_ptr<Neighbour>> table_;
};

}  // namespace stack
