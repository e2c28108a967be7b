// stack/host.cc: building a host: CPUs, loopback, the protocol tables.
#include "stack/host.h"

#include <fmt/format.h>

#include "stack/af_inet.h"
#include "stack/dev.h"
#include "stack/icmp.h"
#include "stack/ip.h"
#include "stack/ip_fragment.h"
#include "stack/loopback.h"
#include "stack/neighbour.h"
#include "stack/netfilter.h"
#include "stack/sock.h"
#include "stack/socket.h"
#include "stack/udp.h"

namespace stack {

Host::Host(SimEnv env, HostConfig cfg)
    : sysctl(std::move(cfg.sysctl)), costs(cfg.costs), env_(env), name_(std::move(cfg.name)) {
  jiffies.hz = static_cast<int>(sysctl.kernel_hz);
  env_.pool.set_destructor_hook(&skb_destructor_hook);
  trace_id_ = env_.bus.add_host(name_);
  for (uint16_t i = 0; i < std::max<uint16_t>(cfg.cpus, 1); ++i) {
    const uint16_t track = env_.bus.add_track(trace_id_, sim::TrackKind::kCpu, i, fmt::format("cpu{}", i));
    cpus_.push_back(std::make_unique<sim::Cpu>(env_.sched, sim::Tracer(&env_.bus, trace_id_, track), i));
  }
  dev = std::make_unique<Dev>(*this);
  arp = std::make_unique<NeighTable>(*this);
  nf = std::make_unique<Netfilter>();
  defrag = std::make_unique<IpDefrag>(env_.sched, env_.pool, sysctl, jiffies, mib.ip);
  ip = std::make_unique<Ip>(*this);
  icmp = std::make_unique<Icmp>(*this);
  defrag->set_ops(icmp.get());
  defrag->set_tracer(cpus_[0]->tracer());
  udp = std::make_unique<Udp>(*this);
  inet = std::make_unique<Inet>(*this);
  sys = std::make_unique<Syscalls>(*this);

  // The loopback device, ifindex 1, 127.0.0.1/8 (drivers/net/loopback.c).
  loopback_ = std::make_unique<Loopback>(*this);
  NetDevice& lo = add_device("lo", MacAddr{}, 65536, 1, loopback_.get());
  lo.loopback = true;
  lo.features = netif_f::kHwCsum | netif_f::kSg | netif_f::kLltx;
  QdiscSpec noqueue;
  noqueue.kind = "noqueue";
  dev->attach_qdiscs(lo, noqueue);
  add_address(lo, 0x7f000001, 8);
  inet->inet_init(cpu(0));
}

Host::~Host() = default;

sim::Rng Host::rng(std::string_view component) const {
  return sim::Rng::stream(env_.seed, fmt::format("host/{}/{}", name_, component));
}

NetDevice& Host::add_device(const std::string& name, MacAddr mac, uint32_t mtu, uint16_t tx_queues,
                            NetDeviceOps* ops) {
  auto d = std::make_unique<NetDevice>();
  d->name = name;
  d->ifindex = static_cast<int>(devices_.size()) + 1;
  d->dev_addr = mac;
  d->mtu = mtu;
  d->ops = ops;
  d->host = this;
  d->tx.resize(std::max<uint16_t>(tx_queues, 1));
  for (uint16_t i = 0; i < d->tx.size(); ++i) {
    d->tx[i].dev = d.get();
    d->tx[i].index = i;
  }
  device_tracks_.push_back(0);
  devices_.push_back(std::move(d));
  return *devices_.back();
}

NetDevice* Host::device(const std::string& name) {
  for (auto& d : devices_)
    if (d->name == name) return d.get();
  return nullptr;
}

void Host::add_address(NetDevice& d, uint32_t local, uint8_t plen) {
  const uint32_t mask = prefix_mask(plen);
  const uint32_t bcast = plen >= 31 ? 0 : (local | ~mask);
  addrs_.push_back(InIfAddr{&d, local, plen, bcast});
  // fib_add_ifaddr(): local route for the address, broadcast, and the
  // connected subnet in the main table.
  fib.add(local, 32, 0, &lo(), 0, local, RtnType::kLocal, true);
  if (d.loopback) {
    fib.add(local & mask, plen, 0, &lo(), 0, local, RtnType::kLocal, true);
    return;
  }
  if (bcast) fib.add(bcast, 32, 0, &d, 0, local, RtnType::kBroadcast, true);
  fib.add(local & mask, plen, 0, &d, 0, local, RtnType::kUnicast, false);
}

bool Host::is_local_addr(uint32_t addr) const {
  for (const InIfAddr& a : addrs_) {
    if (a.local == addr) return true;
    if (a.dev->loopback && (addr & prefix_mask(a.plen)) == (a.local & prefix_mask(a.plen)))
      return true;
  }
  return false;
}

uint32_t Host::select_addr(const NetDevice* d, uint32_t dst) const {
  uint32_t first_on_dev = 0, first_any = 0;
  for (const InIfAddr& a : addrs_) {
    if (a.dev->loopback) continue;
    if (!first_any) first_any = a.local;
    if (a.dev != d) continue;
    if ((dst & prefix_mask(a.plen)) == (a.local & prefix_mask(a.plen))) return a.local;
    if (!first_on_dev) first_on_dev = a.local;
  }
  if (first_on_dev) return first_on_dev;
  if (d && d->loopback) return 0x7f000001;
  return first_any;
}

uint16_t Host::device_track(const NetDevice& d) const {
  return device_tracks_[static_cast<size_t>(d.ifindex - 1)];
}

}  // namespace stack
