// nic_model/switch.cc: learning, flooding, output queues.
#include "nic_model/switch.h"

#include <cassert>
#include <cstring>

#include "stack/steps.h"

namespace nic_model {

using stack::SkBuff;

struct Switch::SwPort final : Port {
  Switch* sw = nullptr;
  uint32_t index = 0;
  Link* link = nullptr;
  int side = 0;
  stack::SkbQueue q;  // output FIFO; the head is on the wire when busy
  MacSerializer ser;
  uint32_t limit = 0;  // output queue limit, frames
  bool busy = false;
  sim::Time free_at;  // end of the last inter-frame gap
  SwitchPortStats st;

  void receive_frame(SkBuff* f) override {
    ++st.rx_frames;
    sw->ingress(index, f);
  }
  // Serialises the head frame once the gap passed and its forwarding
  // latency is over (skb->tstamp: when it may leave).
  void start_tx() {
    if (busy || q.empty()) return;
    const sim::Time now = sw->sched_.now();
    const sim::Time ready = sim::max(free_at, q.peek()->tstamp);
    if (now < ready) {
      if (!start_event.pending()) sw->sched_.schedule(start_event, ready);
      return;
    }
    if (link && link->rate() != ser.rate()) ser.set_rate(link->rate());  // renegotiated
    busy = true;
    sw->sched_.schedule(end_event, now + ser.frame(q.peek()->len()));
  }
  void end_tx() {
    const sim::Time now = sw->sched_.now();
    SkBuff* f = q.dequeue();
    busy = false;
    free_at = now + ser.gap();
    ++st.tx_frames;
    st.tx_bytes += f->len();
    if (link)
      link->transmit(side, f);
    else
      sw->pool_.drop(f, stack::DropReason::LINK_DOWN);
    start_tx();
  }
  sim::MemberEvent<SwPort, &SwPort::start_tx> start_event{this};
  sim::MemberEvent<SwPort, &SwPort::end_tx> end_event{this};
};

Switch::Switch(sim::Scheduler& sched, stack::SkbPool& pool, const SwitchConfig& cfg,
               uint32_t nports, sim::Tracer tracer)
    : sched_(sched), pool_(pool), cfg_(cfg), tracer_(tracer) {
  for (uint32_t p = 0; p < nports; ++p) {
    ports_.push_back(std::make_unique<SwPort>());
    ports_.back()->sw = this;
    ports_.back()->index = p;
    ports_.back()->limit = cfg.queue_packets;
  }
}

namespace {
SwitchConfig with_queue(uint32_t q) {
  SwitchConfig c;
  c.queue_packets = q;
  return c;
}
}  // namespace

Switch::Switch(sim::Scheduler& sched, stack::SkbPool& pool, uint32_t nports,
               uint32_t queue_packets, sim::Tracer tracer)
    : Switch(sched, pool, with_queue(queue_packets), nports, tracer) {}

Switch::~Switch() = default;

void Switch::attach(uint32_t p, Link& link, int side) {
  SwPort& sp = *ports_[p];
  sp.link = &link;
  sp.side = side;
  link.attach(side, &sp);  // a switch port keeps up with any link
  sp.ser.set_rate(link.rate());
}

void Switch::attach(uint32_t p, Link& link, int side, uint32_t queue_packets) {
  attach(p, link, side);
  ports_[p]->limit = queue_packets;
}

Port& Switch::port(uint32_t p) { return *ports_[p]; }
const SwitchPortStats& Switch::stats(uint32_t p) const { return ports_[p]->st; }

uint32_t Switch::skbs_held() const {
  uint32_t n = 0;
  for (const auto& p : ports_) n += p->q.qlen();
  return n;
}

bool Switch::lookup(const stack::MacAddr& mac, uint32_t* port) const {
  auto it = fdb_.find(mac.as_u64());
  if (it == fdb_.end() || sched_.now() - it->second.seen > cfg_.ageing) return false;
  *port = it->second.port;
  return true;
}

void Switch::ingress(uint32_t in, SkBuff* f) {
  const sim::Time now = sched_.now();
  if (f->len() < 14) {
    pool_.drop(f, stack::DropReason::PKT_TOO_SMALL);
    return;
  }
  stack::MacAddr dst, src;
  std::memcpy(dst.b.data(), f->data_ptr(), 6);
  std::memcpy(src.b.data(), f->data_ptr() + 6, 6);
  // Learn (br_fdb_update): a group address is never a source.
  if (!src.is_multicast()) fdb_[src.as_u64()] = FdbEntry{in, now};
  f->tstamp = now + cfg_.latency;

  uint32_t out = 0;
  if (!dst.is_multicast() && lookup(dst, &out)) {
    if (out == in) {
      // The destination is on the segment the frame came from: filter.
      ++filtered_;
      pool_.consume(f);
      return;
    }
    if (tracer_.on())
      tracer_.event(now, stack::step::kWire, "br_forward", f->id, "port {} -> port {} (known)", in,
                    out);
    enqueue(out, f);
    return;
  }
  // Flood (br_flood): broadcast, multicast, unknown unicast.
  if (tracer_.on())
    tracer_.event(now, stack::step::kWire, "br_flood", f->id, "port {}: {} destination, flooded",
                  in, dst.is_multicast() ? "group" : "unknown");
  uint32_t last = UINT32_MAX;
  for (uint32_t p = 0; p < ports_.size(); ++p)
    if (p != in && ports_[p]->link) last = p;
  if (last == UINT32_MAX) {
    pool_.consume(f);  // nowhere to send it
    return;
  }
  for (uint32_t p = 0; p < ports_.size(); ++p) {
    if (p == in || !ports_[p]->link) continue;
    SkBuff* c = p == last ? f : wire_copy(*f, pool_, now);
    c->tstamp = f->tstamp;
    ++ports_[p]->st.flooded;
    enqueue(p, c);
  }
}

void Switch::enqueue(uint32_t out, SkBuff* f) {
  SwPort& sp = *ports_[out];
  if (sp.q.qlen() >= sp.limit) {
    ++sp.st.queue_drops;
    if (tracer_.on())
      tracer_.emit(sim::TraceKind::kDrop, sched_.now(), stack::step::kWire, "switch_queue_full",
                   f->id, "port {} queue full ({} frames): SWITCH_QUEUE_FULL", out, sp.q.qlen());
    pool_.drop(f, stack::DropReason::SWITCH_QUEUE_FULL);
    return;
  }
  sp.q.enqueue_tail(f);
  sp.start_tx();
}

}  // namespace nic_model
