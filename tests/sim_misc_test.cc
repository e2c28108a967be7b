// Time arithmetic, exact serialisation, RNG streams, CPU work and tracing.
#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

#include "sim/cpu.h"
#include "sim/rng.h"
#include "sim/time.h"
#include "sim/trace.h"

using namespace sim;

TEST_CASE("transmit time of a full Ethernet frame", "[sim][time]") {
  // 1514 bytes + FCS 4 + preamble/SFD 8 + IFG 12 = 1538 bytes = 12304 bits.
  CHECK(transmit_time(1538 * 8, Rate{1000000000}) == ns(12304));
  CHECK(transmit_time(1538 * 8, Rate{100000000}) == ns(123040));
  // Rounded up: 1 bit at 3 bit/s is a third of a second, not less.
  CHECK(transmit_time(1, Rate{3}) == ns(333333334));
}

TEST_CASE("BitClock does not drift over long runs", "[sim][time]") {
  BitClock c(Rate{3000000});  // 3 Mbit/s: 1 bit = 333.33 ns
  Duration total;
  for (int i = 0; i < 3000000; ++i) total += c.next(1);
  CHECK(total == sec(1));  // exactly, not 3e6 rounding errors later
}

TEST_CASE("RNG streams are reproducible and independent of each other", "[sim][rng]") {
  Rng a = Rng::stream(7, "host/h1/neigh");
  Rng b = Rng::stream(7, "host/h1/neigh");
  Rng c = Rng::stream(7, "host/h2/neigh");
  Rng d = Rng::stream(8, "host/h1/neigh");
  std::vector<uint64_t> va, vb, vc, vd;
  for (int i = 0; i < 16; ++i) {
    va.push_back(a.next());
    vb.push_back(b.next());
    vc.push_back(c.next());
    vd.push_back(d.next());
  }
  CHECK(va == vb);
  CHECK(va != vc);
  CHECK(va != vd);
  // A fixed value pins the generator: a change to it changes every run's output.
  CHECK(Rng(0).next() == 0x99ec5f36cb75f2b4ull);
}

TEST_CASE("RNG below() is uniform and in range", "[sim][rng]") {
  Rng r(123);
  int counts[6] = {0};
  for (int i = 0; i < 60000; ++i) {
    uint64_t v = r.below(6);
    REQUIRE(v < 6);
    counts[v]++;
  }
  for (int c : counts) CHECK((c > 9500 && c < 10500));
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.between(-3, 3);
    REQUIRE((v >= -3 && v <= 3));
  }
}

namespace {
struct Collect : TraceSink {
  std::vector<TraceRecord> recs;
  void record(const TraceRecord& r) override { recs.push_back(r); }
};

struct ChargeWork final : Cpu::Work {
  explicit ChargeWork(Duration cost, Level l = Level::kTask) : Work(l), cost(cost) {}
  Duration cost;
  std::vector<int64_t> starts;
  void run(Cpu& c) override {
    starts.push_back(c.now().ns());
    TRACE_FN(c, 0, "work", 1);
    c.charge(cost);
  }
};
}  // namespace

TEST_CASE("a busy CPU queues work; interrupt level goes first", "[sim][cpu]") {
  Scheduler s;
  TraceBus bus;
  Collect sink;
  bus.subscribe(&sink);
  uint16_t h = bus.add_host("h1");
  uint16_t t = bus.add_track(h, TrackKind::kCpu, 0, "cpu0");
  Cpu cpu(s, Tracer(&bus, h, t), 0);
  ChargeWork a(us(10)), b(us(5)), irq(us(2), Cpu::Work::Level::kIrq);
  cpu.submit(a, Time::zero());
  cpu.submit(b, Time::zero() + us(3));    // CPU busy until 10 us: waits
  cpu.submit(irq, Time::zero() + us(4));  // waits too, but goes before b
  s.run_until(Time::zero() + ms(1));
  CHECK(a.starts == std::vector<int64_t>{0});
  CHECK(irq.starts == std::vector<int64_t>{10000});
  // a ran 0..10, the IRQ 10..12, so b starts at 12 us.
  CHECK(b.starts == std::vector<int64_t>{12000});
  CHECK(cpu.busy_time() == us(17));
  // Each run traced an enter and an exit with its duration.
  REQUIRE(sink.recs.size() == 6);
  CHECK(sink.recs[0].kind == TraceKind::kEnter);
  CHECK(sink.recs[1].kind == TraceKind::kExit);
  CHECK(sink.recs[1].dur == us(10));
}

TEST_CASE("tracing off: no records and no cost beyond the check", "[sim][trace]") {
  Scheduler s;
  TraceBus bus;
  Cpu cpu(s, Tracer(&bus, 0, 0), 0);
  ChargeWork a(us(1));
  cpu.submit(a, Time::zero());
  s.run_until(Time::zero() + us(5));
  CHECK_FALSE(bus.on());
  CHECK(a.starts.size() == 1);
}
