// nic_model/driver.cc: ixgbe_xmit_frame_ring, ixgbe_poll and friends.
#include "nic_model/driver.h"

#include <cassert>

#include "stack/steps.h"
#include "stack/wire.h"

namespace nic_model {

using stack::NetdevQueue;
using stack::NetdevTx;
using stack::SkBuff;
namespace step = stack::step;

IxgbeDriver::IxgbeDriver(stack::DevCore& core, stack::NetDevice& dev, Nic& nic)
    : core_(core), dev_(dev), nic_(nic), cfg_(nic.config()) {
  dev_.ops = this;
  dev_.dev_addr = nic.mac_addr();
  dev_.mtu = cfg_.mtu;
  // Offloads the hardware does (ethtool -K), as netdev features.
  uint64_t f = 0;
  if (cfg_.tx_checksum) f |= stack::netif_f::kHwCsum;
  if (cfg_.tso && cfg_.tx_checksum) f |= stack::netif_f::kTso;  // TSO needs checksum offload
  if (cfg_.rx_checksum) f |= stack::netif_f::kRxCsum;
  if (cfg_.gro) f |= stack::netif_f::kGro;
  const uint64_t owned = stack::netif_f::kHwCsum | stack::netif_f::kTso |
                         stack::netif_f::kRxCsum | stack::netif_f::kGro;
  dev_.features = (dev_.features & ~owned) | f;
  if (dev_.tx.empty()) {
    dev_.tx.resize(nic.num_tx_queues());
    for (uint16_t q = 0; q < dev_.tx.size(); ++q) {
      dev_.tx[q].dev = &dev_;
      dev_.tx[q].index = q;
    }
  }
  assert(dev_.tx.size() == nic.num_tx_queues());
  for (NetdevQueue& txq : dev_.tx) txq.dql.enabled = txq.dql.enabled && cfg_.bql;
  // Room for the largest frame the MTU allows (ixgbe picks 2K or 3K buffers).
  if (cfg_.mtu + stack::ETH_HLEN > rx_buf_len_) rx_buf_len_ = cfg_.mtu + stack::ETH_HLEN;
  qv_.resize(nic.num_vectors());
  affinity_.assign(nic.num_vectors(), 0);
  affinity_set_.assign(nic.num_vectors(), false);
  for (uint16_t v = 0; v < qv_.size(); ++v) {
    qv_[v] = std::make_unique<QVector>();
    qv_[v]->drv = this;
    qv_[v]->index = v;
    qv_[v]->napi.poll = qv_[v].get();
    qv_[v]->napi.dev = &dev_;
  }
}

IxgbeDriver::~IxgbeDriver() = default;

void IxgbeDriver::set_ringparam(uint32_t tx, uint32_t rx) {
  assert(!opened_ && "ixgbe_set_ringparam: bring the interface down first");
  nic_.set_ring_sizes(tx, rx);
}

void IxgbeDriver::set_irq_affinity(uint16_t vector, uint16_t cpu) {
  affinity_[vector] = cpu;
  affinity_set_[vector] = true;
}

void IxgbeDriver::open(uint16_t num_cpus) {
  opened_ = true;
  const sim::Time now = nic_.sched().now();
  if (num_cpus == 0) num_cpus = 1;
  for (uint16_t v = 0; v < qv_.size(); ++v) {
    const uint16_t c = affinity_set_[v] ? affinity_[v] : static_cast<uint16_t>(v % num_cpus);
    qv_[v]->napi.cpu = c;
    nic_.vector(v).set_handler(this, &core_.cpu(c));
  }
  for (uint16_t q = 0; q < nic_.num_rx_queues(); ++q)
    alloc_rx_buffers(now, q, nic_.rx_ring(q).unused());
}

void IxgbeDriver::free_rings() {
  stack::SkbPool& pool = core_.pool();
  for (uint16_t q = 0; q < nic_.num_tx_queues(); ++q) {
    TxRing& r = nic_.tx_ring(q);
    for (uint32_t i = 0; i < r.size(); ++i) {
      if (r[i].skb) pool.drop(r[i].skb, stack::DropReason::SIM_END);
      r[i].clear();
    }
  }
  for (uint16_t q = 0; q < nic_.num_rx_queues(); ++q) {
    RxRing& r = nic_.rx_ring(q);
    for (uint32_t i = 0; i < r.size(); ++i) {
      if (r[i].skb) pool.drop(r[i].skb, stack::DropReason::SIM_END);
      r[i].skb = nullptr;
      r[i].state = RxDescState::kFree;
    }
  }
}

uint32_t IxgbeDriver::skbs_held() const { return tx_skbs_held() + rx_buffers_posted(); }

uint32_t IxgbeDriver::tx_skbs_held() const {
  uint32_t n = 0;
  for (uint16_t q = 0; q < nic_.num_tx_queues(); ++q) {
    const TxRing& r = nic_.tx_ring(q);
    for (uint32_t i = 0; i < r.size(); ++i) n += r[i].skb != nullptr;
  }
  return n;
}

uint32_t IxgbeDriver::rx_buffers_posted() const {
  uint32_t n = 0;
  for (uint16_t q = 0; q < nic_.num_rx_queues(); ++q) {
    const RxRing& r = nic_.rx_ring(q);
    for (uint32_t i = 0; i < r.size(); ++i) n += r[i].skb != nullptr;
  }
  return n;
}

// ------------------------------------------------------------- transmit

// NIC-01 ixgbe_xmit_frame_ring() and NIC-02 the tail write.
NetdevTx IxgbeDriver::ndo_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq) {
  TRACE_FN(cpu, step::kNic01, "ixgbe_xmit_frame_ring", skb->id);
  const uint16_t q = txq.index;
  TxRing& ring = nic_.tx_ring(q);
  const uint32_t len = skb->len();
  // TXD_USE_COUNT(): one data descriptor per 16 KB of the linear buffer.
  const uint32_t count = len == 0 ? 1 : (len + kMaxDataPerTxd - 1) / kMaxDataPerTxd;
  // "+ 3": a context descriptor, plus two to keep the tail from touching
  // the head (ixgbe_xmit_frame_ring's ixgbe_maybe_stop_tx(count + 3)).
  if (ring.unused() < count + 3) {
    txq.drv_xoff = true;  // netif_tx_stop_queue
    ++stats_.tx_busy;
    TRACE_BRANCH(cpu, step::kNic01, "ixgbe_maybe_stop_tx", skb->id,
                 "ring full: {} free descriptors < {} needed: stop queue, NETDEV_TX_BUSY",
                 ring.unused(), count + 3);
    return NetdevTx::kBusy;
  }
  const bool tso = cfg_.tso && skb->gso_size > 0;
  const bool csum = cfg_.tx_checksum && skb->ip_summed == stack::Csum::kPartial;

  const uint32_t first = ring.next_to_use;
  uint32_t i = first;
  if (tso || csum) {
    // ixgbe_tso() / ixgbe_tx_csum(): an advanced context descriptor.
    TxDesc& c = ring[i];
    c.clear();
    c.cmd = txd::kContext | (tso ? txd::kTso : 0) | (csum || tso ? txd::kCsum : 0);
    c.state = TxDescState::kPosted;
    c.first = first;
    i = ring.next(i);
    TRACE_BRANCH(cpu, step::kNic01, "ixgbe_tx_csum", skb->id,
                 "context descriptor: {} offload (CHECKSUM_PARTIAL at offset {})",
                 tso ? "TSO + checksum" : "checksum", skb->csum_start - skb->data);
  }
  // dma_map_single() of the linear data.
  cpu.charge(cfg_.cost_dma_map);
  // ixgbe_tx_map(): data descriptors, EOP | RS on the last.
  uint32_t eop = i;
  for (uint32_t off = 0, k = 0; k < count; ++k) {
    TxDesc& d = ring[i];
    d.clear();
    d.buf = skb;
    d.offset = off;
    d.len = len - off < kMaxDataPerTxd ? len - off : kMaxDataPerTxd;
    d.first = first;
    d.cmd = k + 1 == count ? (txd::kEop | txd::kRs) : 0;
    d.state = TxDescState::kPosted;
    off += d.len;
    eop = i;
    i = ring.next(i);
  }
  // The first buffer records the skb, BQL bytes and segments (ixgbe_tso():
  // bytecount += (gso_segs - 1) * hdr_len, the headers each segment repeats).
  TxDesc& fb = ring[first];
  fb.skb = skb;
  fb.next_to_watch = eop;
  fb.bytecount = len;
  fb.gso_segs = 1;
  if (tso) {
    TsoHeaders h;
    if (tso_parse(*skb, &h)) {
      const uint32_t segs = h.payload == 0 ? 1 : (h.payload + skb->gso_size - 1) / skb->gso_size;
      fb.gso_segs = static_cast<uint16_t>(segs);
      fb.bytecount = len + (segs - 1) * h.hdr_len;
    }
  }
  ring.next_to_use = i;
  txq.trans_start = cpu.now();
  cpu.charge(cfg_.cost_xmit);

  // netdev_tx_sent_queue(): BQL may stop the queue (__QUEUE_STATE_STACK_XOFF).
  if (txq.dql.enabled) {
    txq.dql.queued(fb.bytecount);
    if (txq.dql.avail() < 0) {
      txq.stack_xoff = true;
      TRACE_BRANCH(cpu, step::kNic01, "netdev_tx_sent_queue", skb->id,
                   "BQL: {} bytes in flight over limit {}: queue stopped (STACK_XOFF)",
                   txq.dql.inflight(), txq.dql.limit);
    }
  }
  // ixgbe_maybe_stop_tx(DESC_NEEDED): stop while a worst-case skb still fits.
  if (ring.unused() < kDescNeeded) {
    txq.drv_xoff = true;
    ++stats_.tx_stopped;
    TRACE_BRANCH(cpu, step::kNic01, "ixgbe_maybe_stop_tx", skb->id,
                 "{} free descriptors < DESC_NEEDED {}: netif_tx_stop_queue", ring.unused(),
                 kDescNeeded);
  }
  // NIC-02: the doorbell, unless more packets follow and the queue runs.
  if (txq.stopped() || !xmit_more_) {
    TRACE_FN(cpu, step::kNic02, "writel(tail)", skb->id);
    ++stats_.tx_doorbells;
    TRACE_BRANCH(cpu, step::kNic02, "ixgbe_tx_map", skb->id,
                 "tail {} written to TDT (reaches the NIC after the MMIO latency)",
                 ring.next_to_use);
    nic_.write_tdt(q, ring.next_to_use, cpu.now());
  } else {
    ++stats_.tx_xmit_more;
    TRACE_BRANCH(cpu, step::kNic02, "ixgbe_tx_map", skb->id,
                 "xmit_more: tail write deferred to the last packet of the batch");
  }
  return NetdevTx::kOk;
}

