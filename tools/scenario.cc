// tools/scenario.cc: the YAML scenario loader: the top level, switches,
// links, applications, outputs, and the checks that span the file.
// Hosts are loaded in scenario_hosts.cc; yaml-cpp stays in these files.
//
// Loading is one pass over the document that checks every field where it is
// written and records where each field path lies in the file; later checks
// that span fields (addresses across hosts, link ends, routes) report at
// those recorded places. Nothing stops at the first problem: all are
// collected, then sorted by position. Routes are computed only when the
// rest is clean, so a typo in one address does not also show up as a dozen
// unreachable destinations.
#include "tools/scenario.h"

#include <yaml-cpp/depthguard.h>

#include <fstream>
#include <sstream>
#include <tuple>

#include "tools/routes.h"
#include "tools/scenario_loader.h"

namespace tools {

std::string Diagnostic::to_string() const {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(col);
  s += ": ";
  if (!path.empty()) s += path + ": ";
  return s + message;
}

std::string LoadResult::error_text() const {
  std::string s;
  for (const Diagnostic& d : errors) s += d.to_string() + "\n";
  return s;
}

const InterfaceSpec* HostSpec::interface(std::string_view n) const {
  for (const InterfaceSpec& i : interfaces)
    if (i.name == n) return &i;
  return nullptr;
}

const HostSpec* Scenario::host(std::string_view n) const {
  int i = host_index(n);
  return i < 0 ? nullptr : &hosts[static_cast<size_t>(i)];
}

int Scenario::host_index(std::string_view n) const {
  for (size_t i = 0; i < hosts.size(); i++)
    if (hosts[i].name == n) return static_cast<int>(i);
  return -1;
}

const char* app_kind_name(AppSpec::Kind k) {
  switch (k) {
    case AppSpec::Kind::kUdpSender: return "udp_sender";
    case AppSpec::Kind::kUdpSink: return "udp_sink";
    case AppSpec::Kind::kPing: return "ping";
    case AppSpec::Kind::kTcpBulk: return "tcp_bulk";
    case AppSpec::Kind::kTcpSink: return "tcp_sink";
  }
  return "?";
}

namespace loader {

LoadResult Loader::run(const YAML::Node& root) {
  static const Keys kTop = {"simulation", "hosts", "switches", "links", "routes", "apps", "outputs"};
  MapView top;
  if (root.IsNull() || !root.IsDefined()) {
    add(YAML::Mark::null_mark(), "", "the file is empty (expected a map with: " + join(kTop) + ")");
  } else if (open_map(root, "", kTop, top, "the top level: simulation, hosts, links, ...")) {
    if (const Field* f = top.get("simulation")) load_simulation(f->value);
    else missing(top, "simulation");

    if (const Field* f = top.get("hosts")) {
      if (open_list(f->value, "hosts", "hosts")) {
        if (f->value.size() == 0) error(f->value, "hosts", "at least one host is needed");
        for (size_t i = 0; i < f->value.size(); i++) load_host(f->value[i], index_path("hosts", i));
      }
    } else {
      missing(top, "hosts");
    }
    if (const Field* f = top.get("switches"); f && open_list(f->value, "switches", "switches"))
      for (size_t i = 0; i < f->value.size(); i++) load_switch(f->value[i], index_path("switches", i));
    if (const Field* f = top.get("links"); f && open_list(f->value, "links", "links"))
      for (size_t i = 0; i < f->value.size(); i++) load_link(f->value[i], index_path("links", i));
    if (auto mode = text(top, "routes")) {
      if (*mode == "auto") sc_.routes = RoutesMode::kAuto;
      else if (*mode == "manual") sc_.routes = RoutesMode::kManual;
      else error(top.get("routes")->value, "routes", "expected auto or manual, got " + quoted(*mode));
    }
    if (const Field* f = top.get("apps"); f && open_list(f->value, "apps", "applications"))
      for (size_t i = 0; i < f->value.size(); i++) load_app(f->value[i], index_path("apps", i));
    if (const Field* f = top.get("outputs")) load_outputs(f->value);

    check_addresses();
    check_ports();
    assign_macs();
    apply_link_rates();
    if (errs_.empty()) {
      for (const RouteProblem& p : compute_routes(sc_)) error_path(p.path, p.message);
    }
  }
  LoadResult r;
  std::stable_sort(errs_.begin(), errs_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.line, a.col) < std::tie(b.line, b.col);
  });
  r.errors = std::move(errs_);
  if (r.errors.empty()) r.scenario = std::move(sc_);
  return r;
}

