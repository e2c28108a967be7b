// tests/routes_test.cc: routing tables from `routes: auto` (tools/routes.h)
// on small topologies, tie-breaks, explicit routes, and path tracing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "tools/routes.h"
#include "tools/scenario.h"
#include "tools/units.h"

using namespace tools;

namespace {

Scenario load(const std::string& yaml) {
  LoadResult r = load_scenario_from_string(yaml, "t.yaml");
  INFO(r.error_text());
  REQUIRE(r.ok());
  return std::move(r.scenario);
}

std::vector<std::string> table(const Scenario& s, const char* host) {
  const HostSpec* h = s.host(host);
  REQUIRE(h);
  return format_routes(*h);
}

uint32_t ip(const char* a) { return parse_ipv4(a).value; }

std::vector<std::string> hops(const Scenario& s, const char* from, const char* dst) {
  PathTrace t = trace_route(s, s.host_index(from), ip(dst));
  INFO(t.why);
  CHECK(t.reached);
  return t.hops;
}

const char* kForward = "    sysctls: {net.ipv4.ip_forward: 1}\n";

// h1 - r - h2: a line of three hosts, the middle one a router.
const std::string kLine = std::string(R"(simulation: {stop: 1s}
hosts:
  - name: h1
    interfaces: [{name: eth0, address: 10.0.1.1/24}]
  - name: r
)") + kForward + R"(    interfaces:
      - {name: eth0, address: 10.0.1.254/24}
      - {name: eth1, address: 10.0.2.254/24}
  - name: h2
    interfaces: [{name: eth0, address: 10.0.2.2/24}]
links:
  - {a: "h1:eth0", b: "r:eth0"}
  - {a: "r:eth1", b: "h2:eth0"}
)";

}  // namespace

TEST_CASE("a line of three hosts with a router", "[routes]") {
  Scenario s = load(kLine);
  CHECK(table(s, "h1") == std::vector<std::string>{"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1",
                                                   "10.0.2.0/24 via 10.0.1.254 dev eth0 metric 1"});
  CHECK(table(s, "r") == std::vector<std::string>{"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.254",
                                                  "10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.254"});
  CHECK(table(s, "h2") == std::vector<std::string>{"10.0.1.0/24 via 10.0.2.254 dev eth0 metric 1",
                                                   "10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.2"});
  CHECK(hops(s, "h1", "10.0.2.2") == std::vector<std::string>{"h1", "r", "h2"});
  CHECK(hops(s, "h2", "10.0.1.1") == std::vector<std::string>{"h2", "r", "h1"});
  // The router's far address is reached at the router.
  CHECK(hops(s, "h1", "10.0.2.254") == std::vector<std::string>{"h1", "r"});
  CHECK(hops(s, "h1", "10.0.1.1") == std::vector<std::string>{"h1"});
  // Typed view of the same table: what the world builder reads.
  const RouteSpec& r = s.host("h1")->routes[1];
  CHECK(r.dst == ip("10.0.2.0"));
  CHECK(r.prefix_len == 24);
  CHECK(r.gateway == ip("10.0.1.254"));
  CHECK(r.dev == "eth0");
  CHECK(r.origin == RouteSpec::Origin::kAuto);
  CHECK(s.host("h1")->routes[0].origin == RouteSpec::Origin::kConnected);
}

TEST_CASE("without ip_forward the router routes nothing", "[routes]") {
  std::string yaml = kLine;
  yaml.erase(yaml.find(kForward), std::string(kForward).size());
  Scenario s = load(yaml);
  CHECK(table(s, "h1") == std::vector<std::string>{"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1"});
  PathTrace t = trace_route(s, s.host_index("h1"), ip("10.0.2.2"));
  CHECK_FALSE(t.reached);
  CHECK(t.why == "no path");
  // With a hand-written route, the path stops at the router instead.
  std::string manual = yaml;
  manual.replace(manual.find("  - name: r\n"), 0, "    routes: [{dst: 10.0.2.0/24, via: 10.0.1.254}]\n");
  Scenario m = load("routes: manual\n" + manual);
  t = trace_route(m, m.host_index("h1"), ip("10.0.2.2"));
  CHECK_FALSE(t.reached);
  CHECK(t.hops == std::vector<std::string>{"h1", "r"});
  CHECK(t.why == "no path (r does not forward: net.ipv4.ip_forward=0)");
}

