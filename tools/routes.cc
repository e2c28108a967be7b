// tools/routes.cc: routing tables for `routes: auto`, and path checks.
//
// Three steps: (1) L2 segments: union-find over links, a switch joining all
// its ports (frames cross switches, IP packets see one hop); (2) the IP
// adjacency graph: host u -> host v when an interface of u and one of v sit
// on the same segment and v's address lies in u's subnet; (3) per source
// host, Dijkstra (Boost.Graph) over that graph where only the source and
// forwarding hosts have out-edges, then a deterministic choice of first hop
// among equal-cost paths. Boost stays in this file.
#include "tools/routes.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <tuple>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>

#include "tools/units.h"

namespace tools {
namespace {

struct IfRef {
  int host;
  int iface;
};

bool forwards(const HostSpec& h) { return h.sysctls.ipv4_ip_forward != 0; }

uint32_t subnet_of(const InterfaceSpec& i) { return i.address & prefix_mask(i.prefix_len); }
bool in_subnet(const InterfaceSpec& i, uint32_t a) {
  return i.has_address && (a & prefix_mask(i.prefix_len)) == subnet_of(i);
}

std::string if_path(int h, int i) {
  return "hosts[" + std::to_string(h) + "].interfaces[" + std::to_string(i) + "]";
}

// L2 broadcast domains. An interface not on any link is a segment alone.
class Segments {
 public:
  explicit Segments(const Scenario& s) {
    // Node ids: every host interface, then every switch.
    for (const HostSpec& h : s.hosts) {
      base_.push_back(static_cast<int>(parent_.size()));
      for (size_t i = 0; i < h.interfaces.size(); i++) parent_.push_back(static_cast<int>(parent_.size()));
    }
    switch_base_ = static_cast<int>(parent_.size());
    for (size_t i = 0; i < s.switches.size(); i++) parent_.push_back(static_cast<int>(parent_.size()));
    for (const LinkSpec& l : s.links) unite(node(l.a), node(l.b));
  }
  int of(int host, int iface) { return find(base_[static_cast<size_t>(host)] + iface); }

 private:
  int node(const Endpoint& e) const {
    return e.is_switch ? switch_base_ + e.index : base_[static_cast<size_t>(e.index)] + e.port_index;
  }
  int find(int x) {
    while (parent_[static_cast<size_t>(x)] != x) x = parent_[static_cast<size_t>(x)] = parent_[static_cast<size_t>(parent_[static_cast<size_t>(x)])];
    return x;
  }
  void unite(int a, int b) {
    a = find(a);
    b = find(b);
    // The lower id becomes the root, so segment ids do not depend on link order.
    if (a != b) parent_[static_cast<size_t>(std::max(a, b))] = std::min(a, b);
  }
  std::vector<int> base_;
  int switch_base_ = 0;
  std::vector<int> parent_;
};

// u can send on-link to v's address: one IP hop.
struct Adjacency {
  int u, ui;  // host, interface of the sender
  int v, vi;  // host, interface of the neighbour
  uint32_t gw;  // the neighbour's address on that interface
};

std::vector<Adjacency> adjacencies(const Scenario& s, Segments& seg) {
  std::vector<Adjacency> out;
  for (size_t u = 0; u < s.hosts.size(); u++)
    for (size_t ui = 0; ui < s.hosts[u].interfaces.size(); ui++) {
      const InterfaceSpec& a = s.hosts[u].interfaces[ui];
      if (!a.has_address || a.link < 0) continue;
      for (size_t v = 0; v < s.hosts.size(); v++) {
        if (v == u) continue;
        for (size_t vi = 0; vi < s.hosts[v].interfaces.size(); vi++) {
          const InterfaceSpec& b = s.hosts[v].interfaces[vi];
          if (!b.has_address || !in_subnet(a, b.address)) continue;
          if (seg.of(static_cast<int>(u), static_cast<int>(ui)) != seg.of(static_cast<int>(v), static_cast<int>(vi))) continue;
          out.push_back({static_cast<int>(u), static_cast<int>(ui), static_cast<int>(v), static_cast<int>(vi), b.address});
        }
      }
    }
  return out;
}

// The first hop of a path: out of `dev` to `gw`; ordered for tie-breaks.
struct FirstHop {
  std::string dev;
  uint32_t gw = 0;
  bool set = false;
  bool operator<(const FirstHop& o) const { return std::tie(dev, gw) < std::tie(o.dev, o.gw); }
};

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_weight_t, uint32_t>>;
constexpr uint32_t kInf = std::numeric_limits<uint32_t>::max();

// Hop counts from `src` (kInf: unreachable) and, for each reachable host,
// the smallest first hop among its shortest paths.
void shortest_paths(const Scenario& s, const std::vector<Adjacency>& adj, int src, std::vector<uint32_t>& dist,
                    std::vector<FirstHop>& first) {
  size_t n = s.hosts.size();
  Graph g(n);
  for (const Adjacency& e : adj)
    // Only the source and routers pass packets on.
    if (e.u == src || forwards(s.hosts[static_cast<size_t>(e.u)])) boost::add_edge(static_cast<size_t>(e.u), static_cast<size_t>(e.v), 1u, g);
  dist.assign(n, kInf);
  boost::dijkstra_shortest_paths(g, static_cast<size_t>(src),
                                 boost::distance_map(boost::make_iterator_property_map(dist.begin(), boost::get(boost::vertex_index, g)))
                                     .distance_inf(kInf));
  // Dijkstra's own predecessor depends on edge order; instead take, per
  // host in order of distance, the least first hop over all its
  // shortest-path predecessors.
  first.assign(n, FirstHop{});
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return dist[a] < dist[b]; });
  for (size_t v : order) {
    if (dist[v] == kInf || static_cast<int>(v) == src) continue;
    for (const Adjacency& e : adj) {
      if (static_cast<size_t>(e.v) != v || dist[static_cast<size_t>(e.u)] == kInf || dist[static_cast<size_t>(e.u)] + 1 != dist[v]) continue;
      if (e.u != src && !forwards(s.hosts[static_cast<size_t>(e.u)])) continue;
      FirstHop c = e.u == src ? FirstHop{s.hosts[static_cast<size_t>(src)].interfaces[static_cast<size_t>(e.ui)].name, e.gw, true}
                              : first[static_cast<size_t>(e.u)];
      if (c.set && (!first[v].set || c < first[v])) first[v] = c;
    }
  }
}

