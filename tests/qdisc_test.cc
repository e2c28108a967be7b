// tests/qdisc_test.cc: the qdiscs (stack/sch_*.cc), CoDel, the flow hash,
// ECN marking and BQL, each against a fake device: a QdiscEnv with its own
// Scheduler and SkbPool that records every drop (with its reason and time)
// and every watchdog call. Packets are real Ethernet/IPv4/UDP frames.
// Expected values are worked out by hand in the comments.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/rng.h"
#include "sim/scheduler.h"
#include "stack/codel.h"
#include "stack/dql.h"
#include "stack/flow_dissector.h"
#include "stack/inet_ecn.h"
#include "stack/pkt_sched.h"
#include "stack/qdisc.h"
#include "stack/sch_fq_codel.h"
#include "stack/skbuff.h"
#include "stack/wire.h"

using namespace stack;
using sim::Time;

namespace {

constexpr Time t0 = Time::zero();
Time at_ns(int64_t ns) { return Time::from_ns(ns); }
Time at_ms(int64_t ms) { return t0 + sim::ms(ms); }

struct FakeEnv final : QdiscEnv {
  sim::Scheduler sch;
  SkbPool pool;
  struct Drop {
    uint64_t id;
    DropReason reason;
    Time at;
    std::string kind;
  };
  std::vector<Drop> drops;
  std::vector<Time> watchdogs;

  sim::Scheduler& sched() override { return sch; }
  void qdisc_drop(Qdisc& q, SkBuff* skb, DropReason reason) override {
    drops.push_back({skb->id, reason, sch.now(), q.kind()});
    pool.drop(skb, reason);
  }
  void qdisc_watchdog(Qdisc&) override { watchdogs.push_back(sch.now()); }

  size_t drops_with(DropReason r) const {
    return std::count_if(drops.begin(), drops.end(), [r](const Drop& d) { return d.reason == r; });
  }
};

struct Udp {
  uint32_t saddr = 0x0a000001;  // 10.0.0.1
  uint32_t daddr = 0x0a000002;  // 10.0.0.2
  uint16_t sport = 40000;
  uint16_t dport = 5001;
  uint8_t tos = 0;
  uint16_t frag_off = 0;
  uint32_t frame_len = 1514;  // Ethernet header + IPv4 + UDP + payload, no FCS
};

// A UDP datagram as the device layer sees it: data at the Ethernet header,
// network/transport headers set, skb->protocol ETH_P_IP, skb->priority
// from the TOS as ip_output would set it.
SkBuff* make_udp(SkbPool& pool, Time now, const Udp& u) {
  SkBuff* skb = pool.alloc(u.frame_len, now);
  uint8_t* p = skb->put(u.frame_len);
  std::fill(p, p + u.frame_len, uint8_t{0xab});
  EthHdr eth;
  eth.dst = MacAddr{{0x02, 0, 0, 0, 0, 2}};
  eth.src = MacAddr{{0x02, 0, 0, 0, 0, 1}};
  eth.proto = ETH_P_IP;
  eth.emit(p);
  Ipv4Hdr ip;
  ip.tos = u.tos;
  ip.tot_len = static_cast<uint16_t>(u.frame_len - ETH_HLEN);
  ip.id = static_cast<uint16_t>(skb->id);
  ip.frag_off = u.frag_off;
  ip.protocol = IPPROTO_UDP;
  ip.saddr = u.saddr;
  ip.daddr = u.daddr;
  ip.emit(p + ETH_HLEN);
  UdpHdr udp;
  udp.source = u.sport;
  udp.dest = u.dport;
  udp.len = static_cast<uint16_t>(u.frame_len - ETH_HLEN - 20);
  udp.check = 0;  // "no checksum", legal for UDP over IPv4
  udp.emit(p + ETH_HLEN + 20);
  skb->mac_header = skb->data;
  skb->network_header = skb->data + ETH_HLEN;
  skb->transport_header = skb->data + ETH_HLEN + 20;
  skb->protocol = ETH_P_IP;
  skb->priority = rt_tos2priority(u.tos);
  return skb;
}

std::unique_ptr<Qdisc> make(FakeEnv& env, const QdiscSpec& spec, uint32_t txqlen = 1000,
                            uint32_t mtu = 1500) {
  return make_qdisc(spec, env, txqlen, mtu);
}

QdiscSpec kind(const char* k) {
  QdiscSpec s;
  s.kind = k;
  return s;
}

// Dequeues everything now, returning the ids in order and consuming them.
std::vector<uint64_t> drain(FakeEnv& env, Qdisc& q) {
  std::vector<uint64_t> ids;
  while (SkBuff* skb = q.dequeue(env.sch.now())) {
    ids.push_back(skb->id);
    env.pool.consume(skb);
  }
  return ids;
}

}  // namespace

// ------------------------------------------------------------ pfifo_fast

TEST_CASE("rt_tos2priority follows ip_tos2prio", "[qdisc][pfifo_fast]") {
  CHECK(rt_tos2priority(0x00) == TC_PRIO_BESTEFFORT);
  CHECK(rt_tos2priority(0x10) == TC_PRIO_INTERACTIVE);       // IPTOS_LOWDELAY
  CHECK(rt_tos2priority(0x08) == TC_PRIO_BULK);              // IPTOS_THROUGHPUT
  CHECK(rt_tos2priority(0x04) == TC_PRIO_BESTEFFORT);        // IPTOS_RELIABILITY
  CHECK(rt_tos2priority(0x18) == TC_PRIO_INTERACTIVE_BULK);  // lowdelay|throughput
  CHECK(rt_tos2priority(0x13) == TC_PRIO_INTERACTIVE);       // ECN bits do not count
  CHECK(rt_tos2priority(0xb8) == TC_PRIO_INTERACTIVE_BULK);  // DSCP EF: precedence ignored
}

