// nic_model/nic.cc: the device's TX and RX pipelines.
#include "nic_model/nic.h"

#include <cassert>
#include <cstring>

#include "stack/steps.h"
#include "stack/wire.h"

namespace nic_model {

using stack::SkBuff;
namespace step = stack::step;

namespace {
// Size of one advanced descriptor in host memory (union ixgbe_adv_tx_desc
// and ixgbe_adv_rx_desc are both 16 bytes).
constexpr uint32_t kDescBytes = 16;
}  // namespace

Nic::Nic(sim::Scheduler& sched, stack::SkbPool& pool, const NicConfig& cfg, stack::MacAddr mac,
         sim::Tracer tracer)
    : sched_(sched),
      pool_(pool),
      cfg_(cfg),
      mac_(mac),
      tracer_(tracer),
      pcie_(sched, cfg),
      txq_(cfg.tx_queues),
      rxq_(cfg.rx_queues),
      vectors_(cfg.tx_queues > cfg.rx_queues ? cfg.tx_queues : cfg.rx_queues),
      mmio_q_(64),
      mac_ser_(sim::Rate{cfg.line_rate_bps}) {
  assert(cfg.tx_queues >= 1 && cfg.rx_queues >= 1);
  set_ring_sizes(cfg.tx_ring, cfg.rx_ring);
  for (uint16_t v = 0; v < vectors_.size(); ++v) {
    const bool has_rx = v < cfg.rx_queues;
    vectors_[v].init(sched, v, has_rx ? cfg.rx_usecs : cfg.tx_usecs, cfg.rx_frames, cfg.tx_frames,
                     cfg.pcie_write_latency, &tracer_);
  }
  stats_.tx_queue_packets.assign(cfg.tx_queues, 0);
  stats_.tx_queue_bytes.assign(cfg.tx_queues, 0);
  stats_.rx_queue_packets.assign(cfg.rx_queues, 0);
  stats_.rx_queue_bytes.assign(cfg.rx_queues, 0);
}

void Nic::set_ring_sizes(uint32_t tx, uint32_t rx) {
  for (uint16_t q = 0; q < txq_.size(); ++q) {
    TxQueueHw& t = txq_[q];
    assert(!t.desc_op.busy && t.fetch == t.ring.next_to_use);
    t.ring.resize(tx);
    t.tail = t.fetch = t.fetched = t.data = 0;
    for (uint32_t i = 0; i < tx; ++i) {
      t.ring[i].dma.client = this;
      t.ring[i].dma.queue = q;
      t.ring[i].dma.index = i;
    }
    t.desc_op.client = this;
    t.desc_op.queue = q;
    t.desc_op.kind = kTxDescFetch;
  }
  for (uint16_t q = 0; q < rxq_.size(); ++q) {
    RxQueueHw& r = rxq_[q];
    assert(!r.desc_op.busy);
    r.ring.resize(rx);
    r.tail = r.fetch = r.fetched = r.head = 0;
    for (uint32_t i = 0; i < rx; ++i) {
      RxDesc& d = r.ring[i];
      d.data_dma.client = d.wb_dma.client = this;
      d.data_dma.queue = d.wb_dma.queue = q;
      d.data_dma.index = d.wb_dma.index = i;
      d.data_dma.kind = kRxData;
      d.wb_dma.kind = kRxWriteBack;
    }
    r.desc_op.client = this;
    r.desc_op.queue = q;
    r.desc_op.kind = kRxDescFetch;
  }
}

void Nic::attach_link(Link& link, int side) {
  link_ = &link;
  link_side_ = side;
  // Autonegotiation settles on the slower of the two: the link takes our
  // line rate as a ceiling, and the MAC follows the link (mac_start()).
  link.attach(side, this, cfg_.line_rate_bps);
  mac_ser_.set_rate(link.rate());
}

// ------------------------------------------------------------------ MMIO

void Nic::mmio(Reg reg, uint16_t q, uint32_t val, sim::Time issued) {
  const sim::Time at = pcie_.mmio_arrival(issued);
  if (mmio_count_ == mmio_q_.size()) {
    // Grow (rare: only with more writes in flight than ever before),
    // unrolling the ring so that the oldest write is at slot 0.
    std::vector<MmioWrite> bigger(mmio_q_.size() * 2);
    for (uint32_t i = 0; i < mmio_count_; ++i)
      bigger[i] = mmio_q_[(mmio_head_ + i) % mmio_q_.size()];
    mmio_q_.swap(bigger);
    mmio_head_ = 0;
  }
  mmio_q_[(mmio_head_ + mmio_count_) % mmio_q_.size()] = MmioWrite{at, reg, q, val};
  ++mmio_count_;
  if (!mmio_event_.pending()) sched_.schedule(mmio_event_, at);
}

void Nic::mmio_arrive() {
  const sim::Time now = sched_.now();
  while (mmio_count_ > 0 && mmio_q_[mmio_head_].at <= now) {
    const MmioWrite w = mmio_q_[mmio_head_];
    mmio_head_ = (mmio_head_ + 1) % static_cast<uint32_t>(mmio_q_.size());
    --mmio_count_;
    switch (w.reg) {
      case kTdt:
        if (txq_tr(w.q).on())
          txq_tr(w.q).event(now, step::kNic02, "TDT", 0, "tx queue {}: tail {} reaches the NIC", w.q,
                        w.val);
        txq_[w.q].tail = w.val;
        kick_tx_fetch(w.q);
        break;
      case kRdt:
        rxq_[w.q].tail = w.val;
        kick_rx_fetch(w.q);
        break;
      case kEims:
        vectors_[w.q].enable();
        break;
    }
  }
  if (mmio_count_ > 0) sched_.schedule(mmio_event_, mmio_q_[mmio_head_].at);
}

void Nic::dma_complete(DmaOp& op) {
  switch (static_cast<OpKind>(op.kind)) {
    case kTxDescFetch: {
      TxQueueHw& t = txq_[op.queue];
      for (uint32_t k = 0, i = op.index; k < op.count; ++k, i = t.ring.next(i))
        t.ring[i].state = TxDescState::kFetched;
      t.fetched = t.fetch;
      if (dma_tr().on())
        dma_tr().event(sched_.now(), step::kNic03, "dma_read", 0,
                      "tx queue {}: {} descriptors fetched in {}", op.queue, op.count,
                      sched_.now() - op.issued);
      kick_tx_data(op.queue);
      kick_tx_fetch(op.queue);
      break;
    }
    case kTxData:
      tx_data_done(op.queue, op.index);
      break;
    case kTxWriteBack:
      tx_writeback_done(op.queue, op.index);
      break;
    case kRxDescFetch: {
      RxQueueHw& r = rxq_[op.queue];
      for (uint32_t k = 0, i = op.index; k < op.count; ++k, i = r.ring.next(i))
        r.ring[i].state = RxDescState::kFetched;
      r.fetched = r.fetch;
      kick_rx_fetch(op.queue);
      break;
    }
    case kRxData:
      break;  // posted without completion (receive_frame); the write-back finishes the frame
    case kRxWriteBack: {
      RxQueueHw& r = rxq_[op.queue];
      RxDesc& d = r.ring[op.index];
      d.state = RxDescState::kWrittenBack;
      ++stats_.rx_packets;
      stats_.rx_bytes += d.len;
      ++stats_.rx_queue_packets[op.queue];
      stats_.rx_queue_bytes[op.queue] += d.len;
      if (rxq_tr(op.queue).on())
        rxq_tr(op.queue).event(sched_.now(), step::kRx01, "rx_dma_write", d.skb ? d.skb->id : 0,
                      "rx queue {} desc {}: {} bytes written back (DD)", op.queue, op.index,
                      d.len);
      vectors_[op.queue].raise_rx(1);
      break;
    }
  }
}

// ------------------------------------------------------------- transmit

// Descriptor fetch: one batch at a time per queue, at most desc_fetch_max
// descriptors in the cache, never across the ring's end (one DMA read is
// one contiguous range). A partial batch waits until a quarter of the
// cache is free or the cache ran empty (the prefetch threshold).
// How many descriptors one fetch reads: what the driver posted (`posted`),
// as far as the descriptor cache has room (`cached` already in it) and up
// to the ring's end (`to_end`); 0 to wait for a fuller batch, as the
// prefetch threshold (a quarter of the cache) makes the NIC do while it
// still has cached descriptors to work on. Shared by TX and RX.
uint32_t Nic::fetch_batch(uint32_t cached, uint32_t posted, uint32_t to_end) const {
  const uint32_t room = cfg_.desc_fetch_max > cached ? cfg_.desc_fetch_max - cached : 0;
  uint32_t n = posted;
  if (n > room) n = room;
  if (n > to_end) n = to_end;
  if (n == 0) return 0;
  const uint32_t threshold = cfg_.desc_fetch_max / 4 > 0 ? cfg_.desc_fetch_max / 4 : 1;
  if (n < threshold && cached > 0 && n < posted) return 0;
  return n;
}

void Nic::kick_tx_fetch(uint16_t q) {
  TxQueueHw& t = txq_[q];
  if (t.desc_op.busy || t.fetch == t.tail) return;
  const uint32_t n = fetch_batch(t.ring.distance(t.data, t.fetch), t.ring.distance(t.fetch, t.tail),
                                 t.ring.size() - t.fetch);
  if (n == 0) return;
  for (uint32_t k = 0, i = t.fetch; k < n; ++k, i = t.ring.next(i))
    t.ring[i].state = TxDescState::kFetching;
  t.desc_op.index = t.fetch;
  t.desc_op.count = n;
  t.desc_op.len = n * kDescBytes;
  t.fetch = (t.fetch + n) % t.ring.size();
  pcie_.read(t.desc_op);
}

// Data fetch for cached descriptors, in ring order, while the TX FIFO has
// room (a buffer larger than the whole FIFO goes when the FIFO is empty).
void Nic::kick_tx_data(uint16_t q) {
  TxQueueHw& t = txq_[q];
  bool advanced = false;
  while (t.data != t.fetched) {
    TxDesc& d = t.ring[t.data];
    if (d.cmd & txd::kContext) {
      d.state = TxDescState::kReady;  // offload parameters: nothing to read
    } else {
      if (fifo_bytes_ > 0 && fifo_bytes_ + d.len > cfg_.tx_fifo_bytes) {
        ++stats_.tx_fifo_stalls;
        break;
      }
      fifo_bytes_ += d.len;
      d.state = TxDescState::kDataFetching;
      d.dma.kind = kTxData;
      d.dma.len = d.len;
      d.dma.skb_id = d.buf ? d.buf->id : 0;
      pcie_.read(d.dma);
    }
    t.data = t.ring.next(t.data);
    advanced = true;
  }
  if (advanced) kick_tx_fetch(q);
}

void Nic::kick_all_tx_data() {
  const uint16_t n = num_tx_queues();
  for (uint16_t k = 0; k < n; ++k) kick_tx_data(static_cast<uint16_t>((data_rr_ + k) % n));
  data_rr_ = static_cast<uint16_t>((data_rr_ + 1) % n);
}

// A data read finished. At the packet's last descriptor the whole packet is
// in the FIFO (reads complete in order): cut it into wire frames with the
// offloads the context descriptor asked for, then write the descriptor back.
void Nic::tx_data_done(uint16_t q, uint32_t i) {
  TxQueueHw& t = txq_[q];
  TxDesc& d = t.ring[i];
  d.state = TxDescState::kReady;
  if (!(d.cmd & txd::kEop)) return;
  const sim::Time now = sched_.now();
  const TxDesc& first = t.ring[d.first];
  const SkBuff& skb = *d.buf;
  const uint8_t offload = (first.cmd & txd::kContext) ? first.cmd : 0;
  // Host bytes of the packet: released from the FIFO with its last frame.
  uint32_t host_bytes = 0;
  for (uint32_t k = d.first;; k = t.ring.next(k)) {
    if (!(t.ring[k].cmd & txd::kContext)) host_bytes += t.ring[k].len;
    if (k == i) break;
  }
  if (dma_tr().on())
    dma_tr().event(now, step::kNic03, "dma_read", skb.id, "tx queue {}: {} data bytes in the FIFO",
                  q, host_bytes);
  SkBuff* last = nullptr;
  if ((offload & txd::kTso) && skb.gso_size > 0) {
    const uint32_t n = hw_tso_segment(skb, pool_, now, [&](SkBuff* seg) {
      enqueue_frame(seg, q);
      last = seg;
    });
    stats_.tx_tso_frames += n;
  }
  if (!last) {
    SkBuff* f = wire_copy(skb, pool_, now);
    if ((offload & txd::kCsum) && f->ip_summed == stack::Csum::kPartial) hw_insert_checksum(*f);
    enqueue_frame(f, q);
    last = f;
  }
  last->user += host_bytes;
  // Write-back of the EOP descriptor (RS set on every packet by ixgbe).
  d.dma.kind = kTxWriteBack;
  d.dma.len = kDescBytes;
  pcie_.write(d.dma);
  mac_start();
}

void Nic::tx_writeback_done(uint16_t q, uint32_t eop) {
  TxQueueHw& t = txq_[q];
  for (uint32_t k = t.ring[eop].first;; k = t.ring.next(k)) {
    t.ring[k].state = TxDescState::kDone;
    if (k == eop) break;
  }
  vectors_[q].raise_tx(1);
}

void Nic::enqueue_frame(SkBuff* f, uint16_t q) {
  f->queue_mapping = q;
  f->user = 0;  // FIFO bytes to release when this frame leaves
  mac_fifo_.enqueue_tail(f);
}

// Starts the next frame if the MAC is idle and the gap has passed.
void Nic::mac_start() {
  if (mac_busy_ || mac_fifo_.empty()) return;
  const sim::Time now = sched_.now();
  if (now < mac_free_at_) {
    if (!mac_start_event_.pending()) sched_.schedule(mac_start_event_, mac_free_at_);
    return;
  }
  // The peer may have negotiated the link down since we attached.
  if (link_ && link_->rate() != mac_ser_.rate()) mac_ser_.set_rate(link_->rate());
  SkBuff* f = mac_fifo_.peek();
  if (tap_) tap_->on_frame(now, f->data_ptr(), f->len(), true);
  const sim::Duration d = mac_ser_.frame(f->len());
  if (tracer_.on())
    tracer_.event(now, step::kNic04, "mac_xmit", f->id,
                  "{} bytes on the wire for {} (preamble, FCS, padding included)", f->len(), d);
  mac_busy_ = true;
  sched_.schedule(mac_end_event_, now + d);
}

void Nic::mac_frame_end() {
  const sim::Time now = sched_.now();
  SkBuff* f = mac_fifo_.dequeue();
  mac_busy_ = false;
  mac_free_at_ = now + mac_ser_.gap();
  const uint16_t q = f->queue_mapping;
  ++stats_.tx_packets;
  stats_.tx_bytes += f->len();
  ++stats_.tx_queue_packets[q];
  stats_.tx_queue_bytes[q] += f->len();
  fifo_bytes_ -= static_cast<uint32_t>(f->user);
  const bool released = f->user != 0;
  f->user = 0;
  if (link_) {
    link_->transmit(link_side_, f);
  } else {
    ++stats_.link_down_drops;
    pool_.drop(f, stack::DropReason::LINK_DOWN);
  }
  if (released) kick_all_tx_data();
  mac_start();
}

// -------------------------------------------------------------- receive

void Nic::kick_rx_fetch(uint16_t q) {
  RxQueueHw& r = rxq_[q];
  if (r.desc_op.busy || r.fetch == r.tail) return;
  const uint32_t n = fetch_batch(r.ring.distance(r.head, r.fetch), r.ring.distance(r.fetch, r.tail),
                                 r.ring.size() - r.fetch);
  if (n == 0) return;
  r.desc_op.index = r.fetch;
  r.desc_op.count = n;
  r.desc_op.len = n * kDescBytes;
  r.fetch = (r.fetch + n) % r.ring.size();
  pcie_.read(r.desc_op);
}

// RSS stand-in: a hash over the IPv4 addresses and the first four bytes of
// the transport header (the ports), FNV-1a instead of Toeplitz.
uint16_t Nic::rss_queue(const SkBuff& f) const {
  if (rxq_.size() == 1) return 0;
  const uint8_t* p = f.data_ptr();
  const uint32_t len = f.len();
  if (len < stack::ETH_HLEN + 20 || stack::rd16(p + 12) != stack::ETH_P_IP) return 0;
  const uint32_t ihl = (p[stack::ETH_HLEN] & 0x0f) * 4u;
  uint32_t end = stack::ETH_HLEN + 20;  // through the addresses
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint32_t k = stack::ETH_HLEN + 12; k < end; ++k) h = (h ^ p[k]) * 0x100000001b3ull;
  if (len >= stack::ETH_HLEN + ihl + 4)
    for (uint32_t k = stack::ETH_HLEN + ihl; k < stack::ETH_HLEN + ihl + 4; ++k)
      h = (h ^ p[k]) * 0x100000001b3ull;
  return static_cast<uint16_t>(h % rxq_.size());
}

