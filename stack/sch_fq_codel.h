// stack/sch_fq_codel.h: fq_codel (net/sched/sch_fq_codel.c, 6.x).
//
// Packets are hashed (skb_get_hash) onto `flows` FIFO queues; each queue
// has its own CoDel state (stack/codel.h). Queues with packets sit on one
// of two round-robin lists: a queue that becomes active joins new_flows
// (served first, so sparse flows such as DNS or TCP ACKs see almost no
// queueing), and moves to old_flows when its deficit (DRR, `quantum` bytes
// per round) is spent or it empties. When the whole qdisc exceeds `limit`
// packets or `memory_limit` bytes of truesize, fq_codel_drop() drops from
// the head of the flow with the largest backlog, up to `drop_batch`
// packets or half its backlog.
//
// The class is public so that tests and `tc -s class show` style dumps can
// see a flow's CoDel state (fq_codel_dump_class_stats()).
//
// Simplifications: no external classifier (tc filters); no ce_threshold;
// the memory accounting uses skb->truesize as the kernel does.
#pragma once

#include <cstdint>
#include <vector>

#include "stack/codel.h"
#include "stack/pkt_sched.h"

namespace stack {

// Parameters, defaults of fq_codel_init().
struct FqCodelParams {
  uint32_t flows = 1024;
  uint32_t limit = 10 * 1024;         // packets
  uint32_t quantum = 1514;            // psched_mtu(dev)
  uint32_t memory_limit = 32u << 20;  // 32 MB of truesize
  uint32_t drop_batch = 64;
  CodelParams cparams{.ecn = true};   // target 5 ms, interval 100 ms; mtu = psched_mtu
};

class FqCodel final : public Qdisc {
 public:
  struct Flow;
  // An intrusive list of flows (struct list_head new_flows/old_flows).
  struct FlowList {
    Flow* head = nullptr;
    Flow* tail = nullptr;
    uint32_t len = 0;
  };
  // struct fq_codel_flow.
  struct Flow {
    SkbQueue q;
    int32_t deficit = 0;
    CodelVars cvars;
    // flowchain: on which list (nullptr: list_empty(&flow->flowchain)).
    FlowList* list = nullptr;
    Flow* prev = nullptr;
    Flow* next = nullptr;
  };

  FqCodel(QdiscEnv& env, const FqCodelParams& p);

  int enqueue(SkBuff* skb, sim::Time now) override;
  SkBuff* dequeue(sim::Time now) override;
  SkBuff* peek(sim::Time now) override;
  void reset() override;
  void dump_extra(std::vector<std::pair<std::string, uint64_t>>& out) const override;

  // fq_codel_classify(): 1 + the flow index, as the kernel returns it.
  uint32_t classify(SkBuff& skb) const;
  const Flow& flow(uint32_t idx) const { return flows_[idx]; }
  const FqCodelParams& params() const { return p_; }
  const CodelStats& cstats() const { return cstats_; }
  uint32_t drop_overlimit() const { return drop_overlimit_; }
  uint32_t drop_overmemory() const { return drop_overmemory_; }
  uint32_t new_flow_count() const { return new_flow_count_; }
  uint32_t memory_usage() const { return memory_usage_; }
  uint32_t new_flows_len() const { return new_flows_.len; }
  uint32_t old_flows_len() const { return old_flows_.len; }

 private:
  friend struct FqCodelOps;
  uint32_t fq_codel_drop(uint32_t max_packets);
  SkBuff* fq_codel_dequeue(sim::Time now);
  SkBuff* dequeue_head(Flow& flow);  // dequeue_func()
  void drop_func(SkBuff* skb);

  static void list_add_tail(FlowList& l, Flow& f);
  static void list_del(Flow& f);

  FqCodelParams p_;
  std::vector<Flow> flows_;  // allocated once: no allocation per packet
  FlowList new_flows_, old_flows_;
  CodelStats cstats_;
  uint32_t memory_usage_ = 0;
  uint32_t drop_overlimit_ = 0;
  uint32_t drop_overmemory_ = 0;
  uint32_t new_flow_count_ = 0;
  PeekStash stash_;
};

}  // namespace stack
