// nic_model/nic.h: the network adapter: queues, DMA pipeline, MAC, RX
// filter, interrupts. An ixgbe/82599-class device as its driver sees it.
//
// Transmit (NIC-02..NIC-05), per queue:
//   doorbell (TDT write, after the MMIO latency) -> descriptor fetch (a DMA
//   read of up to desc_fetch_max descriptors) -> data fetch (a DMA read per
//   data descriptor, while the on-NIC TX FIFO has room) -> at the packet's
//   last data descriptor the frame(s) sit in the FIFO (checksum inserted,
//   TSO segments cut) -> MAC serialises them in FIFO order at the link rate
//   -> the link. Descriptor write-back happens as soon as the packet's data
//   is in the FIFO (the 82599 writes back after it has fetched the data,
//   not when the wire is done; the driver may then free the skb because the
//   NIC holds its own copy), and raises the queue vector's TX cause.
//
// Receive (RX-01): a frame from the link passes the length check (at most
// MTU + 14 bytes; larger: rx_length_errors) and the unicast MAC filter
// (another host's unicast: dropped as OTHERHOST unless promiscuous), RSS
// picks the queue; with a fetched, posted RX descriptor the bytes are
// DMA-written into the posted buffer and the descriptor written back (DD,
// length, checksum status), then the vector's RX cause is raised. With no
// descriptor the frame is dropped: rx_missed_errors (NIC_RX_NO_BUFFER).
//
// Time: every NIC action happens on the scheduler's clock, driven by DMA
// completions, MMIO arrivals and MAC events; the NIC core itself takes no
// cycles (simplification: descriptor processing is free next to DMA and
// wire time). Nothing here allocates per packet except skbs from the pool.
//
// Simplifications: no RX packet buffer (a frame that finds no descriptor is
// dropped at once rather than waiting), RSS hashes with FNV instead of
// Toeplitz, no VLAN, no flow control (PAUSE), one traffic class, the MAC
// serves queues in the order their data arrived.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "nic_model/irq.h"
#include "nic_model/link.h"
#include "nic_model/mac.h"
#include "nic_model/nic_config.h"
#include "nic_model/pcie.h"
#include "nic_model/port.h"
#include "nic_model/ring.h"
#include "sim/timer.h"
#include "sim/trace.h"
#include "stack/netdevice.h"

namespace nic_model {

// Hardware counters, named as ixgbe's `ethtool -S` names them
// (ixgbe_ethtool.c ixgbe_gstrings_stats) where it has a name.
struct NicStats {
  uint64_t tx_packets = 0, tx_bytes = 0;  // frames on the wire (bytes without FCS)
  uint64_t rx_packets = 0, rx_bytes = 0;  // frames written back to the host
  uint64_t rx_missed_errors = 0;          // no RX descriptor (NIC_RX_NO_BUFFER)
  uint64_t rx_no_dma_resources = 0;       // the same drops, per-queue view (QPRDC)
  uint64_t rx_length_errors = 0;          // longer than MTU + ETH_HLEN
  uint64_t rx_otherhost_dropped = 0;      // unicast for another MAC (rtnl_link_stats64 name)
  uint64_t multicast = 0;                 // broadcast/multicast frames received
  uint64_t tx_tso_frames = 0;             // frames cut by TSO
  uint64_t tx_fifo_stalls = 0;            // data fetch waited for FIFO room
  uint64_t link_down_drops = 0;           // frames sent with no link attached
  std::vector<uint64_t> tx_queue_packets, tx_queue_bytes;
  std::vector<uint64_t> rx_queue_packets, rx_queue_bytes;
};

class Nic final : public Port, public DmaClient {
 public:
  Nic(sim::Scheduler& sched, stack::SkbPool& pool, const NicConfig& cfg, stack::MacAddr mac,
      sim::Tracer tracer = {});
  Nic(const Nic&) = delete;
  Nic& operator=(const Nic&) = delete;

  // Wiring.
  void attach_link(Link& link, int side);
  // Trace tracks of their own for the DMA engine and each queue (Perfetto
  // draws one row per track); unset ones use the NIC's tracer.
  void set_trace_tracks(sim::Tracer dma, std::vector<sim::Tracer> txq, std::vector<sim::Tracer> rxq) {
    dma_tracer_ = dma;
    txq_tracers_ = std::move(txq);
    rxq_tracers_ = std::move(rxq);
  }
  void set_frame_tap(FrameTap* tap) { tap_ = tap; }
  // ethtool -G: only while the rings are idle (before the driver opens).
  void set_ring_sizes(uint32_t tx, uint32_t rx);

  uint16_t num_tx_queues() const { return static_cast<uint16_t>(txq_.size()); }
  uint16_t num_rx_queues() const { return static_cast<uint16_t>(rxq_.size()); }
  uint16_t num_vectors() const { return static_cast<uint16_t>(vectors_.size()); }
  TxRing& tx_ring(uint16_t q) { return txq_[q].ring; }
  RxRing& rx_ring(uint16_t q) { return rxq_[q].ring; }
  MsixVector& vector(uint16_t v) { return vectors_[v]; }
  const NicConfig& config() const { return cfg_; }
  sim::Scheduler& sched() const { return sched_; }
  const stack::MacAddr& mac_addr() const { return mac_; }
  sim::Rate mac_rate() const { return mac_ser_.rate(); }

