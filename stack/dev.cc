// stack/dev.cc: dev_queue_xmit and the qdisc machinery, NAPI and the
// NET_TX / NET_RX softirqs (net/core/dev.c, net/sched/sch_generic.c, 6.x).
#include "stack/dev.h"

#include <cassert>

#include "stack/flow_dissector.h"
#include "stack/host.h"
#include "stack/ip.h"
#include "stack/neighbour.h"
#include "stack/sock.h"
#include "stack/steps.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceKind;

// One QdiscEnv per TX queue, so a qdisc's watchdog knows which queue to
// reschedule and on which CPU (the one that last ran it).
struct Dev::TxqEnv final : QdiscEnv {
  Dev* dev;
  NetdevQueue* txq;
  uint16_t last_cpu = 0;
  sim::Scheduler& sched() override { return dev->host_.sched(); }
  void qdisc_drop(Qdisc& q, SkBuff* skb, DropReason reason) override {
    Cpu& c = dev->host_.cpu(last_cpu);
    if (c.tracer().on())
      c.tracer().emit(TraceKind::kDrop, c.now(), step::kDev04, "qdisc_drop", skb->id,
                      "{} qdisc {}: {}", drop_reason_name(reason), q.kind(),
                      drop_reason_text(reason));
    dev->host_.pool().drop(skb, reason);
  }
  void qdisc_watchdog(Qdisc& q) override {
    // qdisc_watchdog() -> __netif_schedule(), from the hrtimer's CPU.
    Cpu& c = dev->host_.cpu(last_cpu);
    dev->netif_schedule(c, q);
  }
};

// The softirq run of one CPU: an interrupt-level work item (do_softirq).
class Dev::SoftirqWork final : public Cpu::Work {
 public:
  SoftirqWork(Dev* d) : Work(Level::kIrq), dev_(d) {}
  void run(Cpu& c) override { dev_->do_softirq(c); }

 private:
  Dev* dev_;
};

// The per-CPU backlog (process_backlog), NAPI for packets queued by
// netif_rx(): the loopback device's receive path.
class Dev::Backlog final : public NapiPoll {
 public:
  Backlog(Dev* d, uint16_t cpu) : dev_(d), cpu_(cpu) {}
  int napi_poll(Cpu& c, int budget) override;
  SkbQueue input_pkt_queue;
  NapiStruct napi;

 private:
  Dev* dev_;
  uint16_t cpu_;
};

// struct softnet_data.
struct Dev::Softnet {
  uint32_t pending = 0;  // softirq bits
  NapiStruct* poll_head = nullptr;
  NapiStruct* poll_tail = nullptr;
  Qdisc* output_head = nullptr;
  Qdisc* output_tail = nullptr;
  SoftnetStat stat;
  std::unique_ptr<SoftirqWork> work;
  std::unique_ptr<Backlog> backlog;
  bool in_softirq = false;

  void poll_add_tail(NapiStruct* n) {
    n->poll_next = nullptr;
    if (poll_tail) poll_tail->poll_next = n; else poll_head = n;
    poll_tail = n;
  }
  NapiStruct* poll_pop() {
    NapiStruct* n = poll_head;
    if (n) {
      poll_head = n->poll_next;
      if (!poll_head) poll_tail = nullptr;
      n->poll_next = nullptr;
    }
    return n;
  }
};

Dev::Dev(Host& host) : host_(host) {
  for (uint16_t i = 0; i < host.num_cpus(); ++i) {
    auto sd = std::make_unique<Softnet>();
    sd->work = std::make_unique<SoftirqWork>(this);
    sd->work->set_cpu(&host.cpu(i));
    sd->backlog = std::make_unique<Backlog>(this, i);
    sd->backlog->napi.poll = sd->backlog.get();
    sd->backlog->napi.weight = static_cast<int>(host.sysctl.core_dev_weight);
    sd->backlog->napi.cpu = i;
    softnet_.push_back(std::move(sd));
  }
}

Dev::~Dev() = default;

Cpu& Dev::cpu(uint16_t index) { return host_.cpu(index); }
SkbPool& Dev::pool() { return host_.pool(); }

const Dev::SoftnetStat& Dev::softnet_stat(uint16_t cpu) const {
  return softnet_[cpu < softnet_.size() ? cpu : 0]->stat;
}

