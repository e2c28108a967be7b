// tests/stack_fixture.h: hosts joined by an ideal wire, for testing the
// stack without the NIC model (as ns-3's simple channel is used for
// protocol tests). The "driver" hands each frame, after a fixed delay, to
// the peer, which receives it through NAPI like a real driver would.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sim/scheduler.h"
#include "sim/trace.h"
#include "stack/dev.h"
#include "stack/host.h"
#include "stack/sock.h"
#include "stack/wire.h"

namespace testing_fixture {

using namespace stack;

// A record-everything trace sink.
struct Recorder final : sim::TraceSink {
  std::vector<sim::TraceRecord> recs;
  void record(const sim::TraceRecord& r) override { recs.push_back(r); }
  bool saw(const char* fn) const {
    for (const auto& r : recs)
      if (std::string_view(r.fn) == fn) return true;
    return false;
  }
  size_t count(const char* fn, sim::TraceKind k = sim::TraceKind::kEnter) const {
    size_t n = 0;
    for (const auto& r : recs)
      if (r.kind == k && std::string_view(r.fn) == fn) ++n;
    return n;
  }
};

class WirePort;

// One end of an ideal wire: NetDeviceOps on the way out, NAPI on the way in.
class WirePort final : public NetDeviceOps, public NapiPoll, public sim::Event {
 public:
  WirePort(Host& h, const std::string& ifname, MacAddr mac, sim::Duration delay)
      : host(h), delay(delay) {
    dev = &h.add_device(ifname, mac, 1500, 1, this);
    dev->features = netif_f::kHwCsum;
    QdiscSpec spec;
    spec.kind = "pfifo_fast";
    h.dev->attach_qdiscs(*dev, spec);
    napi.poll = this;
    napi.dev = dev;
  }
  Host& host;
  NetDevice* dev;
  WirePort* peer = nullptr;
  sim::Duration delay;
  bool drop_all = false;  // a cut cable
  NapiStruct napi;
  std::deque<std::pair<sim::Time, SkBuff*>> in_flight;  // towards peer
  std::deque<SkBuff*> rx_ring;
  uint64_t tx_frames = 0;
  std::vector<std::vector<uint8_t>> frames;  // every frame sent, bytes

  NetdevTx ndo_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq) override {
    tx_frames++;
    frames.emplace_back(skb->data_ptr(), skb->data_ptr() + skb->len());
    dev->stats.tx_packets++;
    dev->stats.tx_bytes += skb->len();
    // The frame leaves: the sender's socket memory is released.
    skb_orphan(host, cpu, skb);
    if (drop_all) {
      host.pool().drop(skb, DropReason::LINK_LOSS);
      return NetdevTx::kOk;
    }
    if (skb->ip_summed == Csum::kPartial) {
      // Offloaded checksum: fill it as a NIC would.
      uint8_t* p = skb->buf.data() + skb->csum_start;
      const uint32_t len = skb->tail - skb->csum_start;
      wr16(p + skb->csum_offset, csum_fold(csum_partial(p, len)));
      skb->ip_summed = Csum::kNone;
    }
    in_flight.emplace_back(cpu.now() + delay, skb);
    if (!pending()) host.sched().schedule(*this, in_flight.front().first);
    return NetdevTx::kOk;
  }
  // Arrival at the peer: into its ring, then its IRQ schedules NAPI.
  void fire() override {
    const sim::Time now = host.sched().now();
    while (!in_flight.empty() && in_flight.front().first <= now) {
      SkBuff* skb = in_flight.front().second;
      in_flight.pop_front();
      skb->dev = peer->dev;
      skb->sk = nullptr;
      skb->dst = nullptr;
      peer->rx_ring.push_back(skb);
    }
    peer->irq.set_cpu(&peer->host.cpu(0));
    if (!peer->irq.pending()) peer->host.sched().schedule(peer->irq, now);
    if (!in_flight.empty()) host.sched().schedule(*this, in_flight.front().first);
  }
  int napi_poll(sim::Cpu& cpu, int budget) override {
    int work = 0;
    while (work < budget && !rx_ring.empty()) {
      SkBuff* skb = rx_ring.front();
      rx_ring.pop_front();
      ++work;
      host.dev->netif_receive_skb(cpu, skb);
    }
    if (work < budget) host.dev->napi_complete_done(cpu, napi, work);
    return work;
  }
  struct Irq final : sim::Cpu::Work {
    Irq(WirePort* p) : Work(Level::kIrq), port(p) {}
    WirePort* port;
    void run(sim::Cpu& c) override { port->host.dev->napi_schedule(c, port->napi); }
  } irq{this};
};

struct Net {
  sim::Scheduler sched;
  sim::TraceBus bus;
  SkbPool pool;
  Recorder rec;
  std::vector<std::unique_ptr<Host>> hosts;
  std::vector<std::unique_ptr<WirePort>> ports;
  explicit Net(bool trace = true) {
    if (trace) bus.subscribe(&rec);
  }
  Host& add_host(const std::string& name, Sysctls s = {}) {
    HostConfig c;
    c.name = name;
    c.sysctl = s;
    hosts.push_back(std::make_unique<Host>(SimEnv{sched, bus, pool, 1}, c));
    return *hosts.back();
  }
  // Joins a.ifa and b.ifb; addresses given as a.b.c.d/plen in host order.
  std::pair<WirePort*, WirePort*> link(Host& a, uint32_t ip_a, Host& b, uint32_t ip_b, uint8_t plen,
                                       const std::string& ifa = "eth0",
                                       const std::string& ifb = "eth0",
                                       sim::Duration delay = sim::us(10)) {
    const uint8_t n = static_cast<uint8_t>(ports.size());
    ports.push_back(std::make_unique<WirePort>(a, ifa, MacAddr{{2, 0, 0, 0, 0, static_cast<uint8_t>(n + 1)}}, delay));
    ports.push_back(std::make_unique<WirePort>(b, ifb, MacAddr{{2, 0, 0, 0, 0, static_cast<uint8_t>(n + 2)}}, delay));
    WirePort* pa = ports[ports.size() - 2].get();
    WirePort* pb = ports.back().get();
    pa->peer = pb;
    pb->peer = pa;
    a.add_address(*pa->dev, ip_a, plen);
    b.add_address(*pb->dev, ip_b, plen);
    return {pa, pb};
  }
  void run_for(sim::Duration d) { sched.run_until(sched.now() + d); }
};

constexpr uint32_t ip4(int a, int b, int c, int d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | static_cast<uint32_t>(d);
}

}  // namespace testing_fixture