void Loader::load_simulation(const YAML::Node& n) {
  MapView m;
  if (!open_map(n, "simulation", {"stop", "seed", "hz"}, m)) return;
  if (auto v = value(m, "stop", time_at_least(1), true)) {
    sc_.sim.stop = *v;
    stop_known_ = true;
  }
  // A seed is any 64-bit number; 0 is as good as any other.
  if (auto v = text(m, "seed")) {
    auto r = parse_int(*v, 0, std::numeric_limits<int64_t>::max());
    if (r.ok()) sc_.sim.seed = static_cast<uint64_t>(r.value);
    else error(m.get("seed")->value, "simulation.seed", r.error);
  }
  // The HZ values Linux offers (kernel/Kconfig.hz).
  if (auto v = value(m, "hz", int_in(100, 1000))) {
    if (*v != 100 && *v != 250 && *v != 300 && *v != 1000)
      error(m.get("hz")->value, "simulation.hz", "CONFIG_HZ is one of 100, 250, 300, 1000");
    else sc_.sim.hz = static_cast<uint32_t>(*v);
  }
}

void Loader::load_switch(const YAML::Node& n, const std::string& path) {
  MapView m;
  if (!open_map(n, path, {"name", "queue"}, m, "a switch")) return;
  SwitchSpec s;
  if (auto name = text(m, "name", true)) {
    if (!good_name(*name, 32, false))
      error(m.get("name")->value, path + ".name", quoted(*name) + ": a switch name is 1-32 of a-z 0-9 _ -");
    else claim_name(*name, m.get("name")->value, path);
    s.name = *name;
  }
  if (auto v = value(m, "queue", int_in(1, 1000000))) s.queue = static_cast<uint32_t>(*v);
  sc_.switches.push_back(std::move(s));
}

// "h1:eth0" or "s1:p1" to an Endpoint with indices; errors at n.
bool Loader::resolve_endpoint(const YAML::Node& n, const std::string& path, Endpoint& e, bool for_pcap) {
  if (!n.IsScalar()) {
    error(n, path, "expected host:interface or switch:port, got " + describe(n));
    return false;
  }
  const std::string& s = n.Scalar();
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) {
    error(n, path, "expected host:interface or switch:port, got " + quoted(s));
    return false;
  }
  e.node = s.substr(0, colon);
  e.port = s.substr(colon + 1);
  int hi = sc_.host_index(e.node);
  if (hi >= 0) {
    const HostSpec& h = sc_.hosts[static_cast<size_t>(hi)];
    e.index = hi;
    for (size_t i = 0; i < h.interfaces.size(); i++)
      if (h.interfaces[i].name == e.port) e.port_index = static_cast<int>(i);
    if (e.port_index < 0) {
      Keys names;
      for (const auto& i : h.interfaces) names.push_back(i.name);
      error(n, path, "host " + e.node + " has no interface " + quoted(e.port) + did_you_mean(e.port, names));
      return false;
    }
    return true;
  }
  for (size_t i = 0; i < sc_.switches.size(); i++) {
    if (sc_.switches[i].name != e.node) continue;
    if (for_pcap) {
      error(n, path, "captures are taken on host interfaces; " + e.node + " is a switch");
      return false;
    }
    if (!good_name(e.port, 15, true)) {
      error(n, path, quoted(e.port) + ": a port name is 1-15 of a-z 0-9 _ - .");
      return false;
    }
    e.is_switch = true;
    e.index = static_cast<int>(i);
    return true;
  }
  Keys names;
  for (const auto& h : sc_.hosts) names.push_back(h.name);
  for (const auto& w : sc_.switches) names.push_back(w.name);
  error(n, path, "no host or switch named " + quoted(e.node) + did_you_mean(e.node, names));
  return false;
}