// The RX checksum engine: IPv4 header checksum, and for unfragmented TCP
// and UDP the full L4 checksum with the pseudo-header.
void Nic::rx_checksum(const SkBuff& f, RxDesc& d) const {
  d.l4_csum_good = d.csum_error = false;
  if (!cfg_.rx_checksum) return;
  const uint8_t* p = f.data_ptr();
  const uint32_t len = f.len();
  if (len < stack::ETH_HLEN + 20 || stack::rd16(p + 12) != stack::ETH_P_IP) return;
  const uint8_t* ip = p + stack::ETH_HLEN;
  stack::Ipv4Hdr h;
  if (!h.parse(ip, len - stack::ETH_HLEN)) return;
  if (!stack::Ipv4Hdr::checksum_ok(ip, h.hdr_len())) {
    d.csum_error = true;
    return;
  }
  if (h.is_fragment() || h.tot_len < h.hdr_len() || h.tot_len > len - stack::ETH_HLEN) return;
  if (h.protocol != stack::IPPROTO_TCP && h.protocol != stack::IPPROTO_UDP) return;
  const uint8_t* l4 = ip + h.hdr_len();
  const uint32_t l4_len = h.tot_len - h.hdr_len();
  if (h.protocol == stack::IPPROTO_UDP && (l4_len < 8 || stack::rd16(l4 + 6) == 0)) return;
  const uint32_t pseudo =
      stack::csum_pseudo(h.saddr, h.daddr, h.protocol, static_cast<uint16_t>(l4_len));
  if (stack::csum_fold(stack::csum_partial(l4, l4_len, pseudo)) == 0)
    d.l4_csum_good = true;
  else
    d.csum_error = true;
}

