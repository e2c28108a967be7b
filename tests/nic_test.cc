// NIC model: MAC timing, PCIe DMA, rings and queue stop/wake, BQL,
// interrupt moderation, NAPI, RX drops, offloads, link loss, switch, and
// skb conservation. The stack side is a fake DevCore that records what the
// driver asks of it and runs NAPI polls as interrupt-level Cpu work.
#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "nic_model/driver.h"
#include "nic_model/link.h"
#include "nic_model/mac.h"
#include "nic_model/nic.h"
#include "nic_model/pcie.h"
#include "nic_model/switch.h"
#include "sim/cpu.h"
#include "sim/rng.h"
#include "stack/skbuff.h"
#include "stack/steps.h"
#include "stack/wire.h"

using namespace nic_model;
using stack::Csum;
using stack::DropReason;
using stack::MacAddr;
using stack::SkBuff;

namespace Catch {
template <>
struct StringMaker<sim::Duration> {
  static std::string convert(sim::Duration d) { return std::to_string(d.ns()) + " ns"; }
};
template <>
struct StringMaker<sim::Time> {
  static std::string convert(sim::Time t) { return "t=" + std::to_string(t.ns()) + " ns"; }
};
}  // namespace Catch

namespace {

MacAddr mac(uint8_t last) { return MacAddr{{0x02, 0, 0, 0, 0, last}}; }
constexpr uint32_t kIpA = 0x0a000001, kIpB = 0x0a000002;

// An Ethernet + IPv4 + UDP frame with `payload` bytes. With `partial` the
// UDP checksum is left to the hardware as Linux leaves it: the
// pseudo-header sum in the field, CHECKSUM_PARTIAL.
SkBuff* make_udp(stack::SkbPool& pool, sim::Time now, MacAddr dst, MacAddr src,
                 uint32_t payload, bool partial, uint8_t fill = 0) {
  const uint32_t len = 14 + 20 + 8 + payload;
  SkBuff* s = pool.alloc(len, now);
  uint8_t* p = s->put(len);
  stack::EthHdr eth{dst, src, stack::ETH_P_IP};
  eth.emit(p);
  stack::Ipv4Hdr ip;
  ip.tot_len = static_cast<uint16_t>(20 + 8 + payload);
  ip.id = 7;
  ip.protocol = stack::IPPROTO_UDP;
  ip.saddr = kIpA;
  ip.daddr = kIpB;
  ip.emit(p + 14);
  uint8_t* udp = p + 34;
  for (uint32_t i = 0; i < payload; ++i) udp[8 + i] = static_cast<uint8_t>(i * 7 + fill);
  const uint16_t ulen = static_cast<uint16_t>(8 + payload);
  stack::UdpHdr uh{1000, 2000, ulen, 0};
  const uint32_t pseudo = stack::csum_pseudo(kIpA, kIpB, stack::IPPROTO_UDP, ulen);
  if (partial) {
    uh.check = static_cast<uint16_t>(~stack::csum_fold(pseudo));  // udp4_hwcsum()
    s->ip_summed = Csum::kPartial;
    s->csum_start = static_cast<uint16_t>(s->data + 34);
    s->csum_offset = 6;
  }
  uh.emit(udp);
  if (!partial) {
    uint16_t c = stack::csum_fold(stack::csum_partial(udp, ulen, pseudo));
    stack::wr16(udp + 6, c == 0 ? 0xffff : c);
  }
  s->protocol = stack::ETH_P_IP;
  return s;
}

// A TCP skb of `payload` bytes for TSO with segment size `mss`.
SkBuff* make_tcp_gso(stack::SkbPool& pool, sim::Time now, MacAddr dst, MacAddr src,
                     uint32_t payload, uint16_t mss) {
  const uint32_t len = 14 + 20 + 20 + payload;
  SkBuff* s = pool.alloc(len, now);
  uint8_t* p = s->put(len);
  stack::EthHdr{dst, src, stack::ETH_P_IP}.emit(p);
  stack::Ipv4Hdr ip;
  ip.tot_len = static_cast<uint16_t>(len - 14);
  ip.id = 100;
  ip.frag_off = stack::IP_DF;
  ip.protocol = stack::IPPROTO_TCP;
  ip.saddr = kIpA;
  ip.daddr = kIpB;
  ip.emit(p + 14);
  uint8_t* tcp = p + 34;
  std::memset(tcp, 0, 20);
  stack::wr16(tcp, 5000);
  stack::wr16(tcp + 2, 80);
  stack::wr32(tcp + 4, 1000000);  // seq
  stack::wr32(tcp + 8, 1);        // ack
  tcp[12] = 5 << 4;
  tcp[13] = 0x10 | 0x08 | 0x01;   // ACK PSH FIN
  stack::wr16(tcp + 14, 65535);
  for (uint32_t i = 0; i < payload; ++i) tcp[20 + i] = static_cast<uint8_t>(i);
  s->gso_size = mss;
  s->ip_summed = Csum::kPartial;
  s->csum_start = static_cast<uint16_t>(s->data + 34);
  s->csum_offset = 16;
  return s;
}

bool udp_checksum_valid(const uint8_t* frame, uint32_t len) {
  stack::Ipv4Hdr ip;
  if (!ip.parse(frame + 14, len - 14)) return false;
  const uint8_t* udp = frame + 14 + ip.hdr_len();
  const uint16_t ulen = stack::rd16(udp + 4);
  if (stack::rd16(udp + 6) == 0) return false;  // "no checksum" is not a valid one here
  const uint32_t pseudo = stack::csum_pseudo(ip.saddr, ip.daddr, stack::IPPROTO_UDP, ulen);
  return stack::csum_fold(stack::csum_partial(udp, ulen, pseudo)) == 0;
}

bool tcp_checksum_valid(const uint8_t* frame, uint32_t len) {
  stack::Ipv4Hdr ip;
  if (!ip.parse(frame + 14, len - 14)) return false;
  const uint8_t* tcp = frame + 14 + ip.hdr_len();
  const uint16_t tlen = static_cast<uint16_t>(ip.tot_len - ip.hdr_len());
  const uint32_t pseudo = stack::csum_pseudo(ip.saddr, ip.daddr, stack::IPPROTO_TCP, tlen);
  return stack::csum_fold(stack::csum_partial(tcp, tlen, pseudo)) == 0;
}

// A host: one CPU, a fake device layer, a NetDevice, a NIC and its driver.
class TestHost final : public stack::DevCore {
 public:
  TestHost(sim::Scheduler& s, stack::SkbPool& pool, const NicConfig& cfg, uint8_t mac_last,
           sim::TraceBus* bus = nullptr)
      : sched(s),
        pool_(pool),
        cpu0(s, bus ? sim::Tracer(bus, 0, bus->add_track(0, sim::TrackKind::kCpu, 0, "cpu0"))
                    : sim::Tracer{},
             0),
        nic(s, pool, cfg, mac(mac_last),
            bus ? sim::Tracer(bus, 0, bus->add_track(0, sim::TrackKind::kNicQueue, 0, "eth0"))
                : sim::Tracer{}),
        drv(*this, dev, nic),
        tx_work(this) {
    dev.name = "eth0";
  }
  void open() { drv.open(1); }