void Dev::attach_qdiscs(NetDevice& dev, const QdiscSpec& given) {
  // A device with txqueuelen 0 gets noqueue when no qdisc was asked for
  // explicitly (attach_default_qdiscs: IFF_NO_QUEUE).
  QdiscSpec spec = given;
  if (dev.tx_queue_len == 0 && spec.kind == "pfifo_fast") spec.kind = "noqueue";
  for (NetdevQueue& txq : dev.tx) {
    auto env = std::make_unique<TxqEnv>();
    env->dev = this;
    env->txq = &txq;
    std::unique_ptr<Qdisc> q = make_qdisc(spec, *env, dev.tx_queue_len, dev.mtu);
    q->handle = next_handle_++ << 16;
    q->txq_index = txq.index;
    txq.qdisc = q.get();
    txq.dql.reset(host_.sched().now());
    qdiscs_.push_back(std::move(q));
    txq_envs_.push_back(std::move(env));
  }
}

void Dev::drop(Cpu& cpu, SkBuff* skb, DropReason reason, const char* where) {
  if (cpu.tracer().on())
    cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kDev04, where, skb->id, "{}: {}",
                      drop_reason_name(reason), drop_reason_text(reason));
  host_.pool().drop(skb, reason);
}

// ---------------------------------------------------------------- transmit

// DEV-02 netdev_pick_tx(): XPS first (the queues this CPU is mapped to),
// else the flow hash scaled over the real TX queues (skb_tx_hash).
uint16_t Dev::netdev_pick_tx(Cpu& cpu, NetDevice& dev, SkBuff* skb) {
  const uint16_t n = dev.real_num_tx_queues();
  if (n <= 1) {
    // netdev_core_pick_tx(): with one queue there is nothing to choose.
    TRACE_BRANCH(cpu, step::kDev02, "netdev_core_pick_tx", skb->id, "{} has one TX queue: txq 0",
                 dev.name.c_str());
    return 0;
  }
  if (!dev.xps_cpus.empty()) {
    // get_xps_queue(): the map for this CPU; several queues -> hash among them.
    uint16_t found[64];
    uint16_t nfound = 0;
    for (uint16_t q = 0; q < n && q < dev.xps_cpus.size(); ++q)
      for (uint16_t c : dev.xps_cpus[q])
        if (c == cpu.index() && nfound < 64) found[nfound++] = q;
    if (nfound) {
      uint16_t q = nfound == 1 ? found[0]
                               : found[(uint64_t{skb_get_hash(*skb)} * nfound) >> 32];
      TRACE_BRANCH(cpu, step::kDev02, "netdev_pick_tx", skb->id, "XPS: cpu{} maps to txq {}",
                   cpu.index(), q);
      return q;
    }
  }
  // reciprocal_scale(hash, n): the top bits of hash * n.
  const uint16_t q = static_cast<uint16_t>((uint64_t{skb_get_hash(*skb)} * n) >> 32);
  TRACE_BRANCH(cpu, step::kDev02, "netdev_pick_tx", skb->id,
               "no XPS map for cpu{}: flow hash picks txq {} of {}", cpu.index(), q, n);
  return q;
}

// DEV-01 __dev_queue_xmit().
int Dev::dev_queue_xmit(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kDev01, "__dev_queue_xmit", skb->id);
  cpu.charge(host_.costs.dev_queue_xmit);
  NetDevice& dev = *skb->dev;
  skb->reset_mac_header();
  if (!dev.up) {
    drop(cpu, skb, DropReason::DEV_READY, "__dev_queue_xmit");
    return -100;  // -ENETDOWN
  }
  const uint16_t qi = netdev_pick_tx(cpu, dev, skb);
  skb->queue_mapping = qi;
  NetdevQueue& txq = dev.tx[qi];
  Qdisc* q = txq.qdisc;
  if (q && std::string_view(q->kind()) != "noqueue")
    return dev_xmit_skb(cpu, skb, *q, dev, txq);

  // DEV-03: no queue (loopback, tunnels): straight to the driver.
  TRACE_BRANCH(cpu, step::kDev03, "__dev_queue_xmit", skb->id,
               "{} has no queue (noqueue): dev_hard_start_xmit directly", dev.name.c_str());
  if (txq.stopped()) {
    // "Virtual device ... asks to queue packet!": dropped, as the kernel does.
    drop(cpu, skb, DropReason::DEV_READY, "__dev_queue_xmit");
    return -100;
  }
  if (dev_hard_start_xmit(cpu, skb, txq) != NetdevTx::kOk) {
    drop(cpu, skb, DropReason::DEV_READY, "__dev_queue_xmit");
    return NET_XMIT_DROP;
  }
  return NET_XMIT_SUCCESS;
}

