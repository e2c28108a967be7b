// IP fragmentation (ip_fragment/ip_do_fragment) and reassembly (ip_defrag):
// sizes and offsets computed by hand, bytes compared with the original,
// RFC 5722 overlaps, duplicates, the reassembly timer on the timer wheel,
// the memory limit, and skb conservation in every case.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sim/cpu.h"
#include "sim/scheduler.h"
#include "sim/trace.h"
#include "stack/ip_fragment.h"
#include "stack/skbuff.h"
#include "stack/snmp.h"
#include "stack/sysctl.h"
#include "stack/wire.h"

using namespace stack;

namespace {

constexpr uint32_t kSrc = 0x0a000001;  // 10.0.0.1
constexpr uint32_t kDst = 0x0a000002;  // 10.0.0.2

struct Sink : sim::TraceSink {
  std::vector<sim::TraceRecord> recs;
  void record(const sim::TraceRecord& r) override { recs.push_back(r); }
  std::vector<sim::TraceRecord> of(const char* fn, sim::TraceKind k) const {
    std::vector<sim::TraceRecord> out;
    for (const auto& r : recs)
      if (std::string(r.fn) == fn && r.kind == k) out.push_back(r);
    return out;
  }
};

// The output of ip_do_fragment: keeps the fragments in order. May refuse
// the n-th (1-based), as a full qdisc would, dropping it.
struct Collect : FragOutput {
  SkbPool* pool = nullptr;
  std::vector<SkBuff*> frags;
  int fail_at = 0;
  int calls = 0;
  std::vector<uint32_t> frag_needed_mtu;
  int output(sim::Cpu&, SkBuff* f) override {
    if (++calls == fail_at) {
      pool->drop(f, DropReason::QDISC_DROP);
      return -ENOBUFS;
    }
    frags.push_back(f);
    return 0;
  }
  void frag_needed(sim::Cpu&, const SkBuff& skb, uint32_t mtu) override {
    Ipv4Hdr h;
    REQUIRE(h.parse(skb.data_ptr(), skb.len()));  // still the whole datagram
    frag_needed_mtu.push_back(mtu);
  }
};

// ICMP "fragment reassembly time exceeded" requests.
struct Ops : DefragOps {
  std::vector<Ipv4Hdr> heads;
  std::vector<const NetDevice*> devs;
  std::vector<uint32_t> lens;
  void frag_time_exceeded(const SkBuff& head) override {
    Ipv4Hdr h;
    REQUIRE(h.parse(head.data_ptr(), head.len()));
    heads.push_back(h);
    devs.push_back(head.dev);
    lens.push_back(head.len());
  }
};

struct World {
  sim::Scheduler sched;
  sim::TraceBus bus;
  Sink sink;
  SkbPool pool;
  IpMib mib;
  sim::Cpu cpu{sched, sim::Tracer(&bus, 0, 0), 0};
  NetDevice eth0;
  World() {
    bus.subscribe(&sink);
    eth0.name = "eth0";
  }
  uint64_t ip(IpMibField f) const { return mib.get(f); }
  // created == consumed + dropped + alive, and nothing freed twice.
  bool conserved() const {
    return pool.balanced() && pool.created() == pool.consumed() + pool.dropped_total() + pool.alive();
  }
};

// An IPv4/UDP datagram: 20-byte header (+ options), 8-byte UDP header,
// `payload` bytes of a pattern, real checksums. Data at the IP header.
std::vector<uint8_t> udp_datagram(uint32_t payload, uint16_t frag_off = 0, std::vector<uint8_t> opts = {},
                                  uint16_t id = 0x1234) {
  const uint32_t ihl = 20 + static_cast<uint32_t>(opts.size());
  std::vector<uint8_t> d(ihl + 8 + payload);
  for (uint32_t i = 0; i < payload; ++i) d[ihl + 8 + i] = static_cast<uint8_t>(i * 7 + 3);
  std::copy(opts.begin(), opts.end(), d.begin() + 20);
  UdpHdr u;
  u.source = 4000;
  u.dest = 9;
  u.len = static_cast<uint16_t>(8 + payload);
  u.emit(d.data() + ihl);
  uint32_t sum = csum_pseudo(kSrc, kDst, IPPROTO_UDP, u.len);
  u.check = csum_fold(csum_partial(d.data() + ihl, 8 + payload, sum));
  u.emit(d.data() + ihl);
  Ipv4Hdr h;
  h.ihl = static_cast<uint8_t>(ihl / 4);
  h.tot_len = static_cast<uint16_t>(d.size());
  h.id = id;
  h.frag_off = frag_off;
  h.protocol = IPPROTO_UDP;
  h.saddr = kSrc;
  h.daddr = kDst;
  h.emit(d.data());
  return d;
}

SkBuff* to_skb(SkbPool& pool, const std::vector<uint8_t>& bytes, NetDevice* dev = nullptr) {
  SkBuff* skb = pool.alloc(static_cast<uint32_t>(bytes.size()), sim::Time::zero());
  std::memcpy(skb->put(static_cast<uint32_t>(bytes.size())), bytes.data(), bytes.size());
  skb->reset_network_header();
  skb->protocol = ETH_P_IP;
  skb->dev = dev;
  return skb;
}

std::vector<uint8_t> bytes_of(const SkBuff* skb) {
  return std::vector<uint8_t>(skb->data_ptr(), skb->data_ptr() + skb->len());
}

// A fragment made by hand from datagram `d` (20-byte header): payload
// bytes [offset, offset + len) with MF as given.
std::vector<uint8_t> fragment_of(const std::vector<uint8_t>& d, uint32_t offset, uint32_t len, bool mf) {
  std::vector<uint8_t> f(20 + len);
  std::memcpy(f.data(), d.data(), 20);
  if (len) std::memcpy(f.data() + 20, d.data() + 20 + offset, len);
  Ipv4Hdr h;
  h.parse(d.data(), 20);
  h.tot_len = static_cast<uint16_t>(20 + len);
  h.frag_off = static_cast<uint16_t>(offset / 8 | (mf ? IP_MF : 0));
  h.emit(f.data());
  return f;
}

// The three fragments of the 3000-byte UDP datagram over MTU 1500, as
// byte vectors (made by ip_do_fragment, checked in the first test).
std::vector<std::vector<uint8_t>> three_fragments(World& w, const std::vector<uint8_t>& d) {
  Collect out;
  out.pool = &w.pool;
  REQUIRE(ip_do_fragment(w.cpu, w.pool, to_skb(w.pool, d), 1500, out, w.mib, sim::ns(200)) == 0);
  std::vector<std::vector<uint8_t>> v;
  for (SkBuff* f : out.frags) {
    v.push_back(bytes_of(f));
    w.pool.consume(f);
  }
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------
// Fragmentation

TEST_CASE("a 3000-byte UDP datagram over MTU 1500 makes 1500/1500/68", "[ipfrag]") {
  // IP payload = 8 (UDP header) + 3000 (data) = 3008 bytes. Room per
  // fragment = MTU 1500 - 20 (header) = 1480, already a multiple of 8.
  //   1: payload [0, 1480)    tot_len 1500, offset 0    (0 units),   MF
  //   2: payload [1480, 2960) tot_len 1500, offset 1480 (185 units), MF
  //   3: payload [2960, 3008) tot_len 20 + 48 = 68, offset 2960 (370 units)
  World w;
  const std::vector<uint8_t> d = udp_datagram(3000);
  REQUIRE(d.size() == 3028);
  SkBuff* skb = to_skb(w.pool, d, &w.eth0);
  skb->mark = 42;
  skb->priority = 6;
  Sock* sk = reinterpret_cast<Sock*>(&w);  // an owner to inherit; never dereferenced
  skb->sk = sk;
  skb->destructor = Destructor::kSockWfree;
  Collect out;
  out.pool = &w.pool;

  REQUIRE(ip_do_fragment(w.cpu, w.pool, skb, 1500, out, w.mib, sim::ns(200)) == 0);
  REQUIRE(out.frags.size() == 3);
  const uint16_t tot[3] = {1500, 1500, 68};
  const uint16_t frag_off[3] = {IP_MF | 0, IP_MF | 185, 370};
  const uint32_t off[3] = {0, 1480, 2960};
  for (int i = 0; i < 3; ++i) {
    SkBuff* f = out.frags[i];
    Ipv4Hdr h;
    REQUIRE(h.parse(f->data_ptr(), f->len()));
    CHECK(f->len() == tot[i]);
    CHECK(h.tot_len == tot[i]);
    CHECK(h.frag_off == frag_off[i]);
    CHECK(h.frag_offset_bytes() == off[i]);
    CHECK(h.id == 0x1234);  // the original ID on every fragment
    CHECK(h.protocol == IPPROTO_UDP);
    CHECK(h.saddr == kSrc);
    CHECK(h.daddr == kDst);
    CHECK(Ipv4Hdr::checksum_ok(f->data_ptr(), 20));
    // Its payload is the original's payload at its offset.
    CHECK(std::equal(f->data_ptr() + 20, f->data_ptr() + f->len(), d.begin() + 20 + off[i]));
    // Inherited: ip_copy_metadata() and skb_set_owner_w().
    CHECK(f->dev == &w.eth0);
    CHECK(f->mark == 42);
    CHECK(f->priority == 6);
    CHECK(f->protocol == ETH_P_IP);
    CHECK(f->sk == sk);
    CHECK(f->destructor == Destructor::kSockWfree);
    CHECK(f->network_header == f->data);
    CHECK(f->headroom() >= 16);  // LL_RESERVED_SPACE of Ethernet
  }
  CHECK(w.ip(IpMibField::FragOKs) == 1);
  CHECK(w.ip(IpMibField::FragCreates) == 3);
  CHECK(w.ip(IpMibField::FragFails) == 0);
  CHECK(w.cpu.busy_time() == sim::ns(3 * 200));
  // One branch per fragment: size and offset.
  auto br = w.sink.of("ip_do_fragment", sim::TraceKind::kBranch);
  REQUIRE(br.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(br[i].skb == out.frags[i]->id);
    CHECK(br[i].args[0].u == tot[i]);
    CHECK(br[i].args[1].u == off[i]);
  }
  // The original was consumed; the fragments are ours.
  CHECK(w.pool.created() == 4);
  CHECK(w.pool.consumed() == 1);
  CHECK(w.pool.alive() == 3);
  for (SkBuff* f : out.frags) w.pool.consume(f);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("DF set: EMSGSIZE, FragFails, frag needed with the MTU", "[ipfrag]") {
  World w;
  Collect out;
  out.pool = &w.pool;
  SkBuff* skb = to_skb(w.pool, udp_datagram(3000, IP_DF));
  CHECK(ip_fragment(w.cpu, w.pool, skb, 1500, false, out, w.mib, sim::ns(200)) == -EMSGSIZE);
  CHECK(out.frags.empty());
  CHECK(out.frag_needed_mtu == std::vector<uint32_t>{1500});
  CHECK(w.ip(IpMibField::FragFails) == 1);
  CHECK(w.ip(IpMibField::FragOKs) == 0);
  CHECK(w.ip(IpMibField::FragCreates) == 0);
  CHECK(w.pool.dropped(DropReason::PKT_TOO_BIG) == 1);
  CHECK(w.pool.alive() == 0);

  // skb->ignore_df (e.g. a forwarded datagram the stack may fragment): the
  // fragments keep DF.
  SkBuff* skb2 = to_skb(w.pool, udp_datagram(3000, IP_DF));
  CHECK(ip_fragment(w.cpu, w.pool, skb2, 1500, true, out, w.mib, sim::ns(200)) == 0);
  REQUIRE(out.frags.size() == 3);
  for (SkBuff* f : out.frags) {
    CHECK((rd16(f->data_ptr() + 6) & IP_DF) != 0);
    w.pool.consume(f);
  }
  // Without DF ip_fragment goes straight to ip_do_fragment.
  out.frags.clear();
  CHECK(ip_fragment(w.cpu, w.pool, to_skb(w.pool, udp_datagram(3000)), 1500, false, out, w.mib, sim::ns(200)) == 0);
  CHECK(out.frags.size() == 3);
  for (SkBuff* f : out.frags) w.pool.consume(f);
  CHECK(w.ip(IpMibField::FragOKs) == 2);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("an output error stops fragmentation and fails the datagram", "[ipfrag]") {
  World w;
  Collect out;
  out.pool = &w.pool;
  out.fail_at = 2;
  CHECK(ip_do_fragment(w.cpu, w.pool, to_skb(w.pool, udp_datagram(3000)), 1500, out, w.mib, sim::ns(200)) == -ENOBUFS);
  CHECK(out.frags.size() == 1);  // the first went out
  CHECK(w.ip(IpMibField::FragCreates) == 1);
  CHECK(w.ip(IpMibField::FragFails) == 1);
  CHECK(w.ip(IpMibField::FragOKs) == 0);
  CHECK(w.pool.created() == 3);  // the third fragment was never made
  CHECK(w.pool.dropped(DropReason::QDISC_DROP) == 1);
  CHECK(w.pool.dropped(DropReason::NOT_SPECIFIED) == 1);  // the original: kfree_skb()
  w.pool.consume(out.frags[0]);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("only options with the copy flag reach the later fragments", "[ipfrag]") {
  // 8 bytes of options: router alert (0x94, copied) and a timestamp
  // (0x44, not copied). Header 28 bytes: room 1500 - 28 = 1472 (x8).
  // Payload 3008 = 1472 + 1472 + 64: tot_len 1500, 1500, 92.
  World w;
  const std::vector<uint8_t> opts = {0x94, 4, 0, 0, 0x44, 4, 5, 0};
  const std::vector<uint8_t> d = udp_datagram(3000, 0, opts);
  Collect out;
  out.pool = &w.pool;
  REQUIRE(ip_do_fragment(w.cpu, w.pool, to_skb(w.pool, d), 1500, out, w.mib, sim::ns(200)) == 0);
  REQUIRE(out.frags.size() == 3);
  const uint16_t tot[3] = {1500, 1500, 92};
  const uint32_t off[3] = {0, 1472, 2944};
  for (int i = 0; i < 3; ++i) {
    const uint8_t* p = out.frags[i]->data_ptr();
    Ipv4Hdr h;
    REQUIRE(h.parse(p, out.frags[i]->len()));
    CHECK(h.ihl == 7);
    CHECK(h.tot_len == tot[i]);
    CHECK(h.frag_offset_bytes() == off[i]);
    CHECK(Ipv4Hdr::checksum_ok(p, 28));
    const std::vector<uint8_t> got(p + 20, p + 28);
    if (i == 0)
      CHECK(got == opts);
    else
      CHECK(got == std::vector<uint8_t>{0x94, 4, 0, 0, 1, 1, 1, 1});  // IPOPT_NOOP in place
    CHECK(std::equal(p + 28, p + h.tot_len, d.begin() + 28 + off[i]));
    w.pool.consume(out.frags[i]);
  }
  CHECK(w.pool.alive() == 0);
}

TEST_CASE("fragmenting a fragment keeps MF on every piece", "[ipfrag]") {
  // The middle fragment (payload [1480, 2960), MF) over MTU 576: room
  // 556, rounded down to 552. 1480 = 552 + 552 + 376; offsets 1480, 2032,
  // 2584; tot_len 572, 572, 396; all MF since the original piece had it.
  World w;
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  Collect out;
  out.pool = &w.pool;
  REQUIRE(ip_do_fragment(w.cpu, w.pool, to_skb(w.pool, fr[1]), 576, out, w.mib, sim::ns(200)) == 0);
  REQUIRE(out.frags.size() == 3);
  const uint16_t tot[3] = {572, 572, 396};
  const uint32_t off[3] = {1480, 2032, 2584};
  for (int i = 0; i < 3; ++i) {
    Ipv4Hdr h;
    REQUIRE(h.parse(out.frags[i]->data_ptr(), out.frags[i]->len()));
    CHECK(h.tot_len == tot[i]);
    CHECK(h.frag_offset_bytes() == off[i]);
    CHECK(h.more_fragments());
    w.pool.consume(out.frags[i]);
  }
  CHECK(w.pool.alive() == 0);
}

// ---------------------------------------------------------------------------
// Reassembly

TEST_CASE("reassembly in order gives back the original bytes", "[ipdefrag]") {
  World w;
  Ops ops;
  DefragConfig cfg;
  cfg.cost_per_frag = sim::ns(150);
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops, cfg);
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);

  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0], &w.eth0)) == nullptr);
  CHECK(defrag.queue_count() == 1);
  // A queue costs sizeof(struct ipq) plus each fragment's truesize: a
  // 1500-byte skb sits in a 2048-byte kmalloc bucket (64 headroom + 1500 +
  // 320 shared info) plus 256 of struct sk_buff = 2304.
  CHECK(defrag.mem() == IpDefrag::kIpqSize + 2304);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[1], &w.eth0)) == nullptr);
  SkBuff* whole = defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2], &w.eth0));
  REQUIRE(whole != nullptr);
  // Header from the first fragment, tot_len 3028, MF and offset cleared,
  // checksum recomputed: the very bytes that were sent.
  CHECK(bytes_of(whole) == d);
  CHECK(whole->network_header == whole->data);
  CHECK(whole->transport_header == whole->data + 20);
  CHECK(whole->dev == &w.eth0);
  CHECK(w.ip(IpMibField::ReasmReqds) == 3);
  CHECK(w.ip(IpMibField::ReasmOKs) == 1);
  CHECK(w.ip(IpMibField::ReasmFails) == 0);
  CHECK(defrag.queue_count() == 0);
  CHECK(defrag.mem() == 0);
  CHECK(w.sched.pending_events() == 0);  // the timer went with the queue
  CHECK(w.cpu.busy_time() == sim::ns(3 * 200 + 3 * 150));
  // The three fragments were merged (consumed), the result is ours.
  CHECK(w.pool.dropped_total() == 0);
  CHECK(w.pool.alive() == 1);
  w.pool.consume(whole);
  CHECK(w.pool.alive() == 0);
  CHECK(ops.heads.empty());
  CHECK(w.conserved());
}

