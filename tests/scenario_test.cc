// tests/scenario_test.cc: loading scenario files (tools/scenario.h): a good
// file gives the expected structs; each bad file gives exactly the
// diagnostics listed (text, line, column), never a crash.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "tools/routes.h"
#include "tools/scenario.h"
#include "tools/units.h"

using namespace tools;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  LoadResult r = load_scenario_from_string(yaml, "t.yaml");
  std::vector<std::string> out;
  for (const Diagnostic& d : r.errors) out.push_back(d.to_string());
  return out;
}

// Two hosts on one link: the base most cases change one thing in.
const std::string kHosts = R"(
hosts:
  - name: a
    interfaces: [{name: eth0, address: 10.0.0.1/24}]
  - name: b
    interfaces: [{name: eth0, address: 10.0.0.2/24}]
)";
const std::string kBase = "simulation: {stop: 1s}" + kHosts + "links:\n  - {a: \"a:eth0\", b: \"b:eth0\"}\n";

struct BadCase {
  const char* what;
  std::string yaml;
  std::vector<std::string> errors;
};

}  // namespace

TEST_CASE("the base scenario of the bad cases is good", "[scenario]") {
  LoadResult r = load_scenario_from_string(kBase, "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  CHECK(r.scenario.hosts.size() == 2);
  CHECK(r.scenario.links.size() == 1);
}

TEST_CASE("bad scenarios: each gets exactly its errors", "[scenario]") {
  const std::vector<BadCase> cases = {
      {"empty file", "", {"t.yaml:1:1: the file is empty (expected a map with: simulation, hosts, switches, links, routes, apps, outputs)"}},
      {"only comments", "# nothing\n", {"t.yaml:1:1: the file is empty (expected a map with: simulation, hosts, switches, links, routes, apps, outputs)"}},
      {"a scalar", "42\n", {"t.yaml:1:1: expected a map (the top level: simulation, hosts, links, ...), got the scalar \"42\""}},
      {"a list", "- 1\n- 2\n", {"t.yaml:1:1: expected a map (the top level: simulation, hosts, links, ...), got a list"}},
      {"YAML syntax", "simulation: {stop: 1s\n", {"t.yaml:2:1: YAML syntax error: end of map flow not found"}},
      {"tab indentation", "simulation:\n\tstop: 1s\n", {"t.yaml:2:6: YAML syntax error: illegal map value"}},
      {"unknown top-level key", kBase + "linkz: []\n",
       {"t.yaml:9:1: linkz: unknown key \"linkz\" (did you mean \"links\"?)"}},
      {"missing keys", "outputs: {}\n",
       {"t.yaml:1:1: missing required key \"simulation\"", "t.yaml:1:1: missing required key \"hosts\""}},
      {"missing stop", "simulation: {seed: 3}" + kHosts,
       {"t.yaml:1:13: simulation: missing required key \"stop\""}},
      {"stop of the wrong type", "simulation:\n  stop: [1s]\n" + kHosts,
       {"t.yaml:2:9: simulation.stop: expected a value, got a list"}},
      {"bad time unit", "simulation: {stop: 1sex}" + kHosts,
       {"t.yaml:1:20: simulation.stop: unknown unit \"sex\" (did you mean \"sec\"?)"}},
      {"time without unit", "simulation: {stop: 10}" + kHosts,
       {"t.yaml:1:20: simulation.stop: missing unit in \"10\" (write e.g. \"10ms\"; tc would read microseconds)"}},
      {"seed and hz", "simulation: {stop: 1s, seed: -1, hz: 200}" + kHosts,
       {"t.yaml:1:30: simulation.seed: \"-1\" is out of range (0..9223372036854775807)",
        "t.yaml:1:38: simulation.hz: CONFIG_HZ is one of 100, 250, 300, 1000"}},
      {"hosts is a map", "simulation: {stop: 1s}\nhosts: {a: 1}\n",
       {"t.yaml:2:8: hosts: expected a list of hosts, got a map"}},
      {"bad host name and duplicate", R"(simulation: {stop: 1s}
hosts:
  - {name: H1}
  - {name: x}
  - {name: x, cpu: 2}
)",
       {"t.yaml:3:12: hosts[0].name: \"H1\": a host name is 1-32 of a-z 0-9 _ -",
        "t.yaml:5:12: hosts[2].name: \"x\" is already the name of hosts[1]",
        "t.yaml:5:15: hosts[2].cpu: unknown key \"cpu\" (did you mean \"cpus\"?)"}},
      {"sysctls: unknown name, bad value, bad type", R"(simulation: {stop: 1s}
hosts:
  - name: a
    sysctls:
      net.ipv4.ip_forwad: 1
      net.ipv4.tcp_rmem: "4096 131072"
      net.core.netdev_budget: {x: 1}
      net.ipv4.ip_forward: 1
      net.ipv4.ip_forward: 0
)",
       {"t.yaml:5:7: hosts[0].sysctls[\"net.ipv4.ip_forwad\"]: unknown sysctl \"net.ipv4.ip_forwad\" (did you mean \"net.ipv4.ip_forward\"?)",
        "t.yaml:6:26: hosts[0].sysctls[\"net.ipv4.tcp_rmem\"]: expected three integers \"min default max\", got \"4096 131072\"",
        "t.yaml:7:31: hosts[0].sysctls[\"net.core.netdev_budget\"]: expected a value, got a map",
        "t.yaml:9:7: hosts[0].sysctls[\"net.ipv4.ip_forward\"]: set twice"}},
      {"costs: unknown step, bad time, wrong type", R"(simulation: {stop: 1s}
hosts:
  - name: a
    costs:
      udp_sendmesg: 200ns
      ip_rcv: 1kbit
      arp_send: [1us]
)",
       {"t.yaml:5:7: hosts[0].costs.udp_sendmesg: unknown cost \"udp_sendmesg\" (did you mean \"udp_sendmsg\"?)",
        "t.yaml:6:15: hosts[0].costs.ip_rcv: unknown unit \"kbit\" (expected one of: s sec secs ms msec msecs us usec usecs ns nsec nsecs)",
        "t.yaml:7:17: hosts[0].costs.arp_send: expected a time, got a list"}},
      {"addresses: network, broadcast, no prefix, bad, loopback", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces:
      - {name: eth0, address: 10.0.0.0/24}
      - {name: eth1, address: 10.0.1.255/24}
      - {name: eth2, address: 10.0.2.1}
      - {name: eth3, address: 10.0.3.300/24}
      - {name: eth4, address: 127.0.0.2/8}
)",
       {"t.yaml:5:31: hosts[0].interfaces[0].address: 10.0.0.0 is the network address of 10.0.0.0/24",
        "t.yaml:6:31: hosts[0].interfaces[1].address: 10.0.1.255 is the broadcast address of 10.0.1.0/24",
        "t.yaml:7:31: hosts[0].interfaces[2].address: write the prefix length too, e.g. 10.0.2.1/24",
        "t.yaml:8:31: hosts[0].interfaces[3].address: bad IPv4 address in \"10.0.3.300/24\"",
        "t.yaml:9:31: hosts[0].interfaces[4].address: 127.0.0.2 cannot be an interface address (loopback)"}},
      {"overlapping subnets on a host, duplicate address across hosts", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces:
      - {name: eth0, address: 10.0.0.1/16}
      - {name: eth1, address: 10.0.5.1/24}
  - name: b
    interfaces:
      - {name: eth0, address: 10.0.0.1/16}
)",
       {"t.yaml:6:31: hosts[0].interfaces[1].address: 10.0.5.0/24 overlaps 10.0.0.0/16 on eth0 (one subnet per interface)",
        "t.yaml:9:31: hosts[1].interfaces[0].address: 10.0.0.1 is already the address of a:eth0"}},
      {"interfaces: duplicate name, lo, bad mtu, bad mac", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces:
      - {name: eth0, mtu: 9001x}
      - {name: eth0, mac: "01:00:5e:00:00:01"}
      - {name: lo}
)",
       {"t.yaml:5:27: hosts[0].interfaces[0].mtu: expected an integer, got \"9001x\"",
        "t.yaml:6:16: hosts[0].interfaces[1].name: host a already has an interface \"eth0\"",
        "t.yaml:6:27: hosts[0].interfaces[1].mac: a multicast MAC address cannot be an interface's",
        "t.yaml:7:16: hosts[0].interfaces[2].name: \"lo\" is the loopback device, which every host has already"}},
      {"duplicate MAC addresses", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces: [{name: eth0, mac: "02:00:00:00:00:01"}]
  - name: b
    interfaces: [{name: eth0, mac: "02:00:00:00:00:01"}]
)",
       {"t.yaml:6:36: hosts[1].interfaces[0].mac: 02:00:00:00:00:01 is already the MAC address of a:eth0"}},
      {"qdisc: unknown kind, wrong parameter", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces:
      - {name: eth0, qdisc: fq_codle}
      - {name: eth1, qdisc: {kind: pfifo, rate: 1mbit}}
      - {name: eth2, qdisc: {kind: fq_codel, targt: 5ms}}
)",
       {"t.yaml:5:29: hosts[0].interfaces[0].qdisc: unknown qdisc \"fq_codle\" (did you mean \"fq_codel\"?)",
        "t.yaml:6:43: hosts[0].interfaces[1].qdisc.rate: does not apply to qdisc pfifo (pfifo takes limit)",
        "t.yaml:7:46: hosts[0].interfaces[2].qdisc.targt: unknown key \"targt\" (did you mean \"target\"?)"}},
      {"qdisc: tbf without rate, limit/latency; peakrate checks", R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces:
      - {name: eth0, qdisc: {kind: tbf, burst: 10k}}
      - {name: eth1, qdisc: {kind: tbf, rate: 10mbit, burst: 10k, limit: 100k, latency: 1ms, peakrate: 1mbit}}
)",
       {"t.yaml:5:29: hosts[0].interfaces[0].qdisc: missing required key \"rate\"",
        "t.yaml:5:29: hosts[0].interfaces[0].qdisc: tbf needs limit or latency (how much may wait)",
        "t.yaml:6:80: hosts[0].interfaces[1].qdisc.latency: give either limit or latency, not both",
        "t.yaml:6:94: hosts[0].interfaces[1].qdisc.peakrate: peakrate needs mtu too (tc-tbf(8))",
        "t.yaml:6:104: hosts[0].interfaces[1].qdisc.peakrate: peakrate must be above rate"}},
      {"nic: unknown field, power of two, bad bool, xps", R"(simulation: {stop: 1s}
hosts:
  - name: a
    cpus: 2
    interfaces:
      - name: eth0
        nic: {tx_rings: 64, pcie_lanes: 3, gro: maybe, tx_queues: 2}
        xps: [[0], [2]]
)",
       {"t.yaml:7:15: hosts[0].interfaces[0].nic.tx_rings: unknown key \"tx_rings\" (did you mean \"tx_ring\"?)",
        "t.yaml:7:41: hosts[0].interfaces[0].nic.pcie_lanes: \"3\" is not a power of two",
        "t.yaml:7:49: hosts[0].interfaces[0].nic.gro: expected on/off (or true/false), got \"maybe\"",
        "t.yaml:8:20: hosts[0].interfaces[0].xps[1]: bad CPU \"2\" (host a has CPUs 0..1)"}},
      {"links: missing host and interface, an interface on two links", "simulation: {stop: 1s}" + kHosts + R"(links:
  - {a: "a:eth0", b: "b:eth0"}
  - {a: "a:eth0", b: "c:eth0"}
  - {a: "b:eth1", b: "a"}
)",
       {"t.yaml:9:9: links[1].a: a:eth0 is already on links[0]",
        "t.yaml:9:22: links[1].b: no host or switch named \"c\" (did you mean \"a\"?)",
        "t.yaml:10:9: links[2].a: host b has no interface \"eth1\" (did you mean \"eth0\"?)",
        "t.yaml:10:22: links[2].b: expected host:interface or switch:port, got \"a\""}},
      {"links: units, loss, queue between hosts, missing end", "simulation: {stop: 1s}" + kHosts + R"(links:
  - {a: "a:eth0", b: "b:eth0", rate: 10mbits, delay: 1ms, loss: 150%, queue: 10}
  - {a: "a:eth0"}
)",
       {"t.yaml:8:38: links[0].rate: unknown unit \"mbits\" (did you mean \"mbit\"?)",
        "t.yaml:8:65: links[0].loss: probability \"150%\" is above 1 (100%)",
        "t.yaml:8:71: links[0].queue: queue is the switch port's; between two hosts the queues are the qdisc (txqueuelen) and the NIC ring",
        "t.yaml:9:5: links[1]: missing required key \"b\"",
        "t.yaml:9:9: links[1].a: a:eth0 is already on links[0]"}},
      {"switches: name clash, port used twice", "simulation: {stop: 1s}" + kHosts + R"(switches:
  - {name: a}
  - {name: s1, queue: 0}
links:
  - {a: "a:eth0", b: "s1:p1"}
  - {a: "b:eth0", b: "s1:p1"}
)",
       {"t.yaml:8:12: switches[0].name: \"a\" is already the name of hosts[0]",
        "t.yaml:9:23: switches[1].queue: \"0\" is out of range (1..1000000)",
        "t.yaml:12:22: links[1].b: s1:p1 is already on links[0]"}},
      {"apps: unknown kind, unknown key, missing dst, bad host", kBase + R"(apps:
  - {kind: udp_sendr, host: a}
  - {kind: ping, host: a, dst: 10.0.0.2, intervl: 1s}
  - {kind: udp_sender, host: c, dport: 9, size: 100}
)",
       {"t.yaml:10:12: apps[0].kind: unknown application kind \"udp_sendr\" (did you mean \"udp_sender\"?) (kinds: udp_sender, udp_sink, ping, tcp_bulk, tcp_sink)",
        "t.yaml:11:42: apps[1].intervl: unknown key \"intervl\" (did you mean \"interval\"?)",
        "t.yaml:12:5: apps[2]: missing required key \"dst\"",
        "t.yaml:12:30: apps[2].host: no host named \"c\" (did you mean \"a\"?)"}},
      {"apps: times and ranges", kBase + R"(apps:
  - {kind: udp_sink, host: b, port: 70000, start: 2s}
  - {kind: udp_sender, host: a, dst: 10.0.0.2, dport: 9, size: 70000, rate: 10kpps, stop: 3s}
  - {kind: tcp_bulk, host: a, dst: 10.0.0.2, port: 80, cc: bbr}
)",
       {"t.yaml:10:37: apps[0].port: \"70000\" is out of range (1..65535)",
        "t.yaml:10:51: apps[0].start: at or after the end of the simulation (simulation.stop)",
        "t.yaml:11:64: apps[1].size: \"70000\" is out of range (0..65535 bytes)",
        "t.yaml:11:77: apps[1].rate: bad packet rate \"10kpps\" (write e.g. 1000pps)",
        "t.yaml:11:91: apps[1].stop: after the end of the simulation (simulation.stop)",
        "t.yaml:12:60: apps[2].cc: unknown congestion control \"bbr\" (known: cubic, reno)"}},
      {"apps: two sockets on one port", kBase + R"(apps:
  - {kind: udp_sink, host: b, port: 9000}
  - {kind: tcp_sink, host: b, port: 9000}
  - {kind: udp_sender, host: b, dst: 10.0.0.1, dport: 9, size: 1, sport: 9000}
)",
       {"t.yaml:12:74: apps[2].sport: 9000/udp on b is already bound by apps[0]"}},
      {"apps: unreachable destination (auto routes)", kBase + "apps:\n  - {kind: ping, host: a, dst: 10.0.9.2}\n",
       {"t.yaml:10:32: apps[0].dst: host a cannot reach 10.0.9.2: no path"}},
      {"routes: mode, gateway off-link, host bits", R"(simulation: {stop: 1s}
routes: automatic
hosts:
  - name: a
    interfaces: [{name: eth0, address: 10.0.0.1/24}]
    routes:
      - {dst: 10.0.9.1/24, via: 10.0.0.2}
      - {dst: default, dev: eth1}
      - {dst: 10.0.8.0/24}
)",
       {"t.yaml:2:9: routes: expected auto or manual, got \"automatic\"",
        "t.yaml:7:15: hosts[0].routes[0].dst: host bits are set (did you mean 10.0.9.0/24?)",
        "t.yaml:8:29: hosts[0].routes[1].dev: host a has no interface \"eth1\" (did you mean \"eth0\"?)",
        "t.yaml:9:9: hosts[0].routes[2]: a route needs via (a gateway), dev, or both"}},
      {"netfilter: hooks, protocols, ports", R"(simulation: {stop: 1s}
hosts:
  - name: a
    netfilter:
      - {hook: LOCAL_OUTPUT, action: DROP}
      - {hook: FORWARD, proto: icmp, dport: 80, action: DROP}
      - {hook: LOCAL_IN, proto: udp, sport: 2000-1000, action: REJECT}
)",
       {"t.yaml:5:16: hosts[0].netfilter[0].hook: \"LOCAL_OUTPUT\" is not one of: PRE_ROUTING, LOCAL_IN, FORWARD, LOCAL_OUT, POST_ROUTING (did you mean \"LOCAL_OUT\"?)",
        "t.yaml:6:38: hosts[0].netfilter[1].dport: ports need proto udp or tcp",
        "t.yaml:7:45: hosts[0].netfilter[2].sport: expected a port or a range like 1000-2000, got \"2000-1000\"",
        "t.yaml:7:64: hosts[0].netfilter[2].action: \"REJECT\" is not one of: ACCEPT, DROP"}},
      {"outputs: pcap, trace", kBase + R"(outputs:
  pcap: ["a:eth0", "a:eth0", "b:eth7"]
  trace: {format: json, filter: {host: z, layer: [ip, qdisc]}}
  counter: x.json
)",
       {"t.yaml:10:20: outputs.pcap[1]: a:eth0 is listed twice",
        "t.yaml:10:30: outputs.pcap[2]: host b has no interface \"eth7\" (did you mean \"eth0\"?)",
        "t.yaml:11:10: outputs.trace: missing required key \"file\"",
        "t.yaml:11:19: outputs.trace.format: \"json\" is not one of: text, jsonl, perfetto (did you mean \"jsonl\"?)",
        "t.yaml:11:40: outputs.trace.filter.host: no host named \"z\" (did you mean \"a\"?)",
        "t.yaml:11:55: outputs.trace.filter.layer: unknown layer \"qdisc\" (layers: app, dev, driver, ip, neigh, nic, socket, syscall, tcp, udp, wire)",
        "t.yaml:12:3: outputs.counter: unknown key \"counter\" (did you mean \"counters\"?)"}},
      {"duplicate keys", R"(simulation:
  stop: 1s
  stop: 2s
)" + kHosts,
       {"t.yaml:3:3: simulation.stop: duplicate key (first at line 2)"}},
  };
  for (const BadCase& c : cases) {
    INFO("case: " << c.what);
    CHECK(errors_of(c.yaml) == c.errors);
  }
  CHECK(cases.size() >= 20);
}