// DEV-04 __dev_xmit_skb().
int Dev::dev_xmit_skb(Cpu& cpu, SkBuff* skb, Qdisc& q, NetDevice& dev, NetdevQueue& txq) {
  TRACE_FN(cpu, step::kDev04, "__dev_xmit_skb", skb->id);
  static_cast<TxqEnv&>(q.env()).last_cpu = cpu.index();
  // One CPU runs a qdisc at a time; in this model a run is atomic, so the
  // qdisc is never found running (no busylock contention).
  if ((q.flags & TCQ_F_CAN_BYPASS) && q.stats.qlen == 0 && q.requeued == nullptr && !q.running) {
    TRACE_BRANCH(cpu, step::kDev04, "__dev_xmit_skb", skb->id,
                 "qdisc bypass: {} empty and TCQ_F_CAN_BYPASS: sch_direct_xmit", q.kind());
    q.running = true;  // qdisc_run_begin()
    q.stats.bytes += skb->len();  // qdisc_bstats_update()
    q.stats.packets++;
    if (sch_direct_xmit(cpu, skb, q, txq)) qdisc_run(cpu, q, txq);
    q.running = false;  // qdisc_run_end()
    return NET_XMIT_SUCCESS;
  }
  cpu.charge(host_.costs.qdisc_enqueue);
  skb->tstamp = cpu.now();
  const uint64_t id = skb->id;
  const int rc = q.enqueue(skb, cpu.now());
  if (cpu.tracer().on()) {
    if (rc == NET_XMIT_SUCCESS)
      cpu.tracer().branch(cpu.now(), step::kDev04, "__dev_xmit_skb", id,
                          "{}->enqueue: queued, qlen {} backlog {}b", q.kind(), q.stats.qlen,
                          q.stats.backlog);
    else
      cpu.tracer().branch(cpu.now(), step::kDev04, "__dev_xmit_skb", id,
                          "{}->enqueue: {} (qlen {})", q.kind(),
                          rc == NET_XMIT_CN ? "congestion, another skb dropped" : "dropped",
                          q.stats.qlen);
  }
  if (!q.running) {
    q.running = true;
    qdisc_run(cpu, q, txq);
    q.running = false;
  }
  return rc;
}

// DEV-05 __qdisc_run(): send until the quota (dev_tx_weight = weight_p) is
// spent, then leave the rest to the NET_TX softirq.
void Dev::qdisc_run(Cpu& cpu, Qdisc& q, NetdevQueue& txq) {
  TRACE_FN(cpu, step::kDev05, "__qdisc_run", 0);
  int quota = static_cast<int>(host_.sysctl.core_dev_weight);
  int packets = 0;
  while (qdisc_restart(cpu, q, txq, &packets)) {
    quota -= packets;
    if (quota <= 0) {
      TRACE_BRANCH(cpu, step::kDev05, "__qdisc_run", 0,
                   "quota of {} packets spent: __netif_schedule, NET_TX softirq continues",
                   host_.sysctl.core_dev_weight);
      netif_schedule(cpu, q);
      break;
    }
  }
}

// qdisc_restart(): dequeue one skb (a requeued one first) and send it.
bool Dev::qdisc_restart(Cpu& cpu, Qdisc& q, NetdevQueue& txq, int* packets) {
  SkBuff* skb = nullptr;
  if (q.requeued) {
    // dequeue_skb(): the requeued skb waits until the queue runs again.
    if (txq.stopped()) return false;
    skb = q.requeued;
    q.requeued = nullptr;
    q.stats.qlen--;
    q.stats.backlog -= skb->len();
  } else {
    cpu.charge(host_.costs.qdisc_dequeue);
    skb = q.dequeue(cpu.now());
    if (!skb) return false;
  }
  *packets = 1;
  return sch_direct_xmit(cpu, skb, q, txq);
}