bool route_less(const RouteSpec& a, const RouteSpec& b) {
  return std::make_tuple(-static_cast<int>(a.prefix_len), a.dst, a.metric, a.dev, a.gateway) <
         std::make_tuple(-static_cast<int>(b.prefix_len), b.dst, b.metric, b.dev, b.gateway);
}

// fib_lookup: longest prefix, then lowest metric (the table is sorted so).
const RouteSpec* lookup(const HostSpec& h, uint32_t dst) {
  for (const RouteSpec& r : h.routes)
    if ((dst & prefix_mask(r.prefix_len)) == r.dst) return &r;
  return nullptr;
}

bool owns(const HostSpec& h, uint32_t a) {
  return std::any_of(h.interfaces.begin(), h.interfaces.end(), [&](const InterfaceSpec& i) { return i.has_address && i.address == a; });
}

int iface_index(const HostSpec& h, const std::string& name) {
  for (size_t i = 0; i < h.interfaces.size(); i++)
    if (h.interfaces[i].name == name) return static_cast<int>(i);
  return -1;
}

PathTrace trace(const Scenario& s, Segments& seg, int from, uint32_t dst) {
  PathTrace t;
  int cur = from;
  std::vector<bool> seen(s.hosts.size(), false);
  for (size_t step = 0; step <= s.hosts.size(); step++) {
    const HostSpec& h = s.hosts[static_cast<size_t>(cur)];
    t.hops.push_back(h.name);
    seen[static_cast<size_t>(cur)] = true;
    if (owns(h, dst)) {
      t.reached = true;
      return t;
    }
    const RouteSpec* r = lookup(h, dst);
    if (!r) {
      t.why = step == 0 ? "no path" : "no path (" + h.name + " has no route to it)";
      return t;
    }
    uint32_t nh = r->gateway ? r->gateway : dst;
    int oi = iface_index(h, r->dev);
    if (oi < 0) {
      t.why = "route via unknown device " + r->dev + " on " + h.name;
      return t;
    }
    int next = -1;
    int my_seg = seg.of(cur, oi);
    for (size_t v = 0; v < s.hosts.size() && next < 0; v++) {
      if (static_cast<int>(v) == cur) continue;
      for (size_t vi = 0; vi < s.hosts[v].interfaces.size(); vi++) {
        const InterfaceSpec& b = s.hosts[v].interfaces[vi];
        if (b.has_address && b.address == nh && h.interfaces[static_cast<size_t>(oi)].link >= 0 &&
            seg.of(static_cast<int>(v), static_cast<int>(vi)) == my_seg) {
          next = static_cast<int>(v);
          break;
        }
      }
    }
    if (next < 0) {
      if (r->gateway) {
        t.why = "gateway " + format_ipv4(nh) + " of " + h.name + " is not reachable on " + r->dev;
      } else {
        // An address inside a reachable subnet that no host owns: the
        // run shows ARP failing (NEIGH-03), which a scenario may intend.
        t.reached = true;
      }
      return t;
    }
    const HostSpec& nx = s.hosts[static_cast<size_t>(next)];
    if (owns(nx, dst)) {
      t.hops.push_back(nx.name);
      t.reached = true;
      return t;
    }
    if (!forwards(nx)) {
      t.hops.push_back(nx.name);
      t.why = "no path (" + nx.name + " does not forward: net.ipv4.ip_forward=0)";
      return t;
    }
    if (seen[static_cast<size_t>(next)]) {
      t.hops.push_back(nx.name);
      std::string loop;
      for (const std::string& x : t.hops) loop += (loop.empty() ? "" : " -> ") + x;
      t.why = "routing loop: " + loop;
      return t;
    }
    cur = next;
  }
  t.why = "path too long";
  return t;
}

}  // namespace