TEST_CASE("reassembly out of order, in every order", "[ipdefrag]") {
  const std::vector<uint8_t> d = udp_datagram(3000);
  std::array<int, 3> order = {0, 1, 2};
  int orders = 0;
  do {
    World w;
    Ops ops;
    IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
    auto fr = three_fragments(w, d);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[order[0]])) == nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[order[1]])) == nullptr);
    SkBuff* whole = defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[order[2]]));
    REQUIRE(whole != nullptr);
    CHECK(bytes_of(whole) == d);
    CHECK(w.ip(IpMibField::ReasmOKs) == 1);
    w.pool.consume(whole);
    CHECK(w.pool.alive() == 0);
    CHECK(w.pool.dropped_total() == 0);
    ++orders;
  } while (std::next_permutation(order.begin(), order.end()));
  CHECK(orders == 6);
}

TEST_CASE("a duplicate is dropped alone and the datagram still completes", "[ipdefrag]") {
  World w;
  Ops ops;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);  // again
  CHECK(w.pool.dropped(DropReason::DUP_FRAG) == 1);
  CHECK(defrag.queue_count() == 1);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2])) == nullptr);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2])) == nullptr);  // the last, again
  CHECK(w.pool.dropped(DropReason::DUP_FRAG) == 2);
  SkBuff* whole = defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[1]));
  REQUIRE(whole != nullptr);
  CHECK(bytes_of(whole) == d);
  CHECK(w.ip(IpMibField::ReasmReqds) == 5);
  CHECK(w.ip(IpMibField::ReasmOKs) == 1);
  CHECK(w.ip(IpMibField::ReasmFails) == 0);  // duplicates are not failures
  w.pool.consume(whole);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("duplicate or overlap depends on the runs, as inet_frag_queue_insert decides", "[ipdefrag]") {
  // A piece [8, 1488) repeats bytes already received when [0, 1480) and
  // [1480, 2960) are both in. Arrived in order, they form one run
  // [0, 2960) and the piece is a duplicate; arrived the other way round,
  // they are two runs, the piece straddles them, and it is an overlap.
  const std::vector<uint8_t> d = udp_datagram(3000);
  {
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 0, 1480, true)));
    defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 1480, 1480, true)));
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 8, 1480, true))) == nullptr);
    CHECK(w.pool.dropped(DropReason::DUP_FRAG) == 1);
    CHECK(defrag.queue_count() == 1);
    SkBuff* whole = defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 2960, 48, false)));
    REQUIRE(whole != nullptr);
    CHECK(bytes_of(whole) == d);
    w.pool.consume(whole);
    CHECK(w.pool.alive() == 0);
  }
  {
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 1480, 1480, true)));
    defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 0, 1480, true)));
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 8, 1480, true))) == nullptr);
    CHECK(w.pool.dropped(DropReason::FRAG_OVERLAP) == 3);
    CHECK(defrag.queue_count() == 0);
    CHECK(w.pool.alive() == 0);
  }
}

