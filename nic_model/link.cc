// nic_model/link.cc: propagation, loss and in-order delivery.
#include "nic_model/link.h"

#include "stack/steps.h"

namespace nic_model {

Link::Link(sim::Scheduler& sched, stack::SkbPool& pool, const LinkConfig& cfg, sim::Rng loss,
           sim::Tracer tracer)
    : sched_(sched), pool_(pool), cfg_(cfg), rate_bps_(cfg.rate_bps), loss_(loss), tracer_(tracer) {
  for (int s = 0; s < 2; ++s) {
    dir_[s].link = this;
    dir_[s].from_side = s;
    dir_[s].arrive.setup<&Direction::deliver>(&dir_[s]);
  }
}

void Link::transmit(int side, stack::SkBuff* frame) {
  Direction& d = dir_[side];
  ++d.stats.frames;
  d.stats.bytes += frame->len();
  // Draw for every frame, lost or not, so the n-th frame's fate depends
  // only on the seed and n.
  if (cfg_.loss_ppb32 != 0 && loss_.chance_ppb32(cfg_.loss_ppb32)) {
    ++d.stats.lost;
    const sim::Tracer& tr = d.tracer.on() ? d.tracer : tracer_;
    if (tr.on())
      tr.emit(sim::TraceKind::kDrop, sched_.now(), stack::step::kWire, "link_loss", frame->id,
                   "LINK_LOSS: frame lost on the wire ({} bytes)", frame->len());
    pool_.drop(frame, stack::DropReason::LINK_LOSS);
    return;
  }
  if (!peer_[1 - side]) {
    ++d.stats.no_peer;
    pool_.drop(frame, stack::DropReason::LINK_DOWN);
    return;
  }
  // The constant delay keeps arrivals in transmit order: a FIFO suffices.
  frame->tstamp = sched_.now() + cfg_.delay;
  d.q.enqueue_tail(frame);
  if (!d.arrive.pending()) d.arrive.mod(sched_, frame->tstamp);
}

void Link::Direction::deliver() {
  const sim::Time now = link->sched_.now();
  Port* to = link->peer_[1 - from_side];
  while (!q.empty() && q.peek()->tstamp <= now) {
    stack::SkBuff* f = q.dequeue();
    ++stats.delivered;
    const sim::Tracer& tr = tracer.on() ? tracer : link->tracer_;
    if (tr.on())
      tr.event(now, stack::step::kWire, "wire_deliver", f->id,
                          "frame arrives at side {} ({} bytes)", 1 - from_side, f->len());
    f->tstamp = now;
    to->receive_frame(f);
  }
  if (!q.empty()) arrive.mod(link->sched_, q.peek()->tstamp);
}

}  // namespace nic_model