TEST_CASE("pfifo_fast serves band 0, then 1, then 2, FIFO within a band", "[qdisc][pfifo_fast]") {
  FakeEnv env;
  auto q = make(env, kind("pfifo_fast"));
  CHECK(std::string(q->kind()) == "pfifo_fast");
  CHECK((q->flags & TCQ_F_CAN_BYPASS));
  // priority -> band via prio2band: 0->1, 2->2, 6->0, 7->0, 1->2, 4->1;
  // 0x16 & TC_PRIO_MAX = 6 -> band 0.
  const uint32_t prios[] = {0, 2, 6, 7, 1, 4, 0x16};
  std::vector<uint64_t> ids;
  for (uint32_t p : prios) {
    SkBuff* skb = make_udp(env.pool, t0, Udp{});
    skb->priority = p;
    ids.push_back(skb->id);
    REQUIRE(q->enqueue(skb, t0) == NET_XMIT_SUCCESS);
  }
  CHECK(q->stats.qlen == 7);
  CHECK(q->stats.backlog == 7 * 1514);
  CHECK(q->peek(t0)->id == ids[2]);
  // band 0: prio 6, 7, 0x16; band 1: prio 0, 4; band 2: prio 2, 1.
  const std::vector<uint64_t> expect = {ids[2], ids[3], ids[6], ids[0], ids[5], ids[1], ids[4]};
  CHECK(drain(env, *q) == expect);
  CHECK(q->stats.packets == 7);
  CHECK(q->stats.bytes == 7 * 1514);
  CHECK(q->stats.qlen == 0);
  CHECK(q->stats.backlog == 0);
}

TEST_CASE("pfifo_fast drops at txqueuelen packets over all bands", "[qdisc][pfifo_fast]") {
  FakeEnv env;
  auto q = make(env, kind("pfifo_fast"), /*txqlen=*/5);
  for (int i = 0; i < 5; ++i) {
    SkBuff* skb = make_udp(env.pool, t0, Udp{});
    skb->priority = TC_PRIO_BULK;  // band 2
    REQUIRE(q->enqueue(skb, t0) == NET_XMIT_SUCCESS);
  }
  // Full: even a band-0 packet is tail dropped.
  SkBuff* urgent = make_udp(env.pool, t0, Udp{.tos = 0x10});
  const uint64_t urgent_id = urgent->id;
  CHECK(q->enqueue(urgent, t0) == NET_XMIT_DROP);
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_DROP);
  CHECK(q->stats.drops == 2);
  CHECK(q->stats.qlen == 5);
  REQUIRE(env.drops.size() == 2);
  CHECK(env.drops[0].id == urgent_id);
  CHECK(env.drops_with(DropReason::QDISC_DROP) == 2);
  // One out, one more fits.
  env.pool.consume(q->dequeue(t0));
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS);
  // A requeued skb counts against the limit (dev_requeue_skb: q.qlen++).
  q->stats.qlen++;
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_DROP);
  q->stats.qlen--;
}

TEST_CASE("noqueue has no queue: no bypass flag, enqueue drops", "[qdisc][noqueue]") {
  FakeEnv env;
  auto q = make(env, kind("noqueue"));
  CHECK(std::string(q->kind()) == "noqueue");
  CHECK_FALSE((q->flags & TCQ_F_CAN_BYPASS));
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_CN);
  CHECK(env.drops.size() == 1);
  CHECK(q->dequeue(t0) == nullptr);
  CHECK(env.pool.alive() == 0);
}

// ------------------------------------------------------------ pfifo / bfifo