std::vector<RouteProblem> compute_routes(Scenario& s) {
  std::vector<RouteProblem> problems;
  Segments seg(s);

  // In auto mode one subnet must be one segment: otherwise "the" way to
  // 10.0.1.0/24 would be ambiguous.
  if (s.routes == RoutesMode::kAuto) {
    std::map<std::pair<uint32_t, uint8_t>, std::pair<IfRef, int>> first_seen;
    for (size_t h = 0; h < s.hosts.size(); h++)
      for (size_t i = 0; i < s.hosts[h].interfaces.size(); i++) {
        const InterfaceSpec& ifc = s.hosts[h].interfaces[i];
        if (!ifc.has_address || ifc.link < 0) continue;
        int sg = seg.of(static_cast<int>(h), static_cast<int>(i));
        auto [it, fresh] = first_seen.emplace(std::make_pair(subnet_of(ifc), ifc.prefix_len),
                                              std::make_pair(IfRef{static_cast<int>(h), static_cast<int>(i)}, sg));
        if (!fresh && it->second.second != sg) {
          const IfRef& o = it->second.first;
          problems.push_back({if_path(static_cast<int>(h), static_cast<int>(i)) + ".address",
                              "subnet " + format_prefix(subnet_of(ifc), ifc.prefix_len) + " is also on " +
                                  s.hosts[static_cast<size_t>(o.host)].name + ":" +
                                  s.hosts[static_cast<size_t>(o.host)].interfaces[static_cast<size_t>(o.iface)].name +
                                  ", which is on another link; routes: auto needs one subnet per link"});
        }
      }
  }

  // Connected and explicit routes.
  for (size_t hi = 0; hi < s.hosts.size(); hi++) {
    HostSpec& h = s.hosts[hi];
    std::vector<RouteSpec> table;
    for (const InterfaceSpec& i : h.interfaces)
      if (i.has_address) table.push_back({subnet_of(i), i.prefix_len, 0, i.name, 0, RouteSpec::Origin::kConnected});
    for (size_t j = 0; j < h.routes.size(); j++) {
      RouteSpec r = h.routes[j];
      std::string p = "hosts[" + std::to_string(hi) + "].routes[" + std::to_string(j) + "]";
      if (r.gateway) {
        // fib_check_nh(): the gateway must be on-link through a connected
        // subnet ("Nexthop has invalid gateway").
        const InterfaceSpec* via = nullptr;
        for (const InterfaceSpec& i : h.interfaces)
          if (in_subnet(i, r.gateway) && (r.dev.empty() || r.dev == i.name) &&
              (!via || i.prefix_len > via->prefix_len))
            via = &i;
        if (!via) {
          problems.push_back({p + ".via", "gateway " + format_ipv4(r.gateway) + " is not in a subnet of " +
                                              (r.dev.empty() ? "any interface of " + h.name : h.name + ":" + r.dev) +
                                              " (Nexthop has invalid gateway)"});
          continue;
        }
        if (owns(h, r.gateway)) {
          problems.push_back({p + ".via", "gateway " + format_ipv4(r.gateway) + " is " + h.name + "'s own address"});
          continue;
        }
        r.dev = via->name;
      }
      table.push_back(r);
    }
    h.routes = std::move(table);
  }

  if (s.routes == RoutesMode::kAuto && problems.empty()) {
    std::vector<Adjacency> adj = adjacencies(s, seg);
    // Every subnet on a link, with the hosts on it.
    std::map<std::pair<uint32_t, uint8_t>, std::vector<int>> subnets;
    for (size_t h = 0; h < s.hosts.size(); h++)
      for (const InterfaceSpec& i : s.hosts[h].interfaces)
        if (i.has_address) subnets[{subnet_of(i), i.prefix_len}].push_back(static_cast<int>(h));
    for (size_t hi = 0; hi < s.hosts.size(); hi++) {
      HostSpec& h = s.hosts[hi];
      std::vector<uint32_t> dist;
      std::vector<FirstHop> first;
      shortest_paths(s, adj, static_cast<int>(hi), dist, first);
      std::vector<RouteSpec> added;
      for (const auto& [key, owners] : subnets) {
        auto same = [&](const RouteSpec& r) { return r.dst == key.first && r.prefix_len == key.second; };
        // Connected here, or written by the user: theirs stands.
        if (std::any_of(h.routes.begin(), h.routes.end(), same)) continue;
        int best = -1;
        for (int g : owners) {
          // The last router must forward onto the subnet (it is on it).
          if (g == static_cast<int>(hi) || dist[static_cast<size_t>(g)] == kInf || !forwards(s.hosts[static_cast<size_t>(g)]))
            continue;
          if (best < 0 || dist[static_cast<size_t>(g)] < dist[static_cast<size_t>(best)] ||
              (dist[static_cast<size_t>(g)] == dist[static_cast<size_t>(best)] && first[static_cast<size_t>(g)] < first[static_cast<size_t>(best)]))
            best = g;
        }
        if (best < 0) continue;
        const FirstHop& fh = first[static_cast<size_t>(best)];
        added.push_back({key.first, key.second, fh.gw, fh.dev, dist[static_cast<size_t>(best)], RouteSpec::Origin::kAuto});
      }
      h.routes.insert(h.routes.end(), added.begin(), added.end());
    }
  }
  for (HostSpec& h : s.hosts) std::stable_sort(h.routes.begin(), h.routes.end(), route_less);

  // Every destination an application uses must be reachable (auto mode).
  if (s.routes == RoutesMode::kAuto && problems.empty()) {
    for (size_t i = 0; i < s.apps.size(); i++) {
      const AppSpec& a = s.apps[i];
      uint32_t dst = 0;
      if (auto* p = std::get_if<UdpSenderParams>(&a.params)) dst = p->dst;
      else if (auto* q = std::get_if<PingParams>(&a.params)) dst = q->dst;
      else if (auto* t = std::get_if<TcpBulkParams>(&a.params)) dst = t->dst;
      else continue;
      if (a.host_index < 0) continue;
      PathTrace t = trace(s, seg, a.host_index, dst);
      if (!t.reached)
        problems.push_back({"apps[" + std::to_string(i) + "].dst",
                            "host " + a.host + " cannot reach " + format_ipv4(dst) + ": " + t.why});
    }
  }
  return problems;
}

PathTrace trace_route(const Scenario& s, int from, uint32_t dst) {
  Segments seg(s);
  return trace(s, seg, from, dst);
}

std::vector<std::string> format_routes(const HostSpec& h) {
  std::vector<std::string> out;
  for (const RouteSpec& r : h.routes) {
    std::string line = r.prefix_len == 0 && r.dst == 0 ? "default" : format_prefix(r.dst, r.prefix_len);
    if (r.gateway) line += " via " + format_ipv4(r.gateway);
    line += " dev " + r.dev;
    if (r.origin == RouteSpec::Origin::kConnected) {
      line += " proto kernel scope link";
      if (const InterfaceSpec* i = h.interface(r.dev)) line += " src " + format_ipv4(i->address);
    }
    if (r.metric) line += " metric " + std::to_string(r.metric);
    out.push_back(line);
  }
  return out;
}

}  // namespace tools
