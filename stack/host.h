// stack/host.h: one simulated machine: its CPUs, devices, and the network
// stack's per-namespace state (struct net): routes, neighbours, netfilter,
// counters, sockets.
//
// A Host is built by the world builder (tools/world.cc) from a scenario:
//   Host h(env, cfg);                        // CPUs, loopback, protocols
//   NetDevice& eth0 = h.add_device(...);     // a NIC's net_device
//   h.add_address(eth0, ip, 24);             // ip addr add
//   h.fib.add(...);                          // ip route add
// Subsystems are members named as the kernel names them, each in its own
// file: dev (net/core/dev.c), arp (net/core/neighbour.c + net/ipv4/arp.c),
// ip (net/ipv4/ip_{input,output}.c), icmp, udp, inet (af_inet.c), sys
// (net/socket.c).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/cpu.h"
#include "sim/rng.h"
#include "sim/scheduler.h"
#include "sim/timer.h"
#include "sim/trace.h"
#include "stack/costs.h"
#include "stack/netdevice.h"
#include "stack/route.h"
#include "stack/skbuff.h"
#include "stack/snmp.h"
#include "stack/sysctl.h"

namespace stack {

class Dev;
class NeighTable;
class Ip;
class Icmp;
class Udp;
class Inet;
class Syscalls;
class Netfilter;
class IpDefrag;
class Loopback;

// What all hosts of one simulation share.
struct SimEnv {
  sim::Scheduler& sched;
  sim::TraceBus& bus;
  SkbPool& pool;
  uint64_t seed;
};

struct HostConfig {
  std::string name;
  uint16_t cpus = 1;
  Sysctls sysctl;
  Costs costs;
};

// struct in_ifaddr: an address on a device.
struct InIfAddr {
  NetDevice* dev;
  uint32_t local;
  uint8_t plen;
  uint32_t broadcast;
};

class Host {
 public:
  Host(SimEnv env, HostConfig cfg);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const std::string& name() const { return name_; }
  uint16_t trace_id() const { return trace_id_; }
  sim::Scheduler& sched() { return env_.sched; }
  sim::TraceBus& bus() { return env_.bus; }
  SkbPool& pool() { return env_.pool; }
  sim::Cpu& cpu(uint16_t i) { return *cpus_[i < cpus_.size() ? i : 0]; }
  uint16_t num_cpus() const { return static_cast<uint16_t>(cpus_.size()); }
  // The CPU running kernel code now (the one a destructor or a wakeup is
  // charged to), or CPU 0 outside any run.
  sim::Cpu& current_cpu() {
    for (auto& c : cpus_)
      if (c->running()) return *c;
    return *cpus_[0];
  }
  // A random stream for a component of this host ("neigh", "ip_id").
  sim::Rng rng(std::string_view component) const;

  // Devices. The loopback device `lo` exists from the start (ifindex 1).
  NetDevice& add_device(const std::string& name, MacAddr mac, uint32_t mtu, uint16_t tx_queues,
                        NetDeviceOps* ops);
  NetDevice* device(const std::string& name);
  NetDevice& lo() { return *devices_[0]; }
  const std::vector<std::unique_ptr<NetDevice>>& devices() const { return devices_; }
  uint16_t device_track(const NetDevice& dev) const;

  // Addresses (`ip addr add local/plen dev`): also installs the local,
  // broadcast and connected-subnet routes, as the kernel's fib_add_ifaddr.
  void add_address(NetDevice& dev, uint32_t local, uint8_t plen);
  const std::vector<InIfAddr>& addresses() const { return addrs_; }
  int next_pid() { return ++last_pid_; }
  // inet_addr_type() == RTN_LOCAL.
  bool is_local_addr(uint32_t addr) const;
  // inet_select_addr(): a source address on `dev` for reaching `dst`.
  uint32_t select_addr(const NetDevice* dev, uint32_t dst) const;

  Sysctls sysctl;
  Costs costs;
  sim::Jiffies jiffies;
  Mibs mib;
  Fib fib;

  std::unique_ptr<Dev> dev;
  std::unique_ptr<NeighTable> arp;
  std::unique_ptr<Netfilter> nf;
  std::unique_ptr<IpDefrag> defrag;
  std::unique_ptr<Ip> ip;
  std::unique_ptr<Icmp> icmp;
  std::unique_ptr<Udp> udp;
  std::unique_ptr<Inet> inet;
  std::unique_ptr<Syscalls> sys;

 private:
  SimEnv env_;
  std::string name_;
  uint16_t trace_id_;
  std::vector<std::unique_ptr<sim::Cpu>> cpus_;
  std::vector<std::unique_ptr<NetDevice>> devices_;
  std::vector<uint16_t> device_tracks_;
  std::vector<InIfAddr> addrs_;
  std::unique_ptr<Loopback> loopback_;
  int last_pid_ = 0;
};

}  // namespace stack