TEST_CASE("unreachable destinations are errors under routes: auto", "[scenario][routes]") {
  const std::string yaml = R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces: [{name: eth0, address: 10.0.0.1/24}]
  - name: b
    interfaces:
      - {name: eth0, address: 10.0.0.2/24}
      - {name: eth1, address: 10.0.1.1/24}
  - name: c
    interfaces: [{name: eth0, address: 10.0.1.2/24}]
links:
  - {a: "a:eth0", b: "b:eth0"}
  - {a: "b:eth1", b: "c:eth0"}
apps:
  - {kind: ping, host: a, dst: 10.0.1.2}
  - {kind: udp_sender, host: c, dst: 10.0.0.1, dport: 9, size: 10}
  - {kind: ping, host: a, dst: 10.0.0.77}
)";
  // b does not forward: no path either way. 10.0.0.77 is on a's own
  // subnet though nobody owns it: allowed (ARP fails at run time).
  CHECK(errors_of(yaml) == std::vector<std::string>{
                               "t.yaml:15:32: apps[0].dst: host a cannot reach 10.0.1.2: no path",
                               "t.yaml:16:38: apps[1].dst: host c cannot reach 10.0.0.1: no path"});
  // Forwarding on b fixes both.
  std::string fixed = yaml;
  fixed.replace(fixed.find("  - name: b\n"), 12, "  - name: b\n    sysctls: {net.ipv4.ip_forward: 1}\n");
  CHECK(errors_of(fixed).empty());
  // Manual routes: no computed routes and no reachability check.
  CHECK(errors_of("routes: manual\n" + yaml).empty());
}

