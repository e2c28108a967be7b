// nic_model/link.h: a full-duplex point-to-point Ethernet link.
//
// Two sides (0 and 1), each attached to a Port (a NIC or a switch port).
// A transmitter calls transmit() when the last bit of a frame has left it;
// the link delivers the frame to the other side one propagation delay
// later. Random loss draws from the link's own sim::Rng stream (so a seed
// gives the same losses every run) and ends the frame as LINK_LOSS; a side
// with nothing attached ends it as LINK_DOWN.
//
// Rate: the link has one rate: LinkConfig.rate_bps, lowered to the line
// rate of a slower NIC attached to it (what autonegotiation settles on).
// Both ends serialise at that rate (the NIC's MAC and a switch port read
// rate() when a frame starts), so the link itself never queues: a frame
// handed to it is already serialised.
//
// Frames in flight are skbs from the same SkbPool as everything else: the
// transmitting NIC's skb still belongs to its driver until TX clean, so the
// wire carries a copy (nic_model/mac.h wire_copy), owned by the link while
// in flight and by the receiver after delivery. The pool therefore counts
// frames on the wire among the live skbs. In flight they sit on an
// intrusive FIFO; one event per direction delivers them in order.
//
//   Link l(sched, pool, cfg, sim::Rng::stream(seed, "link/l1/loss"));
//   l.attach(0, &nic_a); l.attach(1, &switch_port_3);
#pragma once

#include <cstdint>

#include "nic_model/nic_config.h"
#include "nic_model/port.h"
#include "sim/rng.h"
#include "sim/timer.h"
#include "sim/trace.h"
#include "stack/skbuff.h"

namespace nic_model {

struct LinkStats {
  uint64_t frames = 0;  // handed to the link
  uint64_t bytes = 0;
  uint64_t delivered = 0;
  uint64_t lost = 0;    // LINK_LOSS
  uint64_t no_peer = 0; // LINK_DOWN
};

class Link {
 public:
  Link(sim::Scheduler& sched, stack::SkbPool& pool, const LinkConfig& cfg, sim::Rng loss,
       sim::Tracer tracer = {});
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Attaches `port` to `side`. `max_bps`: the fastest the port's MAC can
  // go; the link then runs at the slower of that and its configured rate
  // (autonegotiation settles on the best common speed), and both ends
  // serialise at rate().
  void attach(int side, Port* port, uint64_t max_bps = UINT64_MAX) {
    peer_[side] = port;
    if (max_bps < rate_bps_) rate_bps_ = max_bps;
  }
  // A trace track per direction (frames leaving `side`); unset: the link's.
  void set_direction_tracer(int side, sim::Tracer t) { dir_[side].tracer = t; }
  sim::Rate rate() const { return sim::Rate{rate_bps_}; }
  const LinkConfig& config() const { return cfg_; }

  // The last bit of `frame` left `side` now. Takes ownership.
  void transmit(int side, stack::SkBuff* frame);

  // Stats of the direction that starts at `side`.
  const LinkStats& stats(int side) const { return dir_[side].stats; }
  uint32_t in_flight() const { return dir_[0].q.qlen() + dir_[1].q.qlen(); }

 private:
  struct Direction {
    Link* link = nullptr;
    int from_side = 0;
    stack::SkbQueue q;  // frames in flight, arrival time in skb->tstamp
    sim::Timer arrive;
    LinkStats stats;
    sim::Tracer tracer;  // this direction's track, when set
    void deliver();
  };

  sim::Scheduler& sched_;
  stack::SkbPool& pool_;
  LinkConfig cfg_;
  uint64_t rate_bps_;
  sim::Rng loss_;
  sim::Tracer tracer_;
  Port* peer_[2] = {nullptr, nullptr};
  Direction dir_[2];
};

}  // namespace nic_model