// DEV-07 sch_direct_xmit(): hand one skb to the driver unless the queue is
// stopped; a busy driver or a stopped queue requeues it.
bool Dev::sch_direct_xmit(Cpu& cpu, SkBuff* skb, Qdisc& q, NetdevQueue& txq) {
  TRACE_FN(cpu, step::kDev07, "sch_direct_xmit", skb->id);
  cpu.charge(host_.costs.sch_direct_xmit);
  NetdevTx ret = NetdevTx::kBusy;
  if (!txq.stopped()) {
    ret = dev_hard_start_xmit(cpu, skb, txq);
  } else {
    TRACE_BRANCH(cpu, step::kDev07, "sch_direct_xmit", skb->id,
                 "txq {} stopped ({}): requeue", txq.index,
                 txq.drv_xoff ? "driver: ring full" : "BQL limit");
  }
  if (ret != NetdevTx::kOk) {
    dev_requeue_skb(cpu, skb, q);
    return false;
  }
  // More to send only while the queue is not stopped (the kernel checks
  // netif_xmit_frozen_or_stopped before the next restart).
  return !txq.stopped();
}

void Dev::dev_requeue_skb(Cpu& cpu, SkBuff* skb, Qdisc& q) {
  // q->gso_skb: kept in front of the qdisc, counted in its qlen/backlog.
  q.requeued = skb;
  q.stats.requeues++;
  q.stats.qlen++;
  q.stats.backlog += skb->len();
  netif_schedule(cpu, q);
}

// dev_hard_start_xmit() -> xmit_one(): taps (dev_queue_xmit_nit), then the
// driver's ndo_start_xmit.
NetdevTx Dev::dev_hard_start_xmit(Cpu& cpu, SkBuff* skb, NetdevQueue& txq) {
  NetDevice& dev = *txq.dev;
  for (PacketTap* t : taps_) t->on_packet(cpu.now(), dev, *skb, true);
  const uint64_t id = skb->id;
  const uint32_t len = skb->len();
  if (cpu.tracer().on())
    cpu.tracer().event(cpu.now(), step::kDev07, "net_dev_start_xmit", id, "dev={} txq={} len={}",
                       dev.name.c_str(), txq.index, len);
  const NetdevTx rc = dev.ops->ndo_start_xmit(cpu, skb, txq);
  if (rc == NetdevTx::kOk) {
    txq.tx_packets++;
    txq.tx_bytes += len;
    txq.trans_start = cpu.now();
  } else if (cpu.tracer().on()) {
    cpu.tracer().branch(cpu.now(), step::kDev07, "dev_hard_start_xmit", id,
                        "driver returned NETDEV_TX_BUSY");
  }
  return rc;
}

// DEV-06 __netif_schedule() -> __netif_reschedule().
void Dev::netif_schedule(Cpu& cpu, Qdisc& q) {
  if (q.scheduled) return;  // __QDISC_STATE_SCHED already set
  q.scheduled = true;
  Softnet& sd = *softnet_[cpu.index()];
  q.output_next = nullptr;
  if (sd.output_tail) sd.output_tail->output_next = &q; else sd.output_head = &q;
  sd.output_tail = &q;
  TRACE_BRANCH(cpu, step::kDev06, "__netif_schedule", 0,
               "{} qdisc onto cpu{} output_queue: raise NET_TX_SOFTIRQ", q.kind(), cpu.index());
  raise_softirq(cpu, NET_TX_SOFTIRQ);
}

// ---------------------------------------------------------------- softirqs

void Dev::raise_softirq(Cpu& cpu, Softirq nr) {
  Softnet& sd = *softnet_[cpu.index()];
  sd.pending |= 1u << nr;
  // Inside a softirq run the restart loop picks it up; otherwise the run
  // happens at irq_exit()/local_bh_enable(), i.e. now on this CPU.
  if (!sd.in_softirq && !sd.work->scheduled()) cpu.submit(*sd.work, cpu.now());
}

// __do_softirq(): handle pending softirqs, restarting while new ones are
// raised, up to MAX_SOFTIRQ_RESTART (10) rounds or MAX_SOFTIRQ_TIME (2 ms)
// (kernel/softirq.c); what is left goes to ksoftirqd, modelled as another
// run once this one ends.
void Dev::do_softirq(Cpu& cpu) {
  Softnet& sd = *softnet_[cpu.index()];
  sd.in_softirq = true;
  const sim::Time end = cpu.now() + sim::ms(2);
  int restart = 10;
  while (sd.pending) {
    const uint32_t pending = sd.pending;
    sd.pending = 0;
    if (pending & (1u << NET_TX_SOFTIRQ)) net_tx_action(cpu);
    if (pending & (1u << NET_RX_SOFTIRQ)) net_rx_action(cpu);
    if (--restart == 0 || cpu.now() >= end) break;
  }
  sd.in_softirq = false;
  if (sd.pending && !sd.work->scheduled()) cpu.submit(*sd.work, cpu.now());
}

