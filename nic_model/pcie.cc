// nic_model/pcie.cc: PCIe link, DMA engine and MMIO ordering.
#include "nic_model/pcie.h"

#include <cassert>

namespace nic_model {

namespace {
// Raw signalling rate per lane in transfers/s (PCIe base spec: 2.5, 5, 8,
// 16, 32 GT/s for Gen1..5); one transfer carries one bit per lane.
uint64_t raw_lane_rate(uint32_t gen) {
  switch (gen) {
    case 1: return 2500000000ull;
    case 2: return 5000000000ull;
    case 3: return 8000000000ull;
    case 4: return 16000000000ull;
    default: return 32000000000ull;
  }
}
}  // namespace

void DmaOp::fire() { link->write_done(*this); }

PcieLink::PcieLink(sim::Scheduler& sched, const NicConfig& cfg) : sched_(sched), cfg_(cfg) {
  assert(cfg.dma_max_outstanding_reads >= 1 && cfg.pcie_max_payload > 0 &&
         cfg.pcie_max_read_request > 0);
  // Encoding: 8b/10b up to Gen2, 128b/130b from Gen3. Time for `b` data
  // bits = b * den / (raw * num); the BitClock runs at raw * num "bits"/s
  // and is fed b * den, so no rounding happens before the clock's own.
  uint64_t num = 8;
  enc_den_ = 10;
  if (cfg.pcie_gen >= 3) {
    num = 128;
    enc_den_ = 130;
  }
  const sim::Rate r{raw_lane_rate(cfg.pcie_gen) * cfg.pcie_lanes * num};
  up_.clock.set_rate(r);
  down_.clock.set_rate(r);
  tags_ = std::vector<ReadTag>(cfg.dma_max_outstanding_reads);
  free_tags_.reserve(tags_.size());
  inflight_.assign(tags_.size(), nullptr);
  // Hand tags out lowest first (pushed in reverse onto the free stack).
  for (size_t i = tags_.size(); i-- > 0;) {
    tags_[i].link = this;
    free_tags_.push_back(&tags_[i]);
  }
}

uint64_t PcieLink::effective_bps() const {
  return up_.clock.rate().bps / enc_den_;
}

sim::Time PcieLink::send_tlp(Direction& d, sim::Time earliest, uint32_t payload) {
  const sim::Time start = sim::max(earliest, d.free_at);
  const uint64_t bits = static_cast<uint64_t>(payload + cfg_.pcie_tlp_overhead) * 8 * enc_den_;
  d.free_at = start + d.clock.next(bits);
  return d.free_at;
}

void PcieLink::read(DmaOp& op) {
  assert(!op.busy && op.len > 0 && op.client);
  op.busy = true;
  op.dir = DmaOp::Dir::kRead;
  op.link = this;
  op.requested = 0;
  op.outstanding = 0;
  op.issued = sched_.now();
  op.next_wait = nullptr;
  ++stats_.read_ops;
  stats_.read_bytes += op.len;
  if (wait_tail_) wait_tail_->next_wait = &op; else wait_head_ = &op;
  wait_tail_ = &op;
  issue_reads();
}

uint32_t PcieLink::tags_in_use() const {
  uint32_t used = static_cast<uint32_t>(tags_.size() - free_tags_.size());
  // Virtual tags whose completion has passed are free, just not returned.
  for (uint32_t k = 0; k < inflight_count_; ++k) {
    const ReadTag* t = inflight_[(inflight_head_ + k) % inflight_.size()];
    if (!t->virt || !sched_.has_run(t->vkey)) break;
    --used;
  }
  return used;
}

void PcieLink::inflight_pop() {
  inflight_head_ = (inflight_head_ + 1) % static_cast<uint32_t>(inflight_.size());
  --inflight_count_;
}

// What tag_done() would have done for each virtual tag at the front of the
// FIFO whose event would have run by now: with no read waiting (else the
// tag would not be virtual) and its op not finished by it, that is only
// giving the tag back.
void PcieLink::retire_virtual() {
  while (virtual_count_ > 0) {
    ReadTag* t = inflight_front();
    if (!t->virt || !sched_.has_run(t->vkey)) return;
    inflight_pop();
    --virtual_count_;
    t->virt = false;
    --t->op->outstanding;
    t->op = nullptr;
    free_tags_.push_back(t);
  }
}

void PcieLink::materialize() {
  for (uint32_t k = 0; k < inflight_count_ && virtual_count_ > 0; ++k) {
    ReadTag* t = inflight_[(inflight_head_ + k) % inflight_.size()];
    if (!t->virt) continue;
    t->virt = false;
    --virtual_count_;
    sched_.schedule_key(*t, t->vkey);
  }
}

// Issues read requests, in submission order, while tags are free.
void PcieLink::issue_reads() {
  const sim::Time now = sched_.now();
  retire_virtual();
  while (wait_head_) {
    if (free_tags_.empty()) {
      ++stats_.tag_stalls;
      // Reads wait: each tag in flight issues one of them when it
      // completes, so each needs its event.
      materialize();
      return;
    }
    DmaOp& op = *wait_head_;
    ReadTag* tag = free_tags_.back();
    free_tags_.pop_back();
    const uint32_t chunk =
        op.len - op.requested < cfg_.pcie_max_read_request ? op.len - op.requested
                                                           : cfg_.pcie_max_read_request;
    op.requested += chunk;
    ++op.outstanding;
    if (op.requested == op.len) {
      wait_head_ = op.next_wait;
      if (!wait_head_) wait_tail_ = nullptr;
      op.next_wait = nullptr;
    }
    tag->op = &op;
    ++stats_.read_requests;
    // The request: a header-only TLP upstream (MRd).
    const sim::Time req_sent = send_tlp(up_, now, 0);
    ++stats_.tlps_up;
    // The completions (CplD): MPS-sized, after the memory round trip.
    sim::Time t = req_sent + cfg_.pcie_read_latency;
    for (uint32_t left = chunk; left > 0;) {
      const uint32_t n = left < cfg_.pcie_max_payload ? left : cfg_.pcie_max_payload;
      t = send_tlp(down_, t, n);
      ++stats_.tlps_down;
      left -= n;
    }
    inflight_[(inflight_head_ + inflight_count_) % inflight_.size()] = tag;
    ++inflight_count_;
    if (op.requested == op.len) {
      sched_.schedule(*tag, t);  // the op's last completion: dma_complete
    } else {
      // A later request of the same op completes after this one, so this
      // completion can only matter if reads come to wait (materialize()).
      tag->virt = true;
      tag->vkey = sched_.reserve_key(t);
      ++virtual_count_;
    }
  }
}

void PcieLink::tag_done(ReadTag& tag) {
  // Virtual tags ahead of this one completed before it.
  retire_virtual();
  assert(inflight_count_ > 0 && inflight_front() == &tag);
  inflight_pop();
  DmaOp& op = *tag.op;
  tag.op = nullptr;
  free_tags_.push_back(&tag);
  --op.outstanding;
  if (op.requested == op.len && op.outstanding == 0) {
    op.busy = false;
    op.client->dma_complete(op);  // may submit more reads
  }
  issue_reads();
}

void PcieLink::write(DmaOp& op) {
  assert(!op.busy && op.len > 0 && op.client);
  op.busy = true;
  op.dir = DmaOp::Dir::kWrite;
  op.link = this;
  op.issued = sched_.now();
  ++stats_.write_ops;
  stats_.write_bytes += op.len;
  sim::Time t = sched_.now();
  for (uint32_t left = op.len; left > 0;) {
    const uint32_t n = left < cfg_.pcie_max_payload ? left : cfg_.pcie_max_payload;
    t = send_tlp(up_, t, n);  // MWr TLPs share the upstream with read requests
    ++stats_.tlps_up;
    left -= n;
  }
  sched_.schedule(op, t + cfg_.pcie_write_latency);
}

void PcieLink::post(DmaOp& op) {
  assert(!op.busy && op.len > 0);
  op.dir = DmaOp::Dir::kWrite;
  op.link = this;
  op.issued = sched_.now();
  ++stats_.write_ops;
  stats_.write_bytes += op.len;
  sim::Time t = sched_.now();
  for (uint32_t left = op.len; left > 0;) {
    const uint32_t n = left < cfg_.pcie_max_payload ? left : cfg_.pcie_max_payload;
    t = send_tlp(up_, t, n);
    ++stats_.tlps_up;
    left -= n;
  }
}

void PcieLink::write_done(DmaOp& op) {
  op.busy = false;
  op.client->dma_complete(op);
}

sim::Time PcieLink::mmio_arrival(sim::Time issued) {
  ++stats_.mmio_writes;
  // Posted writes stay in order: a write never overtakes an earlier one,
  // even when CPUs with different local clocks issue them.
  last_mmio_ = sim::max(issued + cfg_.mmio_write_latency, last_mmio_);
  return last_mmio_;
}

}  // namespace nic_model
