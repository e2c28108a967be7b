// stack/sch_tbf.cc: the token bucket filter (net/sched/sch_tbf.c, 6.x).
//
// Tokens are kept as time, in nanoseconds, as the kernel keeps them: a
// bucket of `buffer` ns holds `burst` bytes at `rate`; a packet of len
// bytes costs psched_l2t_ns(rate, len) ns of tokens; tokens grow by the
// time elapsed since the last send (t_c), capped at buffer. An optional
// peak-rate bucket (ptokens, depth `mtu` ns) limits the burst's speed.
// Packets wait in a child qdisc (default: bfifo of `limit` bytes); the
// head is only peeked while tokens are short, so it keeps its place and
// counts against the child's limit. When short, tbf arms its watchdog for
// the moment the missing tokens have accrued and counts an overlimit; the
// watchdog reschedules the qdisc (qdisc_watchdog() -> __netif_schedule()).
//
// Simplifications: a GSO skb larger than the bucket is dropped, not
// segmented (tbf_segment()); no offload; the watchdog fires exactly at its
// expiry (an hrtimer without slack).
#include <algorithm>

#include "sim/timer.h"
#include "stack/pkt_sched.h"

namespace stack {

namespace {

class Tbf final : public Qdisc {
 public:
  Tbf(QdiscEnv& env, const TbfParams& p, std::unique_ptr<Qdisc> child)
      : Qdisc("tbf", env), child_(std::move(child)) {
    rate_.precompute(p.rate_bytes_ps);
    // tbf_change() with TCA_TBF_BURST (what tc sends): the bucket depth in
    // time is the burst's transmit time, and no packet above `burst`
    // bytes could ever get enough tokens.
    buffer_ = static_cast<int64_t>(rate_.l2t_ns(p.burst));
    max_size_ = p.burst;
    if (p.peak_bytes_ps) {
      peak_.precompute(p.peak_bytes_ps);
      has_peak_ = true;
      // TCA_TBF_PBURST: the peak bucket holds one `mtu`-sized packet.
      mtu_ = static_cast<int64_t>(peak_.l2t_ns(p.mtu));
      max_size_ = std::min(max_size_, p.mtu);
    }
    tokens_ = buffer_;
    ptokens_ = mtu_;
    t_c_ = env.sched().now();  // tbf_init(): q->t_c = ktime_get_ns()
    watchdog_.setup<&Tbf::watchdog_fired>(this);
  }

  ~Tbf() override { watchdog_.del(env().sched()); }

  int enqueue(SkBuff* skb, sim::Time now) override {
    // tbf_enqueue(): a packet that can never earn enough tokens is dropped.
    if (skb->len() > max_size_) return drop(skb, DropReason::QDISC_DROP);
    const ChildSnapshot before = snapshot();
    const int ret = child_->enqueue(skb, now);
    // The child queued the skb or counted and freed its drops; mirror both
    // here (the kernel's backlog/qlen increments, qdisc_qstats_drop and
    // qdisc_tree_reduce_backlog).
    sync_child(before);
    return ret;
  }

  SkBuff* dequeue(sim::Time now) override {
    if (SkBuff* skb = stash_.take(stats)) return skb;
    return tbf_dequeue(now);
  }

  SkBuff* peek(sim::Time now) override {
    return stash_.peek(stats, [&] { return tbf_dequeue(now); });
  }

  void reset() override {
    if (SkBuff* skb = stash_.take(stats)) env().qdisc_drop(*this, skb, DropReason::DEV_READY);
    const ChildSnapshot before = snapshot();
    child_->reset();
    sync_child(before);
    // tbf_reset(): a full bucket, timer off.
    t_c_ = env().sched().now();
    tokens_ = buffer_;
    ptokens_ = mtu_;
    watchdog_.del(env().sched());
  }

 private:
  struct ChildSnapshot {
    uint32_t qlen, backlog;
    uint64_t drops;
  };
  ChildSnapshot snapshot() const {
    return {child_->stats.qlen, child_->stats.backlog, child_->stats.drops};
  }
  // What the child gained or lost since `b` is gained or lost here too: a
  // parent's qlen/backlog is the sum of its children's.
  void sync_child(const ChildSnapshot& b) {
    stats.qlen += child_->stats.qlen - b.qlen;
    stats.backlog += child_->stats.backlog - b.backlog;
    stats.drops += child_->stats.drops - b.drops;
  }

  // tbf_dequeue().
  SkBuff* tbf_dequeue(sim::Time now) {
    const ChildSnapshot before = snapshot();
    SkBuff* skb = child_->peek(now);
    sync_child(before);  // a peek may park or drop (fq_codel child)
    if (!skb) return nullptr;

    const uint32_t len = skb->len();  // qdisc_pkt_len(): the frame without FCS
    // Tokens accrue for the time since the last send, capped at the bucket.
    int64_t toks = std::min<int64_t>((now - t_c_).ns(), buffer_);
    int64_t ptoks = 0;
    if (has_peak_) {
      ptoks = std::min<int64_t>(toks + ptokens_, mtu_);
      ptoks -= static_cast<int64_t>(peak_.l2t_ns(len));
    }
    toks = std::min<int64_t>(toks + tokens_, buffer_);
    toks -= static_cast<int64_t>(rate_.l2t_ns(len));

    if ((toks | ptoks) >= 0) {  // both buckets non-negative
      const ChildSnapshot b2 = snapshot();
      skb = child_->dequeue(now);  // qdisc_dequeue_peeked()
      sync_child(b2);
      if (!skb) return nullptr;
      t_c_ = now;
      tokens_ = toks;
      ptokens_ = ptoks;
      // The child's byte counters already moved; this qdisc's own "Sent".
      stats.bytes += skb->len();
      stats.packets++;
      return skb;
    }

    // Short of tokens: sleep until the deficit of the emptier bucket is
    // earned (qdisc_watchdog_schedule_ns), and count the throttle.
    watchdog_.mod(env().sched(), now + sim::ns(std::max(-toks, -ptoks)));
    stats.overlimits++;
    return nullptr;
  }

  // qdisc_watchdog(): the hrtimer callback reschedules the root qdisc.
  void watchdog_fired() { env().qdisc_watchdog(*this); }

  std::unique_ptr<Qdisc> child_;
  PschedRatecfg rate_, peak_;
  bool has_peak_ = false;
  int64_t buffer_ = 0;   // bucket depth, ns at rate
  int64_t mtu_ = 0;      // peak bucket depth, ns at peakrate
  uint32_t max_size_ = 0;  // largest packet that can pass, bytes
  int64_t tokens_ = 0;   // ns
  int64_t ptokens_ = 0;  // ns
  sim::Time t_c_;        // time check-point: the last send
  sim::Timer watchdog_;
  PeekStash stash_;
};

}  // namespace

std::unique_ptr<Qdisc> tbf_create(QdiscEnv& env, const TbfParams& p, std::unique_ptr<Qdisc> child,
                                  uint32_t dev_mtu) {
  // tbf_change(): without a grafted child, fifo_create_dflt(bfifo, limit).
  if (!child) child = fifo_create(env, /*bytes=*/true, p.limit, dev_mtu);
  return std::make_unique<Tbf>(env, p, std::move(child));
}

}  // namespace stack