TEST_CASE("a dumbbell: two LANs behind two routers", "[routes]") {
  // h1, h2 - s1 - r1 ==(10.0.0.0/30)== r2 - s2 - h3, h4
  Scenario s = load(std::string(R"(simulation: {stop: 1s}
hosts:
  - name: h1
    interfaces: [{name: eth0, address: 10.1.0.1/24}]
  - name: h2
    interfaces: [{name: eth0, address: 10.1.0.2/24}]
  - name: r1
)") + kForward + R"(    interfaces:
      - {name: eth0, address: 10.1.0.254/24}
      - {name: eth1, address: 10.0.0.1/30}
  - name: r2
)" + kForward + R"(    interfaces:
      - {name: eth0, address: 10.2.0.254/24}
      - {name: eth1, address: 10.0.0.2/30}
  - name: h3
    interfaces: [{name: eth0, address: 10.2.0.3/24}]
  - name: h4
    interfaces: [{name: eth0, address: 10.2.0.4/24}]
switches: [{name: s1}, {name: s2}]
links:
  - {a: "h1:eth0", b: "s1:p1"}
  - {a: "h2:eth0", b: "s1:p2"}
  - {a: "r1:eth0", b: "s1:p3"}
  - {a: "r1:eth1", b: "r2:eth1", rate: 10mbit, delay: 10ms}
  - {a: "r2:eth0", b: "s2:p1"}
  - {a: "h3:eth0", b: "s2:p2"}
  - {a: "h4:eth0", b: "s2:p3"}
)");
  CHECK(table(s, "h1") == std::vector<std::string>{"10.0.0.0/30 via 10.1.0.254 dev eth0 metric 1",
                                                   "10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.1",
                                                   "10.2.0.0/24 via 10.1.0.254 dev eth0 metric 2"});
  CHECK(table(s, "r1") == std::vector<std::string>{"10.0.0.0/30 dev eth1 proto kernel scope link src 10.0.0.1",
                                                   "10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.254",
                                                   "10.2.0.0/24 via 10.0.0.2 dev eth1 metric 1"});
  CHECK(table(s, "h4") == std::vector<std::string>{"10.0.0.0/30 via 10.2.0.254 dev eth0 metric 1",
                                                   "10.1.0.0/24 via 10.2.0.254 dev eth0 metric 2",
                                                   "10.2.0.0/24 dev eth0 proto kernel scope link src 10.2.0.4"});
  CHECK(hops(s, "h1", "10.2.0.4") == std::vector<std::string>{"h1", "r1", "r2", "h4"});
  CHECK(hops(s, "h3", "10.1.0.2") == std::vector<std::string>{"h3", "r2", "r1", "h2"});
  // Across a switch, hosts of one LAN are a single IP hop apart.
  CHECK(hops(s, "h1", "10.1.0.2") == std::vector<std::string>{"h1", "h2"});
}

TEST_CASE("a switch LAN: connected routes only", "[routes]") {
  Scenario s = load(R"(simulation: {stop: 1s}
hosts:
  - {name: a, interfaces: [{name: eth0, address: 192.168.1.1/24}]}
  - {name: b, interfaces: [{name: eth0, address: 192.168.1.2/24}]}
  - {name: c, interfaces: [{name: eth0, address: 192.168.1.3/24}]}
switches: [{name: sw}]
links:
  - {a: "a:eth0", b: "sw:1"}
  - {a: "b:eth0", b: "sw:2"}
  - {a: "c:eth0", b: "sw:3"}
apps:
  - {kind: ping, host: a, dst: 192.168.1.3}
)");
  for (const char* h : {"a", "b", "c"}) {
    INFO(h);
    REQUIRE(s.host(h)->routes.size() == 1);
    CHECK(s.host(h)->routes[0].origin == RouteSpec::Origin::kConnected);
    CHECK(s.host(h)->routes[0].dst == ip("192.168.1.0"));
  }
  CHECK(hops(s, "c", "192.168.1.1") == std::vector<std::string>{"c", "a"});
  CHECK(s.switches[0].ports == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("unreachable: subnets on links that no router joins", "[routes]") {
  // Two separate pairs; nothing connects them.
  const std::string yaml = R"(simulation: {stop: 1s}
hosts:
  - {name: a, interfaces: [{name: eth0, address: 10.0.0.1/24}]}
  - {name: b, interfaces: [{name: eth0, address: 10.0.0.2/24}]}
  - {name: c, interfaces: [{name: eth0, address: 10.9.0.1/24}]}
  - {name: d, interfaces: [{name: eth0, address: 10.9.0.2/24}]}
links:
  - {a: "a:eth0", b: "b:eth0"}
  - {a: "c:eth0", b: "d:eth0"}
)";
  Scenario s = load(yaml);
  PathTrace t = trace_route(s, s.host_index("a"), ip("10.9.0.2"));
  CHECK_FALSE(t.reached);
  CHECK(t.why == "no path");
  LoadResult r = load_scenario_from_string(yaml + "apps: [{kind: tcp_bulk, host: a, dst: 10.9.0.2, port: 80}]\n", "t.yaml");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].to_string() == "t.yaml:10:39: apps[0].dst: host a cannot reach 10.9.0.2: no path");
  // The same subnet on two unconnected links is ambiguous under auto routes.
  std::string dup = yaml;
  dup.replace(dup.find("10.9.0.1/24"), 11, "10.0.0.3/24");
  dup.replace(dup.find("10.9.0.2/24"), 11, "10.0.0.4/24");
  r = load_scenario_from_string(dup, "t.yaml");
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].to_string() ==
        "t.yaml:5:50: hosts[2].interfaces[0].address: subnet 10.0.0.0/24 is also on a:eth0, which is on another link; "
        "routes: auto needs one subnet per link");
}

