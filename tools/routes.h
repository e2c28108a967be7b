// tools/routes.h: routing tables for a scenario (`routes: auto`) and the
// checks that every destination an application uses can be reached.
//
// The topology is seen the way IP sees it: switches are transparent (L2),
// so hosts whose interfaces sit on the same L2 segment and in the same
// subnet are one IP hop apart. `routes: auto` runs Dijkstra (Boost.Graph)
// from each host over that graph, through hosts with net.ipv4.ip_forward=1
// only, and gives each host a route to every subnet it can reach, next hop
// = the neighbour's address on the shared subnet. Ties between equal-cost
// paths go to the lower (device name, gateway address), so tables do not
// depend on the order of the file. Explicit routes stay and win over
// computed ones for the same prefix.
//
//   std::vector<tools::RouteProblem> p = tools::compute_routes(scenario);
//   // scenario.hosts[i].routes: connected + explicit + computed, sorted
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/scenario.h"

namespace tools {

// A problem found while routing; `path` names the field it is about
// ("apps[0].dst", "hosts[1].routes[0].via").
struct RouteProblem {
  std::string path;
  std::string message;
};

// On entry each host's `routes` holds its explicit routes in file order
// (dev may be empty: then it is found from the gateway). On return it holds
// the full, sorted table. In auto mode also checks that every application
// destination is reachable (manual mode leaves unreachable destinations to
// the run: they are how ENETUNREACH and ARP failures are shown).
std::vector<RouteProblem> compute_routes(Scenario& s);

// Follows the routing tables hop by hop from host `from` towards `dst`
// (as the stack would: longest prefix, then gateway, on to the next host).
struct PathTrace {
  bool reached = false;  // a host owning dst, or dst's subnet (for an unowned address)
  std::vector<std::string> hops;  // host names, starting with `from`
  std::string why;                // when not reached
};
PathTrace trace_route(const Scenario& s, int from, uint32_t dst);

// `ip route` style lines of a host's table, for tests and `--dump`.
std::vector<std::string> format_routes(const HostSpec& h);

}  // namespace tools