TEST_CASE("an overlapping fragment discards the whole datagram (RFC 5722)", "[ipdefrag]") {
  World w;
  Ops ops;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  // [1000, 2480) starts inside [0, 1480): an overlap.
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 1000, 1480, true))) == nullptr);
  CHECK(w.pool.dropped(DropReason::FRAG_OVERLAP) == 2);  // the queued one and the newcomer
  CHECK(w.ip(IpMibField::ReasmFails) == 1);
  CHECK(defrag.queue_count() == 0);
  CHECK(defrag.mem() == 0);
  CHECK(w.sched.pending_events() == 0);

  // The rest arrives later: a fresh queue, which cannot complete without
  // offset 0 and times out without an ICMP.
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[1])) == nullptr);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2])) == nullptr);
  CHECK(defrag.queue_count() == 1);
  w.sched.run_until(sim::Time::zero() + sim::sec(60));
  CHECK(defrag.queue_count() == 0);
  CHECK(w.pool.dropped(DropReason::IP_FRAG_REASM_TIMEOUT) == 2);
  CHECK(ops.heads.empty());
  CHECK(w.ip(IpMibField::ReasmFails) == 2);
  CHECK(w.ip(IpMibField::ReasmTimeout) == 1);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("a missing fragment times out when the timer wheel fires, with ICMP", "[ipdefrag]") {
  // ipfrag_time 30 s at HZ 250 = 7500 jiffies. Armed at jiffy 0 for jiffy
  // 7500: the delta is in level 3 of the wheel (4032 <= 7500 < 32256),
  // whose buckets are 8^3 = 512 jiffies wide, so it fires at the next
  // boundary after 7500: (7500 / 512 + 1) * 512 = 15 * 512 = 7680 jiffies
  // = 7680 * 4 ms = 30.72 s.
  World w;
  Ops ops;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
  defrag.set_tracer(sim::Tracer(&w.bus, 0, 0));
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0], &w.eth0)) == nullptr);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2], &w.eth0)) == nullptr);
  const sim::Time fire = sim::Time::zero() + sim::ms(30720);
  CHECK(defrag.expires(kSrc, kDst, 0x1234, IPPROTO_UDP) == fire);

  w.sched.run_until(fire - sim::ns(1));
  CHECK(defrag.queue_count() == 1);
  CHECK(ops.heads.empty());
  w.sched.run_until(fire);
  CHECK(defrag.queue_count() == 0);
  // ICMP time exceeded about the first fragment, which came: its header,
  // data at the IP header, on the device it came in on.
  REQUIRE(ops.heads.size() == 1);
  CHECK(ops.heads[0].frag_off == IP_MF);
  CHECK(ops.heads[0].tot_len == 1500);
  CHECK(ops.heads[0].id == 0x1234);
  CHECK(ops.lens[0] == 1500);
  CHECK(ops.devs[0] == &w.eth0);
  CHECK(w.ip(IpMibField::ReasmTimeout) == 1);
  CHECK(w.ip(IpMibField::ReasmFails) == 1);
  CHECK(w.ip(IpMibField::ReasmOKs) == 0);
  CHECK(w.pool.dropped(DropReason::IP_FRAG_REASM_TIMEOUT) == 2);
  CHECK(defrag.mem() == 0);
  auto ev = w.sink.of("ip_expire", sim::TraceKind::kEvent);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].t == fire);

  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("a queue made at t = 1 s expires on the next 512-jiffy boundary", "[ipdefrag]") {
  // Armed at t = 1 s (jiffy 250) for jiffy 250 + 7500 = 7750: level 3
  // again, next boundary (7750 / 512 + 1) * 512 = 16 * 512 = 8192 jiffies
  // = 32.768 s.
  World w;
  Ops ops;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
  auto fr = three_fragments(w, udp_datagram(3000));
  w.sched.run_until(sim::Time::zero() + sim::sec(1));
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0], &w.eth0)) == nullptr);
  const sim::Time fire = sim::Time::zero() + sim::ms(32768);
  CHECK(defrag.expires(kSrc, kDst, 0x1234, IPPROTO_UDP) == fire);
  // A later fragment does not push the timer back.
  w.sched.run_until(sim::Time::zero() + sim::sec(20));
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2], &w.eth0)) == nullptr);
  CHECK(defrag.expires(kSrc, kDst, 0x1234, IPPROTO_UDP) == fire);
  w.sched.run_until(fire - sim::ns(1));
  CHECK(ops.heads.empty());
  w.sched.run_until(fire);
  CHECK(ops.heads.size() == 1);
  CHECK(w.pool.dropped(DropReason::IP_FRAG_REASM_TIMEOUT) == 2);
  CHECK(w.pool.alive() == 0);
  CHECK(w.conserved());
}

