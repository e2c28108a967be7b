// nic_model/driver.h: the ixgbe-like driver: the kernel-side half of the
// NIC, running on the host's CPUs.
//
// Mirrors drivers/net/ethernet/intel/ixgbe/ixgbe_main.c (Linux 6.x):
//  - ndo_start_xmit = ixgbe_xmit_frame_ring (NIC-01): ring space check
//    (count + 3 descriptors, else stop the queue and return BUSY), a
//    context descriptor when offloads are asked for, dma_map_single (cost
//    charged), data descriptors of at most 16 KB each (TXD_USE_COUNT), the
//    skb recorded in the first buffer with next_to_watch = the EOP
//    descriptor, netdev_tx_sent_queue (BQL), and ixgbe_maybe_stop_tx with
//    DESC_NEEDED after queuing;
//  - the doorbell (NIC-02): the tail write, skipped while xmit_more says
//    more packets follow and the queue is not stopped (set_xmit_more());
//  - the MSI-X handler ixgbe_msix_clean_rings (NIC-06): napi_schedule;
//  - ixgbe_poll (NIC-06/07, RX-02): ixgbe_clean_tx_irq (unmap, free the skb
//    through dev_consume_skb, BQL completion, wake the queue at
//    TX_WAKE_THRESHOLD free descriptors), then ixgbe_clean_rx_irq up to the
//    budget, then napi_complete_done and re-enabling the vector (EIMS).
//
// RX buffers: the driver posts whole skbs (netdev_alloc_skb of 2 KB) as RX
// buffers; the NIC DMA-writes the frame into one, and the poll hands that
// very skb up the stack and posts a fresh one in its place (no copy). Real
// ixgbe posts pages and builds the skb around them (build_skb), which costs
// the same order of work; the model charges cost_rx_packet per frame.
//
// Wiring (what the lead does once per interface):
//   Nic nic(sched, pool, cfg, mac, nic_tracer);
//   IxgbeDriver drv(dev_core, netdev, nic);  // sets netdev.ops, features, queues
//   nic.attach_link(link, 0);
//   drv.open(num_cpus);                      // posts RX buffers, binds IRQs
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nic_model/nic.h"
#include "stack/netdevice.h"

namespace nic_model {

struct DriverStats {
  uint64_t tx_busy = 0;                // NETDEV_TX_BUSY: ring full at xmit
  uint64_t tx_restart_queue = 0;       // queue woken after a stop
  uint64_t tx_stopped = 0;             // queue stopped after queuing (DESC_NEEDED)
  uint64_t tx_doorbells = 0;           // tail writes
  uint64_t tx_xmit_more = 0;           // tail writes skipped (xmit_more)
  uint64_t rx_csum_offload_errors = 0; // hw_csum_rx_error
  uint64_t rx_csum_offload_good = 0;   // CHECKSUM_UNNECESSARY given to the stack
  uint64_t napi_polls = 0;
  uint64_t napi_complete = 0;
};

class IxgbeDriver final : public stack::NetDeviceOps, public IrqHandler {
 public:
  // Constants of ixgbe.h / include/linux/skbuff.h.
  static constexpr uint32_t kMaxSkbFrags = 17;               // MAX_SKB_FRAGS (4 KB pages)
  static constexpr uint32_t kDescNeeded = kMaxSkbFrags + 4;  // DESC_NEEDED
  static constexpr uint32_t kTxWakeThreshold = kDescNeeded * 2;  // TX_WAKE_THRESHOLD
  static constexpr uint32_t kMaxDataPerTxd = 1u << 14;       // IXGBE_MAX_DATA_PER_TXD
  static constexpr uint32_t kTxWorkLimit = 256;              // IXGBE_DEFAULT_TX_WORK
  static constexpr uint32_t kRxBufferWrite = 16;             // IXGBE_RX_BUFFER_WRITE
  static constexpr uint32_t kRxBuffer2K = 2048;              // IXGBE_RXBUFFER_2K

  // Binds to the device: sets dev.ops, dev_addr, mtu, features from the
  // NIC's configuration, and creates the TX queues if the device has none.
  IxgbeDriver(stack::DevCore& core, stack::NetDevice& dev, Nic& nic);
  ~IxgbeDriver() override;

  // ethtool -G: ring sizes, before open().
  void set_ringparam(uint32_t tx, uint32_t rx);
  // ixgbe_open(): posts RX buffers (a full ring less one) and binds each
  // vector to a CPU: vector v runs on CPU affinity(v), by default v % cpus
  // (ixgbe's affinity hints spread vectors over CPUs this way).
  void set_irq_affinity(uint16_t vector, uint16_t cpu);
  void open(uint16_t num_cpus = 1);
  // At the end of a run: skbs still in the rings end as SIM_END.
  void free_rings();

  // netdev_xmit_more() for the next ndo_start_xmit: more packets follow,
  // the doorbell may wait. The caller must clear it for the last one.
  void set_xmit_more(bool more) { xmit_more_ = more; }

  stack::NetdevTx ndo_start_xmit(sim::Cpu& cpu, stack::SkBuff* skb,
                                 stack::NetdevQueue& txq) override;
  void ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const override;
  void handle_irq(sim::Cpu& cpu, uint16_t vector) override;

  stack::NapiStruct& napi(uint16_t v) { return qv_[v]->napi; }
  const DriverStats& stats() const { return stats_; }
  Nic& nic() { return nic_; }
  // skbs the rings hold (posted RX buffers, TX skbs not yet cleaned).
  uint32_t skbs_held() const;
  uint32_t tx_skbs_held() const;       // transmitted, not yet cleaned
  uint32_t rx_buffers_posted() const;  // empty buffers waiting for frames

 private:
  // struct ixgbe_q_vector: one NAPI context per vector / queue pair.
  struct QVector final : stack::NapiPoll {
    IxgbeDriver* drv = nullptr;
    uint16_t index = 0;
    stack::NapiStruct napi;
    int napi_poll(sim::Cpu& cpu, int budget) override { return drv->poll(*this, cpu, budget); }
  };
  int poll(QVector& qv, sim::Cpu& cpu, int budget);
  bool clean_tx_irq(sim::Cpu& cpu, uint16_t q);
  int clean_rx_irq(sim::Cpu& cpu, uint16_t q, int budget);
  void alloc_rx_buffers(sim::Time now, uint16_t q, uint32_t n);

  stack::DevCore& core_;
  stack::NetDevice& dev_;
  Nic& nic_;
  NicConfig cfg_;
  uint32_t rx_buf_len_ = kRxBuffer2K;
  bool xmit_more_ = false;
  bool opened_ = false;
  std::vector<std::unique_ptr<QVector>> qv_;
  std::vector<uint16_t> affinity_;
  std::vector<bool> affinity_set_;
  DriverStats stats_;
};

}  // namespace nic_model