void Loader::load_link(const YAML::Node& n, const std::string& path) {
  MapView m;
  if (!open_map(n, path, {"a", "b", "rate", "delay", "loss", "queue"}, m, "a link {a, b, rate, delay}")) return;
  LinkSpec l;
  bool ok = true;
  for (const char* side : {"a", "b"}) {
    const Field* f = m.get(side);
    if (!f) {
      missing(m, side);
      ok = false;
      continue;
    }
    Endpoint& e = side[0] == 'a' ? l.a : l.b;
    if (!resolve_endpoint(f->value, key_path(path, side), e, false)) {
      ok = false;
      continue;
    }
    // Each interface or switch port is on at most one link (one cable).
    auto [it, fresh] = link_ends_.emplace(e.to_string(), key_path(path, side));
    if (!fresh) {
      error(f->value, key_path(path, side), e.to_string() + " is already on " + it->second.substr(0, it->second.rfind('.')));
      ok = false;
    }
  }
  if (ok && l.a.node == l.b.node && l.a.is_switch) {
    error(n, path, "a link from switch " + l.a.node + " to itself would loop frames");
    ok = false;
  }
  if (auto v = value(m, "rate", positive_rate())) l.config.rate_bps = v->bps;
  if (auto v = value(m, "delay", time_at_least(0))) l.config.delay = *v;
  if (auto v = value(m, "loss", parse_probability)) l.config.loss_ppb32 = *v;
  if (auto v = value(m, "queue", int_in(1, 1000000))) {
    if (ok && !l.a.is_switch && !l.b.is_switch)
      error(m.get("queue")->key_node, path + ".queue",
            "queue is the switch port's; between two hosts the queues are the qdisc (txqueuelen) and the NIC ring");
    l.queue = static_cast<uint32_t>(*v);
  }
  if (!ok) return;
  int li = static_cast<int>(sc_.links.size());
  for (Endpoint* e : {&l.a, &l.b}) {
    if (e->is_switch) {
      auto& ports = sc_.switches[static_cast<size_t>(e->index)].ports;
      e->port_index = static_cast<int>(ports.size());
      ports.push_back(e->port);
    } else {
      sc_.hosts[static_cast<size_t>(e->index)].interfaces[static_cast<size_t>(e->port_index)].link = li;
    }
  }
  // Whether the rate was written decides autonegotiation (apply_link_rates).
  if (!m.has("rate")) l.config.rate_bps = 0;
  sc_.links.push_back(l);
}

