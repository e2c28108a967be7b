// stack/qdisc.h: struct Qdisc and Qdisc_ops, the queueing disciplines'
// common interface (include/net/sch_generic.h).
//
// A qdisc holds skbs between the protocol layers and the driver. The device
// layer (stack/dev.cc: __dev_xmit_skb, __qdisc_run, sch_direct_xmit) calls
// enqueue/dequeue; the qdisc decides order and drops. Implementations, one
// file each as in net/sched/: sch_generic.cc (pfifo_fast, noqueue),
// sch_fifo.cc (pfifo, bfifo), sch_tbf.cc, sch_fq_codel.cc.
//
//   auto q = make_qdisc(spec, env);        // from a QdiscSpec (YAML / tc)
//   int rc = q->enqueue(skb, now);         // NET_XMIT_SUCCESS / _DROP / _CN
//   SkBuff* next = q->dequeue(now);        // nullptr: empty or throttled
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/scheduler.h"
#include "sim/time.h"
#include "stack/skbuff.h"

namespace stack {

class Qdisc;

// Return codes of enqueue (include/linux/netdevice.h).
constexpr int NET_XMIT_SUCCESS = 0x00;
constexpr int NET_XMIT_DROP = 0x01;  // skb dropped
constexpr int NET_XMIT_CN = 0x02;    // congestion notification: another skb was dropped

// Qdisc flags (include/net/sch_generic.h).
constexpr uint32_t TCQ_F_BUILTIN = 1;
constexpr uint32_t TCQ_F_INGRESS = 2;
constexpr uint32_t TCQ_F_CAN_BYPASS = 4;  // empty queue: send directly (work-conserving FIFOs)
constexpr uint32_t TCQ_F_ONETXQUEUE = 0x10;

// What a qdisc needs from the device it sits on.
class QdiscEnv {
 public:
  virtual ~QdiscEnv() = default;
  virtual sim::Scheduler& sched() = 0;
  // qdisc_drop()/kfree_skb_reason(): the qdisc dropped `skb`; the device
  // layer counts it, traces it and frees it.
  virtual void qdisc_drop(Qdisc& q, SkBuff* skb, DropReason reason) = 0;
  // qdisc_watchdog: a throttled qdisc (tbf waiting for tokens) asks to be
  // run again; the device layer calls __netif_schedule.
  virtual void qdisc_watchdog(Qdisc& q) = 0;
};

// `tc -s qdisc show` counters (struct gnet_stats_basic + gnet_stats_queue).
struct QdiscStats {
  uint64_t bytes = 0;       // Sent N bytes
  uint64_t packets = 0;     //   M pkt
  uint64_t drops = 0;       // (dropped D,
  uint64_t overlimits = 0;  //  overlimits O
  uint64_t requeues = 0;    //  requeues R)
  uint32_t backlog = 0;     // backlog Bb
  uint32_t qlen = 0;        //   Np
};

// A qdisc as configured in YAML (the `tc qdisc add` line). Fields not used
// by a kind stay unset; make_qdisc() rejects ones that do not apply.
struct QdiscSpec {
  std::string kind = "pfifo_fast";  // pfifo_fast pfifo bfifo tbf fq_codel noqueue
  // pfifo: packets (default txqueuelen); bfifo: bytes (default txqueuelen *
  // (mtu + 14)); fq_codel: packets (default 10240, sch_fq_codel.c).
  std::optional<uint32_t> limit;
  // tbf (net/sched/sch_tbf.c): rate, burst (bytes), limit or latency.
  std::optional<uint64_t> rate_bps;
  std::optional<uint32_t> burst;
  std::optional<uint32_t> limit_bytes;   // tbf "limit"
  std::optional<sim::Duration> latency;  // tbf "latency"
  std::optional<uint64_t> peakrate_bps;
  std::optional<uint32_t> mtu;
  // fq_codel (net/sched/sch_fq_codel.c).
  std::optional<uint32_t> flows;
  std::optional<sim::Duration> target;
  std::optional<sim::Duration> interval;
  std::optional<uint32_t> quantum;
  std::optional<uint32_t> memory_limit;
  std::optional<bool> ecn;
  std::optional<uint32_t> drop_batch;
  // A child qdisc (tbf's inner queue; default bfifo of `limit` bytes).
  std::shared_ptr<QdiscSpec> child;
};

class Qdisc {
 public:
  Qdisc(const char* kind, QdiscEnv& env) : kind_(kind), env_(&env) {}
  virtual ~Qdisc() = default;
  Qdisc(const Qdisc&) = delete;
  Qdisc& operator=(const Qdisc&) = delete;

  const char* kind() const { return kind_; }
  uint32_t flags = 0;
  uint32_t handle = 0;  // "8001:" as tc prints it, major << 16
  QdiscStats stats;

  // Qdisc_ops.enqueue: takes the skb (queues it, or drops it through
  // env().qdisc_drop()). Returns NET_XMIT_*.
  virtual int enqueue(SkBuff* skb, sim::Time now) = 0;
  // Qdisc_ops.dequeue: the next skb to send, or nullptr (empty, or
  // throttled: then the qdisc has armed its watchdog).
  virtual SkBuff* dequeue(sim::Time now) = 0;
  // Qdisc_ops.peek.
  virtual SkBuff* peek(sim::Time now) = 0;
  // Qdisc_ops.reset: drop everything (device down).
  virtual void reset() = 0;
  // Extra lines for `tc -s qdisc` (e.g. fq_codel's maxpacket, new_flow_count).
  virtual void dump_extra(std::vector<std::pair<std::string, uint64_t>>& out) const {}

  QdiscEnv& env() { return *env_; }

  // dev_requeue_skb(): the driver was busy; the skb goes back in front.
  // Kept outside the qdisc proper (q->gso_skb), as the kernel does.
  SkBuff* requeued = nullptr;

  // qdisc_run_begin()/qdisc_run_end(): one CPU runs a qdisc at a time.
  bool running = false;
  // On a softnet output_queue (__QDISC_STATE_SCHED).
  bool scheduled = false;
  Qdisc* output_next = nullptr;
  uint16_t txq_index = 0;  // the TX queue it is the root of

 protected:
  // Helpers the implementations share (qdisc_qstats_backlog_inc etc.).
  void account_enqueue(const SkBuff* skb) {
    stats.backlog += skb->len();
    stats.qlen++;
  }
  void account_dequeue(const SkBuff* skb) {
    stats.backlog -= skb->len();
    stats.qlen--;
    stats.bytes += skb->len();
    stats.packets++;
  }
  // Drop an skb that was never queued here (counts, frees).
  int drop(SkBuff* skb, DropReason reason) {
    stats.drops++;
    env_->qdisc_drop(*this, skb, reason);
    return NET_XMIT_DROP;
  }

 private:
  const char* kind_;
  QdiscEnv* env_;
};

// Builds a qdisc from its spec; `tx_queue_len` is the device's txqueuelen
// (the default limit of pfifo_fast and pfifo). Throws std::invalid_argument
// with a message naming the field when the spec does not fit the kind.
std::unique_ptr<Qdisc> make_qdisc(const QdiscSpec& spec, QdiscEnv& env, uint32_t tx_queue_len,
                                  uint32_t mtu);

// The kinds make_qdisc() knows, for error messages ("did you mean").
const std::vector<std::string>& qdisc_kinds();

}  // namespace stack