TEST_CASE("the host's constructor reads ipfrag_time and ipfrag_high_thresh", "[ipdefrag]") {
  // ipfrag_time 10 s at HZ 250 = 2500 jiffies: level 2 (504 <= 2500 <
  // 4032), 64-jiffy buckets: (2500 / 64 + 1) * 64 = 40 * 64 = 2560
  // jiffies = 10.24 s.
  World w;
  Sysctls sc;
  sc.ipv4_ipfrag_time = 10;
  sc.ipv4_ipfrag_high_thresh = 0;  // then: reassembly off
  sim::Jiffies hz;
  hz.hz = 250;
  IpDefrag defrag(w.sched, w.pool, sc, hz, w.mib);
  auto fr = three_fragments(w, udp_datagram(3000));
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  CHECK(w.pool.dropped(DropReason::FRAG_MEM_LIMIT) == 1);
  Sysctls sc2;
  sc2.ipv4_ipfrag_time = 10;
  IpDefrag defrag2(w.sched, w.pool, sc2, hz, w.mib);
  Ops ops;
  defrag2.set_ops(&ops);
  CHECK(defrag2.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  CHECK(defrag2.expires(kSrc, kDst, 0x1234, IPPROTO_UDP) == sim::Time::zero() + sim::ms(10240));
  CHECK(w.cpu.busy_time() == sim::ns(3 * 200));  // the caller charges ip_defrag
  w.sched.run_until(sim::Time::zero() + sim::ms(10240));
  CHECK(ops.heads.size() == 1);
  CHECK(w.pool.alive() == 0);
}

TEST_CASE("without its first fragment a queue times out with no ICMP", "[ipdefrag]") {
  World w;
  Ops ops;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops);
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[1])) == nullptr);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2])) == nullptr);
  w.sched.run_until(sim::Time::zero() + sim::ms(30720));
  CHECK(defrag.queue_count() == 0);
  CHECK(ops.heads.empty());
  CHECK(w.ip(IpMibField::ReasmTimeout) == 1);
  CHECK(w.ip(IpMibField::ReasmFails) == 1);
  CHECK(w.pool.dropped(DropReason::IP_FRAG_REASM_TIMEOUT) == 2);
  CHECK(w.pool.alive() == 0);
}