void Nic::receive_frame(SkBuff* f) {
  const sim::Time now = sched_.now();
  if (tap_) tap_->on_frame(now, f->data_ptr(), f->len(), false);
  // Longer than the MTU allows (the 82599 checks MAXFRS; no jumbo here).
  if (f->len() > cfg_.mtu + stack::ETH_HLEN) {
    ++stats_.rx_length_errors;
    pool_.drop(f, stack::DropReason::NIC_RX_LENGTH);
    return;
  }
  if (f->len() < stack::ETH_HLEN) {
    ++stats_.rx_length_errors;
    pool_.drop(f, stack::DropReason::NIC_RX_LENGTH);
    return;
  }
  // Destination filter: our unicast address, broadcast and multicast pass
  // (all multicast accepted: no multicast table is modelled).
  stack::MacAddr dst;
  std::memcpy(dst.b.data(), f->data_ptr(), 6);
  if (dst.is_multicast()) {
    ++stats_.multicast;
  } else if (dst != mac_ && !cfg_.promisc) {
    ++stats_.rx_otherhost_dropped;
    pool_.drop(f, stack::DropReason::OTHERHOST);
    return;
  }
  const uint16_t q = rss_queue(*f);
  RxQueueHw& r = rxq_[q];
  if (r.head == r.fetched) {
    // No descriptor in the NIC's cache: the driver did not refill in time.
    ++stats_.rx_missed_errors;
    ++stats_.rx_no_dma_resources;
    if (rxq_tr(q).on())
      rxq_tr(q).emit(sim::TraceKind::kDrop, now, step::kRx01, "rx_missed", f->id,
                   "rx queue {}: no posted RX descriptor: NIC_RX_NO_BUFFER (rx_missed_errors)", q);
    pool_.drop(f, stack::DropReason::NIC_RX_NO_BUFFER);
    return;
  }
  const uint32_t i = r.head;
  RxDesc& d = r.ring[i];
  assert(d.state == RxDescState::kFetched && d.skb);
  SkBuff& buf = *d.skb;
  if (buf.tailroom() < f->len()) {  // buffer smaller than the frame
    ++stats_.rx_length_errors;
    pool_.drop(f, stack::DropReason::NIC_RX_LENGTH);
    return;
  }
  r.head = r.ring.next(i);
  d.state = RxDescState::kFilled;
  d.len = f->len();
  rx_checksum(*f, d);
  // The bytes land in the posted buffer (visible to the driver only after
  // the write-back sets DD). The wire copy's job is done.
  std::memcpy(buf.buf.data() + buf.tail, f->data_ptr(), f->len());
  pool_.consume(f);
  d.data_dma.len = d.len;
  d.data_dma.skb_id = buf.id;
  // Posted: nothing waits for the data itself, the write-back behind it
  // (in order) is what makes the frame visible, so no completion event.
  pcie_.post(d.data_dma);
  d.wb_dma.len = kDescBytes;
  pcie_.write(d.wb_dma);
  kick_rx_fetch(q);
}

