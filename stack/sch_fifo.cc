// stack/sch_fifo.cc: pfifo and bfifo (net/sched/sch_fifo.c): one FIFO,
// tail drop at a limit in packets (pfifo) or bytes (bfifo). Also the
// default child of tbf (fifo_create_dflt()).
//
// Simplification: no pfifo_head_drop.
#include "stack/pkt_sched.h"

namespace stack {

namespace {

class Fifo final : public Qdisc {
 public:
  Fifo(QdiscEnv& env, bool bytes, uint32_t limit, uint32_t dev_mtu)
      : Qdisc(bytes ? "bfifo" : "pfifo", env), bytes_(bytes), limit_(limit) {
    // fifo_init(): bypass only if the queue could hold the packet anyway,
    // so that a bypassed packet is never one the FIFO would have dropped.
    const bool bypass = bytes ? limit >= psched_mtu(dev_mtu) : limit >= 1;
    if (bypass) flags |= TCQ_F_CAN_BYPASS;
  }

  int enqueue(SkBuff* skb, sim::Time) override {
    // bfifo_enqueue(): backlog + len <= limit; pfifo_enqueue(): qlen < limit.
    // Both counts include a requeued skb, as sch->q.qlen and qstats.backlog
    // do in the kernel.
    const bool fits = bytes_ ? uint64_t{stats.backlog} + skb->len() <= limit_ : stats.qlen < limit_;
    if (!fits) return drop(skb, DropReason::QDISC_DROP);
    q_.enqueue_tail(skb);
    account_enqueue(skb);
    return NET_XMIT_SUCCESS;
  }

  SkBuff* dequeue(sim::Time) override {
    SkBuff* skb = q_.dequeue();
    if (skb) account_dequeue(skb);
    return skb;
  }

  // qdisc_peek_head(): the head stays queued (and keeps counting against
  // the limit: tbf's waiting packet is "one of the 100").
  SkBuff* peek(sim::Time) override { return q_.peek(); }

  void reset() override {
    while (SkBuff* skb = q_.dequeue()) {
      stats.qlen--;
      stats.backlog -= skb->len();
      env().qdisc_drop(*this, skb, DropReason::DEV_READY);
    }
  }

 private:
  bool bytes_;
  uint32_t limit_;
  SkbQueue q_;
};

}  // namespace

std::unique_ptr<Qdisc> fifo_create(QdiscEnv& env, bool bytes, uint32_t limit, uint32_t dev_mtu) {
  return std::make_unique<Fifo>(env, bytes, limit, dev_mtu);
}

}  // namespace stack
