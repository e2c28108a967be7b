// nic_model/irq.h: MSI-X vectors with ixgbe-style interrupt moderation.
//
// One vector per queue pair (ixgbe's q_vector: "TxRx-N"). The NIC raises a
// cause when it wrote back RX or TX descriptors; the vector turns causes
// into interrupts:
//  - Moderation as the 82599's EITR works (ixgbe_main.c ixgbe_write_eitr,
//    datasheet 7.3.2.1): a minimum interval between two interrupts of the
//    vector. A cause after a quiet spell fires at once; one inside the
//    interval fires when the interval ends. Like SimBricks' model, the
//    moderation timer is only (re)armed for an earlier deadline.
//  - The interval is rx-usecs for a vector that serves an RX queue and
//    tx-usecs for a TX-only one: ixgbe rejects a separate tx-usecs on mixed
//    TxRx vectors (ixgbe_ethtool.c ixgbe_set_coalesce). rx-usecs 0: no
//    moderation. ixgbe's dynamic ITR (rx-usecs 1) is not modelled.
//  - Frame-count triggers (rx-frames / tx-frames, as other NICs offer them):
//    when set, that many completed frames fire the vector without waiting.
//  - Auto-mask (EIAM): the vector masks itself when it fires; causes raised
//    while masked wait. The driver unmasks it after napi_complete_done
//    (ixgbe_irq_enable_queues), and a cause still pending then fires.
//  - The MSI-X message is a posted write: the handler runs on the CPU the
//    vector is affine to one PCIe write latency later, as a Cpu::Work at
//    interrupt level.
#pragma once

#include <cstdint>

#include "sim/cpu.h"
#include "sim/timer.h"
#include "sim/trace.h"

namespace nic_model {

// The driver's interrupt handler (ixgbe_msix_clean_rings).
class IrqHandler {
 public:
  virtual ~IrqHandler() = default;
  virtual void handle_irq(sim::Cpu& cpu, uint16_t vector) = 0;
};

struct IrqStats {
  uint64_t interrupts = 0;
  uint64_t causes = 0;           // raise() calls
  uint64_t deferred = 0;         // causes that waited for the interval
  uint64_t while_masked = 0;     // causes raised while masked
};

class MsixVector {
 public:
  MsixVector();
  MsixVector(const MsixVector&) = delete;
  MsixVector& operator=(const MsixVector&) = delete;

  void init(sim::Scheduler& sched, uint16_t index, sim::Duration interval, uint32_t rx_frames,
            uint32_t tx_frames, sim::Duration msi_latency, const sim::Tracer* tracer);
  // request_irq() and the affinity: where the handler runs.
  void set_handler(IrqHandler* h, sim::Cpu* cpu) {
    handler_ = h;
    work_.set_cpu(cpu);
    cpu_ = cpu;
  }
  void set_interval(sim::Duration d) { interval_ = d; }

  // The NIC wrote back `frames` RX / TX completions.
  void raise_rx(uint32_t frames) { rx_pending_ += frames; raise(); }
  void raise_tx(uint32_t frames) { tx_pending_ += frames; raise(); }
  // EIMS write reached the device: unmask.
  void enable();

  bool masked() const { return masked_; }
  bool cause_pending() const { return pending_; }
  uint16_t index() const { return index_; }
  sim::Cpu* cpu() const { return cpu_; }
  const IrqStats& stats() const { return stats_; }

 private:
  class HardIrq final : public sim::Cpu::Work {
   public:
    HardIrq() : Work(Level::kIrq) {}
    MsixVector* v = nullptr;
    void run(sim::Cpu& cpu) override { v->handler_->handle_irq(cpu, v->index_); }
  };
  void raise();
  void try_fire();
  void fire_now();
  void itr_expired();

  sim::Scheduler* sched_ = nullptr;
  const sim::Tracer* tracer_ = nullptr;
  IrqHandler* handler_ = nullptr;
  sim::Cpu* cpu_ = nullptr;
  uint16_t index_ = 0;
  sim::Duration interval_;
  sim::Duration msi_latency_;
  uint32_t rx_frames_ = 0, tx_frames_ = 0;        // thresholds, 0 = off
  uint32_t rx_pending_ = 0, tx_pending_ = 0;      // frames since the last interrupt
  bool pending_ = false;
  bool masked_ = false;
  bool fired_once_ = false;
  sim::Time last_fire_;
  sim::Timer itr_timer_;
  HardIrq work_;
  IrqStats stats_;
};

}  // namespace nic_model