  // --- DevCore
  sim::Cpu& cpu(uint16_t) override { return cpu0; }
  stack::SkbPool& pool() override { return pool_; }
  void napi_schedule(sim::Cpu& c, stack::NapiStruct& napi) override {
    napi_sched_times.push_back(c.now());
    if (napi.scheduled) return;
    napi.scheduled = true;
    auto& w = softirq_[&napi];
    if (!w) w = std::make_unique<NetRx>(this, &napi);
    c.submit(*w, c.now());
  }
  bool napi_complete_done(sim::Cpu&, stack::NapiStruct& napi, int) override {
    ++completes;
    napi.scheduled = false;
    return true;
  }
  void netif_receive_skb(sim::Cpu& c, SkBuff* skb) override {
    Rx r;
    r.t = c.now();
    r.bytes.assign(skb->data_ptr(), skb->data_ptr() + skb->len());
    r.csum = skb->ip_summed;
    r.proto = skb->protocol;
    r.dev_ok = skb->dev == &dev;
    rx.push_back(std::move(r));
    pool_.consume(skb);
  }
  void netif_tx_wake_queue(sim::Cpu& c, stack::NetdevQueue& txq) override {
    ++wakes;
    wake_unused.push_back(nic.tx_ring(txq.index).unused());
    txq.drv_xoff = false;
    if (!backlog.empty()) c.submit(tx_work, c.now());
  }
  void netdev_tx_completed_queue(sim::Cpu& c, stack::NetdevQueue& txq, uint32_t pkts,
                                 uint32_t bytes) override {
    if (pkts == 0) return;
    completed_pkts += pkts;
    completed_bytes += bytes;
    if (txq.drv_xoff) cleaned_while_stopped_unused.push_back(nic.tx_ring(txq.index).unused());
    // Stand-in for dql_completed(): the fake lifts a BQL stop at once.
    if (txq.stack_xoff) {
      txq.stack_xoff = false;
      ++bql_wakes;
      if (!backlog.empty()) c.submit(tx_work, c.now());
    }
  }
  void dev_consume_skb(sim::Cpu&, SkBuff* skb) override {
    ++tx_consumed;
    pool_.consume(skb);
  }
  void dev_kfree_skb(sim::Cpu&, SkBuff* skb, DropReason r) override { pool_.drop(skb, r); }

  // A tiny qdisc: skbs wait in `backlog` and go to the driver while the
  // queue runs (a BUSY one goes back to the head).
  void send(SkBuff* skb, sim::Time at) {
    backlog.push_back(skb);
    cpu0.submit(tx_work, at);
  }
  uint32_t held() const {
    return static_cast<uint32_t>(backlog.size()) + drv.skbs_held() + nic.skbs_held();
  }

  struct Rx {
    sim::Time t;
    std::vector<uint8_t> bytes;
    Csum csum;
    uint16_t proto;
    bool dev_ok;
  };
  sim::Scheduler& sched;
  stack::SkbPool& pool_;
  sim::Cpu cpu0;
  stack::NetDevice dev;
  Nic nic;
  IxgbeDriver drv;
  std::vector<Rx> rx;
  std::vector<sim::Time> napi_sched_times;
  std::vector<int> poll_work;
  std::vector<uint32_t> wake_unused, cleaned_while_stopped_unused;
  std::deque<SkBuff*> backlog;
  uint64_t completes = 0, wakes = 0, bql_wakes = 0, completed_pkts = 0, completed_bytes = 0;
  uint64_t tx_consumed = 0, busy_returns = 0;
  bool xmit_more_all_but_last = false;

 private:
  // NET_RX_SOFTIRQ for one NAPI context: poll with its weight; a poll that
  // used the whole weight stays scheduled and runs again.
  struct NetRx final : sim::Cpu::Work {
    NetRx(TestHost* h, stack::NapiStruct* n) : Work(Level::kIrq), host(h), napi(n) {}
    TestHost* host;
    stack::NapiStruct* napi;
    void run(sim::Cpu& c) override {
      const int w = napi->poll->napi_poll(c, napi->weight);
      host->poll_work.push_back(w);
      if (w >= napi->weight) c.submit(*this, c.now());
    }
  };
  struct TxWork final : sim::Cpu::Work {
    explicit TxWork(TestHost* h) : host(h) {}
    TestHost* host;
    void run(sim::Cpu& c) override {
      stack::NetdevQueue& txq = host->dev.tx[0];
      while (!host->backlog.empty() && !txq.stopped()) {
        SkBuff* skb = host->backlog.front();
        host->drv.set_xmit_more(host->xmit_more_all_but_last && host->backlog.size() > 1);
        if (host->drv.ndo_start_xmit(c, skb, txq) == stack::NetdevTx::kBusy) {
          ++host->busy_returns;
          break;
        }
        host->backlog.pop_front();
      }
    }
  };
  std::map<stack::NapiStruct*, std::unique_ptr<NetRx>> softirq_;
  TxWork tx_work;
};

// Two hosts on a point-to-point link.
struct Pair {
  explicit Pair(NicConfig ca, NicConfig cb, LinkConfig lc = {}, uint64_t seed = 1)
      : link(sched, pool, lc, sim::Rng::stream(seed, "link/ab/loss")),
        a(sched, pool, ca, 1),
        b(sched, pool, cb, 2) {
    a.nic.attach_link(link, 0);
    b.nic.attach_link(link, 1);
    a.open();
    b.open();
  }
  sim::Scheduler sched;
  stack::SkbPool pool;
  Link link;
  TestHost a, b;
};

// Injects a frame into a Port at a given time.
struct Injector {
  struct Ev final : sim::Event {
    Port* port = nullptr;
    SkBuff* f = nullptr;
    void fire() override { port->receive_frame(f); }
  };
  std::vector<std::unique_ptr<Ev>> evs;
  void at(sim::Scheduler& s, sim::Time t, Port* p, SkBuff* f) {
    evs.push_back(std::make_unique<Ev>());
    evs.back()->port = p;
    evs.back()->f = f;
    s.schedule(*evs.back(), t);
  }
};

// A Port that keeps what it receives (a sink at the end of a link).
struct SinkPort final : Port {
  stack::SkbPool* pool = nullptr;
  sim::Scheduler* sched = nullptr;
  std::vector<std::vector<uint8_t>> frames;
  std::vector<sim::Time> times;
  void receive_frame(SkBuff* f) override {
    frames.emplace_back(f->data_ptr(), f->data_ptr() + f->len());
    times.push_back(sched->now());
    pool->consume(f);
  }
};

struct TapLog final : FrameTap {
  std::vector<std::vector<uint8_t>> tx, rx;
  std::vector<sim::Time> tx_t;
  void on_frame(sim::Time t, const uint8_t* d, uint32_t len, bool is_tx) override {
    (is_tx ? tx : rx).emplace_back(d, d + len);
    if (is_tx) tx_t.push_back(t);
  }
};

// A 1 GbE NIC. BQL off: the fake device layer has no dql_completed(), so
// with BQL on it would send one packet per completion (the BQL test turns
// it on).
NicConfig gig() {
  NicConfig c;
  c.line_rate_bps = 1000000000ull;
  c.bql = false;
  return c;
}

NicConfig tengig() {
  NicConfig c;
  c.bql = false;
  return c;
}

sim::Time at_us(int64_t us) { return sim::Time::zero() + sim::us(us); }

}  // namespace