// ------------------------------------------------------------- interrupt

// NIC-06 ixgbe_msix_clean_rings(): the hard IRQ only schedules NAPI.
void IxgbeDriver::handle_irq(sim::Cpu& cpu, uint16_t vector) {
  TRACE_FN(cpu, step::kNic06, "ixgbe_msix_clean_rings", 0);
  cpu.charge(cfg_.cost_irq);
  core_.napi_schedule(cpu, qv_[vector]->napi);
}

// ixgbe_poll(): TX clean (does not count against the budget), RX up to the
// budget; complete and unmask the vector when all work is done.
int IxgbeDriver::poll(QVector& qv, sim::Cpu& cpu, int budget) {
  TRACE_FN(cpu, step::kNic06, "ixgbe_poll", 0);
  ++stats_.napi_polls;
  const uint16_t v = qv.index;
  bool clean_complete = true;
  if (v < nic_.num_tx_queues()) clean_complete = clean_tx_irq(cpu, v);
  int work = 0;
  if (v < nic_.num_rx_queues()) {
    work = clean_rx_irq(cpu, v, budget);
    if (work >= budget) clean_complete = false;
  }
  if (!clean_complete) {
    TRACE_BRANCH(cpu, step::kNic06, "ixgbe_poll", 0,
                 "work left ({} rx frames, budget {}): stay on the poll list", work, budget);
    return budget;
  }
  if (core_.napi_complete_done(cpu, qv.napi, work)) {
    ++stats_.napi_complete;
    TRACE_BRANCH(cpu, step::kNic06, "ixgbe_poll", 0,
                 "napi_complete_done after {} rx frames: re-enable vector {} (EIMS)", work, v);
    nic_.write_eims(v, cpu.now());  // ixgbe_irq_enable_queues()
  }
  return work < budget - 1 ? work : budget - 1;
}

