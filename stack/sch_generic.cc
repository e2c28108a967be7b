// stack/sch_generic.cc: the default qdiscs of net/sched/sch_generic.c:
// pfifo_fast (three priority bands) and noqueue (virtual devices), plus
// rt_tos2priority() (include/net/route.h, net/ipv4/route.c), the mapping
// from the IP TOS byte to the skb->priority that picks the band.
//
// Simplifications:
//  - pfifo_fast: the limit is txqueuelen packets for the three bands
//    together, as pfifo_fast_enqueue() had it with sk_buff_head bands
//    (before 4.16). Since 4.16 each band is an skb_array ring of
//    txqueuelen entries (TCQ_F_NOLOCK); the order of service is the same.
//  - noqueue: the device layer recognises it by kind() == "noqueue" (the
//    kernel's `q->enqueue == NULL` test in __dev_queue_xmit()) and calls
//    the driver directly; its enqueue, if called anyway, drops like
//    noop_enqueue().
#include <array>

#include "stack/pkt_sched.h"

namespace stack {

namespace {

// ip_tos2prio[] (net/ipv4/route.c): indexed by the four TOS bits (RFC 1349:
// lowdelay, throughput, reliability, lowcost), i.e. IPTOS_TOS(tos) >> 1.
// ECN_OR_COST(class) is TC_PRIO_<class> today, so odd entries equal even.
constexpr std::array<uint8_t, 16> kIpTos2Prio = {
    TC_PRIO_BESTEFFORT,       TC_PRIO_BESTEFFORT,       TC_PRIO_BESTEFFORT,
    TC_PRIO_BESTEFFORT,       TC_PRIO_BULK,             TC_PRIO_BULK,
    TC_PRIO_BULK,             TC_PRIO_BULK,             TC_PRIO_INTERACTIVE,
    TC_PRIO_INTERACTIVE,      TC_PRIO_INTERACTIVE,      TC_PRIO_INTERACTIVE,
    TC_PRIO_INTERACTIVE_BULK, TC_PRIO_INTERACTIVE_BULK, TC_PRIO_INTERACTIVE_BULK,
    TC_PRIO_INTERACTIVE_BULK,
};

// IPTOS_TOS_MASK (include/uapi/linux/ip.h): the TOS bits without
// precedence and without the two ECN bits.
constexpr uint8_t kIptosTosMask = 0x1E;

// prio2band[] (net/sched/sch_generic.c): band 0 is served first.
// TC_PRIO_INTERACTIVE (6) and CONTROL (7) go to band 0, BESTEFFORT (0) to
// band 1, BULK (2) and FILLER (1) to band 2.
constexpr std::array<uint8_t, TC_PRIO_MAX + 1> kPrio2Band = {1, 2, 2, 2, 1, 2, 0, 0,
                                                             1, 1, 1, 1, 1, 1, 1, 1};
constexpr int kPfifoFastBands = 3;  // PFIFO_FAST_BANDS

class PfifoFast final : public Qdisc {
 public:
  PfifoFast(QdiscEnv& env, uint32_t limit) : Qdisc("pfifo_fast", env), limit_(limit) {
    // pfifo_fast_init(): a work-conserving FIFO per band, so an empty
    // qdisc may hand the skb straight to the driver.
    flags |= TCQ_F_CAN_BYPASS;
  }

  int enqueue(SkBuff* skb, sim::Time) override {
    // stats.qlen includes a requeued skb (dev_requeue_skb counts it in
    // q.qlen), as the kernel's limit test does.
    if (stats.qlen >= limit_) return drop(skb, DropReason::QDISC_DROP);
    const int band = kPrio2Band[skb->priority & TC_PRIO_MAX];
    bands_[band].enqueue_tail(skb);
    account_enqueue(skb);
    return NET_XMIT_SUCCESS;
  }

  SkBuff* dequeue(sim::Time) override {
    // Strict priority: the lowest-numbered non-empty band.
    for (SkbQueue& q : bands_) {
      if (SkBuff* skb = q.dequeue()) {
        account_dequeue(skb);
        return skb;
      }
    }
    return nullptr;
  }

  SkBuff* peek(sim::Time) override {
    for (SkbQueue& q : bands_)
      if (!q.empty()) return q.peek();
    return nullptr;
  }

  void reset() override {
    for (SkbQueue& q : bands_) {
      while (SkBuff* skb = q.dequeue()) {
        stats.qlen--;
        stats.backlog -= skb->len();
        env().qdisc_drop(*this, skb, DropReason::DEV_READY);
      }
    }
  }

 private:
  uint32_t limit_;
  std::array<SkbQueue, kPfifoFastBands> bands_;
};

// noqueue_qdisc_ops: no queue at all. Loopback and virtual devices
// (txqueuelen 0) get it; the device layer sends directly.
class Noqueue final : public Qdisc {
 public:
  explicit Noqueue(QdiscEnv& env) : Qdisc("noqueue", env) {}
  // noop_enqueue(): only reached if a caller ignores the "no queue" rule.
  int enqueue(SkBuff* skb, sim::Time) override {
    drop(skb, DropReason::QDISC_DROP);
    return NET_XMIT_CN;
  }
  SkBuff* dequeue(sim::Time) override { return nullptr; }
  SkBuff* peek(sim::Time) override { return nullptr; }
  void reset() override {}
};

}  // namespace

uint32_t rt_tos2priority(uint8_t tos) { return kIpTos2Prio[(tos & kIptosTosMask) >> 1]; }

std::unique_ptr<Qdisc> pfifo_fast_create(QdiscEnv& env, uint32_t tx_queue_len) {
  return std::make_unique<PfifoFast>(env, tx_queue_len);
}

std::unique_ptr<Qdisc> noqueue_create(QdiscEnv& env) { return std::make_unique<Noqueue>(env); }

}  // namespace stack