// ------------------------------------------------------------------- MAC

TEST_CASE("a 1514-byte frame occupies 12.304 us at 1 Gbit/s with preamble, FCS and IFG",
          "[nic][mac]") {
  MacSerializer m(sim::Rate{1000000000});
  const sim::Duration frame = m.frame(1514);
  const sim::Duration gap = m.gap();
  // (8 + 1514 + 4) * 8 = 12208 bits of frame, then 96 bits of gap.
  CHECK(frame == sim::ns(12208));
  CHECK(gap == sim::ns(96));
  CHECK(frame + gap == sim::ns(12304));
}

TEST_CASE("short frames are padded to 60 bytes + FCS", "[nic][mac]") {
  MacSerializer m(sim::Rate{1000000000});
  // A 42-byte ARP frame goes out as 60 + 4: 84 byte times with preamble and IFG.
  CHECK(m.frame(42) + m.gap() == sim::ns(672));
  CHECK(m.frame(60) + m.gap() == sim::ns(672));
  CHECK(m.frame(61) + m.gap() == sim::ns(680));
  CHECK(frame_wire_bits(1) == frame_wire_bits(60));
}

TEST_CASE("back-to-back frames are exact over a million frames", "[nic][mac]") {
  // At 10 Gbit/s a 1514-byte frame slot is 1230.4 ns: the 0.4 ns must not
  // be lost or rounded up a million times.
  MacSerializer m(sim::Rate{10000000000ull});
  sim::Duration total;
  for (int i = 0; i < 1000000; ++i) total += m.frame(1514) + m.gap();
  CHECK(total == sim::ns(1230400000));
  // An odd rate: 64-byte frames (84 byte slots) at 3 Gbit/s: 224 ns each.
  MacSerializer m3(sim::Rate{3000000000ull});
  sim::Duration t3;
  for (int i = 0; i < 1000000; ++i) t3 += m3.frame(60) + m3.gap();
  CHECK(t3 == sim::ns(224000000));
}

// ------------------------------------------------------------------ PCIe

namespace {
struct DoneRecorder final : DmaClient {
  sim::Scheduler* sched = nullptr;
  std::vector<sim::Time> done;
  void dma_complete(DmaOp&) override { done.push_back(sched->now()); }
};
}  // namespace

TEST_CASE("PCIe Gen2 x8 DMA read of a 1514-byte buffer, hand-computed", "[nic][pcie]") {
  // Gen2: 5 GT/s per lane, 8b/10b -> 4 Gbit/s per lane, x8 = 32 Gbit/s =
  // 4 bytes/ns per direction. MRRS 512, MPS 256, 24 bytes per TLP, 500 ns.
  // Requests (24 B, 6 ns each) leave at 0-6, 6-12, 12-18 ns.
  // Completions, downstream: req 1 from 506: 2 x 280 B = 140 ns -> 646;
  // req 2 queues behind: 646 -> 786; req 3 (490 B): 280 B + 258 B =
  // 70 + 64.5 ns -> 920.5, the BitClock gives 920 (and carries the 0.5).
  sim::Scheduler s;
  NicConfig cfg;  // Gen2 x8 by default
  PcieLink pcie(s, cfg);
  CHECK(pcie.effective_bps() == 32000000000ull);
  DoneRecorder rec;
  rec.sched = &s;
  DmaOp op;
  op.client = &rec;
  op.len = 1514;
  pcie.read(op);
  s.run_until(at_us(10));
  REQUIRE(rec.done.size() == 1);
  CHECK(rec.done[0] == sim::Time::zero() + sim::ns(920));
  CHECK(pcie.stats().read_requests == 3);
  CHECK(pcie.stats().tlps_down == 6);
}

TEST_CASE("the outstanding-read limit throttles DMA reads", "[nic][pcie]") {
  // One tag: each request waits for the previous one's last completion.
  // req1: 0-6, data 506-646; req2: 646-652, data 1152-1292;
  // req3: 1292-1298, data 1798-1932.5 -> 1932.
  sim::Scheduler s;
  NicConfig cfg;
  cfg.dma_max_outstanding_reads = 1;
  PcieLink pcie(s, cfg);
  DoneRecorder rec;
  rec.sched = &s;
  DmaOp op;
  op.client = &rec;
  op.len = 1514;
  pcie.read(op);
  s.run_until(at_us(10));
  REQUIRE(rec.done.size() == 1);
  CHECK(rec.done[0] == sim::Time::zero() + sim::ns(1932));
  CHECK(pcie.stats().tag_stalls > 0);

  // Two 64 KB reads with 16 tags vs 2 tags: fewer tags, longer.
  auto two_reads = [](uint32_t tags) {
    sim::Scheduler s2;
    NicConfig c;
    c.dma_max_outstanding_reads = tags;
    PcieLink p(s2, c);
    DoneRecorder r;
    r.sched = &s2;
    DmaOp a, b;
    a.client = b.client = &r;
    a.len = b.len = 65536;
    p.read(a);
    p.read(b);
    s2.run_until(at_us(1000));
    return r.done.back() - sim::Time::zero();
  };
  // With 16 tags x 512 B in flight the link is the limit: 131072 B of data
  // + 512 TLPs x 24 B over 4 B/ns ~ 35.8 us. With 2 tags, each 512-byte
  // request costs a round trip: about 128 x 640 ns ~ 82 us.
  const sim::Duration fast = two_reads(16), slow = two_reads(2);
  CHECK(fast < sim::us(40));
  CHECK(slow > sim::us(80));
}