void Nic::ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("tx_packets", stats_.tx_packets);
  out.emplace_back("tx_bytes", stats_.tx_bytes);
  out.emplace_back("rx_packets", stats_.rx_packets);
  out.emplace_back("rx_bytes", stats_.rx_bytes);
  out.emplace_back("multicast", stats_.multicast);
  out.emplace_back("rx_length_errors", stats_.rx_length_errors);
  out.emplace_back("rx_missed_errors", stats_.rx_missed_errors);
  out.emplace_back("rx_no_dma_resources", stats_.rx_no_dma_resources);
  out.emplace_back("rx_otherhost_dropped", stats_.rx_otherhost_dropped);
  out.emplace_back("tx_tso_frames", stats_.tx_tso_frames);
  out.emplace_back("tx_fifo_stalls", stats_.tx_fifo_stalls);
  out.emplace_back("dma_read_requests", pcie_.stats().read_requests);
  out.emplace_back("dma_tag_stalls", pcie_.stats().tag_stalls);
  uint64_t irqs = 0;
  for (const MsixVector& v : vectors_) irqs += v.stats().interrupts;
  out.emplace_back("interrupts", irqs);
  for (size_t q = 0; q < txq_.size(); ++q) {
    out.emplace_back("tx_queue_" + std::to_string(q) + "_packets", stats_.tx_queue_packets[q]);
    out.emplace_back("tx_queue_" + std::to_string(q) + "_bytes", stats_.tx_queue_bytes[q]);
  }
  for (size_t q = 0; q < rxq_.size(); ++q) {
    out.emplace_back("rx_queue_" + std::to_string(q) + "_packets", stats_.rx_queue_packets[q]);
    out.emplace_back("rx_queue_" + std::to_string(q) + "_bytes", stats_.rx_queue_bytes[q]);
  }
}

}  // namespace nic_model