TEST_CASE("a good scenario file loads with the expected values", "[scenario]") {
  LoadResult r = load_scenario("tests/data/good_router.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  const Scenario& s = r.scenario;
  CHECK(s.file == "tests/data/good_router.yaml");
  CHECK(s.sim.stop == sim::ms(2500));
  CHECK(s.sim.seed == 42);
  CHECK(s.sim.hz == 1000);
  CHECK(s.routes == RoutesMode::kAuto);
  REQUIRE(s.hosts.size() == 4);

  const HostSpec& h1 = s.hosts[0];
  CHECK(h1.name == "h1");
  CHECK(h1.cpus == 2);
  CHECK(h1.sysctls.kernel_hz == 1000);
  CHECK(h1.sysctls.core_netdev_budget == 600);
  CHECK(h1.sysctls.tcp_wmem[1] == 65536);
  CHECK(h1.sysctls.core_dev_weight == 64);  // untouched default
  REQUIRE(h1.interfaces.size() == 1);
  const InterfaceSpec& e = h1.interfaces[0];
  CHECK(e.name == "eth0");
  CHECK(e.has_address);
  CHECK(e.address == 0x0a000101u);
  CHECK(e.prefix_len == 24);
  CHECK(e.mtu == 9000);
  CHECK(e.nic.mtu == 9000);
  CHECK(e.txqueuelen == 500);
  CHECK(e.qdisc.kind == "fq_codel");  // net.core.default_qdisc
  CHECK_FALSE(e.qdisc_explicit);
  CHECK(e.nic.line_rate_bps == 10000000000ull);  // written: kept although the link is 1gbit
  CHECK(e.nic.tx_queues == 2);
  CHECK(e.nic.tx_ring == 256);
  CHECK(e.nic.rx_usecs == sim::ns(12500));
  CHECK(e.nic.tso);
  CHECK_FALSE(e.nic.gro);
  CHECK(e.nic.pcie_gen == 3);
  CHECK(e.xps == std::vector<std::vector<uint16_t>>{{0}, {1}});
  CHECK(e.mac_derived);
  CHECK(e.mac[0] == 0x02);
  CHECK(e.link == 0);
  REQUIRE(h1.netfilter.size() == 2);
  CHECK(h1.netfilter[0].hook == NetfilterRule::Hook::kLocalOut);
  CHECK(h1.netfilter[0].proto == NetfilterRule::Proto::kUdp);
  CHECK(h1.netfilter[0].dst == 0x0a000200u);
  CHECK(h1.netfilter[0].dst_len == 24);
  CHECK(h1.netfilter[0].src_len == 0);
  CHECK(h1.netfilter[0].dport_lo == 9000);
  CHECK(h1.netfilter[0].dport_hi == 9010);
  CHECK(h1.netfilter[0].sport_lo == 0);
  CHECK(h1.netfilter[0].sport_hi == 65535);
  CHECK(h1.netfilter[0].action == NetfilterRule::Action::kDrop);
  CHECK(h1.netfilter[1].hook == NetfilterRule::Hook::kPostRouting);
  CHECK(h1.netfilter[1].action == NetfilterRule::Action::kAccept);
  CHECK(format_routes(h1) == std::vector<std::string>{"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1",
                                                      "10.0.2.0/24 via 10.0.1.254 dev eth0 metric 1"});

  const HostSpec& r1 = s.hosts[1];
  CHECK(r1.sysctls.ipv4_ip_forward == 1);
  CHECK(r1.sysctls.core_default_qdisc == "pfifo_fast");
  const InterfaceSpec& r0 = r1.interfaces[0];
  CHECK(format_mac(r0.mac) == "02:aa:00:00:00:01");
  CHECK_FALSE(r0.mac_derived);
  CHECK(r0.qdisc_explicit);
  CHECK(r0.qdisc.kind == "tbf");
  CHECK(r0.qdisc.rate_bps == 100000000ull);
  CHECK(r0.qdisc.burst == 32768u);
  CHECK(r0.qdisc.latency == sim::ms(50));
  CHECK_FALSE(r0.qdisc.limit_bytes.has_value());
  REQUIRE(r0.qdisc.child);
  CHECK(r0.qdisc.child->kind == "fq_codel");
  CHECK(r0.qdisc.child->target == sim::ms(5));
  CHECK(r0.nic.line_rate_bps == 1000000000ull);  // not written: the link's rate
  CHECK(r1.interfaces[1].qdisc.kind == "pfifo");
  CHECK_FALSE(r1.interfaces[1].qdisc.limit.has_value());  // from txqueuelen at build time

  const HostSpec& h3 = s.hosts[3];
  // The explicit default route stays next to the computed one.
  CHECK(format_routes(h3) == std::vector<std::string>{"10.0.1.0/24 via 10.0.2.254 dev eth0 metric 1",
                                                      "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.3",
                                                      "default via 10.0.2.254 dev eth0"});
  CHECK(h3.routes.back().origin == RouteSpec::Origin::kExplicit);

  REQUIRE(s.switches.size() == 1);
  CHECK(s.switches[0].name == "s1");
  CHECK(s.switches[0].queue == 200);
  CHECK(s.switches[0].ports == std::vector<std::string>{"p1", "p2", "p3"});

  REQUIRE(s.links.size() == 4);
  CHECK(s.links[0].a.to_string() == "h1:eth0");
  CHECK(s.links[0].b.to_string() == "r1:eth0");
  CHECK(s.links[0].b.index == 1);
  CHECK(s.links[0].b.port_index == 0);
  CHECK(s.links[0].config.rate_bps == 1000000000ull);
  CHECK(s.links[0].config.delay == sim::ms(1));
  CHECK(s.links[0].config.loss_ppb32 == 4294967u);
  CHECK(s.links[1].b.is_switch);
  CHECK(s.links[1].b.port_index == 0);
  CHECK(s.links[1].queue == 64u);
  CHECK(s.links[1].config.delay == sim::us(10));
  CHECK(s.links[2].config.delay == nic_model::LinkConfig{}.delay);

  REQUIRE(s.apps.size() == 6);
  CHECK(s.apps[0].kind == AppSpec::Kind::kUdpSink);
  const auto& sink = std::get<UdpSinkParams>(s.apps[0].params);
  CHECK(sink.port == 9000);
  CHECK(sink.rcvbuf == 262144u);
  CHECK(sink.read_delay == sim::us(20));
  CHECK(s.apps[0].stop == sim::Time::zero() + sim::ms(2500));
  const auto& tx = std::get<UdpSenderParams>(s.apps[1].params);
  CHECK(s.apps[1].host_index == 0);
  CHECK(s.apps[1].start == sim::Time::zero() + sim::ms(100));
  CHECK(tx.dst == 0x0a000202u);
  CHECK(tx.dport == 9000);
  CHECK_FALSE(tx.sport.has_value());
  CHECK(tx.size == 1472);
  CHECK(tx.rate_bps == 500000000u);
  CHECK(tx.count == 1000u);
  CHECK_FALSE(tx.pps.has_value());
  const auto& ping = std::get<PingParams>(s.apps[2].params);
  CHECK(ping.count == 3u);
  CHECK(ping.interval == sim::ms(200));
  CHECK(ping.size == 56);
  const auto& tx2 = std::get<UdpSenderParams>(s.apps[3].params);
  CHECK(tx2.pps == 1000u);
  CHECK(tx2.burst == 4);
  CHECK(tx2.connect);
  CHECK(tx2.tos == 16);
  CHECK(s.apps[3].stop == sim::Time::zero() + sim::sec(2));
  CHECK(std::get<TcpSinkParams>(s.apps[4].params).port == 5001);
  const auto& bulk = std::get<TcpBulkParams>(s.apps[5].params);
  CHECK(bulk.bytes == 10485760u);
  CHECK(bulk.cc == "reno");

  CHECK_FALSE(s.outputs.pcap_all);
  REQUIRE(s.outputs.pcap.size() == 2);
  CHECK(s.outputs.pcap[1].to_string() == "r1:eth1");
  REQUIRE(s.outputs.trace);
  CHECK(s.outputs.trace->file == "trace.jsonl");
  CHECK(s.outputs.trace->format == TraceSpec::Format::kJsonl);
  CHECK(s.outputs.trace->host == "r1");
  CHECK(s.outputs.trace->layers == std::vector<std::string>{"ip", "dev"});
  CHECK(s.outputs.counters == "counters.json");
}

TEST_CASE("derived MACs are deterministic, unicast, locally administered, distinct", "[scenario]") {
  LoadResult a = load_scenario_from_string(kBase, "x.yaml");
  LoadResult b = load_scenario_from_string(kBase, "y.yaml");
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  const auto& m0 = a.scenario.hosts[0].interfaces[0].mac;
  const auto& m1 = a.scenario.hosts[1].interfaces[0].mac;
  CHECK(m0 == b.scenario.hosts[0].interfaces[0].mac);
  CHECK(m0 != m1);
  CHECK(m0[0] == 0x02);  // locally administered, unicast
  CHECK(m1[0] == 0x02);
}

TEST_CASE("autonegotiation: link and NIC rates", "[scenario]") {
  const std::string yaml = R"(simulation: {stop: 1s}
hosts:
  - name: a
    interfaces: [{name: eth0, address: 10.0.0.1/24, nic: {line_rate: 25gbit}}]
  - name: b
    interfaces: [{name: eth0, address: 10.0.0.2/24, nic: {line_rate: 10gbit}}]
  - name: c
    interfaces: [{name: eth0, address: 10.0.1.1/24}]
  - name: d
    interfaces: [{name: eth0, address: 10.0.1.2/24}]
links:
  - {a: "a:eth0", b: "b:eth0"}
  - {a: "c:eth0", b: "d:eth0"}
)";
  LoadResult r = load_scenario_from_string(yaml, "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  CHECK(r.scenario.links[0].config.rate_bps == 10000000000ull);  // the slower NIC
  CHECK(r.scenario.hosts[0].interfaces[0].nic.line_rate_bps == 25000000000ull);
  CHECK(r.scenario.links[1].config.rate_bps == 1000000000ull);  // LinkConfig's default
  CHECK(r.scenario.hosts[2].interfaces[0].nic.line_rate_bps == 1000000000ull);
}

TEST_CASE("loading never throws on odd input", "[scenario]") {
  // Shapes that have tripped YAML loaders: wrong node types everywhere.
  const std::vector<std::string> inputs = {
      "simulation: []\nhosts: [1, [2], {}]\n",
      "simulation: {stop: 1s}\nhosts:\n  - name: [a]\n    interfaces: 3\n",
      "simulation: {stop: 1s}\nhosts: [{name: a, interfaces: [{name: e, qdisc: {kind: tbf, rate: 1mbit, burst: 1k, "
      "latency: 1ms, child: {kind: tbf, rate: 1mbit, burst: 1k, latency: 1ms, child: {kind: tbf, rate: 1mbit, burst: 1k, "
      "latency: 1ms, child: {kind: tbf, rate: 1mbit, burst: 1k, latency: 1ms, child: {kind: tbf, rate: 1mbit, burst: 1k, "
      "latency: 1ms, child: {kind: tbf, rate: 1mbit, burst: 1k, latency: 1ms, child: pfifo}}}}}}}]}]\n",
      "simulation: {stop: 1s}\nhosts: [{name: a, sysctls: [1]}]\nlinks: [[], {a: [], b: {}}]\napps: [1, {kind: []}, {kind: ping}]\n",
      "simulation: {stop: 1s}\nhosts: [{name: a}]\noutputs: {pcap: 3, trace: [], counters: {}}\n",
      "? [complex, key]\n: value\n",
      "simulation: {stop: 1s}\nhosts: [{name: a, interfaces: [{name: e, xps: [{}, [x], \"0-\"]}]}]\n",
      "&a [*a]\n",
      "simulation: {stop: 99999999999999999999s}\nhosts: [{name: a}]\n",
      "!!binary aGVsbG8=\n",
      "---\n---\n",
      std::string("simulation: {stop: 1s}\x00\x01\xff\n", 26),
  };
  std::vector<std::string> all = inputs;
  all.push_back(std::string(100000, '['));                                          // deep nesting
  all.push_back("a: " + std::string(3000, '{') + "b: 1" + std::string(3000, '}'));  // deep maps
  for (const std::string& in : all) {
    INFO(in.substr(0, 200));
    LoadResult r;
    REQUIRE_NOTHROW(r = load_scenario_from_string(in, "odd.yaml"));
    CHECK_FALSE(r.ok());
    for (const Diagnostic& d : r.errors) CHECK(d.to_string().rfind("odd.yaml", 0) == 0);
  }
}

TEST_CASE("YAML nesting beyond yaml-cpp's limit is a plain error", "[scenario]") {
  std::vector<std::string> e = errors_of(std::string(100000, '['));
  REQUIRE(e.size() == 1);
  CHECK(e[0].find(": YAML nesting is too deep") != std::string::npos);
}

TEST_CASE("a file that cannot be opened", "[scenario]") {
  LoadResult r = load_scenario("tests/data/no_such_file.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "tests/data/no_such_file.yaml: cannot open the file");
}

namespace {
// The ```yaml blocks of a Markdown file, in order.
std::vector<std::string> yaml_blocks(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> blocks;
  std::string line, cur;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```yaml") {
      inside = true;
      cur.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(cur);
    } else if (inside) {
      cur += line + "\n";
    }
  }
  return blocks;
}
}  // namespace

TEST_CASE("the examples in scenarios/README.md are valid", "[scenario][docs]") {
  std::vector<std::string> blocks = yaml_blocks("scenarios/README.md");
  REQUIRE(blocks.size() >= 15);
  int complete = 0;
  for (const std::string& b : blocks) {
    INFO(b);
    // A complete scenario: the first line that is not a comment opens `simulation:`.
    size_t pos = 0;
    while (pos < b.size() && b[pos] == '#') pos = b.find('\n', pos) + 1;
    LoadResult r = load_scenario_from_string(b, "README.md");
    if (b.compare(pos, 11, "simulation:") == 0 && b.find("hosts:") != std::string::npos) {
      complete++;
      CHECK(r.error_text() == "");
    } else {
      // A fragment: at least well-formed YAML.
      for (const Diagnostic& d : r.errors) CHECK(d.message.rfind("YAML syntax error", 0) != 0);
    }
  }
  CHECK(complete >= 2);
}