TEST_CASE("DMA writes are posted and ordered with MMIO arriving after its latency",
          "[nic][pcie]") {
  sim::Scheduler s;
  NicConfig cfg;
  PcieLink pcie(s, cfg);
  DoneRecorder rec;
  rec.sched = &s;
  DmaOp w;
  w.client = &rec;
  w.len = 16;  // a descriptor write-back: 40 B TLP = 10 ns, + 250 ns
  pcie.write(w);
  s.run_until(at_us(1));
  REQUIRE(rec.done.size() == 1);
  CHECK(rec.done[0] == sim::Time::zero() + sim::ns(260));
  CHECK(pcie.mmio_arrival(at_us(1)) == at_us(1) + sim::ns(300));
  // A write issued earlier by a CPU whose clock is behind does not overtake.
  CHECK(pcie.mmio_arrival(at_us(1) - sim::ns(100)) == at_us(1) + sim::ns(300));
}

// ------------------------------------------------------ TX path, end to end

TEST_CASE("frames cross NIC, PCIe, MAC and link back to back at line rate", "[nic][tx]") {
  LinkConfig lc;
  lc.rate_bps = 1000000000ull;
  lc.delay = sim::us(5);
  Pair p(tengig(), tengig(), lc);  // 10G NICs negotiate down to the 1G link
  CHECK(p.a.nic.mac_rate().bps == 1000000000ull);
  for (int i = 0; i < 200; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 1472, false), sim::Time::zero());
  p.sched.run_until(at_us(5000));
  REQUIRE(p.b.rx.size() == 200);
  CHECK(p.a.nic.stats().tx_packets == 200);
  CHECK(p.b.nic.stats().rx_packets == 200);
  CHECK(p.a.tx_consumed == 200);
  CHECK(p.link.stats(0).delivered == 200);
}

TEST_CASE("the wire tap sees frames start exactly one slot apart", "[nic][tx][tap]") {
  LinkConfig lc;
  lc.rate_bps = 1000000000ull;
  Pair p(gig(), gig(), lc);
  TapLog tap_a, tap_b;
  p.a.nic.set_frame_tap(&tap_a);
  p.b.nic.set_frame_tap(&tap_b);
  for (int i = 0; i < 100; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 1472, false,
                      static_cast<uint8_t>(i)),
             sim::Time::zero());
  p.sched.run_until(at_us(5000));
  REQUIRE(tap_a.tx.size() == 100);
  REQUIRE(tap_b.rx.size() == 100);
  for (size_t i = 1; i < tap_a.tx_t.size(); ++i)
    CHECK(tap_a.tx_t[i] - tap_a.tx_t[i - 1] == sim::ns(12304));
  // The bytes on the wire are the bytes that arrive, and what the stack gets.
  CHECK(tap_a.tx[57] == tap_b.rx[57]);
  CHECK(p.b.rx[57].bytes == tap_b.rx[57]);
  CHECK(p.b.rx[57].dev_ok);
  CHECK(p.b.rx[57].proto == stack::ETH_P_IP);
}

TEST_CASE("ring full stops the queue; TX clean wakes it at TX_WAKE_THRESHOLD", "[nic][ring]") {
  NicConfig c = gig();
  c.tx_ring = 64;  // ixgbe's minimum (IXGBE_MIN_TXD)
  c.bql = false;
  // A small TX FIFO: descriptors complete at the wire's pace, a few per
  // poll (with the default 160 KB the whole ring's data is fetched, and
  // written back, long before the wire is done with it).
  c.tx_fifo_bytes = 4096;
  Pair p(c, gig());
  // 63 usable descriptors, one per packet (no offload); the queue stops when
  // fewer than DESC_NEEDED = 21 are free: after the 43rd packet.
  for (int i = 0; i < 100; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 1000, false), sim::Time::zero());
  p.sched.run_until(sim::Time::zero() + sim::ns(1));
  CHECK(p.a.dev.tx[0].drv_xoff);
  CHECK(p.a.backlog.size() == 100 - 43);
  CHECK(p.a.nic.tx_ring(0).unused() == 20);
  CHECK(p.a.drv.stats().tx_stopped == 1);
  p.sched.run_until(at_us(20000));
  // Everything went out; every wake found at least TX_WAKE_THRESHOLD free.
  CHECK(p.b.rx.size() == 100);
  CHECK(p.a.wakes >= 1);
  CHECK(p.a.drv.stats().tx_restart_queue == p.a.wakes);
  for (uint32_t u : p.a.wake_unused) CHECK(u >= IxgbeDriver::kTxWakeThreshold);
  // Cleaning at 1 Gbit/s returns descriptors a few at a time: some cleans
  // left the queue stopped because fewer than 42 were free.
  bool below = false;
  for (uint32_t u : p.a.cleaned_while_stopped_unused) below |= u < IxgbeDriver::kTxWakeThreshold;
  CHECK(below);
}

TEST_CASE("ndo_start_xmit returns BUSY when count + 3 descriptors are not free", "[nic][ring]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c = gig();
  c.tx_ring = 8;
  TestHost h(s, pool, c, 1);
  h.open();
  for (int i = 0; i < 6; ++i) h.send(make_udp(pool, s.now(), mac(2), mac(1), 100, false), s.now());
  // The fake qdisc stops at drv_xoff; call the driver directly to see BUSY.
  s.run_until(sim::Time::zero());
  CHECK(h.dev.tx[0].drv_xoff);
  const uint32_t queued = 6 - static_cast<uint32_t>(h.backlog.size());
  CHECK(queued == 1);  // 7 free < 21 after the first: stopped at once
  struct Direct final : sim::Cpu::Work {
    TestHost* h;
    std::vector<stack::NetdevTx> rc;
    void run(sim::Cpu& cpu) override {
      while (!h->backlog.empty()) {
        auto r = h->drv.ndo_start_xmit(cpu, h->backlog.front(), h->dev.tx[0]);
        rc.push_back(r);
        if (r == stack::NetdevTx::kBusy) break;
        h->backlog.pop_front();
      }
    }
  } direct;
  direct.h = &h;
  h.cpu0.submit(direct, s.now());
  s.run_until(sim::Time::zero() + sim::ns(500));  // before any TX completion
  // 7 free: 1 used, then 6, 5, 4 accept (>= 4 = count + 3), 3 refuses.
  REQUIRE(direct.rc.size() == 4);
  CHECK(direct.rc.back() == stack::NetdevTx::kBusy);
  CHECK(h.drv.stats().tx_busy == 1);
  while (!h.backlog.empty()) {
    pool.consume(h.backlog.front());
    h.backlog.pop_front();
  }
}

