// stack/sch_fq_codel.cc: fq_codel (net/sched/sch_fq_codel.c); see
// sch_fq_codel.h for what it models.
#include "stack/sch_fq_codel.h"

#include "stack/flow_dissector.h"

namespace stack {

// The two callbacks codel_dequeue() needs, bound to one qdisc.
struct FqCodelOps {
  FqCodel* q;
  FqCodel::Flow* flow;
  SkBuff* dequeue(CodelVars&) { return q->dequeue_head(*flow); }
  void drop(SkBuff* skb) { q->drop_func(skb); }
};

FqCodel::FqCodel(QdiscEnv& env, const FqCodelParams& p)
    : Qdisc("fq_codel", env), p_(p), flows_(p.flows) {
  // fq_codel_init(): bypass when the qdisc is empty, if it can hold a packet.
  if (p_.limit >= 1) flags |= TCQ_F_CAN_BYPASS;
}

void FqCodel::list_add_tail(FlowList& l, Flow& f) {
  f.list = &l;
  f.next = nullptr;
  f.prev = l.tail;
  if (l.tail) l.tail->next = &f; else l.head = &f;
  l.tail = &f;
  l.len++;
}

void FqCodel::list_del(Flow& f) {
  FlowList& l = *f.list;
  if (f.prev) f.prev->next = f.next; else l.head = f.next;
  if (f.next) f.next->prev = f.prev; else l.tail = f.prev;
  l.len--;
  f.list = nullptr;
  f.prev = f.next = nullptr;
}

uint32_t FqCodel::classify(SkBuff& skb) const {
  // skb->priority naming one of this qdisc's classes (major = handle,
  // minor = 1..flows) picks the flow directly. handle 0 means no handle was
  // assigned (the kernel always has one), so the test would misread plain
  // TC_PRIO values as class ids.
  if (handle != 0 && tc_h_maj(skb.priority) == handle && tc_h_min(skb.priority) > 0 &&
      tc_h_min(skb.priority) <= p_.flows)
    return tc_h_min(skb.priority);
  // No filter attached: fq_codel_hash().
  return reciprocal_scale(skb_get_hash(skb), p_.flows) + 1;
}

// fq_codel_drop(): the queue is full. Find the fattest flow and drop from
// its head, up to max_packets or half its backlog: one linear scan then
// pays for many drops.
uint32_t FqCodel::fq_codel_drop(uint32_t max_packets) {
  uint64_t maxbacklog = 0;
  uint32_t idx = 0;
  for (uint32_t i = 0; i < p_.flows; ++i) {
    if (flows_[i].q.bytes() > maxbacklog) {
      maxbacklog = flows_[i].q.bytes();
      idx = i;
    }
  }
  const uint64_t threshold = maxbacklog >> 1;
  Flow& flow = flows_[idx];
  uint64_t len = 0;
  uint32_t mem = 0;
  uint32_t i = 0;
  do {
    SkBuff* skb = flow.q.dequeue();
    len += skb->len();
    mem += skb->truesize;
    stats.backlog -= skb->len();
    stats.qlen--;
    env().qdisc_drop(*this, skb, DropReason::QDISC_OVERLIMIT);
  } while (++i < max_packets && len < threshold && !flow.q.empty());
  // Tell CoDel to raise its signal for this flow too.
  flow.cvars.count += i;
  memory_usage_ -= mem;
  stats.drops += i;
  return idx;
}

int FqCodel::enqueue(SkBuff* skb, sim::Time now) {
  const uint32_t idx = classify(*skb) - 1;
  skb->tstamp = now;  // codel_set_enqueue_time(): sojourn starts here
  Flow& flow = flows_[idx];
  flow.q.enqueue_tail(skb);
  account_enqueue(skb);
  if (flow.list == nullptr) {
    // A flow that was idle becomes "new": served before the old ones.
    list_add_tail(new_flows_, flow);
    new_flow_count_++;
    flow.deficit = static_cast<int32_t>(p_.quantum);
  }
  memory_usage_ += skb->truesize;  // get_codel_cb(skb)->mem_usage
  const bool memory_limited = memory_usage_ > p_.memory_limit;
  if (stats.qlen <= p_.limit && !memory_limited) return NET_XMIT_SUCCESS;

  const uint32_t prev_qlen = stats.qlen;
  const uint32_t ret = fq_codel_drop(p_.drop_batch);
  const uint32_t dropped = prev_qlen - stats.qlen;
  drop_overlimit_ += dropped;
  if (memory_limited) drop_overmemory_ += dropped;
  // Dropped from this packet's own flow: tell the sender (NET_XMIT_CN).
  return ret == idx ? NET_XMIT_CN : NET_XMIT_SUCCESS;
}

// dequeue_func(): the head of one flow; backlog handled here, not in codel.
SkBuff* FqCodel::dequeue_head(Flow& flow) {
  SkBuff* skb = flow.q.dequeue();
  if (skb) {
    memory_usage_ -= skb->truesize;
    stats.qlen--;
    stats.backlog -= skb->len();
  }
  return skb;
}

// drop_func(): a CoDel drop.
void FqCodel::drop_func(SkBuff* skb) {
  stats.drops++;
  env().qdisc_drop(*this, skb, DropReason::CODEL_DROP);
}

SkBuff* FqCodel::fq_codel_dequeue(sim::Time now) {
  for (;;) {
    FlowList* head = &new_flows_;
    if (!head->head) {
      head = &old_flows_;
      if (!head->head) return nullptr;
    }
    Flow& flow = *head->head;
    if (flow.deficit <= 0) {
      // Round spent: a new quantum, and to the back of the old flows.
      flow.deficit += static_cast<int32_t>(p_.quantum);
      list_del(flow);
      list_add_tail(old_flows_, flow);
      continue;
    }
    FqCodelOps ops{this, &flow};
    SkBuff* skb = codel_dequeue(ops, &stats.backlog, p_.cparams, flow.cvars, cstats_,
                                codel_time(now));
    if (!skb) {
      // Empty (or emptied by CoDel). A new flow takes one pass through the
      // old list first, so that a flow cannot stay "new" forever by
      // emptying and refilling (starving the old flows).
      list_del(flow);
      if (head == &new_flows_ && old_flows_.head) list_add_tail(old_flows_, flow);
      continue;
    }
    stats.bytes += skb->len();  // qdisc_bstats_update()
    stats.packets++;
    flow.deficit -= static_cast<int32_t>(skb->len());
    // qdisc_tree_reduce_backlog() of the kernel has no parent to tell here.
    cstats_.drop_count = 0;
    cstats_.drop_len = 0;
    return skb;
  }
}

SkBuff* FqCodel::dequeue(sim::Time now) {
  if (SkBuff* skb = stash_.take(stats)) return skb;
  return fq_codel_dequeue(now);
}

SkBuff* FqCodel::peek(sim::Time now) {
  return stash_.peek(stats, [&] { return fq_codel_dequeue(now); });
}

void FqCodel::reset() {
  if (SkBuff* skb = stash_.take(stats)) env().qdisc_drop(*this, skb, DropReason::DEV_READY);
  while (new_flows_.head) list_del(*new_flows_.head);
  while (old_flows_.head) list_del(*old_flows_.head);
  for (Flow& f : flows_) {
    while (SkBuff* skb = f.q.dequeue()) {
      stats.qlen--;
      stats.backlog -= skb->len();
      env().qdisc_drop(*this, skb, DropReason::DEV_READY);
    }
    f.cvars = CodelVars{};
    f.deficit = 0;
  }
  memory_usage_ = 0;
}

// fq_codel_dump_stats(): what `tc -s qdisc` prints after the counters.
void FqCodel::dump_extra(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("maxpacket", cstats_.maxpacket);
  out.emplace_back("drop_overlimit", drop_overlimit_);
  out.emplace_back("new_flow_count", new_flow_count_);
  out.emplace_back("ecn_mark", cstats_.ecn_mark);
  out.emplace_back("memory_used", memory_usage_);
  out.emplace_back("drop_overmemory", drop_overmemory_);
  out.emplace_back("new_flows_len", new_flows_.len);
  out.emplace_back("old_flows_len", old_flows_.len);
}

std::unique_ptr<Qdisc> fq_codel_create(QdiscEnv& env, const FqCodelParams& p) {
  return std::make_unique<FqCodel>(env, p);
}

}  // namespace stack
