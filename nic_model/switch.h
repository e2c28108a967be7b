// nic_model/switch.h: a learning Ethernet switch, store-and-forward.
//
// Mirrors what an 802.1D bridge does (Linux's software twin is
// net/bridge/br_input.c br_handle_frame_finish and br_fdb.c):
//  - learning: the source MAC of every received frame is recorded against
//    its ingress port in the forwarding database (FDB), with the time;
//    entries older than the ageing time are ignored (aged out);
//  - forwarding: broadcast, multicast and unknown unicast are flooded to
//    every other attached port; known unicast goes to its one port; a frame
//    whose destination sits on its ingress port is filtered (consumed);
//  - store-and-forward: a frame is handled when its last bit arrived (the
//    link delivers it then), waits `latency` (the lookup pipeline), and
//    queues at the output port;
//  - each output port has a FIFO of at most queue_packets frames (tail drop
//    as SWITCH_QUEUE_FULL) and its own serialiser at the attached link's
//    rate, with preamble, FCS, padding and IFG as a NIC's MAC.
// Flooded copies are new skbs from the pool (the original goes to the last
// port), so the pool's accounts stay exact. The FDB is a std::map: ordered
// and deterministic; it allocates only when a new address is learned.
//
//   Switch sw(sched, pool, SwitchConfig{}, 4);
//   sw.attach(0, link_a, 1);   // port 0 <-> side 1 of link_a
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "nic_model/link.h"
#include "nic_model/mac.h"
#include "nic_model/port.h"
#include "sim/timer.h"
#include "sim/trace.h"
#include "stack/netdevice.h"

namespace nic_model {

struct SwitchConfig {
  // Per output port. Not a standard value: shallow-buffer switches hold a
  // few hundred KB per port, ~100 full-size frames; scenarios set it.
  uint32_t queue_packets = 128;
  // Lookup/forwarding pipeline; store-and-forward datacenter switches
  // quote roughly 0.5-1 us port to port beyond the frame time.
  sim::Duration latency = sim::ns(500);
  sim::Duration ageing = sim::sec(300);  // BR_DEFAULT_AGEING_TIME (net/bridge/br_private.h): 300 s
};

struct SwitchPortStats {
  uint64_t rx_frames = 0;
  uint64_t tx_frames = 0, tx_bytes = 0;
  uint64_t queue_drops = 0;  // SWITCH_QUEUE_FULL
  uint64_t flooded = 0;      // copies sent out of this port by flooding
};

class Switch {
 public:
  Switch(sim::Scheduler& sched, stack::SkbPool& pool, const SwitchConfig& cfg, uint32_t nports,
         sim::Tracer tracer = {});
  // The same with defaults but the per-port queue limit (scenario `queue`).
  Switch(sim::Scheduler& sched, stack::SkbPool& pool, uint32_t nports, uint32_t queue_packets,
         sim::Tracer tracer = {});
  ~Switch();
  Switch(const Switch&) = delete;
  Switch& operator=(const Switch&) = delete;

  // Connects port `p` to side `side` of `link`; the port serialises at the
  // link's rate.
  void attach(uint32_t p, Link& link, int side);
  // The same with this port's own output queue limit (frames).
  void attach(uint32_t p, Link& link, int side, uint32_t queue_packets);
  // Scenario form: a link may override the port's queue limit.
  void attach_port(uint32_t p, Link& link, int side, std::optional<uint32_t> queue_packets) {
    if (queue_packets)
      attach(p, link, side, *queue_packets);
    else
      attach(p, link, side);
  }
  Port& port(uint32_t p);
  uint32_t num_ports() const { return static_cast<uint32_t>(ports_.size()); }

  // The FDB: the port a MAC was learned on, if known and not aged out.
  bool lookup(const stack::MacAddr& mac, uint32_t* port) const;
  size_t fdb_size() const { return fdb_.size(); }
  const SwitchPortStats& stats(uint32_t p) const;
  uint64_t filtered() const { return filtered_; }
  // Frames queued or being serialised in the switch (conservation checks).
  uint32_t skbs_held() const;

 private:
  struct SwPort;
  struct FdbEntry {
    uint32_t port;
    sim::Time seen;
  };
  void ingress(uint32_t in, stack::SkBuff* f);
  void enqueue(uint32_t out, stack::SkBuff* f);

  sim::Scheduler& sched_;
  stack::SkbPool& pool_;
  SwitchConfig cfg_;
  sim::Tracer tracer_;
  std::vector<std::unique_ptr<SwPort>> ports_;
  std::map<uint64_t, FdbEntry> fdb_;
  uint64_t filtered_ = 0;
};

}  // namespace nic_model