// NIC-07 ixgbe_clean_tx_irq().
bool IxgbeDriver::clean_tx_irq(sim::Cpu& cpu, uint16_t q) {
  TRACE_FN(cpu, step::kNic07, "ixgbe_clean_tx_irq", 0);
  TxRing& ring = nic_.tx_ring(q);
  NetdevQueue& txq = dev_.tx[q];
  uint32_t pkts = 0, bytes = 0, budget = kTxWorkLimit;
  while (budget > 0) {
    const uint32_t first = ring.next_to_clean;
    TxDesc& fb = ring[first];
    if (!fb.skb) break;  // nothing queued here
    const uint32_t eop = fb.next_to_watch;
    if (ring[eop].state != TxDescState::kDone) break;  // DD not set yet
    SkBuff* skb = fb.skb;
    bytes += fb.bytecount;
    pkts += fb.gso_segs;
    // dma_unmap_single() and the descriptor bookkeeping, per descriptor.
    const uint32_t ndesc = ring.distance(first, ring.next(eop));
    cpu.charge(cfg_.cost_tx_clean * ndesc);
    TRACE_BRANCH(cpu, step::kNic07, "ixgbe_clean_tx_irq", skb->id,
                 "DD set: unmap, napi_consume_skb ({} bytes, {} descriptors)", fb.bytecount, ndesc);
    for (uint32_t k = first;; k = ring.next(k)) {
      ring[k].clear();
      if (k == eop) break;
    }
    ring.next_to_clean = ring.next(eop);
    core_.dev_consume_skb(cpu, skb);
    --budget;
  }
  txq.tx_packets += pkts;
  txq.tx_bytes += bytes;
  dev_.stats.tx_packets += pkts;
  dev_.stats.tx_bytes += bytes;
  core_.netdev_tx_completed_queue(cpu, txq, pkts, bytes);
  // Wake a stopped queue once TX_WAKE_THRESHOLD descriptors are free.
  if (pkts > 0 && txq.drv_xoff && ring.unused() >= kTxWakeThreshold) {
    ++stats_.tx_restart_queue;
    TRACE_BRANCH(cpu, step::kNic07, "ixgbe_clean_tx_irq", 0,
                 "{} free descriptors >= TX_WAKE_THRESHOLD {}: netif_wake_subqueue",
                 ring.unused(), kTxWakeThreshold);
    core_.netif_tx_wake_queue(cpu, txq);
  }
  return budget > 0;
}

