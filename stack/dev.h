// stack/dev.h: the device layer (net/core/dev.c, net/sched/sch_generic.c)
// and the per-CPU softirq machinery it runs on.
//
// Transmit: dev_queue_xmit() picks a TX queue (netdev_pick_tx), then either
// calls the driver directly (a device without a queue, like loopback), or
// goes through the queue's qdisc in __dev_xmit_skb(): straight to the driver
// when the qdisc is empty and allows bypass, else enqueue and run the qdisc
// (__qdisc_run, at most dev_weight packets, the rest later from the NET_TX
// softirq). A busy driver makes the qdisc requeue the skb and reschedule.
//
// Receive: the driver's NAPI poll, run by net_rx_action() in the NET_RX
// softirq within netdev_budget packets and netdev_budget_usecs, hands
// frames to netif_receive_skb(), which dispatches on the Ethertype.
//
// This class is also the DevCore a driver calls and the QdiscEnv a qdisc
// calls: it is the whole of "the kernel" as the NIC model sees it.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cpu.h"
#include "stack/netdevice.h"
#include "stack/qdisc.h"

namespace stack {

class Host;

// Softirq numbers (include/linux/interrupt.h); only the two the network
// stack raises are modelled (timers run as TimerList work items).
enum Softirq : uint32_t { NET_TX_SOFTIRQ = 2, NET_RX_SOFTIRQ = 3 };

// Tap on the device layer: dev_queue_xmit_nit() / the receive tap of
// __netif_receive_skb_core(), where tcpdump would see packets.
class PacketTap {
 public:
  virtual ~PacketTap() = default;
  virtual void on_packet(sim::Time t, const NetDevice& dev, const SkBuff& skb, bool tx) = 0;
};

class Dev final : public DevCore {
 public:
  explicit Dev(Host& host);
  ~Dev() override;

  // Called once per device after its TX queues exist: attaches qdiscs.
  void attach_qdiscs(NetDevice& dev, const QdiscSpec& spec);

  // dev_queue_xmit(): the skb has its link header; data at the MAC header.
  // Returns NET_XMIT_* (or a negative errno when the device is down).
  int dev_queue_xmit(sim::Cpu& cpu, SkBuff* skb);
  // netif_rx(): queue a received skb to this CPU's backlog (loopback).
  int netif_rx(sim::Cpu& cpu, SkBuff* skb);
  // raise_softirq(): mark pending and make sure the softirq runs.
  void raise_softirq(sim::Cpu& cpu, Softirq nr);
  // __netif_schedule(): put the qdisc on this CPU's output queue.
  void netif_schedule(sim::Cpu& cpu, Qdisc& q);

  // DevCore: what drivers call.
  sim::Cpu& cpu(uint16_t index) override;
  SkbPool& pool() override;
  void napi_schedule(sim::Cpu& cpu, NapiStruct& napi) override;
  bool napi_complete_done(sim::Cpu& cpu, NapiStruct& napi, int work_done) override;
  void netif_receive_skb(sim::Cpu& cpu, SkBuff* skb) override;
  void netif_tx_wake_queue(sim::Cpu& cpu, NetdevQueue& txq) override;
  void netdev_tx_completed_queue(sim::Cpu& cpu, NetdevQueue& txq, uint32_t pkts,
                                 uint32_t bytes) override;
  void dev_consume_skb(sim::Cpu& cpu, SkBuff* skb) override;
  void dev_kfree_skb(sim::Cpu& cpu, SkBuff* skb, DropReason reason) override;

  // /proc/net/softnet_stat, per CPU.
  struct SoftnetStat {
    uint64_t processed = 0;
    uint64_t dropped = 0;
    uint64_t time_squeeze = 0;
  };
  const SoftnetStat& softnet_stat(uint16_t cpu) const;

  void add_tap(PacketTap* tap) { taps_.push_back(tap); }
  // skbs waiting in the per-CPU backlogs (for the conservation check).
  uint64_t backlog_skbs() const;

 private:
  struct Softnet;
  struct TxqEnv;
  class Backlog;
  class SoftirqWork;

  // Transmit path, in the kernel's order.
  uint16_t netdev_pick_tx(sim::Cpu& cpu, NetDevice& dev, SkBuff* skb);
  int dev_xmit_skb(sim::Cpu& cpu, SkBuff* skb, Qdisc& q, NetDevice& dev, NetdevQueue& txq);
  void qdisc_run(sim::Cpu& cpu, Qdisc& q, NetdevQueue& txq);
  bool qdisc_restart(sim::Cpu& cpu, Qdisc& q, NetdevQueue& txq, int* packets);
  bool sch_direct_xmit(sim::Cpu& cpu, SkBuff* skb, Qdisc& q, NetdevQueue& txq);
  NetdevTx dev_hard_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq);
  void dev_requeue_skb(sim::Cpu& cpu, SkBuff* skb, Qdisc& q);
  void drop(sim::Cpu& cpu, SkBuff* skb, DropReason reason, const char* where);

  // Softirqs.
  void do_softirq(sim::Cpu& cpu);
  void net_tx_action(sim::Cpu& cpu);
  void net_rx_action(sim::Cpu& cpu);

  Host& host_;
  std::vector<std::unique_ptr<Softnet>> softnet_;
  std::vector<std::unique_ptr<TxqEnv>> txq_envs_;
  std::vector<std::unique_ptr<Qdisc>> qdiscs_;
  std::vector<PacketTap*> taps_;
  uint32_t next_handle_ = 0x8001;
  friend class HostTestPeer;
};

}  // namespace stack