void Loader::load_app(const YAML::Node& n, const std::string& path) {
  static const Keys kCommon = {"kind", "host", "start", "stop"};
  static const std::vector<std::pair<AppSpec::Kind, Keys>> kKinds = {
      {AppSpec::Kind::kUdpSender, {"dst", "dport", "sport", "size", "count", "rate", "burst", "connect", "tos"}},
      {AppSpec::Kind::kUdpSink, {"port", "rcvbuf", "read_delay"}},
      {AppSpec::Kind::kPing, {"dst", "count", "interval", "size"}},
      {AppSpec::Kind::kTcpBulk, {"dst", "port", "bytes", "cc"}},
      {AppSpec::Kind::kTcpSink, {"port", "rcvbuf"}},
  };
  if (!n.IsMap()) {
    error(n, path, "expected a map (an application: {kind, host, ...}), got " + describe(n));
    return;
  }
  // The kind decides which keys are allowed, so read it first.
  YAML::Node kind_node;
  for (auto it = n.begin(); it != n.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == "kind") kind_node = it->second;
  Keys allowed = kCommon;
  Keys kind_names;
  std::optional<AppSpec::Kind> kind;
  for (const auto& [k, keys] : kKinds) kind_names.push_back(app_kind_name(k));
  if (kind_node.IsDefined() && kind_node.IsScalar()) {
    for (const auto& [k, keys] : kKinds)
      if (kind_node.Scalar() == app_kind_name(k)) {
        kind = k;
        allowed.insert(allowed.end(), keys.begin(), keys.end());
      }
    if (!kind)
      error(kind_node, path + ".kind", "unknown application kind " + quoted(kind_node.Scalar()) +
                                           did_you_mean(kind_node.Scalar(), kind_names) + " (kinds: " + join(kind_names) + ")");
  } else if (kind_node.IsDefined()) {
    error(kind_node, path + ".kind", "expected one of: " + join(kind_names) + ", got " + describe(kind_node));
  }
  if (!kind) {
    // Still check the common keys and the host, without the kind's keys.
    for (const auto& [k, keys] : kKinds) allowed.insert(allowed.end(), keys.begin(), keys.end());
  }
  MapView m;
  open_map(n, path, allowed, m, "an application");
  if (!kind_node.IsDefined()) missing(m, "kind");
  AppSpec a;
  if (auto host = text(m, "host", true)) {
    a.host = *host;
    a.host_index = sc_.host_index(*host);
    if (a.host_index < 0) {
      Keys names;
      for (const auto& h : sc_.hosts) names.push_back(h.name);
      error(m.get("host")->value, path + ".host", "no host named " + quoted(*host) + did_you_mean(*host, names));
    }
  }
  if (auto v = value(m, "start", time_at_least(0))) a.start = sim::Time::zero() + *v;
  if (stop_known_) a.stop = sim::Time::zero() + sc_.sim.stop;
  if (auto v = value(m, "stop", time_at_least(0))) {
    a.stop = sim::Time::zero() + *v;
    if (stop_known_ && *v > sc_.sim.stop)
      error(m.get("stop")->value, path + ".stop", "after the end of the simulation (simulation.stop)");
  }
  if (m.has("start") && stop_known_ && a.start >= sim::Time::zero() + sc_.sim.stop)
    error(m.get("start")->value, path + ".start", "at or after the end of the simulation (simulation.stop)");
  else if (m.has("start") && a.start >= a.stop)
    error(m.get("start")->value, path + ".start", "not before the application's stop");
  if (!kind) return;
  a.kind = *kind;
  auto u16 = int_in(1, 65535);
  auto port = [&](const char* key, bool required) -> uint16_t {
    auto v = value(m, key, u16, required);
    return v ? static_cast<uint16_t>(*v) : 0;
  };
  auto dst = [&]() -> uint32_t {
    auto v = value(m, "dst", parse_ipv4, true);
    return v ? *v : 0;
  };
  switch (*kind) {
    case AppSpec::Kind::kUdpSender: {
      UdpSenderParams p;
      p.dst = dst();
      p.dport = port("dport", true);
      if (m.has("sport")) p.sport = port("sport", false);
      // Up to 65535 is accepted: past 65507 the kernel answers EMSGSIZE,
      // which a scenario may want to show.
      if (auto v = value(m, "size", size_in(0, 65535), true)) p.size = static_cast<uint32_t>(*v);
      if (auto v = value(m, "count", int_in(1, std::numeric_limits<int64_t>::max()))) p.count = static_cast<uint64_t>(*v);
      if (auto t = text(m, "rate")) {
        std::string_view s = *t;
        if (s.size() > 3 && s.substr(s.size() - 3) == "pps") {
          auto v = parse_int(s.substr(0, s.size() - 3), 1, 1000000000);
          if (v.ok()) p.pps = static_cast<uint64_t>(v.value);
          else error(m.get("rate")->value, path + ".rate", "bad packet rate " + quoted(s) + " (write e.g. 1000pps)");
        } else {
          auto r = positive_rate()(s);
          if (r.ok()) p.rate_bps = r.value.bps;
          else error(m.get("rate")->value, path + ".rate", r.error + " (or a packet rate like 1000pps)");
        }
      }
      if (auto v = value(m, "burst", int_in(1, 1000000))) p.burst = static_cast<uint32_t>(*v);
      if (auto v = value(m, "connect", parse_bool)) p.connect = *v;
      if (auto v = value(m, "tos", int_in(0, 255))) p.tos = static_cast<uint8_t>(*v);
      a.params = p;
      break;
    }
    case AppSpec::Kind::kUdpSink: {
      UdpSinkParams p;
      p.port = port("port", true);
      if (auto v = value(m, "rcvbuf", size_in(1, 0x7fffffff))) p.rcvbuf = *v;
      if (auto v = value(m, "read_delay", time_at_least(0))) p.read_delay = *v;
      a.params = p;
      break;
    }
    case AppSpec::Kind::kPing: {
      PingParams p;
      p.dst = dst();
      if (auto v = value(m, "count", int_in(1, std::numeric_limits<int64_t>::max()))) p.count = static_cast<uint64_t>(*v);
      if (auto v = value(m, "interval", time_at_least(1))) p.interval = *v;
      // 65507 = 65535 - IP header - ICMP header (ping: "packet size too large").
      if (auto v = value(m, "size", size_in(0, 65507))) p.size = static_cast<uint32_t>(*v);
      a.params = p;
      break;
    }
    case AppSpec::Kind::kTcpBulk: {
      TcpBulkParams p;
      p.dst = dst();
      p.port = port("port", true);
      if (auto v = value(m, "bytes", size_in(1, std::numeric_limits<uint64_t>::max()))) p.bytes = *v;
      if (auto cc = text(m, "cc")) {
        if (std::find(kCongestionControls.begin(), kCongestionControls.end(), *cc) == kCongestionControls.end())
          error(m.get("cc")->value, path + ".cc", "unknown congestion control " + quoted(*cc) +
                                                      did_you_mean(*cc, kCongestionControls) + " (known: " + join(kCongestionControls) + ")");
        p.cc = *cc;
      }
      a.params = p;
      break;
    }
    case AppSpec::Kind::kTcpSink: {
      TcpSinkParams p;
      p.port = port("port", true);
      if (auto v = value(m, "rcvbuf", size_in(1, 0x7fffffff))) p.rcvbuf = *v;
      a.params = p;
      break;
    }
  }
  // Routes run only on a clean file, where every app was kept: apps[i] in
  // their messages is then the i-th app written.
  sc_.apps.push_back(std::move(a));
  app_paths_.push_back(path);
}