// RX-02 ixgbe_clean_rx_irq(): hand written-back frames to the stack.
int IxgbeDriver::clean_rx_irq(sim::Cpu& cpu, uint16_t q, int budget) {
  TRACE_FN(cpu, step::kRx02, "ixgbe_clean_rx_irq", 0);
  RxRing& ring = nic_.rx_ring(q);
  // Buffers used in earlier polls and not yet replaced are refilled here,
  // IXGBE_RX_BUFFER_WRITE at a time.
  uint32_t cleaned = ring.unused();
  int work = 0;
  while (work < budget) {
    if (cleaned >= kRxBufferWrite) {
      alloc_rx_buffers(cpu.now(), q, cleaned);
      cleaned = 0;
    }
    RxDesc& d = ring[ring.next_to_clean];
    if (d.state != RxDescState::kWrittenBack) break;
    SkBuff* skb = d.skb;
    const uint32_t len = d.len;
    const bool good = d.l4_csum_good, bad = d.csum_error;
    d.skb = nullptr;
    d.state = RxDescState::kFree;
    ring.next_to_clean = ring.next(ring.next_to_clean);
    ++cleaned;
    ++work;
    cpu.charge(cfg_.cost_rx_packet);
    // The skb around the written buffer (ixgbe_construct_skb/build_skb).
    skb->put(len);
    skb->reset_mac_header();
    skb->dev = &dev_;
    skb->protocol = len >= stack::ETH_HLEN ? stack::rd16(skb->data_ptr() + 12) : 0;
    skb->queue_mapping = q;  // skb_record_rx_queue()
    // ixgbe_rx_checksum(): CHECKSUM_UNNECESSARY only when the hardware
    // verified the L4 checksum and RXCSUM is on.
    skb->ip_summed = stack::Csum::kNone;
    if (cfg_.rx_checksum && good) {
      skb->ip_summed = stack::Csum::kUnnecessary;
      ++stats_.rx_csum_offload_good;
    } else if (bad) {
      ++stats_.rx_csum_offload_errors;
    }
    // dev->stats.rx_* are counted by the device layer (stack/dev.cc
    // netif_receive_skb); TX ones by the driver at clean time (below).
    TRACE_BRANCH(cpu, step::kRx02, "ixgbe_clean_rx_irq", skb->id,
                 "rx queue {}: {} bytes, {}: napi_gro_receive", q, len,
                 skb->ip_summed == stack::Csum::kUnnecessary ? "CHECKSUM_UNNECESSARY"
                                                             : "CHECKSUM_NONE");
    core_.netif_receive_skb(cpu, skb);
  }
  return work;
}