TEST_CASE("BQL: the driver stops the queue over the limit and completion restarts it",
          "[nic][bql]") {
  NicConfig on = gig();
  on.bql = true;
  Pair p(on, gig());
  // dql starts with limit 0 (dql_init): the first packet puts the queue
  // over it; the rest wait until its completion.
  for (int i = 0; i < 5; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 500, false), sim::Time::zero());
  p.sched.run_until(sim::Time::zero() + sim::ns(1));
  CHECK(p.a.dev.tx[0].stack_xoff);
  CHECK(p.a.backlog.size() == 4);
  p.sched.run_until(at_us(2000));
  CHECK(p.a.bql_wakes >= 1);
  CHECK(p.b.rx.size() == 5);
  CHECK(p.a.completed_pkts == 5);
  CHECK(p.a.completed_bytes == 5 * (14 + 20 + 8 + 500));

  // With BQL off (ethtool/sysfs), nothing stops.
  NicConfig off = gig();
  off.bql = false;
  Pair q(off, gig());
  for (int i = 0; i < 5; ++i)
    q.a.send(make_udp(q.pool, q.sched.now(), mac(2), mac(1), 500, false), sim::Time::zero());
  q.sched.run_until(sim::Time::zero() + sim::ns(1));
  CHECK_FALSE(q.a.dev.tx[0].stack_xoff);
  CHECK(q.a.backlog.empty());
}

TEST_CASE("xmit_more batches doorbells: one tail write for the batch", "[nic][doorbell]") {
  NicConfig c = gig();
  c.bql = false;
  Pair p(c, gig());
  p.a.xmit_more_all_but_last = true;
  for (int i = 0; i < 3; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 100, false), sim::Time::zero());
  p.sched.run_until(at_us(500));
  CHECK(p.a.drv.stats().tx_doorbells == 1);
  CHECK(p.a.drv.stats().tx_xmit_more == 2);
  CHECK(p.b.rx.size() == 3);
}

// ------------------------------------------------------- interrupts, NAPI