void Loader::load_outputs(const YAML::Node& n) {
  MapView m;
  if (!open_map(n, "outputs", {"pcap", "trace", "counters"}, m)) return;
  OutputSpec& o = sc_.outputs;
  if (const Field* f = m.get("pcap")) {
    if (f->value.IsScalar() && f->value.Scalar() == "all") {
      o.pcap_all = true;
    } else if (f->value.IsSequence()) {
      remember("outputs.pcap", f->value);
      std::set<std::string> seen;
      for (size_t i = 0; i < f->value.size(); i++) {
        Endpoint e;
        std::string p = index_path("outputs.pcap", i);
        if (!resolve_endpoint(f->value[i], p, e, true)) continue;
        if (!seen.insert(e.to_string()).second) error(f->value[i], p, e.to_string() + " is listed twice");
        else o.pcap.push_back(e);
      }
    } else {
      error(f->value, "outputs.pcap", "expected all or a list of host:interface, got " + describe(f->value));
    }
  }
  if (const Field* f = m.get("trace")) {
    MapView t;
    if (open_map(f->value, "outputs.trace", {"file", "format", "filter"}, t)) {
      TraceSpec ts;
      if (auto file = text(t, "file", true)) ts.file = *file;
      if (auto fmt = text(t, "format")) {
        static const Keys kFormats = {"text", "jsonl", "perfetto"};
        if (*fmt == "text") ts.format = TraceSpec::Format::kText;
        else if (*fmt == "jsonl") ts.format = TraceSpec::Format::kJsonl;
        else if (*fmt == "perfetto") ts.format = TraceSpec::Format::kPerfetto;
        else error(t.get("format")->value, "outputs.trace.format", quoted(*fmt) + " is not one of: text, jsonl, perfetto" + did_you_mean(*fmt, kFormats));
      }
      if (const Field* ff = t.get("filter")) {
        MapView fm;
        if (open_map(ff->value, "outputs.trace.filter", {"host", "skb", "layer"}, fm)) {
          if (auto h = text(fm, "host")) {
            if (sc_.host_index(*h) < 0) {
              Keys names;
              for (const auto& x : sc_.hosts) names.push_back(x.name);
              error(fm.get("host")->value, "outputs.trace.filter.host", "no host named " + quoted(*h) + did_you_mean(*h, names));
            }
            ts.host = *h;
          }
          if (auto v = value(fm, "skb", int_in(0, std::numeric_limits<int64_t>::max()))) ts.skb = static_cast<uint64_t>(*v);
          if (const Field* lf = fm.get("layer")) {
            std::vector<YAML::Node> items;
            if (lf->value.IsSequence()) for (const YAML::Node& x : lf->value) items.push_back(x);
            else items.push_back(lf->value);
            for (const YAML::Node& x : items) {
              if (!x.IsScalar()) {
                error(x, "outputs.trace.filter.layer", "expected a layer name, got " + describe(x));
                continue;
              }
              const Keys& layers = trace_layers();
              if (std::find(layers.begin(), layers.end(), x.Scalar()) == layers.end())
                error(x, "outputs.trace.filter.layer", "unknown layer " + quoted(x.Scalar()) + did_you_mean(x.Scalar(), layers) +
                                                           " (layers: " + join(layers) + ")");
              else ts.layers.push_back(x.Scalar());
            }
          }
        }
      }
      o.trace = ts;
    }
  }
  if (auto c = text(m, "counters")) {
    if (c->empty()) error(m.get("counters")->value, "outputs.counters", "expected a file name");
    o.counters = *c;
  }
}

