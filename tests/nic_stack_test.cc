// The NIC model under the real stack: two hosts (stack::Host with its
// device layer, qdiscs, ARP, UDP, ICMP) joined by NICs, drivers and a link.
// Checks that the seam (NetDeviceOps / NapiPoll / DevCore) holds: traffic
// flows both ways, counters agree, and every skb is accounted for.
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <string>

#include "nic_model/driver.h"
#include "nic_model/link.h"
#include "nic_model/nic.h"
#include "sim/rng.h"
#include "stack/apps.h"
#include "stack/dev.h"
#include "stack/host.h"

using namespace stack;

namespace {

constexpr uint32_t ip4(int a, int b, int c, int d) {
  return static_cast<uint32_t>(a) << 24 | static_cast<uint32_t>(b) << 16 |
         static_cast<uint32_t>(c) << 8 | static_cast<uint32_t>(d);
}

struct Iface {
  std::unique_ptr<nic_model::Nic> nic;
  std::unique_ptr<nic_model::IxgbeDriver> drv;
  NetDevice* dev = nullptr;
};

struct World {
  sim::Scheduler sched;
  sim::TraceBus bus;
  SkbPool pool;
  std::vector<std::unique_ptr<Host>> hosts;
  std::deque<Iface> ifs;  // stable references
  std::unique_ptr<nic_model::Link> link;

  Host& add_host(const std::string& name) {
    HostConfig c;
    c.name = name;
    hosts.push_back(std::make_unique<Host>(SimEnv{sched, bus, pool, 1}, c));
    return *hosts.back();
  }
  Iface& add_iface(Host& h, uint8_t mac_last, uint32_t ip, const nic_model::NicConfig& cfg) {
    Iface f;
    const MacAddr mac{{2, 0, 0, 0, 0, mac_last}};
    f.nic = std::make_unique<nic_model::Nic>(sched, pool, cfg, mac);
    f.dev = &h.add_device("eth0", mac, cfg.mtu, f.nic->num_tx_queues(), nullptr);
    f.drv = std::make_unique<nic_model::IxgbeDriver>(*h.dev, *f.dev, *f.nic);
    QdiscSpec q;
    q.kind = "pfifo_fast";
    h.dev->attach_qdiscs(*f.dev, q);
    h.add_address(*f.dev, ip, 24);
    ifs.push_back(std::move(f));
    return ifs.back();
  }
  uint64_t ring_skbs() const {
    uint64_t n = 0;
    for (const Iface& f : ifs) n += f.drv->skbs_held() + f.nic->skbs_held();
    return n;
  }
};

}  // namespace

TEST_CASE("UDP and ping through the stack, the NIC model and a link", "[nic][stack]") {
  World w;
  Host& a = w.add_host("a");
  Host& b = w.add_host("b");
  nic_model::NicConfig cfg;
  cfg.line_rate_bps = 1000000000ull;
  Iface& ia = w.add_iface(a, 1, ip4(10, 0, 0, 1), cfg);
  Iface& ib = w.add_iface(b, 2, ip4(10, 0, 0, 2), cfg);
  nic_model::LinkConfig lc;
  lc.delay = sim::us(5);
  w.link = std::make_unique<nic_model::Link>(w.sched, w.pool, lc, sim::Rng::stream(1, "link/ab"));
  ia.nic->attach_link(*w.link, 0);
  ib.nic->attach_link(*w.link, 1);
  ia.drv->open(1);
  ib.drv->open(1);

  UdpSinkParams sp;
  sp.port = 9;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(sim::Time::zero());
  UdpSenderParams up;
  up.dst = ip4(10, 0, 0, 2);
  up.dport = 9;
  up.size = 1000;
  up.count = 200;
  up.rate_bps = 100000000;  // 100 Mbit/s of payload
  up.start = sim::Time::zero() + sim::us(100);
  UdpSender sender(a, "tx", 0, up);
  sender.start_at(up.start);
  PingParams pp;
  pp.dst = ip4(10, 0, 0, 1);
  pp.count = 3;
  pp.interval = sim::ms(1);
  pp.start = sim::Time::zero() + sim::us(50);
  Ping ping(b, "ping", 0, pp);
  ping.start_at(pp.start);

  w.sched.run_until(sim::Time::zero() + sim::ms(100));

  CHECK(sender.sent() == 200);
  CHECK(sink.received() == 200);
  REQUIRE(ping.rtts().size() == 3);
  // Each RTT has at least two wire trips of 98-byte echo frames plus the
  // propagation delay both ways.
  for (sim::Duration r : ping.rtts()) CHECK(r > sim::us(10));
  // Counters: the NIC put on the wire what the driver cleaned.
  CHECK(ia.nic->stats().tx_packets == ia.dev->stats.tx_packets);
  CHECK(ib.nic->stats().rx_packets == ib.dev->stats.rx_packets);
  CHECK(ib.nic->stats().rx_missed_errors == 0);
  CHECK(ib.drv->stats().rx_csum_offload_good >= 200);  // UDP verified by the RX hardware
  // At rest every skb alive is an RX buffer posted in a ring.
  CHECK(w.pool.balanced());
  CHECK(w.pool.alive() == w.ring_skbs());
  for (Iface& f : w.ifs) f.drv->free_rings();
  CHECK(w.pool.alive() == 0);
}