TEST_CASE("interrupt moderation: frames within rx-usecs give one interrupt", "[nic][irq]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c;
  c.rx_usecs = sim::us(50);
  TestHost h(s, pool, c, 2);
  h.open();
  Injector inj;
  // One frame after a quiet spell: interrupts at once.
  inj.at(s, at_us(10), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  // Ten frames 1 us apart, inside the 50 us interval: one interrupt at its end.
  for (int i = 0; i < 10; ++i)
    inj.at(s, at_us(20 + i), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(200));
  CHECK(h.rx.size() == 11);
  CHECK(h.nic.vector(0).stats().interrupts == 2);
  REQUIRE(h.napi_sched_times.size() == 2);
  // The first fired when the frame's write-back completed (a little after
  // 10 us); the second exactly 50 us after the first fired, + MSI-X latency.
  const sim::Duration spacing = h.napi_sched_times[1] - h.napi_sched_times[0];
  CHECK(spacing == sim::us(50));
  CHECK(h.poll_work == std::vector<int>{1, 10});

  // rx-usecs 0: no moderation, one interrupt per frame when spaced apart.
  sim::Scheduler s2;
  stack::SkbPool pool2;
  NicConfig c0;
  c0.rx_usecs = sim::Duration::zero();
  TestHost h0(s2, pool2, c0, 2);
  h0.open();
  Injector inj2;
  for (int i = 0; i < 10; ++i)
    inj2.at(s2, at_us(20 + 10 * i), &h0.nic, make_udp(pool2, s2.now(), mac(2), mac(1), 100, false));
  s2.run_until(at_us(300));
  CHECK(h0.nic.vector(0).stats().interrupts == 10);
}

TEST_CASE("rx-frames fires the vector before the interval ends", "[nic][irq]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c;
  c.rx_usecs = sim::us(1000);
  c.rx_frames = 5;
  TestHost h(s, pool, c, 2);
  h.open();
  Injector inj;
  // (Not at time 0: the posted buffers reach the NIC after the RDT write
  // and a descriptor fetch, about 1 us after open.)
  inj.at(s, at_us(10), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  for (int i = 0; i < 5; ++i)
    inj.at(s, at_us(100 + i), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(300));
  REQUIRE(h.napi_sched_times.size() == 2);
  CHECK(h.napi_sched_times[1] < at_us(110));
  CHECK(h.rx.size() == 6);
}

TEST_CASE("NAPI budget 64: 100 queued RX frames take two polls", "[nic][napi]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c;
  c.rx_usecs = sim::us(200);
  TestHost h(s, pool, c, 2);
  h.open();
  Injector inj;
  inj.at(s, at_us(5), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  for (int i = 0; i < 100; ++i)
    inj.at(s, at_us(10) + sim::ns(500) * i, &h.nic,
           make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(1000));
  CHECK(h.rx.size() == 101);
  // First interrupt: 1 frame. Second: a poll that uses the whole budget
  // (stays scheduled), then one with the remaining 36 that completes.
  CHECK(h.poll_work == std::vector<int>{1, 64, 36});
  CHECK(h.completes == 2);
  CHECK(h.nic.vector(0).stats().interrupts == 2);
  CHECK(h.nic.stats().rx_missed_errors == 0);
}

TEST_CASE("RX with no posted buffers drops and counts rx_missed_errors", "[nic][rx]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c;
  c.rx_ring = 64;           // 63 buffers posted
  c.rx_usecs = sim::us(1000);  // no interrupt (so no refill) for 1 ms after the first
  TestHost h(s, pool, c, 2);
  h.open();
  Injector inj;
  for (int i = 0; i < 100; ++i)
    inj.at(s, at_us(10 + i), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(500));
  CHECK(h.nic.stats().rx_missed_errors == 37);
  CHECK(h.nic.stats().rx_no_dma_resources == 37);
  CHECK(pool.dropped(DropReason::NIC_RX_NO_BUFFER) == 37);
  s.run_until(at_us(1200));
  CHECK(h.rx.size() == 63);
  // After the poll refilled the ring, frames are accepted again.
  inj.at(s, at_us(1300), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(2500));
  CHECK(h.rx.size() == 64);
  CHECK(h.nic.stats().rx_missed_errors == 37);
}

TEST_CASE("RX filters: oversized frames and other hosts' unicast are dropped and counted",
          "[nic][rx]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  TestHost h(s, pool, NicConfig{}, 2);
  h.open();
  Injector inj;
  inj.at(s, at_us(1), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 1473, false));  // 1515 B
  inj.at(s, at_us(2), &h.nic, make_udp(pool, s.now(), mac(9), mac(1), 100, false));   // not ours
  inj.at(s, at_us(3), &h.nic, make_udp(pool, s.now(), MacAddr::broadcast(), mac(1), 100, false));
  inj.at(s, at_us(4), &h.nic, make_udp(pool, s.now(), mac(2), mac(1), 1472, false));  // 1514 B
  s.run_until(at_us(500));
  CHECK(h.nic.stats().rx_length_errors == 1);
  CHECK(pool.dropped(DropReason::NIC_RX_LENGTH) == 1);
  CHECK(h.nic.stats().rx_otherhost_dropped == 1);
  CHECK(pool.dropped(DropReason::OTHERHOST) == 1);
  CHECK(h.nic.stats().multicast == 1);
  CHECK(h.rx.size() == 2);
}

// --------------------------------------------------------------- offloads

TEST_CASE("TX checksum offload puts a valid UDP checksum on the wire", "[nic][csum]") {
  Pair p(gig(), gig());
  TapLog tap;
  p.a.nic.set_frame_tap(&tap);
  SkBuff* skb = make_udp(p.pool, p.sched.now(), mac(2), mac(1), 333, true);
  // Before the NIC: the field holds only the pseudo-header sum.
  CHECK_FALSE(udp_checksum_valid(skb->data_ptr(), skb->len()));
  p.a.send(skb, sim::Time::zero());
  p.sched.run_until(at_us(500));
  REQUIRE(tap.tx.size() == 1);
  CHECK(udp_checksum_valid(tap.tx[0].data(), static_cast<uint32_t>(tap.tx[0].size())));
  REQUIRE(p.b.rx.size() == 1);
  CHECK(udp_checksum_valid(p.b.rx[0].bytes.data(), static_cast<uint32_t>(p.b.rx[0].bytes.size())));
  // The receiver's hardware verified it.
  CHECK(p.b.rx[0].csum == Csum::kUnnecessary);
  CHECK(p.b.drv.stats().rx_csum_offload_good == 1);

  // With tx_checksum off the driver does not ask the NIC (the stack would
  // have summed in software): the frame goes out as it was and the
  // receiver's hardware flags it bad.
  NicConfig off = gig();
  off.tx_checksum = false;
  Pair q(off, gig());
  q.a.send(make_udp(q.pool, q.sched.now(), mac(2), mac(1), 333, true), sim::Time::zero());
  q.sched.run_until(at_us(500));
  REQUIRE(q.b.rx.size() == 1);
  CHECK(q.b.rx[0].csum == Csum::kNone);
  CHECK(q.b.drv.stats().rx_csum_offload_errors == 1);
}

TEST_CASE("TSO cuts a large TCP skb into MSS segments with fixed headers", "[nic][tso]") {
  NicConfig c = gig();
  c.tso = true;
  Pair p(c, gig());
  TapLog tap;
  p.a.nic.set_frame_tap(&tap);
  SkBuff* skb = make_tcp_gso(p.pool, p.sched.now(), mac(2), mac(1), 4000, 1460);
  p.a.send(skb, sim::Time::zero());
  p.sched.run_until(at_us(1000));
  REQUIRE(tap.tx.size() == 3);
  CHECK(tap.tx[0].size() == 1514);
  CHECK(tap.tx[1].size() == 1514);
  CHECK(tap.tx[2].size() == 54 + 4000 - 2 * 1460);
  for (int i = 0; i < 3; ++i) {
    const uint8_t* f = tap.tx[i].data();
    const uint32_t len = static_cast<uint32_t>(tap.tx[i].size());
    CHECK(stack::Ipv4Hdr::checksum_ok(f + 14, 20));
    CHECK(stack::rd16(f + 14 + 2) == len - 14);
    CHECK(stack::rd16(f + 14 + 4) == 100 + i);
    CHECK(stack::rd32(f + 34 + 4) == 1000000u + 1460u * i);
    CHECK(tcp_checksum_valid(f, len));
    const uint8_t flags = f[34 + 13];
    CHECK(((flags & 0x09) != 0) == (i == 2));  // FIN/PSH only on the last
    // The payload continues where the previous segment stopped.
    CHECK(f[54] == static_cast<uint8_t>(1460 * i));
  }
  CHECK(p.b.rx.size() == 3);
  CHECK(p.a.nic.stats().tx_tso_frames == 3);
  // BQL/stats count the bytes on the wire: headers repeated per segment.
  CHECK(p.a.completed_pkts == 3);
  CHECK(p.a.completed_bytes == 54 + 4000 + 2 * 54);
}

// -------------------------------------------------------------------- link

namespace {
std::vector<uint64_t> lossy_run(uint64_t seed, uint64_t* lost, uint64_t* dropped) {
  sim::Scheduler s;
  stack::SkbPool pool;
  LinkConfig lc;
  lc.loss_ppb32 = 429496730;  // 10% of 2^32
  Link l(s, pool, lc, sim::Rng::stream(seed, "link/l1/loss"));
  SinkPort sink;
  sink.pool = &pool;
  sink.sched = &s;
  SinkPort other;
  l.attach(0, &other);
  l.attach(1, &sink);
  for (int i = 0; i < 2000; ++i) {
    SkBuff* f = make_udp(pool, s.now(), mac(2), mac(1), 10, false);
    stack::wr32(f->data_ptr() + 42, static_cast<uint32_t>(i));
    l.transmit(0, f);
  }
  s.run_until(at_us(100));
  std::vector<uint64_t> got;
  for (auto& f : sink.frames) got.push_back(stack::rd32(f.data() + 42));
  *lost = l.stats(0).lost;
  *dropped = pool.dropped(DropReason::LINK_LOSS);
  CHECK(l.stats(0).delivered + l.stats(0).lost == 2000);
  CHECK(pool.alive() == 0);
  return got;
}
}  // namespace

TEST_CASE("link loss is reproducible per seed and counted", "[nic][link]") {
  uint64_t lost1, drop1, lost2, drop2, lost3, drop3;
  auto a = lossy_run(42, &lost1, &drop1);
  auto b = lossy_run(42, &lost2, &drop2);
  auto c = lossy_run(43, &lost3, &drop3);
  CHECK(a == b);
  CHECK(a != c);
  CHECK(lost1 == drop1);
  CHECK(lost1 == 2000 - a.size());
  CHECK(lost1 > 120);  // 10% of 2000 = 200, well within these bounds
  CHECK(lost1 < 280);
}

TEST_CASE("link delivers after the propagation delay, in order", "[nic][link]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  LinkConfig lc;
  lc.delay = sim::us(7);
  Link l(s, pool, lc, sim::Rng(1));
  SinkPort a, b;
  a.pool = b.pool = &pool;
  a.sched = b.sched = &s;
  l.attach(0, &a);
  l.attach(1, &b);
  l.transmit(0, make_udp(pool, s.now(), mac(2), mac(1), 10, false));
  s.run_until(at_us(3));
  l.transmit(1, make_udp(pool, s.now(), mac(1), mac(2), 10, false));
  s.run_until(at_us(20));
  REQUIRE(b.times.size() == 1);
  REQUIRE(a.times.size() == 1);
  CHECK(b.times[0] == at_us(7));
  CHECK(a.times[0] == at_us(10));
}

// ------------------------------------------------------------------ switch

TEST_CASE("a switch learns, floods unknown unicast, forwards known unicast to one port",
          "[nic][switch]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  LinkConfig lc;
  lc.delay = sim::ns(100);
  SwitchConfig sc;
  Switch sw(s, pool, sc, 3);
  std::vector<std::unique_ptr<Link>> links;
  SinkPort hosts[3];
  for (int i = 0; i < 3; ++i) {
    links.push_back(std::make_unique<Link>(s, pool, lc, sim::Rng(i)));
    hosts[i].pool = &pool;
    hosts[i].sched = &s;
    links[i]->attach(0, &hosts[i]);
    sw.attach(i, *links[i], 1);
  }
  // Host 0 (mac 1) -> mac 2, unknown: flooded to ports 1 and 2.
  links[0]->transmit(0, make_udp(pool, s.now(), mac(2), mac(1), 100, false));
  s.run_until(at_us(100));
  CHECK(hosts[1].frames.size() == 1);
  CHECK(hosts[2].frames.size() == 1);
  CHECK(hosts[0].frames.empty());
  uint32_t port = 99;
  CHECK(sw.lookup(mac(1), &port));
  CHECK(port == 0);
  // Host 1 (mac 2) -> mac 1: known, only port 0.
  links[1]->transmit(0, make_udp(pool, s.now(), mac(1), mac(2), 100, false));
  s.run_until(at_us(200));
  CHECK(hosts[0].frames.size() == 1);
  CHECK(hosts[2].frames.size() == 1);
  // Host 0 -> mac 2 again: now known, only port 1.
  const sim::Time t0 = s.now();
  links[0]->transmit(0, make_udp(pool, s.now(), mac(2), mac(1), 1472, false));
  s.run_until(at_us(400));
  CHECK(hosts[1].frames.size() == 2);
  CHECK(hosts[2].frames.size() == 1);
  // Store-and-forward: delay in, lookup latency, a full frame time out, delay.
  CHECK(hosts[1].times[1] - t0 == sim::ns(100) + sc.latency + sim::ns(12208) + sim::ns(100));
  // Broadcast floods.
  links[2]->transmit(0, make_udp(pool, s.now(), MacAddr::broadcast(), mac(3), 100, false));
  s.run_until(at_us(600));
  CHECK(hosts[0].frames.size() == 2);
  CHECK(hosts[1].frames.size() == 3);
  CHECK(sw.stats(1).flooded == 2);
  CHECK(sw.skbs_held() == 0);
  CHECK(pool.alive() == 0);
}

TEST_CASE("a switch output queue drops past its limit", "[nic][switch]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  SwitchConfig sc;
  sc.queue_packets = 100;
  Switch sw(s, pool, 2, sc.queue_packets);  // the scenario's constructor form
  LinkConfig lc;
  Link l0(s, pool, lc, sim::Rng(1)), l1(s, pool, lc, sim::Rng(2));
  SinkPort h0, h1;
  h0.pool = h1.pool = &pool;
  h0.sched = h1.sched = &s;
  l0.attach(0, &h0);
  l1.attach(0, &h1);
  sw.attach(0, l0, 1);
  sw.attach_port(1, l1, 1, 2u);  // port 1: 2 frames (a link's `queue` override)
  Injector inj;
  for (int i = 0; i < 5; ++i)
    inj.at(s, at_us(1), &sw.port(0), make_udp(pool, s.now(), mac(2), mac(1), 1000, false));
  s.run_until(at_us(200));
  CHECK(sw.stats(1).queue_drops == 3);
  CHECK(pool.dropped(DropReason::SWITCH_QUEUE_FULL) == 3);
  CHECK(h1.frames.size() == 2);
}

// ------------------------------------------------------------ conservation

TEST_CASE("conservation: every skb is consumed, dropped with a reason, or held", "[nic][pool]") {
  LinkConfig lc;
  lc.loss_ppb32 = 42949673;  // 1%
  NicConfig ca = gig(), cb = gig();
  ca.tx_ring = 64;
  cb.rx_ring = 64;
  cb.rx_usecs = sim::us(300);  // slow to refill: some RX misses
  Pair p(ca, cb, lc, 9);
  for (int i = 0; i < 500; ++i) {
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 200 + i, i % 2 == 0),
             at_us(i / 10));
    p.b.send(make_udp(p.pool, p.sched.now(), mac(1), mac(2), 64, false), at_us(i / 5));
  }
  auto check_balance = [&] {
    const uint64_t in_flight = p.link.in_flight();
    CHECK(p.pool.alive() == p.a.held() + p.b.held() + in_flight);
    CHECK(p.pool.created() ==
          p.pool.consumed() + p.pool.dropped_total() + p.pool.alive());
  };
  for (int step = 1; step <= 50; ++step) {
    p.sched.run_until(at_us(step * 37));
    check_balance();
  }
  p.sched.run_until(at_us(100000));
  check_balance();
  // At rest: only posted RX buffers are alive: the rings less what the
  // last polls used and left for the next refill (fewer than
  // IXGBE_RX_BUFFER_WRITE per ring).
  const uint32_t posted = p.a.drv.skbs_held() + p.b.drv.skbs_held();
  CHECK(p.pool.alive() == posted);
  CHECK(posted <= 63 + 511);
  CHECK(posted > 63 + 511 - 2 * IxgbeDriver::kRxBufferWrite);
  CHECK(p.a.nic.tx_ring(0).unused() == 63);
  CHECK(p.b.nic.stats().rx_missed_errors > 0);
  CHECK(p.pool.dropped(DropReason::LINK_LOSS) > 0);
  CHECK(p.b.rx.size() + p.b.nic.stats().rx_missed_errors + p.link.stats(0).lost == 500);
  CHECK(p.a.tx_consumed == 500);
  p.a.drv.free_rings();
  p.b.drv.free_rings();
  CHECK(p.pool.alive() == 0);
  CHECK(p.pool.dropped(DropReason::SIM_END) == posted);
}