TEST_CASE("above ipfrag_high_thresh every fragment is refused", "[ipdefrag]") {
  // Threshold 3000 bytes. Fragment 1: mem 0 -> 192 + 2304 = 2496.
  // Fragment 2: 2496 <= 3000, accepted -> 4800. Fragment 3: 4800 > 3000,
  // refused, although it would have completed the datagram.
  World w;
  Ops ops;
  DefragConfig cfg;
  cfg.high_thresh = 3000;
  IpDefrag defrag(w.sched, w.pool, w.mib, &ops, cfg);
  const std::vector<uint8_t> d = udp_datagram(3000);
  auto fr = three_fragments(w, d);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  CHECK(defrag.mem() == 2496);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[1])) == nullptr);
  CHECK(defrag.mem() == 4800);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[2])) == nullptr);
  CHECK(w.pool.dropped(DropReason::FRAG_MEM_LIMIT) == 1);
  CHECK(w.ip(IpMibField::ReasmFails) == 1);
  CHECK(w.ip(IpMibField::ReasmReqds) == 3);
  // Memory comes back when the queue expires; then fragments are taken again.
  w.sched.run_until(sim::Time::zero() + sim::sec(31));
  CHECK(defrag.mem() == 0);
  CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fr[0])) == nullptr);
  CHECK(defrag.queue_count() == 1);
  defrag.flush(DropReason::SIM_END);
  CHECK(w.pool.dropped(DropReason::SIM_END) == 1);
  CHECK(w.sched.pending_events() == 0);

  // 0 disables reassembly altogether.
  World w2;
  DefragConfig off;
  off.high_thresh = 0;
  IpDefrag none(w2.sched, w2.pool, w2.mib, nullptr, off);
  CHECK(none.ip_defrag(w2.cpu, to_skb(w2.pool, fr[0])) == nullptr);
  CHECK(w2.pool.dropped(DropReason::FRAG_MEM_LIMIT) == 1);
  CHECK(w.pool.alive() == 0);
  CHECK(w2.pool.alive() == 0);
}