// net_tx_action(): run every qdisc on this CPU's output queue.
void Dev::net_tx_action(Cpu& cpu) {
  TRACE_FN(cpu, step::kDev06, "net_tx_action", 0);
  cpu.charge(host_.costs.net_tx_action);
  Softnet& sd = *softnet_[cpu.index()];
  Qdisc* head = sd.output_head;
  sd.output_head = sd.output_tail = nullptr;
  while (head) {
    Qdisc* q = head;
    head = head->output_next;
    q->output_next = nullptr;
    q->scheduled = false;
    // Find the queue this qdisc is the root of.
    TxqEnv& env = static_cast<TxqEnv&>(q->env());
    env.last_cpu = cpu.index();
    if (!q->running) {
      q->running = true;
      qdisc_run(cpu, *q, *env.txq);
      q->running = false;
    }
  }
}

// net_rx_action(): poll NAPI contexts within netdev_budget packets and
// netdev_budget_usecs; leftover work re-raises NET_RX (time_squeeze).
void Dev::net_rx_action(Cpu& cpu) {
  TRACE_FN(cpu, step::kNic06, "net_rx_action", 0);
  cpu.charge(host_.costs.net_rx_action);
  Softnet& sd = *softnet_[cpu.index()];
  int budget = static_cast<int>(host_.sysctl.core_netdev_budget);
  // time_limit = jiffies + usecs_to_jiffies(netdev_budget_usecs).
  const int64_t limit_j = host_.jiffies.at(cpu.now()) +
                          host_.jiffies.from_duration(sim::us(host_.sysctl.core_netdev_budget_usecs));
  NapiStruct* repoll_head = nullptr;
  NapiStruct* repoll_tail = nullptr;
  for (;;) {
    NapiStruct* n = sd.poll_pop();
    if (!n) break;
    const int weight = n->weight;
    const int work = n->poll->napi_poll(cpu, weight);
    budget -= work;
    if (work >= weight) {
      // The driver used its whole weight: it stays scheduled (repoll).
      n->poll_next = nullptr;
      if (repoll_tail) repoll_tail->poll_next = n; else repoll_head = n;
      repoll_tail = n;
    }
    // The softirq window is spent: punt (counted whether or not work is left).
    if (budget <= 0 || host_.jiffies.at(cpu.now()) >= limit_j) {
      sd.stat.time_squeeze++;
      TRACE_BRANCH(cpu, step::kNic06, "net_rx_action", 0, "{}: time_squeeze",
                   budget <= 0 ? "netdev_budget spent" : "netdev_budget_usecs spent");
      break;
    }
  }
  // Repolled contexts go after those not yet polled.
  for (NapiStruct* n = repoll_head; n;) {
    NapiStruct* next = n->poll_next;
    sd.poll_add_tail(n);
    n = next;
  }
  if (sd.poll_head) raise_softirq(cpu, NET_RX_SOFTIRQ);
}

void Dev::napi_schedule(Cpu& cpu, NapiStruct& napi) {
  if (napi.scheduled) return;  // NAPI_STATE_SCHED
  napi.scheduled = true;
  softnet_[cpu.index()]->poll_add_tail(&napi);
  TRACE_BRANCH(cpu, step::kNic06, "napi_schedule", 0,
               "NAPI onto cpu{} poll_list: raise NET_RX_SOFTIRQ", cpu.index());
  raise_softirq(cpu, NET_RX_SOFTIRQ);
}

bool Dev::napi_complete_done(Cpu& cpu, NapiStruct& napi, int work_done) {
  napi.scheduled = false;
  return true;
}

int Dev::Backlog::napi_poll(Cpu& c, int budget) {
  int work = 0;
  while (work < budget) {
    SkBuff* skb = input_pkt_queue.dequeue();
    if (!skb) break;
    ++work;
    dev_->netif_receive_skb(c, skb);
  }
  if (work < budget) dev_->napi_complete_done(c, napi, work);
  return work;
}

// netif_rx() -> enqueue_to_backlog(): the per-CPU input queue, limited by
// netdev_max_backlog (drops counted in softnet_stat).
int Dev::netif_rx(Cpu& cpu, SkBuff* skb) {
  Softnet& sd = *softnet_[cpu.index()];
  Backlog& b = *sd.backlog;
  if (b.input_pkt_queue.qlen() >= static_cast<uint32_t>(host_.sysctl.core_netdev_max_backlog)) {
    sd.stat.dropped++;
    drop(cpu, skb, DropReason::NOT_SPECIFIED, "enqueue_to_backlog");
    return NET_XMIT_DROP;
  }
  b.input_pkt_queue.enqueue_tail(skb);
  napi_schedule(cpu, b.napi);
  return NET_XMIT_SUCCESS;
}