// ------------------------------------------------------------------ tracing

namespace {
struct StepSink final : sim::TraceSink {
  std::map<uint16_t, int> steps;
  int depth = 0, min_depth = 0;
  std::vector<std::string> fns;
  void record(const sim::TraceRecord& r) override {
    ++steps[r.step];
    if (r.kind == sim::TraceKind::kEnter) ++depth;
    if (r.kind == sim::TraceKind::kExit) --depth;
    if (depth < min_depth) min_depth = depth;
    fns.emplace_back(r.fn);
  }
};
}  // namespace

TEST_CASE("every driver and NIC step is traced, enters and exits balance", "[nic][trace]") {
  sim::TraceBus bus;
  bus.add_host("h");
  StepSink sink;
  bus.subscribe(&sink);
  sim::Scheduler s;
  stack::SkbPool pool;
  LinkConfig lc;
  Link link(s, pool, lc, sim::Rng(1),
            sim::Tracer(&bus, 0, bus.add_track(0, sim::TrackKind::kWire, 0, "wire")));
  NicConfig c = gig();
  TestHost a(s, pool, c, 1, &bus), b(s, pool, c, 2, &bus);
  a.nic.attach_link(link, 0);
  b.nic.attach_link(link, 1);
  a.open();
  b.open();
  for (int i = 0; i < 3; ++i)
    a.send(make_udp(pool, s.now(), mac(2), mac(1), 100, true), at_us(5));
  s.run_until(at_us(500));
  REQUIRE(b.rx.size() == 3);
  namespace st = stack::step;
  for (uint16_t step : {st::kNic01, st::kNic02, st::kNic03, st::kNic04, st::kNic05, st::kNic06,
                        st::kNic07, st::kRx01, st::kRx02, st::kWire})
    CHECK(sink.steps[step] > 0);
  CHECK(sink.depth == 0);
  CHECK(sink.min_depth == 0);
}