// ixgbe_alloc_rx_buffers(): post `n` fresh buffers and write the tail.
void IxgbeDriver::alloc_rx_buffers(sim::Time now, uint16_t q, uint32_t n) {
  if (n == 0) return;
  RxRing& ring = nic_.rx_ring(q);
  stack::SkbPool& pool = core_.pool();
  uint32_t i = ring.next_to_use;
  for (uint32_t k = 0; k < n; ++k) {
    RxDesc& d = ring[i];
    assert(!d.skb && d.state == RxDescState::kFree);
    d.skb = pool.alloc(rx_buf_len_, now);  // netdev_alloc_skb
    d.state = RxDescState::kPosted;
    i = ring.next(i);
  }
  ring.next_to_use = i;
  nic_.write_rdt(q, i, now);
}

void IxgbeDriver::ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {
  nic_.ethtool_stats(out);
  out.emplace_back("tx_busy", stats_.tx_busy);
  out.emplace_back("tx_restart_queue", stats_.tx_restart_queue);
  out.emplace_back("tx_stopped", stats_.tx_stopped);
  out.emplace_back("tx_doorbells", stats_.tx_doorbells);
  out.emplace_back("tx_xmit_more", stats_.tx_xmit_more);
  out.emplace_back("rx_csum_offload_errors", stats_.rx_csum_offload_errors);
  out.emplace_back("rx_csum_offload_good", stats_.rx_csum_offload_good);
}

}  // namespace nic_model