uint64_t Dev::backlog_skbs() const {
  uint64_t n = 0;
  for (const auto& sd : softnet_) n += sd->backlog->input_pkt_queue.qlen();
  return n;
}

// ---------------------------------------------------------------- receive

// RX-02 netif_receive_skb(): eth_type_trans(), the taps, then the protocol
// handler (ip_rcv, arp_rcv) by Ethertype.
void Dev::netif_receive_skb(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx02, "__netif_receive_skb_core", skb->id);
  cpu.charge(host_.costs.netif_receive_skb);
  Softnet& sd = *softnet_[cpu.index()];
  sd.stat.processed++;
  NetDevice& dev = *skb->dev;
  for (PacketTap* t : taps_) t->on_packet(cpu.now(), dev, *skb, false);
  // eth_type_trans(): classify by destination MAC, pull the header.
  EthHdr eth;
  if (!eth.parse(skb->data_ptr(), skb->len())) {
    dev.stats.rx_errors++;
    drop(cpu, skb, DropReason::PKT_TOO_SMALL, "eth_type_trans");
    return;
  }
  skb->reset_mac_header();
  if (eth.dst.is_broadcast()) skb->pkt_type = 1;        // PACKET_BROADCAST
  else if (eth.dst.is_multicast()) skb->pkt_type = 2;   // PACKET_MULTICAST
  else if (eth.dst == dev.dev_addr || dev.loopback) skb->pkt_type = 0;  // PACKET_HOST
  else skb->pkt_type = 3;                                // PACKET_OTHERHOST
  skb->protocol = eth.proto;
  skb->pull(EthHdr::kLen);
  skb->reset_network_header();
  dev.stats.rx_packets++;
  dev.stats.rx_bytes += skb->len() + EthHdr::kLen;
  switch (eth.proto) {
    case ETH_P_IP:
      host_.ip->rcv(cpu, skb);
      break;
    case ETH_P_ARP:
      host_.arp->arp_rcv(cpu, skb);
      break;
    default:
      TRACE_BRANCH(cpu, step::kRx02, "__netif_receive_skb_core", skb->id,
                   "no handler for ethertype {}", eth.proto);
      drop(cpu, skb, DropReason::NOT_SPECIFIED, "__netif_receive_skb_core");
  }
}

// --------------------------------------------------------- driver services

void Dev::netif_tx_wake_queue(Cpu& cpu, NetdevQueue& txq) {
  if (!txq.drv_xoff) return;
  txq.drv_xoff = false;
  txq.restarts++;
  TRACE_BRANCH(cpu, step::kNic07, "netif_tx_wake_queue", 0,
               "{} txq {} woken: ring has room, __netif_schedule", txq.dev->name.c_str(),
               txq.index);
  if (txq.qdisc) netif_schedule(cpu, *txq.qdisc);
}

void Dev::netdev_tx_completed_queue(Cpu& cpu, NetdevQueue& txq, uint32_t pkts, uint32_t bytes) {
  if (!txq.dql.enabled || bytes == 0) return;
  txq.dql.completed(bytes, cpu.now());
  if (txq.dql.avail() < 0) return;
  if (txq.stack_xoff) {
    txq.stack_xoff = false;
    TRACE_BRANCH(cpu, step::kNic07, "netdev_tx_completed_queue", 0,
                 "BQL: {} bytes completed, limit {}: txq {} restarted", bytes, txq.dql.limit,
                 txq.index);
    if (txq.qdisc) netif_schedule(cpu, *txq.qdisc);
  }
}

void Dev::dev_consume_skb(Cpu& cpu, SkBuff* skb) {
  // The destructor (sock_wfree / tcp_wfree) returns the memory to the
  // socket that sent it and may wake a writer blocked on a full buffer.
  if (skb->sk) skb_orphan(host_, cpu, skb);
  host_.pool().consume(skb);
}

void Dev::dev_kfree_skb(Cpu& cpu, SkBuff* skb, DropReason reason) {
  if (skb->sk) skb_orphan(host_, cpu, skb);
  drop(cpu, skb, reason, "dev_kfree_skb_any");
}

}  // namespace stack
