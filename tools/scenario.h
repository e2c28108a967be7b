// tools/scenario.h: a scenario as users write it in YAML, loaded, checked and
// turned into plain typed structs for the world builder.
//
// The schema is documented for users in scenarios/README.md. Loading reads
// the file, checks every field (types, units, names, addresses, links,
// references), computes routes (tools/routes.h) and either returns a
// Scenario or every problem found, each as `FILE:LINE:COL: PATH: message`:
//
//   tools::LoadResult r = tools::load_scenario("scenarios/dumbbell.yaml");
//   if (!r.ok()) { for (auto& d : r.errors) std::cerr << d.to_string() << "\n"; return 1; }
//   for (const tools::HostSpec& h : r.scenario.hosts) ...
//
// Nothing here depends on yaml-cpp or Boost: they stay in the .cc files.
// Addresses are IPv4 in host byte order; times are sim::Duration /
// sim::Time; rates are bits per second.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "nic_model/nic_config.h"
#include "sim/time.h"
#include "stack/costs.h"
#include "stack/qdisc.h"
#include "stack/sysctl.h"

namespace tools {

// One problem in a scenario file. line and col are 1-based; 0 when the
// problem has no place in the file (it cannot be opened).
struct Diagnostic {
  std::string file;
  int line = 0;
  int col = 0;
  std::string path;  // field path: "links[2].rate", "hosts[0].sysctls[\"net.ipv4.ip_forward\"]"
  std::string message;
  // "FILE:LINE:COL: PATH: message" (parts that are unknown are left out).
  std::string to_string() const;
};

// `simulation:`
struct Simulation {
  sim::Duration stop;  // required: the run ends at this virtual time
  uint64_t seed = 1;   // the root of every random stream
  uint32_t hz = 250;   // CONFIG_HZ (Debian's kernels: 250)
};

// `routes:` at the top level.
enum class RoutesMode { kAuto, kManual };

// One line of a host's routing table (`ip route`).
struct RouteSpec {
  enum class Origin {
    kConnected,  // the subnet of one of the host's own addresses (the kernel adds it with the address)
    kExplicit,   // written in the scenario
    kAuto,       // computed by `routes: auto`
  };
  uint32_t dst = 0;      // prefix, host order, host bits zero
  uint8_t prefix_len = 0;
  uint32_t gateway = 0;  // 0: on-link (scope link)
  std::string dev;       // output interface name
  uint32_t metric = 0;
  Origin origin = Origin::kExplicit;
  friend bool operator==(const RouteSpec&, const RouteSpec&) = default;
};

// A netfilter rule, iptables-like: rules of a hook are tried in file order;
// the first match decides; no match lets the packet pass (policy ACCEPT).
struct NetfilterRule {
  enum class Hook { kPreRouting, kLocalIn, kForward, kLocalOut, kPostRouting };
  enum class Proto { kAny, kUdp, kTcp, kIcmp };
  enum class Action { kAccept, kDrop };
  Hook hook = Hook::kLocalOut;
  Proto proto = Proto::kAny;
  uint32_t src = 0;  // prefix, host order; src_len 0 matches everything
  uint8_t src_len = 0;
  uint32_t dst = 0;
  uint8_t dst_len = 0;
  uint16_t sport_lo = 0, sport_hi = 65535;  // inclusive ranges; only for udp/tcp
  uint16_t dport_lo = 0, dport_hi = 65535;
  Action action = Action::kAccept;
};

struct InterfaceSpec {
  std::string name;                 // "eth0"
  std::array<uint8_t, 6> mac{};     // wire order
  bool mac_derived = true;          // derived from host and interface names (02:...)
  bool has_address = false;
  uint32_t address = 0;             // host order, e.g. 0x0a000001 for 10.0.0.1
  uint8_t prefix_len = 0;
  uint32_t mtu = 1500;
  uint32_t txqueuelen = 1000;
  // The root qdisc. When the file gives none: kind = the host's
  // net.core.default_qdisc, no parameters (qdisc_explicit = false).
  stack::QdiscSpec qdisc;
  bool qdisc_explicit = false;
  // The NIC. nic.mtu equals mtu; nic.line_rate_bps, when not written,
  // follows the link's rate (autonegotiation).
  nic_model::NicConfig nic;
  // xps[q]: the CPUs whose sockets send on TX queue q
  // (/sys/class/net/IF/queues/tx-q/xps_cpus). Empty: no XPS, flow hash.
  std::vector<std::vector<uint16_t>> xps;
  // Index into Scenario::links of the link this interface is on, or -1.
  int link = -1;
};

struct HostSpec {
  std::string name;
  uint16_t cpus = 1;
  stack::Sysctls sysctls;  // kernel defaults, then the file's overrides; kernel_hz = simulation.hz
  stack::Costs costs;      // CPU cost per kernel step: defaults, then the file's overrides
  std::vector<InterfaceSpec> interfaces;
  // The full table: connected routes, explicit routes, computed routes;
  // sorted by prefix length (longest first), then prefix, metric, device.
  std::vector<RouteSpec> routes;
  std::vector<NetfilterRule> netfilter;
  const InterfaceSpec* interface(std::string_view name) const;
};

// An L2 switch: learning, store-and-forward; a queue of `queue` packets on
// each egress port. Its ports are the link ends that name it.
struct SwitchSpec {
  std::string name;
  uint32_t queue = 1000;           // packets per egress port
  std::vector<std::string> ports;  // in the order links mention them
};

// One end of a link: a host's interface or a switch's port.
struct Endpoint {
  std::string node;  // host or switch name
  std::string port;  // interface name (host) or port name (switch)
  bool is_switch = false;
  int index = -1;    // into Scenario::hosts or Scenario::switches
  int port_index = -1;  // into HostSpec::interfaces or SwitchSpec::ports
  std::string to_string() const { return node + ":" + port; }
};

struct LinkSpec {
  Endpoint a, b;
  nic_model::LinkConfig config;
  // Packets the switch port(s) on this link hold (overrides the switch's
  // `queue`); only for links with a switch end.
  std::optional<uint32_t> queue;
};

// Applications. start/stop are virtual times; stop defaults to the end of
// the simulation.
struct UdpSenderParams {
  uint32_t dst = 0;
  uint16_t dport = 0;
  std::optional<uint16_t> sport;  // unset: the kernel picks an ephemeral port
  uint32_t size = 0;              // payload bytes per sendto()
  std::optional<uint64_t> count;  // datagrams in all; unset: until stop
  std::optional<uint64_t> rate_bps;  // payload bit rate; unset with pps unset: as fast as send() returns
  std::optional<uint64_t> pps;       // datagrams per second
  uint32_t burst = 1;             // datagrams sent back to back per tick of the rate
  bool connect = false;           // connect() first, then send() (cached route)
  uint8_t tos = 0;                // IP_TOS
};
struct UdpSinkParams {
  uint16_t port = 0;
  std::optional<uint64_t> rcvbuf;             // SO_RCVBUF bytes; unset: net.core.rmem_default
  std::optional<sim::Duration> read_delay;    // time per recvmsg(): a slow reader; unset: reads at once
};
struct PingParams {
  uint32_t dst = 0;
  std::optional<uint64_t> count;  // unset: until stop
  sim::Duration interval = sim::sec(1);
  uint32_t size = 56;             // ICMP payload bytes (ping -s)
};
struct TcpBulkParams {   // the TCP issue runs these
  uint32_t dst = 0;
  uint16_t port = 0;
  std::optional<uint64_t> bytes;  // unset: until stop
  std::string cc;                 // empty: net.ipv4.tcp_congestion_control
};
struct TcpSinkParams {
  uint16_t port = 0;
  std::optional<uint64_t> rcvbuf;
};

struct AppSpec {
  enum class Kind { kUdpSender, kUdpSink, kPing, kTcpBulk, kTcpSink };
  Kind kind = Kind::kUdpSender;
  std::string host;
  int host_index = -1;
  sim::Time start = sim::Time::zero();
  sim::Time stop = sim::Time::max();  // filled with simulation.stop when not written
  std::variant<UdpSenderParams, UdpSinkParams, PingParams, TcpBulkParams, TcpSinkParams> params;
};
const char* app_kind_name(AppSpec::Kind k);

struct TraceSpec {
  enum class Format { kText, kJsonl, kPerfetto };
  std::string file;  // as written ("-": standard output)
  Format format = Format::kText;
  // Filters; empty/unset: everything.
  std::string host;
  std::optional<uint64_t> skb;
  std::vector<std::string> layers;  // stack/steps.h layer names: "udp", "ip", "dev", ...
};

struct OutputSpec {
  bool pcap_all = false;
  std::vector<Endpoint> pcap;  // host interfaces to capture (when not all)
  std::optional<TraceSpec> trace;
  std::string counters;        // JSON file of counters at the end; empty: none
};

struct Scenario {
  std::string file;
  Simulation sim;
  std::vector<HostSpec> hosts;
  std::vector<SwitchSpec> switches;
  std::vector<LinkSpec> links;
  RoutesMode routes = RoutesMode::kAuto;
  std::vector<AppSpec> apps;
  OutputSpec outputs;

  const HostSpec* host(std::string_view name) const;
  int host_index(std::string_view name) const;
};

struct LoadResult {
  Scenario scenario;               // meaningful only when ok()
  std::vector<Diagnostic> errors;  // sorted by line, then column
  bool ok() const { return errors.empty(); }
  // All errors, one per line.
  std::string error_text() const;
};

LoadResult load_scenario(const std::string& path);
// `name` stands for the file name in diagnostics.
LoadResult load_scenario_from_string(const std::string& text, const std::string& name);

}  // namespace tools