TEST_CASE("inconsistent fragments discard the datagram", "[ipdefrag]") {
  const std::vector<uint8_t> d = udp_datagram(3000);
  {
    // Two last fragments that disagree on where the datagram ends.
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 2960, 48, false))) == nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 2960, 40, false))) == nullptr);
    CHECK(w.pool.dropped(DropReason::FRAG_INVALID) == 2);
    CHECK(w.ip(IpMibField::ReasmFails) == 1);
    CHECK(defrag.queue_count() == 0);
  }
  {
    // A middle fragment with data past the known end.
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 1480, 80, false))) == nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 0, 1600, true))) == nullptr);
    CHECK(w.pool.dropped(DropReason::FRAG_INVALID) == 2);
  }
  {
    // A middle fragment of 4 bytes: rounded down to a multiple of 8 it is
    // empty ("end == offset").
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(d, 8, 4, true))) == nullptr);
    CHECK(w.pool.dropped(DropReason::FRAG_INVALID) == 1);
    CHECK(defrag.queue_count() == 0);
    CHECK(w.pool.alive() == 0);
  }
  {
    // Offsets reach 65528 and the last carries 100 bytes: 20 + 65628 bytes
    // would exceed 65535 (out_oversize), so all 46 fragments go.
    std::vector<uint8_t> big(20 + 65628);
    std::memcpy(big.data(), d.data(), 20);
    World w;
    IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
    uint32_t off = 0;
    int n = 0;
    for (; off + 1480 <= 65528; off += 1480, ++n)
      CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(big, off, 1480, true))) == nullptr);
    CHECK(off == 44 * 1480);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(big, off, 65528 - off, true))) == nullptr);
    CHECK(defrag.ip_defrag(w.cpu, to_skb(w.pool, fragment_of(big, 65528, 100, false))) == nullptr);
    CHECK(n + 2 == 46);
    CHECK(w.pool.dropped(DropReason::FRAG_INVALID) == 46);
    CHECK(w.ip(IpMibField::ReasmFails) == 1);
    CHECK(w.ip(IpMibField::ReasmOKs) == 0);
    CHECK(defrag.queue_count() == 0);
    CHECK(w.pool.alive() == 0);
  }
}