TEST_CASE("pfifo tail-drops at its packet limit, default txqueuelen", "[qdisc][fifo]") {
  FakeEnv env;
  QdiscSpec s = kind("pfifo");
  s.limit = 3;
  auto q = make(env, s);
  CHECK((q->flags & TCQ_F_CAN_BYPASS));
  std::vector<uint64_t> ids;
  for (int i = 0; i < 4; ++i) {
    SkBuff* skb = make_udp(env.pool, t0, Udp{.frame_len = 100});
    ids.push_back(skb->id);
    CHECK(q->enqueue(skb, t0) == (i < 3 ? NET_XMIT_SUCCESS : NET_XMIT_DROP));
  }
  CHECK(q->stats.drops == 1);
  REQUIRE(env.drops.size() == 1);
  CHECK(env.drops[0].id == ids[3]);
  CHECK(drain(env, *q) == std::vector<uint64_t>{ids[0], ids[1], ids[2]});

  FakeEnv env2;
  auto d = make(env2, kind("pfifo"), /*txqlen=*/10);
  int ok = 0;
  for (int i = 0; i < 12; ++i) ok += d->enqueue(make_udp(env2.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS;
  CHECK(ok == 10);
}

TEST_CASE("bfifo tail-drops at its byte limit, default txqueuelen * (mtu + 14)", "[qdisc][fifo]") {
  FakeEnv env;
  QdiscSpec s = kind("bfifo");
  s.limit = 3000;
  auto q = make(env, s);
  // 3000 < psched_mtu 1514? no: 3000 >= 1514, bypass allowed.
  CHECK((q->flags & TCQ_F_CAN_BYPASS));
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{.frame_len = 1000}), t0) == NET_XMIT_SUCCESS);
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{.frame_len = 1000}), t0) == NET_XMIT_SUCCESS);
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{.frame_len = 1001}), t0) == NET_XMIT_DROP);
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{.frame_len = 1000}), t0) == NET_XMIT_SUCCESS);  // 3000 <= 3000
  CHECK(q->stats.backlog == 3000);
  CHECK(q->stats.drops == 1);

  // Too small to hold a full frame: no bypass (fifo_init()).
  QdiscSpec small = kind("bfifo");
  small.limit = 1000;
  CHECK_FALSE((make(env, small)->flags & TCQ_F_CAN_BYPASS));

  // Default: txqueuelen 2 * psched_mtu 1514 = 3028 bytes.
  FakeEnv env2;
  auto d = make(env2, kind("bfifo"), /*txqlen=*/2);
  CHECK(d->enqueue(make_udp(env2.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS);
  CHECK(d->enqueue(make_udp(env2.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS);
  CHECK(d->enqueue(make_udp(env2.pool, t0, Udp{.frame_len = 60}), t0) == NET_XMIT_DROP);
}

// ------------------------------------------------------------ tbf

TEST_CASE("psched_l2t_ns matches the kernel's mult/shift", "[qdisc][tbf]") {
  PschedRatecfg r;
  r.precompute(12'500'000);  // 100 Mbit/s
  // 1514 bytes * 8 / 100e6 = 121.12 us, exact here: 1e9/12.5e6 = 80 ns/B.
  CHECK(r.l2t_ns(1514) == 121'120);
  CHECK(r.l2t_ns(15140) == 1'211'200);
  CHECK((r.mult & (1u << 31)));
  // 3 Mbit/s: 2666.67 ns per byte; the kernel rounds down, by < 1 ns here.
  r.precompute(375'000);
  const double exact = 1514 * 1e9 / 375'000;
  CHECK(r.l2t_ns(1514) <= exact);
  CHECK(exact - r.l2t_ns(1514) < 1.0);
  CHECK(r.ns_t(1'000'000'000) == 375'000);
}

namespace {
// Runs the qdisc as the device layer would: dequeue whenever it gives
// something; when throttled, run the scheduler to the watchdog and retry.
// Returns the send time of every packet.
std::vector<Time> run_shaper(FakeEnv& env, Qdisc& q, size_t expect) {
  std::vector<Time> sent;
  while (sent.size() < expect) {
    if (SkBuff* skb = q.dequeue(env.sch.now())) {
      sent.push_back(env.sch.now());
      env.pool.consume(skb);
      continue;
    }
    const size_t wd = env.watchdogs.size();
    if (!env.sch.run_one()) break;   // nothing armed: stuck
    if (env.watchdogs.size() == wd) break;
  }
  return sent;
}
}  // namespace

TEST_CASE("tbf: burst goes at once, then one 1514 B frame every 121.12 us", "[qdisc][tbf]") {
  FakeEnv env;
  QdiscSpec s = kind("tbf");
  s.rate_bps = 100'000'000;
  s.burst = 15140;  // ten full frames
  s.limit_bytes = 100'000;
  auto q = make(env, s);
  CHECK_FALSE((q->flags & TCQ_F_CAN_BYPASS));
  for (int i = 0; i < 20; ++i) REQUIRE(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS);
  CHECK(q->stats.qlen == 20);
  CHECK(q->stats.backlog == 20 * 1514);

  const std::vector<Time> sent = run_shaper(env, *q, 20);
  REQUIRE(sent.size() == 20);
  for (int i = 0; i < 10; ++i) CHECK(sent[i] == t0);  // the bucket holds 10 frames
  for (int i = 10; i < 20; ++i) CHECK(sent[i] == at_ns(int64_t{i - 9} * 121'120));
  // One throttle per frame after the burst, each answered by the watchdog
  // exactly when the missing tokens had accrued.
  CHECK(q->stats.overlimits == 10);
  REQUIRE(env.watchdogs.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(env.watchdogs[i] == at_ns(int64_t{i + 1} * 121'120));
  CHECK(q->stats.packets == 20);
  CHECK(q->stats.qlen == 0);
  CHECK(q->dequeue(env.sch.now()) == nullptr);
  CHECK(q->stats.overlimits == 10);  // empty is not over the limit
}

TEST_CASE("tbf: tokens accrue while idle, capped at the bucket", "[qdisc][tbf]") {
  FakeEnv env;
  QdiscSpec s = kind("tbf");
  s.rate_bps = 100'000'000;
  s.burst = 3028;  // two frames
  s.limit_bytes = 100'000;
  auto q = make(env, s);
  for (int i = 0; i < 3; ++i) q->enqueue(make_udp(env.pool, t0, Udp{}), t0);
  CHECK(drain(env, *q).size() == 2);
  CHECK(q->stats.overlimits == 1);
  // 60.56 us later: half a frame of tokens, still short by 60560 ns.
  env.sch.run_until(at_ns(60'560));
  CHECK(q->dequeue(env.sch.now()) == nullptr);
  CHECK(env.sch.next_time() == at_ns(121'120));
  // After a long idle time the bucket is full again, but not more: 2 go.
  env.sch.run_until(at_ms(10));
  for (int i = 0; i < 3; ++i) q->enqueue(make_udp(env.pool, env.sch.now(), Udp{}), env.sch.now());
  // 10 ms of tokens would be 82 frames; the bucket caps them at 2: the
  // frame left over from the first batch and one new one.
  CHECK(drain(env, *q).size() == 2);
  CHECK(q->stats.qlen == 2);
}

TEST_CASE("tbf: limit from latency as tc computes it, oversize dropped", "[qdisc][tbf]") {
  FakeEnv env;
  QdiscSpec s = kind("tbf");
  s.rate_bps = 100'000'000;
  s.burst = 15140;
  s.latency = sim::ms(50);
  auto q = make(env, s);
  // limit = 12.5e6 B/s * 0.05 s + 15140 = 640140 bytes: 422 frames of
  // 1514 fit (638908), the 423rd would make 640422.
  int ok = 0;
  for (int i = 0; i < 423; ++i)
    ok += q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS;
  CHECK(ok == 422);
  CHECK(q->stats.qlen == 422);
  CHECK(q->stats.drops == 1);
  CHECK(env.drops.back().kind == "bfifo");  // the default child dropped it

  // A frame above the burst can never earn its tokens: dropped at once.
  QdiscSpec small = s;
  small.burst = 1000;
  FakeEnv env2;
  auto q2 = make(env2, small);
  CHECK(q2->enqueue(make_udp(env2.pool, t0, Udp{}), t0) == NET_XMIT_DROP);
  CHECK(q2->enqueue(make_udp(env2.pool, t0, Udp{.frame_len = 1000}), t0) == NET_XMIT_SUCCESS);
  CHECK(env2.drops.size() == 1);
  CHECK(env2.drops[0].reason == DropReason::QDISC_DROP);
  CHECK(env2.drops[0].kind == "tbf");
}

TEST_CASE("tbf with child pfifo limit 100: the waiting packet is one of the 100",
          "[qdisc][tbf]") {
  FakeEnv env;
  QdiscSpec s = kind("tbf");
  s.rate_bps = 100'000'000;
  s.burst = 1514;  // one frame of tokens
  s.limit_bytes = 1'000'000;
  auto child = std::make_shared<QdiscSpec>(kind("pfifo"));
  child->limit = 100;
  s.child = child;
  auto q = make(env, s);
  q->enqueue(make_udp(env.pool, t0, Udp{}), t0);
  CHECK(drain(env, *q).size() == 1);  // spends the bucket
  for (int i = 0; i < 100; ++i) REQUIRE(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_SUCCESS);
  // The head is peeked and waits for tokens, still inside the child.
  CHECK(q->dequeue(t0) == nullptr);
  CHECK(q->stats.overlimits == 1);
  CHECK(q->stats.qlen == 100);
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{}), t0) == NET_XMIT_DROP);
  CHECK(q->stats.drops == 1);
  REQUIRE(env.drops.size() == 1);
  CHECK(env.drops[0].kind == "pfifo");
  CHECK(env.drops[0].reason == DropReason::QDISC_DROP);
  // It leaves when the watchdog says so, and one more then fits.
  const auto sent = run_shaper(env, *q, 1);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0] == at_ns(121'120));
  CHECK(q->enqueue(make_udp(env.pool, env.sch.now(), Udp{}), env.sch.now()) == NET_XMIT_SUCCESS);
}

TEST_CASE("tbf peak rate spaces the burst at the peak rate", "[qdisc][tbf]") {
  FakeEnv env;
  QdiscSpec s = kind("tbf");
  s.rate_bps = 10'000'000;        // 1211.2 us per frame
  s.burst = 15140;
  s.limit_bytes = 100'000;
  s.peakrate_bps = 100'000'000;   // 121.12 us per frame
  s.mtu = 1514;
  auto q = make(env, s);
  for (int i = 0; i < 4; ++i) q->enqueue(make_udp(env.pool, t0, Udp{}), t0);
  const auto sent = run_shaper(env, *q, 4);
  REQUIRE(sent.size() == 4);
  for (int i = 0; i < 4; ++i) CHECK(sent[i] == at_ns(int64_t{i} * 121'120));
}

// ------------------------------------------------------------ flow hash, ECN

TEST_CASE("skb_get_hash: 5-tuple, symmetric, cached, ports skipped for fragments",
          "[qdisc][flow_dissector]") {
  SkbPool pool;
  SkBuff* a = make_udp(pool, t0, Udp{});
  SkBuff* a2 = make_udp(pool, t0, Udp{.frame_len = 200});
  SkBuff* rev = make_udp(pool, t0, Udp{.saddr = 0x0a000002, .daddr = 0x0a000001, .sport = 5001, .dport = 40000});
  SkBuff* other = make_udp(pool, t0, Udp{.sport = 40001});
  const uint32_t h = skb_get_hash(*a);
  CHECK(h != 0);
  CHECK(a->hash == h);
  CHECK(skb_get_hash(*a2) == h);  // same flow, other length
  CHECK(skb_get_hash(*rev) == h);  // the reply direction
  CHECK(skb_get_hash(*other) != h);
  // Cached: rewriting the port does not change the stored hash.
  wr16(a->transport_hdr(), 1);
  CHECK(skb_get_hash(*a) == h);

  // Fragments of one datagram hash alike whatever sits at the port offset.
  SkBuff* f1 = make_udp(pool, t0, Udp{.frag_off = IP_MF});
  SkBuff* f2 = make_udp(pool, t0, Udp{.sport = 1, .dport = 2, .frag_off = 185});
  FlowKeys k;
  REQUIRE(skb_flow_dissect(*f2, k));
  CHECK(k.is_fragment);
  CHECK(k.sport == 0);
  CHECK(skb_get_hash(*f1) == skb_get_hash(*f2));
  REQUIRE(skb_flow_dissect(*other, k));
  CHECK(k.sport == 40001);
  CHECK(k.dport == 5001);
  CHECK(k.ip_proto == IPPROTO_UDP);
  // Not IPv4: still a (protocol-only) hash, never 0.
  SkBuff* arp = pool.alloc(60, t0);
  arp->put(60);
  arp->protocol = ETH_P_ARP;
  CHECK(skb_get_hash(*arp) != 0);
  for (SkBuff* s : {a, a2, rev, other, f1, f2, arp}) pool.consume(s);
}

TEST_CASE("flow hash spreads flows over buckets", "[qdisc][flow_dissector]") {
  SkbPool pool;
  std::vector<int> buckets(16);
  for (uint16_t port = 0; port < 1600; ++port) {
    SkBuff* s = make_udp(pool, t0, Udp{.sport = static_cast<uint16_t>(10000 + port), .frame_len = 64});
    buckets[reciprocal_scale(skb_get_hash(*s), 16)]++;
    pool.consume(s);
  }
  // 100 expected per bucket; a decent mix keeps every bucket within 50%.
  for (int n : buckets) {
    CHECK(n > 50);
    CHECK(n < 150);
  }
}

TEST_CASE("INET_ECN_set_ce marks ECT, leaves Not-ECT, keeps the checksum valid", "[qdisc][ecn]") {
  SkbPool pool;
  for (uint8_t ect : {INET_ECN_ECT_0, INET_ECN_ECT_1}) {
    SkBuff* s = make_udp(pool, t0, Udp{.tos = static_cast<uint8_t>(0x10 | ect)});
    REQUIRE(INET_ECN_set_ce(*s));
    CHECK(s->network_hdr()[1] == (0x10 | INET_ECN_CE));
    CHECK(Ipv4Hdr::checksum_ok(s->network_hdr(), 20));
    pool.consume(s);
  }
  SkBuff* ce = make_udp(pool, t0, Udp{.tos = INET_ECN_CE});
  CHECK(INET_ECN_set_ce(*ce));
  CHECK(Ipv4Hdr::checksum_ok(ce->network_hdr(), 20));
  SkBuff* not_ect = make_udp(pool, t0, Udp{.tos = 0x10});
  CHECK_FALSE(INET_ECN_set_ce(*not_ect));
  CHECK(not_ect->network_hdr()[1] == 0x10);
  pool.consume(ce);
  pool.consume(not_ect);
}

// ------------------------------------------------------------ CoDel

TEST_CASE("CoDel Newton step and control law", "[qdisc][codel]") {
  CodelVars v;
  v.count = 1;
  v.rec_inv_sqrt = static_cast<uint16_t>(~0u >> REC_INV_SQRT_SHIFT);  // 1.0
  // From 1/sqrt(1) one step for count 2 gives x/2 * (3 - 2x^2) = 0.5.
  v.count = 2;
  codel_Newton_step(v);
  // (0x8001 in the kernel's fixed point.)
  CHECK(v.rec_inv_sqrt >= 0x7ff0);
  CHECK(v.rec_inv_sqrt <= 0x8010);
  // One step per drop, as CoDel does: converges on 1/sqrt(count).
  for (uint32_t c = 3; c <= 1000; ++c) {
    v.count = c;
    codel_Newton_step(v);
    const double x = v.rec_inv_sqrt / 65536.0;
    if (c >= 16) CHECK(std::abs(x * std::sqrt(double(c)) - 1.0) < 0.01);
  }
  // interval * 0.5: 97656 / 2.
  CHECK(codel_control_law(1000, 97656, 0x8000) == 1000 + 48828);
  // Defaults: MS2TIME(5) and MS2TIME(100) in 1024 ns units.
  CodelParams p;
  CHECK(p.target == 4882);
  CHECK(p.interval == 97656);
  CHECK(codel_time_after(1, 0xffffffffu));  // wrap-safe
}

// ------------------------------------------------------------ fq_codel

namespace {
FqCodel& as_fq(Qdisc& q) { return dynamic_cast<FqCodel&>(q); }

// A source port whose flow lands in a different bucket from `other`.
uint16_t port_in_other_bucket(SkbPool& pool, const FqCodel& q, std::initializer_list<uint32_t> taken,
                              uint16_t start) {
  for (uint16_t p = start;; ++p) {
    SkBuff* s = make_udp(pool, t0, Udp{.sport = p, .frame_len = 64});
    const uint32_t b = q.classify(*s);
    pool.consume(s);
    if (std::find(taken.begin(), taken.end(), b) == taken.end()) return p;
  }
}
uint32_t bucket_of(SkbPool& pool, const FqCodel& q, uint16_t sport) {
  SkBuff* s = make_udp(pool, t0, Udp{.sport = sport, .frame_len = 64});
  const uint32_t b = q.classify(*s);
  pool.consume(s);
  return b;
}
}  // namespace

TEST_CASE("fq_codel defaults come from sch_fq_codel.c", "[qdisc][fq_codel]") {
  FakeEnv env;
  auto q = make(env, kind("fq_codel"));
  const FqCodelParams& p = as_fq(*q).params();
  CHECK(p.flows == 1024);
  CHECK(p.limit == 10240);
  CHECK(p.quantum == 1514);
  CHECK(p.memory_limit == 32u << 20);
  CHECK(p.drop_batch == 64);
  CHECK(p.cparams.target == 4882);
  CHECK(p.cparams.interval == 97656);
  CHECK(p.cparams.mtu == 1514);
  CHECK(p.cparams.ecn);
  CHECK((q->flags & TCQ_F_CAN_BYPASS));
}

TEST_CASE("fq_codel: two flows interleave by DRR quantum, new flows first", "[qdisc][fq_codel]") {
  FakeEnv env;
  auto q = make(env, kind("fq_codel"));
  FqCodel& fq = as_fq(*q);
  const uint16_t pa = 40000;
  const uint16_t pb = port_in_other_bucket(env.pool, fq, {bucket_of(env.pool, fq, pa)}, 41000);
  std::map<uint64_t, char> who;
  for (int i = 0; i < 12; ++i) {
    SkBuff* s = make_udp(env.pool, t0, Udp{.sport = pa, .frame_len = 500});
    who[s->id] = 'A';
    q->enqueue(s, t0);
  }
  for (int i = 0; i < 4; ++i) {
    SkBuff* s = make_udp(env.pool, t0, Udp{.sport = pb});
    who[s->id] = 'B';
    q->enqueue(s, t0);
  }
  CHECK(fq.new_flows_len() == 2);
  CHECK(fq.new_flow_count() == 2);
  std::string order;
  for (uint64_t id : drain(env, *q)) order += who[id];
  // Quantum 1514: A's 500 B packets go four (deficit 1514 -> -486), then
  // three a round (1028 -> -472, 1042 -> -458), while B sends one 1514 B
  // packet a round; A's last round ends with its queue empty.
  CHECK(order == "AAAABAAABAAABAAB");
  CHECK(fq.new_flows_len() == 0);
  CHECK(fq.old_flows_len() == 0);

  // A sparse flow arriving while A is backlogged goes first (new_flows).
  for (int i = 0; i < 10; ++i) q->enqueue(make_udp(env.pool, t0, Udp{.sport = pa}), t0);
  env.pool.consume(q->dequeue(t0));
  env.pool.consume(q->dequeue(t0));  // A now on old_flows
  CHECK(fq.old_flows_len() == 1);
  SkBuff* sparse = make_udp(env.pool, t0, Udp{.sport = pb, .frame_len = 100});
  const uint64_t sparse_id = sparse->id;
  q->enqueue(sparse, t0);
  SkBuff* next = q->dequeue(t0);
  CHECK(next->id == sparse_id);
  env.pool.consume(next);
}

namespace {
// A standing queue: `prefill` frames at t=0, then every 1 ms one frame in
// and one dequeue, until `end_ms`.
void standing_queue(FakeEnv& env, Qdisc& q, const Udp& u, int prefill, int end_ms) {
  for (int i = 0; i < prefill; ++i) q.enqueue(make_udp(env.pool, t0, u), t0);
  for (int ms = 1; ms <= end_ms; ++ms) {
    env.sch.run_until(at_ms(ms));
    q.enqueue(make_udp(env.pool, env.sch.now(), u), env.sch.now());
    if (SkBuff* s = q.dequeue(env.sch.now())) env.pool.consume(s);
  }
}
}  // namespace

TEST_CASE("fq_codel: a standing queue is dropped at interval/sqrt(count)", "[qdisc][fq_codel]") {
  FakeEnv env;
  QdiscSpec s = kind("fq_codel");
  s.ecn = false;
  auto q = make(env, s);
  FqCodel& fq = as_fq(*q);
  standing_queue(env, *q, Udp{}, 300, 1000);

  std::vector<Time> drops;
  for (const auto& d : env.drops) {
    REQUIRE(d.reason == DropReason::CODEL_DROP);
    drops.push_back(d.at);
  }
  REQUIRE(drops.size() >= 10);
  // The head's sojourn reaches target (4882 units of 1024 ns) at 5 ms;
  // first_above_time = 4882 + 97656 = 102538, passed at 105 ms (102539).
  CHECK(drops[0] == at_ms(105));
  // drop_next = 102539 + 97656 * 0xffff/65536 (= 97654) = 200193 units =
  // 204.998 ms: the 205 ms dequeue. Then count 2, 1/sqrt ~ 0.5 after one
  // Newton step from 1.0: + 48828 = 249021 units = 254.998 ms.
  CHECK(drops[1] == at_ms(205));
  CHECK(drops[2] == at_ms(255));
  // Later gaps follow interval/sqrt(count) (count = drops so far), within
  // the Newton approximation (one step per drop lags the true value by
  // 2.4% at count 4, less after) and the 1 ms dequeue grid.
  for (size_t k = 4; k < drops.size(); ++k) {
    const double gap_ms = (drops[k] - drops[k - 1]).ns() / 1e6;
    const double law_ms = 100.0 / std::sqrt(double(k));
    INFO("drop " << k << " gap " << gap_ms << " ms, law " << law_ms << " ms");
    CHECK(gap_ms > law_ms * 0.97 - 1.0);
    CHECK(gap_ms < law_ms * 1.03 + 1.0);
  }
  // Never left the dropping state: count is the number of drops.
  const FqCodel::Flow& f = fq.flow(bucket_of(env.pool, fq, Udp{}.sport) - 1);
  CHECK(f.cvars.dropping);
  CHECK(f.cvars.count == drops.size());
  CHECK(f.cvars.lastcount == 1);
  CHECK(q->stats.drops == drops.size());
  CHECK(fq.cstats().maxpacket == 1514);
  CHECK(fq.cstats().ecn_mark == 0);
  // Conservation: created = sent + dropped + queued.
  CHECK(env.pool.created() == env.pool.consumed() + env.drops.size() + q->stats.qlen);
}

TEST_CASE("fq_codel: ECT packets are CE-marked instead of dropped", "[qdisc][fq_codel]") {
  FakeEnv env;
  auto q = make(env, kind("fq_codel"));  // ecn on by default
  FqCodel& fq = as_fq(*q);
  // Keep the marked packets to look at them.
  std::vector<SkBuff*> kept;
  const Udp u{.tos = INET_ECN_ECT_0};
  for (int i = 0; i < 300; ++i) q->enqueue(make_udp(env.pool, t0, u), t0);
  for (int ms = 1; ms <= 400; ++ms) {
    env.sch.run_until(at_ms(ms));
    q->enqueue(make_udp(env.pool, env.sch.now(), u), env.sch.now());
    SkBuff* s = q->dequeue(env.sch.now());
    REQUIRE(s);
    if ((s->network_hdr()[1] & INET_ECN_MASK) == INET_ECN_CE) kept.push_back(s);
    else env.pool.consume(s);
  }
  CHECK(env.drops.empty());
  // Marks at the times drops would have happened: 105, 205, 255 ms...
  REQUIRE(kept.size() >= 3);
  CHECK(fq.cstats().ecn_mark == kept.size());
  for (SkBuff* s : kept) {
    CHECK(Ipv4Hdr::checksum_ok(s->network_hdr(), 20));
    env.pool.consume(s);
  }
  std::vector<std::pair<std::string, uint64_t>> extra;
  q->dump_extra(extra);
  CHECK(std::find(extra.begin(), extra.end(), std::pair<std::string, uint64_t>{"ecn_mark", kept.size()}) !=
        extra.end());
}

TEST_CASE("fq_codel: overflow drops half the fattest flow's backlog", "[qdisc][fq_codel]") {
  FakeEnv env;
  QdiscSpec s = kind("fq_codel");
  s.limit = 20;
  auto q = make(env, s);
  FqCodel& fq = as_fq(*q);
  const uint16_t pa = 40000;
  const uint32_t ba = bucket_of(env.pool, fq, pa);
  const uint16_t pb = port_in_other_bucket(env.pool, fq, {ba}, 41000);
  std::vector<uint64_t> a_ids;
  for (int i = 0; i < 15; ++i) {
    SkBuff* sk = make_udp(env.pool, t0, Udp{.sport = pa});
    a_ids.push_back(sk->id);
    REQUIRE(q->enqueue(sk, t0) == NET_XMIT_SUCCESS);
  }
  for (int i = 0; i < 5; ++i) REQUIRE(q->enqueue(make_udp(env.pool, t0, Udp{.sport = pb}), t0) == NET_XMIT_SUCCESS);
  // The 21st packet (flow B) overflows. Fattest: A, 15 * 1514 = 22710 B;
  // drop from its head until >= 11355 B: 8 packets (12112 B). Not B's
  // flow, so NET_XMIT_SUCCESS.
  CHECK(q->enqueue(make_udp(env.pool, t0, Udp{.sport = pb}), t0) == NET_XMIT_SUCCESS);
  REQUIRE(env.drops.size() == 8);
  for (int i = 0; i < 8; ++i) {
    CHECK(env.drops[i].id == a_ids[i]);
    CHECK(env.drops[i].reason == DropReason::QDISC_OVERLIMIT);
  }
  CHECK(q->stats.qlen == 13);
  CHECK(q->stats.backlog == 13 * 1514);
  CHECK(q->stats.drops == 8);
  CHECK(fq.drop_overlimit() == 8);
  CHECK(fq.flow(ba - 1).cvars.count == 8);  // CoDel told to signal harder
  // truesize of a 1514-byte skb: a 2048-byte kmalloc bucket (64 + 1514 +
  // 320) plus 256 of struct sk_buff.
  CHECK(fq.memory_usage() == 13 * 2304);
  // Now fill A until it overflows its own flow: NET_XMIT_CN.
  int rc = NET_XMIT_SUCCESS;
  for (int i = 0; i < 8 && rc == NET_XMIT_SUCCESS; ++i) rc = q->enqueue(make_udp(env.pool, t0, Udp{.sport = pa}), t0);
  CHECK(rc == NET_XMIT_CN);

  // drop_batch bounds a round of drops.
  FakeEnv env2;
  QdiscSpec s2 = s;
  s2.drop_batch = 2;
  auto q2 = make(env2, s2);
  for (int i = 0; i < 21; ++i) q2->enqueue(make_udp(env2.pool, t0, Udp{.sport = pa}), t0);
  CHECK(env2.drops.size() == 2);
  CHECK(q2->stats.qlen == 19);
}

TEST_CASE("fq_codel: memory_limit counts truesize", "[qdisc][fq_codel]") {
  FakeEnv env;
  QdiscSpec s = kind("fq_codel");
  s.memory_limit = 10 * 2304;  // ten frames of truesize (see above)
  auto q = make(env, s);
  for (int i = 0; i < 11; ++i) q->enqueue(make_udp(env.pool, t0, Udp{}), t0);
  // One flow of 11 frames: half its backlog = 5.5 frames -> 6 dropped.
  CHECK(env.drops.size() == 6);
  CHECK(as_fq(*q).drop_overmemory() == 6);
}

// ------------------------------------------------------------ BQL

TEST_CASE("BQL: the limit grows on starvation", "[qdisc][bql]") {
  Dql d;
  d.reset(t0);
  CHECK(d.limit == 0);
  CHECK(d.avail() == 0);
  d.queued(1514);
  CHECK(d.avail() < 0);  // netdev_tx_sent_queue would stop the queue
  // All completed and it was over the limit: starved. Limit += 1514.
  d.completed(1514, at_ms(1));
  CHECK(d.limit == 1514);
  CHECK(d.avail() == 1514);
  // Three at once: over by 3028; all complete: limit += 4542 (completed
  // since the last completion's queued total).
  d.queued(1514);
  d.queued(1514);
  d.queued(1514);
  CHECK(d.avail() == -3028);
  d.completed(3 * 1514, at_ms(3));
  CHECK(d.limit == 6056);
  CHECK(d.avail() == 6056);
  CHECK(d.inflight() == 0);
}

TEST_CASE("BQL: the limit shrinks by the lowest slack after the hold time", "[qdisc][bql]") {
  Dql d;
  d.reset(t0);
  d.queued(1514);
  d.completed(1514, at_ms(1));
  for (int i = 0; i < 3; ++i) d.queued(1514);
  d.completed(3 * 1514, at_ms(3));  // limit 6056, slack timer restarts at 3 ms
  REQUIRE(d.limit == 6056);
  // Two frames in flight, one completes and one is queued every ms: busy,
  // never starved. Slack = 6056 - 2 * 1514 = 3028 each time.
  d.queued(1514);
  d.queued(1514);
  int ms = 4;
  for (; ms <= 1003; ++ms) {
    d.completed(1514, at_ms(ms));
    d.queued(1514);
    CHECK(d.avail() >= 0);
  }
  CHECK(d.limit == 6056);  // 1003 ms is not after 3 ms + 1 s
  d.completed(1514, at_ms(ms));
  d.queued(1514);
  CHECK(d.limit == 3028);
  // With the limit at what the load needs, the slack is 0: it stays.
  for (++ms; ms <= 3000; ++ms) {
    d.completed(1514, at_ms(ms));
    d.queued(1514);
  }
  CHECK(d.limit == 3028);
}

TEST_CASE("BQL: min/max clamp, avail stops and starts, counters wrap", "[qdisc][bql]") {
  Dql d;
  d.min_limit = 5000;
  d.reset(t0);
  CHECK(d.limit == 5000);
  d.queued(4000);
  CHECK(d.avail() == 1000);  // queue keeps going
  d.queued(1514);
  CHECK(d.avail() < 0);      // stop
  d.completed(1514, at_ms(1));
  CHECK(d.avail() >= 0);     // start again

  Dql m;
  m.max_limit = 2000;
  m.reset(t0);
  m.queued(9000);
  m.completed(9000, at_ms(1));
  CHECK(m.limit == 2000);

  // 30 rounds of 200 MB: the u32 counters wrap past 4 GiB (adj_limit at
  // round 21, num_queued at 22); avail stays limit - inflight throughout.
  Dql w;
  w.reset(t0);
  for (int i = 0; i < 30; ++i) {
    w.queued(200'000'000);
    w.completed(200'000'000, at_ms(i + 1));
    REQUIRE(w.avail() == int64_t{w.limit});
  }
  CHECK(w.limit == 200'000'000);
  CHECK(Dql::kMaxLimit == 0x70000000u);  // (UINT_MAX / 2) - (UINT_MAX / 16)
}

// ------------------------------------------------------------ make_qdisc

TEST_CASE("make_qdisc refuses parameters that do not apply, demands required ones", "[qdisc][api]") {
  FakeEnv env;
  auto msg = [&](const QdiscSpec& s) -> std::string {
    try {
      make(env, s);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  QdiscSpec p = kind("pfifo");
  p.rate_bps = 1000000;
  CHECK(msg(p) == "\"rate_bps\": not a parameter of pfifo");
  QdiscSpec pf = kind("pfifo_fast");
  pf.limit = 10;
  CHECK(msg(pf) == "\"limit\": not a parameter of pfifo_fast");
  QdiscSpec fq = kind("fq_codel");
  fq.burst = 10;
  CHECK(msg(fq) == "\"burst\": not a parameter of fq_codel");
  fq = kind("fq_codel");
  fq.flows = 0;
  CHECK(msg(fq).rfind("\"flows\"", 0) == 0);

  QdiscSpec t = kind("tbf");
  CHECK(msg(t).rfind("\"rate_bps\"", 0) == 0);
  t.rate_bps = 1'000'000;
  CHECK(msg(t).rfind("\"burst\"", 0) == 0);
  t.burst = 10000;
  CHECK(msg(t).rfind("\"limit_bytes\"", 0) == 0);
  t.latency = sim::ms(10);
  CHECK(msg(t).empty());
  t.limit_bytes = 10000;
  CHECK(msg(t).rfind("\"latency\"", 0) == 0);
  t.latency.reset();
  t.peakrate_bps = 2'000'000;
  CHECK(msg(t).rfind("\"mtu\"", 0) == 0);
  t.mtu = 1514;
  CHECK(msg(t).empty());
  t.peakrate_bps = 1'000'000;
  CHECK(msg(t).rfind("\"peakrate_bps\"", 0) == 0);
  t.peakrate_bps.reset();
  t.mtu.reset();
  t.limit = 5;
  CHECK(msg(t) == "\"limit\": not a parameter of tbf");
  t.limit.reset();
  auto bad_child = std::make_shared<QdiscSpec>(kind("pfifo"));
  bad_child->burst = 3;
  t.child = bad_child;
  CHECK(msg(t) == "\"burst\": not a parameter of pfifo");

  CHECK(msg(kind("codel")).find("pfifo_fast, pfifo, bfifo, tbf, fq_codel, noqueue") !=
        std::string::npos);
  CHECK(qdisc_kinds().size() == 6);
}

// ------------------------------------------------------------ conservation

TEST_CASE("every skb is sent, dropped with a reason, or still queued", "[qdisc][conservation]") {
  for (const char* k : {"pfifo_fast", "pfifo", "bfifo", "tbf", "fq_codel"}) {
    DYNAMIC_SECTION(k) {
      FakeEnv env;
      QdiscSpec s = kind(k);
      if (s.kind == "tbf") {
        s.rate_bps = 20'000'000;
        s.burst = 5000;
        s.limit_bytes = 30'000;
      }
      if (s.kind == "fq_codel") s.limit = 40;
      auto q = make(env, s, /*txqlen=*/30);
      sim::Rng rng(7);
      uint64_t sent = 0;
      for (int step = 0; step < 20000; ++step) {
        env.sch.run_until(env.sch.now() + sim::us(static_cast<int64_t>(rng.below(200))));
        if (rng.below(3) != 0) {
          Udp u;
          u.sport = static_cast<uint16_t>(1000 + rng.below(8));
          u.frame_len = static_cast<uint32_t>(64 + rng.below(1451));
          u.tos = static_cast<uint8_t>(rng.below(256));
          q->enqueue(make_udp(env.pool, env.sch.now(), u), env.sch.now());
        } else if (SkBuff* skb = q->dequeue(env.sch.now())) {
          sent++;
          env.pool.consume(skb);
        }
      }
      CHECK(env.drops.size() > 0);
      CHECK(sent > 0);
      CHECK(q->stats.drops == env.drops.size());
      CHECK(q->stats.packets == sent);
      CHECK(env.pool.created() == sent + env.drops.size() + q->stats.qlen);
      CHECK(env.pool.alive() == q->stats.qlen);
      for (const auto& d : env.drops)
        CHECK((d.reason == DropReason::QDISC_DROP || d.reason == DropReason::QDISC_OVERLIMIT ||
               d.reason == DropReason::CODEL_DROP));
      // reset() drops what is left, and the accounts still balance.
      q->reset();
      CHECK(q->stats.qlen == 0);
      CHECK(q->stats.backlog == 0);
      CHECK(env.pool.alive() == 0);
      CHECK(env.pool.balanced());
    }
  }
}