namespace {
// h has two routers, x (on eth0) and y (on eth1), each one hop from the far
// LAN 10.9.0.0/24: equal cost, so the tie-break decides.
std::string square(bool swap_order) {
  std::string hx = "  - name: x\n" + std::string(kForward) +
                   "    interfaces: [{name: eth0, address: 10.0.1.2/24}, {name: eth1, address: 10.9.0.2/24}]\n";
  std::string hy = "  - name: y\n" + std::string(kForward) +
                   "    interfaces: [{name: eth0, address: 10.0.2.2/24}, {name: eth1, address: 10.9.0.3/24}]\n";
  std::string links_a = "  - {a: \"h:eth0\", b: \"x:eth0\"}\n  - {a: \"x:eth1\", b: \"s:1\"}\n";
  std::string links_b = "  - {a: \"h:eth1\", b: \"y:eth0\"}\n  - {a: \"y:eth1\", b: \"s:2\"}\n";
  return "simulation: {stop: 1s}\nhosts:\n"
         "  - name: h\n    interfaces: [{name: eth0, address: 10.0.1.1/24}, {name: eth1, address: 10.0.2.1/24}]\n" +
         (swap_order ? hy + hx : hx + hy) +
         "  - {name: z, interfaces: [{name: eth0, address: 10.9.0.9/24}]}\n"
         "switches: [{name: s}]\nlinks:\n" +
         (swap_order ? links_b + links_a : links_a + links_b) + "  - {a: \"z:eth0\", b: \"s:3\"}\n";
}
}  // namespace