TEST_CASE("CHECKSUM_PARTIAL is finished before fragmenting", "[ipfrag][ipdefrag]") {
  // The UDP checksum field holds only the pseudo-header sum, as
  // udp4_hwcsum() leaves it for a NIC. Fragments cannot be finished by a
  // NIC, so ip_do_fragment computes it: the reassembled datagram must be
  // the one with the full software checksum.
  World w;
  const std::vector<uint8_t> full = udp_datagram(3000);
  std::vector<uint8_t> partial = full;
  const uint16_t pseudo = static_cast<uint16_t>(~csum_fold(csum_pseudo(kSrc, kDst, IPPROTO_UDP, 3008)));
  wr16(partial.data() + 20 + 6, pseudo);
  SkBuff* skb = to_skb(w.pool, partial);
  skb->ip_summed = Csum::kPartial;
  skb->csum_start = static_cast<uint16_t>(skb->data + 20);
  skb->csum_offset = 6;
  Collect out;
  out.pool = &w.pool;
  REQUIRE(ip_do_fragment(w.cpu, w.pool, skb, 1500, out, w.mib, sim::ns(200)) == 0);
  REQUIRE(out.frags.size() == 3);
  IpDefrag defrag(w.sched, w.pool, w.mib, nullptr);
  SkBuff* whole = nullptr;
  for (SkBuff* f : out.frags) whole = defrag.ip_defrag(w.cpu, f);
  REQUIRE(whole != nullptr);
  CHECK(bytes_of(whole) == full);
  w.pool.consume(whole);
  CHECK(w.pool.alive() == 0);
}