// Addresses: unique across hosts, no two overlapping subnets on one host.
// Two sockets of one protocol cannot bind one port on one host (the second
// bind() would fail with EADDRINUSE before anything interesting happens).
void Loader::check_ports() {
  std::map<std::tuple<int, bool, uint16_t>, std::string> bound;  // (host, tcp?, port) -> app path
  for (size_t i = 0; i < sc_.apps.size(); i++) {
    const AppSpec& a = sc_.apps[i];
    uint16_t port = 0;
    bool tcp = false;
    const char* key = "port";
    if (auto* p = std::get_if<UdpSinkParams>(&a.params)) port = p->port;
    else if (auto* q = std::get_if<TcpSinkParams>(&a.params)) port = q->port, tcp = true;
    else if (auto* u = std::get_if<UdpSenderParams>(&a.params); u && u->sport) port = *u->sport, key = "sport";
    if (port == 0 || a.host_index < 0) continue;
    auto [it, fresh] = bound.emplace(std::make_tuple(a.host_index, tcp, port), app_paths_[i]);
    if (!fresh)
      error_path(app_paths_[i] + "." + key, std::to_string(port) + (tcp ? "/tcp" : "/udp") + " on " + a.host +
                                                " is already bound by " + it->second);
  }
}

void Loader::check_addresses() {
  std::map<uint32_t, std::string> owner;  // address -> "h1:eth0"
  for (size_t hi = 0; hi < sc_.hosts.size(); hi++) {
    const HostSpec& h = sc_.hosts[hi];
    for (size_t i = 0; i < h.interfaces.size(); i++) {
      const InterfaceSpec& a = h.interfaces[i];
      if (!a.has_address) continue;
      std::string p = index_path(index_path("hosts", hi) + ".interfaces", i) + ".address";
      for (size_t j = 0; j < i; j++) {
        const InterfaceSpec& b = h.interfaces[j];
        if (!b.has_address) continue;
        uint32_t mask = prefix_mask(std::min(a.prefix_len, b.prefix_len));
        if ((a.address & mask) == (b.address & mask)) {
          error_path(p, format_prefix(a.address & prefix_mask(a.prefix_len), a.prefix_len) + " overlaps " +
                            format_prefix(b.address & prefix_mask(b.prefix_len), b.prefix_len) + " on " + b.name +
                            " (one subnet per interface)");
          break;
        }
      }
      auto [it, fresh] = owner.emplace(a.address, h.name + ":" + a.name);
      if (!fresh) error_path(p, format_ipv4(a.address) + " is already the address of " + it->second);
    }
  }
}