  // Register writes from the driver (writel), issued at the CPU's local
  // time; they take effect after the MMIO latency, in order.
  void write_tdt(uint16_t q, uint32_t tail, sim::Time issued) { mmio(kTdt, q, tail, issued); }
  void write_rdt(uint16_t q, uint32_t tail, sim::Time issued) { mmio(kRdt, q, tail, issued); }
  void write_eims(uint16_t vector, sim::Time issued) { mmio(kEims, vector, 0, issued); }

  // Port: a frame from the link.
  void receive_frame(stack::SkBuff* frame) override;

  const NicStats& stats() const { return stats_; }
  const PcieLink& pcie() const { return pcie_; }
  // Wire copies the NIC holds (in its TX FIFO), for conservation checks.
  uint32_t skbs_held() const { return mac_fifo_.qlen(); }
  void ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const;

 private:
  enum Reg : uint8_t { kTdt, kRdt, kEims };
  enum OpKind : uint8_t {
    kTxDescFetch, kTxData, kTxWriteBack, kRxDescFetch, kRxData, kRxWriteBack
  };
  struct MmioWrite {
    sim::Time at;
    Reg reg;
    uint16_t q;
    uint32_t val;
  };
  struct TxQueueHw {
    TxRing ring;
    uint32_t tail = 0;     // TDT as last written
    uint32_t fetch = 0;    // next descriptor to fetch
    uint32_t fetched = 0;  // descriptors before this are in the cache
    uint32_t data = 0;     // next cached descriptor to fetch data for
    DmaOp desc_op;
  };
  struct RxQueueHw {
    RxRing ring;
    uint32_t tail = 0;     // RDT as last written
    uint32_t fetch = 0;
    uint32_t fetched = 0;
    uint32_t head = 0;     // RDH: next descriptor to fill
    DmaOp desc_op;
  };

  void mmio(Reg reg, uint16_t q, uint32_t val, sim::Time issued);
  void mmio_arrive();
  void dma_complete(DmaOp& op) override;

  // Transmit pipeline.
  uint32_t fetch_batch(uint32_t cached, uint32_t posted, uint32_t to_end) const;
  void kick_tx_fetch(uint16_t q);
  void kick_tx_data(uint16_t q);
  void kick_all_tx_data();
  void tx_data_done(uint16_t q, uint32_t i);
  void tx_writeback_done(uint16_t q, uint32_t eop);
  void enqueue_frame(stack::SkBuff* frame, uint16_t q);
  void mac_start();
  void mac_frame_end();

  // Receive pipeline.
  void kick_rx_fetch(uint16_t q);
  uint16_t rss_queue(const stack::SkBuff& f) const;
  void rx_checksum(const stack::SkBuff& f, RxDesc& d) const;

  sim::Scheduler& sched_;
  stack::SkbPool& pool_;
  NicConfig cfg_;
  stack::MacAddr mac_;
  sim::Tracer tracer_;
  sim::Tracer dma_tracer_;
  std::vector<sim::Tracer> txq_tracers_, rxq_tracers_;
  const sim::Tracer& dma_tr() const { return dma_tracer_.on() ? dma_tracer_ : tracer_; }
  const sim::Tracer& txq_tr(uint16_t q) const { return q < txq_tracers_.size() ? txq_tracers_[q] : tracer_; }
  const sim::Tracer& rxq_tr(uint16_t q) const { return q < rxq_tracers_.size() ? rxq_tracers_[q] : tracer_; }
  PcieLink pcie_;
  std::vector<TxQueueHw> txq_;
  std::vector<RxQueueHw> rxq_;
  std::vector<MsixVector> vectors_;
  Link* link_ = nullptr;
  int link_side_ = 0;
  FrameTap* tap_ = nullptr;

  // MMIO writes in flight: a ring buffer that only grows when full.
  std::vector<MmioWrite> mmio_q_;
  uint32_t mmio_head_ = 0, mmio_count_ = 0;
  sim::MemberEvent<Nic, &Nic::mmio_arrive> mmio_event_{this};

  // TX FIFO and MAC.
  stack::SkbQueue mac_fifo_;   // wire frames waiting for or on the wire
  uint32_t fifo_bytes_ = 0;    // host bytes reserved by data fetches
  uint16_t data_rr_ = 0;       // which queue gets FIFO room first
  MacSerializer mac_ser_;
  bool mac_busy_ = false;      // a frame is being serialised
  sim::Time mac_free_at_;      // end of the last inter-frame gap
  sim::MemberEvent<Nic, &Nic::mac_start> mac_start_event_{this};
  sim::MemberEvent<Nic, &Nic::mac_frame_end> mac_end_event_{this};

  NicStats stats_;
};

}  // namespace nic_model