// -------------------------------------------------------------- multiqueue

TEST_CASE("RSS spreads flows over RX queues, each with its own vector and NAPI", "[nic][rss]") {
  sim::Scheduler s;
  stack::SkbPool pool;
  NicConfig c;
  c.tx_queues = c.rx_queues = 2;
  TestHost h(s, pool, c, 2);
  h.open();
  REQUIRE(h.nic.num_vectors() == 2);
  REQUIRE(h.dev.tx.size() == 2);
  Injector inj;
  for (int i = 0; i < 64; ++i) {
    SkBuff* f = make_udp(pool, s.now(), mac(2), mac(1), 100, false);
    stack::wr16(f->data_ptr() + 34, static_cast<uint16_t>(1000 + i));  // source port: the flow
    inj.at(s, at_us(10 + i), &h.nic, f);
  }
  s.run_until(at_us(1000));
  CHECK(h.rx.size() == 64);
  const auto& st = h.nic.stats();
  CHECK(st.rx_queue_packets[0] > 0);
  CHECK(st.rx_queue_packets[1] > 0);
  CHECK(st.rx_queue_packets[0] + st.rx_queue_packets[1] == 64);
  CHECK(h.nic.vector(0).stats().interrupts > 0);
  CHECK(h.nic.vector(1).stats().interrupts > 0);
  // ethtool -S names the per-queue counters as ixgbe does.
  std::vector<std::pair<std::string, uint64_t>> names;
  h.drv.ethtool_stats(names);
  bool has_q1 = false;
  for (auto& [n, v] : names) has_q1 |= n == "rx_queue_1_packets" && v == st.rx_queue_packets[1];
  CHECK(has_q1);
}

TEST_CASE("a slower NIC negotiates the link down; both ends follow", "[nic][link]") {
  LinkConfig lc;
  lc.rate_bps = 10000000000ull;
  NicConfig fast = tengig(), slow = gig();
  Pair p(fast, slow, lc);
  CHECK(p.link.rate().bps == 1000000000ull);
  TapLog tap;
  p.a.nic.set_frame_tap(&tap);
  for (int i = 0; i < 3; ++i)
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 1472, false), sim::Time::zero());
  p.sched.run_until(at_us(500));
  REQUIRE(tap.tx_t.size() == 3);
  CHECK(tap.tx_t[2] - tap.tx_t[1] == sim::ns(12304));
  CHECK(p.a.nic.mac_rate().bps == 1000000000ull);
}

// Not run by default: `nic_test "[perf]"` pushes 200k frames A -> B at
// 10 Gbit/s to see the model's own speed (events per second).
TEST_CASE("throughput of the model itself", "[.][perf]") {
  LinkConfig lc;
  lc.rate_bps = 10000000000ull;
  Pair p(tengig(), tengig(), lc);
  const int n = 200000;
  // One frame per 1.5 us (about 8 Gbit/s of 1514-byte frames).
  for (int i = 0; i < n; ++i) {
    const sim::Time t = sim::Time::zero() + sim::ns(1500) * i;
    p.a.send(make_udp(p.pool, p.sched.now(), mac(2), mac(1), 1472, false), t);
    p.sched.run_until(t);
  }
  p.sched.run_until(at_us(n * 2));
  CHECK(p.b.rx.size() == static_cast<size_t>(n));
  CHECK(p.b.nic.stats().rx_missed_errors == 0);
  WARN("events: " << p.sched.events_executed());
}