// Written MACs must be unique; missing ones are derived from the names
// (FNV-1a of "host/ifname"), locally administered (02:...) unicast, and
// re-derived with a counter in the unlikely case of a clash.
void Loader::assign_macs() {
  std::map<std::array<uint8_t, 6>, std::string> used;
  for (size_t hi = 0; hi < sc_.hosts.size(); hi++)
    for (size_t i = 0; i < sc_.hosts[hi].interfaces.size(); i++) {
      const InterfaceSpec& ifc = sc_.hosts[hi].interfaces[i];
      if (ifc.mac_derived) continue;
      std::string who = sc_.hosts[hi].name + ":" + ifc.name;
      auto [it, fresh] = used.emplace(ifc.mac, who);
      if (!fresh)
        error_path(index_path(index_path("hosts", hi) + ".interfaces", i) + ".mac",
                   format_mac(ifc.mac) + " is already the MAC address of " + it->second);
    }
  for (HostSpec& h : sc_.hosts)
    for (InterfaceSpec& ifc : h.interfaces) {
      if (!ifc.mac_derived) continue;
      for (uint32_t attempt = 0;; attempt++) {
        uint64_t x = 1469598103934665603ull;  // FNV-1a 64 offset basis
        std::string key = h.name + "/" + ifc.name + (attempt ? "/" + std::to_string(attempt) : "");
        for (unsigned char c : key) x = (x ^ c) * 1099511628211ull;
        ifc.mac = {0x02, static_cast<uint8_t>(x >> 32), static_cast<uint8_t>(x >> 24), static_cast<uint8_t>(x >> 16),
                   static_cast<uint8_t>(x >> 8), static_cast<uint8_t>(x)};
        if (used.emplace(ifc.mac, h.name + ":" + ifc.name).second) break;
      }
    }
}

// Autonegotiation: a link without a written rate runs at the slower of the
// line rates written on its NICs (else 1 Gbit/s); a NIC without a written
// line rate runs at its link's rate.
void Loader::apply_link_rates() {
  auto written = [&](const Endpoint& e) {
    return nic_rate_written_.count({static_cast<size_t>(e.index), static_cast<size_t>(e.port_index)}) > 0;
  };
  for (LinkSpec& l : sc_.links) {
    if (l.config.rate_bps == 0) {
      uint64_t rate = 0;
      for (const Endpoint* e : {&l.a, &l.b}) {
        if (e->is_switch) continue;
        const InterfaceSpec& ifc = sc_.hosts[static_cast<size_t>(e->index)].interfaces[static_cast<size_t>(e->port_index)];
        if (written(*e)) rate = rate ? std::min(rate, ifc.nic.line_rate_bps) : ifc.nic.line_rate_bps;
      }
      l.config.rate_bps = rate ? rate : nic_model::LinkConfig{}.rate_bps;
    }
    for (const Endpoint* e : {&l.a, &l.b}) {
      if (e->is_switch) continue;
      InterfaceSpec& ifc = sc_.hosts[static_cast<size_t>(e->index)].interfaces[static_cast<size_t>(e->port_index)];
      if (!written(*e)) ifc.nic.line_rate_bps = l.config.rate_bps;
    }
  }
}


}  // namespace loader

using loader::Loader;


LoadResult load_scenario_from_string(const std::string& text, const std::string& name) {
  Loader loader(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp stops at a fixed depth (its message says only "bad file").
    loader.syntax_error(e.mark, "YAML nesting is too deep");
    LoadResult r;
    r.errors = std::move(loader.errors());
    return r;
  } catch (const YAML::Exception& e) {
    loader.syntax_error(e.mark, "YAML syntax error: " + e.msg);
    LoadResult r;
    r.errors = std::move(loader.errors());
    return r;
  }
  try {
    return loader.run(root);
  } catch (const std::exception& e) {
    // A bug here must not take the user's shell with it; say what happened.
    LoadResult r;
    r.errors = std::move(loader.errors());
    r.errors.push_back({name, 0, 0, "", std::string("internal error while loading: ") + e.what()});
    return r;
  }
}

LoadResult load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back({path, 0, 0, "", "cannot open the file"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_scenario_from_string(ss.str(), path);
}

}  // namespace tools