TEST_CASE("equal-cost paths: the lower device name wins, whatever the file order", "[routes]") {
  Scenario s = load(square(false));
  Scenario t = load(square(true));
  const std::vector<std::string> want = {"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1",
                                         "10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.1",
                                         "10.9.0.0/24 via 10.0.1.2 dev eth0 metric 1"};
  CHECK(table(s, "h") == want);
  CHECK(table(t, "h") == want);
  // z sees both routers on its LAN: same device, so the lower gateway.
  CHECK(table(s, "z") == table(t, "z"));
  CHECK(table(s, "z")[0] == "10.0.1.0/24 via 10.9.0.2 dev eth0 metric 1");
  CHECK(table(s, "z")[1] == "10.0.2.0/24 via 10.9.0.3 dev eth0 metric 1");
  // x reaches y's subnet 10.0.2.0/24 through y only: h, also on it, does
  // not forward.
  CHECK(table(s, "x")[1] == "10.0.2.0/24 via 10.9.0.3 dev eth1 metric 1");
}

TEST_CASE("explicit routes stay and win over computed ones", "[routes]") {
  std::string yaml = square(false);
  // Force h's way to the far LAN through y, and add a default route.
  yaml.replace(yaml.find("  - name: x\n"), 0,
               "    routes: [{dst: 10.9.0.0/24, via: 10.0.2.2, metric: 5}, {dst: default, via: 10.0.1.2}]\n");
  Scenario s = load(yaml);
  CHECK(table(s, "h") == std::vector<std::string>{"10.0.1.0/24 dev eth0 proto kernel scope link src 10.0.1.1",
                                                  "10.0.2.0/24 dev eth1 proto kernel scope link src 10.0.2.1",
                                                  "10.9.0.0/24 via 10.0.2.2 dev eth1 metric 5",
                                                  "default via 10.0.1.2 dev eth0"});
  CHECK(hops(s, "h", "10.9.0.9") == std::vector<std::string>{"h", "y", "z"});
}

TEST_CASE("explicit gateways must be on a connected subnet", "[routes]") {
  std::string yaml = kLine;
  yaml.replace(yaml.find("  - name: r\n"), 0,
               "    routes:\n      - {dst: 10.0.7.0/24, via: 10.0.5.1}\n      - {dst: 10.0.8.0/24, via: 10.0.1.1}\n");
  LoadResult r = load_scenario_from_string(yaml, "t.yaml");
  CHECK(r.error_text() ==
        "t.yaml:6:33: hosts[0].routes[0].via: gateway 10.0.5.1 is not in a subnet of any interface of h1 "
        "(Nexthop has invalid gateway)\n"
        "t.yaml:7:33: hosts[0].routes[1].via: gateway 10.0.1.1 is h1's own address\n");
}

TEST_CASE("a routing loop written by hand is found", "[routes]") {
  std::string yaml = kLine;
  // h1 sends 10.0.9.0/24 to r, r sends it back to h1 (which forwards).
  yaml.replace(yaml.find("  - name: r\n"), 0, std::string(kForward) + "    routes: [{dst: 10.0.9.0/24, via: 10.0.1.254}]\n");
  yaml.replace(yaml.find("    interfaces:\n      - {name: eth0, address: 10.0.1.254/24}"), 0,
               "    routes: [{dst: 10.0.9.0/24, via: 10.0.1.1}]\n");
  Scenario s = load("routes: manual\n" + yaml);
  PathTrace t = trace_route(s, s.host_index("h1"), ip("10.0.9.5"));
  CHECK_FALSE(t.reached);
  CHECK(t.why == "routing loop: h1 -> r -> h1");
}

TEST_CASE("route tables are sorted longest prefix first", "[routes]") {
  std::string yaml = kLine;
  yaml.replace(yaml.find("  - name: r\n"), 0,
               "    routes: [{dst: default, via: 10.0.1.254}, {dst: 10.0.2.128/25, via: 10.0.1.254}, {dst: 10.0.1.7/32, dev: eth0}]\n");
  Scenario s = load(yaml);
  std::vector<uint8_t> lens;
  for (const RouteSpec& r : s.host("h1")->routes) lens.push_back(r.prefix_len);
  CHECK(lens == std::vector<uint8_t>{32, 25, 24, 24, 0});
  CHECK(table(s, "h1")[0] == "10.0.1.7/32 dev eth0");
}
