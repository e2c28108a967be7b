// tools/scenario_hosts.cc: loading `hosts:`: names, sysctls, interfaces
// with their qdisc, NIC and XPS settings, explicit routes, netfilter rules.
#include <functional>
#include <sstream>

#include "tools/scenario_loader.h"

namespace tools::loader {

void Loader::load_host(const YAML::Node& n, const std::string& path) {
  static const Keys kKeys = {"name", "cpus", "sysctls", "costs", "interfaces", "routes", "netfilter"};
  HostSpec h;
  h.sysctls.kernel_hz = sc_.sim.hz;
  MapView m;
  if (!open_map(n, path, kKeys, m, "a host")) return;
  if (auto name = text(m, "name", true)) {
    if (!good_name(*name, 32, false))
      error(m.get("name")->value, path + ".name", quoted(*name) + ": a host name is 1-32 of a-z 0-9 _ -");
    else claim_name(*name, m.get("name")->value, path);
    h.name = *name;
  }
  if (auto v = value(m, "cpus", int_in(1, 256))) h.cpus = static_cast<uint16_t>(*v);
  if (const Field* f = m.get("sysctls")) load_sysctls(f->value, path + ".sysctls", h);
  if (const Field* f = m.get("costs")) load_costs(f->value, path + ".costs", h);
  // Interfaces before routes: a route names its device.
  if (const Field* f = m.get("interfaces"); f && open_list(f->value, path + ".interfaces", "interfaces"))
    for (size_t i = 0; i < f->value.size(); i++) load_interface(f->value[i], index_path(path + ".interfaces", i), h);
  if (const Field* f = m.get("routes"); f && open_list(f->value, path + ".routes", "routes"))
    for (size_t i = 0; i < f->value.size(); i++) load_route(f->value[i], index_path(path + ".routes", i), h);
  if (const Field* f = m.get("netfilter"); f && open_list(f->value, path + ".netfilter", "netfilter rules"))
    for (size_t i = 0; i < f->value.size(); i++) load_rule(f->value[i], index_path(path + ".netfilter", i), h);
  sc_.hosts.push_back(std::move(h));
}

void Loader::load_sysctls(const YAML::Node& n, const std::string& path, HostSpec& h) {
  if (!n.IsMap()) {
    error(n, path, "expected a map of sysctl names to values, got " + describe(n));
    return;
  }
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    if (!it->first.IsScalar()) {
      error(it->first, path, "a sysctl name must be a plain name, got " + describe(it->first));
      continue;
    }
    std::string name = it->first.Scalar();
    std::string p = path + "[" + quoted(name) + "]";
    const Keys& names = stack::Sysctls::names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string hint = did_you_mean(name, names);
      error(it->first, p, "unknown sysctl " + quoted(name) + (hint.empty() ? " (see scenarios/README.md for the list)" : hint));
      continue;
    }
    if (!seen.insert(name).second) {
      error(it->first, p, "set twice");
      continue;
    }
    // Vector sysctls may be a YAML list too: [4096, 16384, 4194304].
    std::string v;
    const YAML::Node val = it->second;
    if (val.IsScalar()) {
      v = val.Scalar();
    } else if (val.IsSequence() && std::all_of(val.begin(), val.end(), [](const YAML::Node& x) { return x.IsScalar(); })) {
      for (const YAML::Node& x : val) v += (v.empty() ? "" : " ") + x.Scalar();
    } else {
      error(val, p, "expected a value, got " + describe(val));
      continue;
    }
    std::string err = h.sysctls.set(name, v);
    if (!err.empty()) error(val, p, err);
  }
}

// `costs:` the CPU time of kernel steps (stack/costs.h), by name.
void Loader::load_costs(const YAML::Node& n, const std::string& path, HostSpec& h) {
  if (!n.IsMap()) {
    error(n, path, "expected a map of kernel step names to times, got " + describe(n));
    return;
  }
  std::set<std::string> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node val = it->second;
    if (!key.IsScalar()) {
      error(key, path, "a cost name must be a plain name, got " + describe(key));
      continue;
    }
    const std::string name = key.Scalar();
    const std::string p = path + "." + name;
    const Keys& names = stack::Costs::names();
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      error(key, p, "unknown cost " + quoted(name) + did_you_mean(name, names));
      continue;
    }
    if (!seen.insert(name).second) {
      error(key, p, "set twice");
      continue;
    }
    if (!val.IsScalar()) {
      error(val, p, "expected a time, got " + describe(val));
      continue;
    }
    Parsed<sim::Duration> t = parse_time(val.Scalar());
    if (!t.ok()) {
      error(val, p, t.error);
      continue;
    }
    h.costs.set(name, t.value);
  }
}

void Loader::load_interface(const YAML::Node& n, const std::string& path, HostSpec& h) {
  static const Keys kKeys = {"name", "mac", "address", "mtu", "txqueuelen", "qdisc", "nic", "xps"};
  InterfaceSpec ifc;
  MapView m;
  if (!open_map(n, path, kKeys, m, "an interface")) return;
  if (auto name = text(m, "name", true)) {
    // IFNAMSIZ is 16 with the terminating NUL; `lo` is the loopback device.
    if (!good_name(*name, 15, true))
      error(m.get("name")->value, path + ".name", quoted(*name) + ": an interface name is 1-15 of a-z 0-9 _ - .");
    else if (*name == "lo")
      error(m.get("name")->value, path + ".name", "\"lo\" is the loopback device, which every host has already");
    else if (h.interface(*name))
      error(m.get("name")->value, path + ".name", "host " + h.name + " already has an interface " + quoted(*name));
    ifc.name = *name;
  }
  if (auto mac = value(m, "mac", parse_mac)) {
    if ((*mac)[0] & 1) error(m.get("mac")->value, path + ".mac", "a multicast MAC address cannot be an interface's");
    else if (*mac == std::array<uint8_t, 6>{}) error(m.get("mac")->value, path + ".mac", "the all-zero MAC address is not valid");
    ifc.mac = *mac;
    ifc.mac_derived = false;
  }
  if (auto a = value(m, "address", [](std::string_view s) { return parse_ipv4_prefix(s, false); })) {
    const YAML::Node& node = m.get("address")->value;
    std::string p = path + ".address";
    uint32_t mask = prefix_mask(a->len);
    uint8_t first = static_cast<uint8_t>(a->addr >> 24);
    if (node.Scalar().find('/') == std::string::npos) {
      error(node, p, "write the prefix length too, e.g. " + format_ipv4(a->addr) + "/24");
    } else if (a->len == 0) {
      error(node, p, "a /0 prefix would put the whole Internet on this link");
    } else if (first == 0 || first == 127 || first >= 224) {
      error(node, p, format_ipv4(a->addr) + " cannot be an interface address (" +
                         (first == 127 ? "loopback" : first == 0 ? "\"this network\"" : "multicast or reserved") + ")");
    } else if (a->len <= 30 && (a->addr & ~mask) == 0) {
      // RFC 3021: /31 and /32 have no network or broadcast address.
      error(node, p, format_ipv4(a->addr) + " is the network address of " + format_prefix(a->addr & mask, a->len));
    } else if (a->len <= 30 && (a->addr & ~mask) == ~mask) {
      error(node, p, format_ipv4(a->addr) + " is the broadcast address of " + format_prefix(a->addr & mask, a->len));
    } else {
      ifc.has_address = true;
      ifc.address = a->addr;
      ifc.prefix_len = a->len;
    }
  }
  // ETH_MIN_MTU (68) to IP_MAX_MTU (65535).
  if (auto v = value(m, "mtu", int_in(68, 65535))) ifc.mtu = static_cast<uint32_t>(*v);
  ifc.nic.mtu = ifc.mtu;
  if (auto v = value(m, "txqueuelen", int_in(0, 1000000))) ifc.txqueuelen = static_cast<uint32_t>(*v);
  // The host and this interface are appended after loading, so their
  // indices are the current sizes.
  if (const Field* f = m.get("nic"); f && load_nic(f->value, path + ".nic", ifc))
    nic_rate_written_.insert({sc_.hosts.size(), h.interfaces.size()});
  ifc.qdisc.kind = h.sysctls.core_default_qdisc;
  if (const Field* f = m.get("qdisc")) ifc.qdisc_explicit = load_qdisc(f->value, path + ".qdisc", ifc.qdisc, 0);
  if (const Field* f = m.get("xps")) load_xps(f->value, path + ".xps", h, ifc);
  h.interfaces.push_back(std::move(ifc));
}

bool Loader::load_qdisc(const YAML::Node& n, const std::string& path, stack::QdiscSpec& q, int depth) {
  // Parameters by kind, named as tc names them (tc-tbf(8), tc-fq_codel(8)).
  static const std::map<std::string, Keys> kParams = {
      {"pfifo_fast", {}},
      {"noqueue", {}},
      {"pfifo", {"limit"}},
      {"bfifo", {"limit"}},
      {"tbf", {"rate", "burst", "limit", "latency", "peakrate", "mtu", "child"}},
      {"fq_codel", {"limit", "flows", "target", "interval", "quantum", "memory_limit", "ecn", "drop_batch"}},
  };
  static const Keys kAll = {"kind",     "limit",   "rate",     "burst",   "latency",      "peakrate", "mtu", "flows",
                            "target",   "interval", "quantum", "memory_limit", "ecn", "drop_batch", "child"};
  auto check_kind = [&](const YAML::Node& node, const std::string& kind, const std::string& p) {
    if (kParams.count(kind)) return true;
    std::string hint = did_you_mean(kind, kQdiscKinds);
    error(node, p, "unknown qdisc " + quoted(kind) + (hint.empty() ? " (expected one of: " + join(kQdiscKinds) + ")" : hint));
    return false;
  };
  // `qdisc: fq_codel` is short for `qdisc: {kind: fq_codel}`.
  if (n.IsScalar()) {
    remember(path, n);
    if (!check_kind(n, n.Scalar(), path)) return false;
    q = stack::QdiscSpec{};
    q.kind = n.Scalar();
    if (q.kind == "tbf") {
      error(n, path, "tbf needs parameters: write {kind: tbf, rate: ..., burst: ..., latency: ...}");
      return false;
    }
    return true;
  }
  MapView m;
  if (!open_map(n, path, kAll, m, "a qdisc: {kind: ..., parameters}")) return false;
  auto kind = text(m, "kind", true);
  if (!kind || !check_kind(m.get("kind")->value, *kind, path + ".kind")) return false;
  q = stack::QdiscSpec{};
  q.kind = *kind;
  const Keys& allowed = kParams.at(*kind);
  bool ok = true;
  for (const Field& f : m.fields) {
    if (f.key == "kind" || std::find(allowed.begin(), allowed.end(), f.key) != allowed.end()) continue;
    error(f.key_node, key_path(path, f.key),
          "does not apply to qdisc " + *kind + " (" + *kind + " takes " + (allowed.empty() ? "no parameters" : join(allowed)) + ")");
    ok = false;
  }
  if (!ok) return false;
  constexpr uint64_t kU32 = 0xffffffffull;
  if (*kind == "pfifo" || *kind == "fq_codel") {
    if (auto v = value(m, "limit", int_in(1, kU32))) q.limit = static_cast<uint32_t>(*v);
  } else if (*kind == "bfifo") {
    if (auto v = value(m, "limit", size_in(1, kU32))) q.limit = static_cast<uint32_t>(*v);
  } else if (*kind == "tbf") {
    if (auto v = value(m, "rate", positive_rate(), true)) q.rate_bps = v->bps;
    if (auto v = value(m, "burst", size_in(1, kU32), true)) q.burst = static_cast<uint32_t>(*v);
    if (auto v = value(m, "limit", size_in(0, kU32))) q.limit_bytes = static_cast<uint32_t>(*v);
    if (auto v = value(m, "latency", time_at_least(0))) q.latency = *v;
    if (auto v = value(m, "peakrate", positive_rate())) q.peakrate_bps = v->bps;
    if (auto v = value(m, "mtu", size_in(1, kU32))) q.mtu = static_cast<uint32_t>(*v);
    // tc/q_tbf.c insists on exactly one of limit and latency.
    if (m.has("limit") && m.has("latency")) error(m.get("latency")->key_node, path + ".latency", "give either limit or latency, not both");
    else if (!m.has("limit") && !m.has("latency")) error(n, path, "tbf needs limit or latency (how much may wait)");
    if (m.has("peakrate") && !m.has("mtu")) error(m.get("peakrate")->key_node, path + ".peakrate", "peakrate needs mtu too (tc-tbf(8))");
    // sch_tbf.c tbf_change(): peakrate must exceed rate.
    if (q.peakrate_bps && q.rate_bps && *q.peakrate_bps <= *q.rate_bps)
      error(m.get("peakrate")->value, path + ".peakrate", "peakrate must be above rate");
    if (const Field* f = m.get("child")) {
      if (depth >= 4) {
        error(f->value, path + ".child", "qdiscs nest too deep");
      } else {
        auto child = std::make_shared<stack::QdiscSpec>();
        if (load_qdisc(f->value, path + ".child", *child, depth + 1)) {
          if (child->kind == "noqueue") error(f->value, path + ".child", "a child qdisc must hold packets (noqueue cannot)");
          q.child = child;
        }
      }
    }
  }
  if (*kind == "fq_codel") {
    // sch_fq_codel.c: flows 1..65536 (fixed at creation).
    if (auto v = value(m, "flows", int_in(1, 65536))) q.flows = static_cast<uint32_t>(*v);
    if (auto v = value(m, "target", time_at_least(1))) q.target = *v;
    if (auto v = value(m, "interval", time_at_least(1))) q.interval = *v;
    if (auto v = value(m, "quantum", size_in(1, kU32))) q.quantum = static_cast<uint32_t>(*v);
    if (auto v = value(m, "memory_limit", size_in(1, kU32))) q.memory_limit = static_cast<uint32_t>(*v);
    if (auto v = value(m, "ecn", parse_bool)) q.ecn = *v;
    if (auto v = value(m, "drop_batch", int_in(1, 65536))) q.drop_batch = static_cast<uint32_t>(*v);
  }
  return true;
}

// Returns whether the line rate was written (see apply_link_rates).
bool Loader::load_nic(const YAML::Node& n, const std::string& path, InterfaceSpec& ifc) {
  using Cfg = nic_model::NicConfig;
  enum class T { kRate, kU32, kTime, kBool, kPow2 };
  struct Param {
    const char* name;
    T type;
    int64_t lo, hi;
    std::function<void(Cfg&, int64_t, sim::Duration, bool)> set;
  };
  // Every NicConfig field by its name (mtu comes from the interface).
  static const std::vector<Param> kParams = [] {
    std::vector<Param> p;
    auto u32 = [&](const char* name, uint32_t Cfg::*f, int64_t lo, int64_t hi, T t = T::kU32) {
      p.push_back({name, t, lo, hi, [f](Cfg& c, int64_t v, sim::Duration, bool) { c.*f = static_cast<uint32_t>(v); }});
    };
    auto dur = [&](const char* name, sim::Duration Cfg::*f) {
      p.push_back({name, T::kTime, 0, 0, [f](Cfg& c, int64_t, sim::Duration d, bool) { c.*f = d; }});
    };
    auto flag = [&](const char* name, bool Cfg::*f) {
      p.push_back({name, T::kBool, 0, 0, [f](Cfg& c, int64_t, sim::Duration, bool b) { c.*f = b; }});
    };
    p.push_back({"line_rate", T::kRate, 0, 0, [](Cfg& c, int64_t v, sim::Duration, bool) { c.line_rate_bps = static_cast<uint64_t>(v); }});
    u32("tx_queues", &Cfg::tx_queues, 1, 64);
    u32("rx_queues", &Cfg::rx_queues, 1, 64);
    u32("tx_ring", &Cfg::tx_ring, 2, 65536);
    u32("rx_ring", &Cfg::rx_ring, 2, 65536);
    u32("clock_mhz", &Cfg::clock_mhz, 1, 100000);
    dur("rx_usecs", &Cfg::rx_usecs);
    dur("tx_usecs", &Cfg::tx_usecs);
    u32("rx_frames", &Cfg::rx_frames, 0, 65535);
    u32("tx_frames", &Cfg::tx_frames, 0, 65535);
    flag("tx_checksum", &Cfg::tx_checksum);
    flag("rx_checksum", &Cfg::rx_checksum);
    flag("tso", &Cfg::tso);
    flag("gro", &Cfg::gro);
    flag("bql", &Cfg::bql);
    u32("pcie_gen", &Cfg::pcie_gen, 1, 3);
    u32("pcie_lanes", &Cfg::pcie_lanes, 1, 16, T::kPow2);
    u32("pcie_max_payload", &Cfg::pcie_max_payload, 128, 4096, T::kPow2);
    u32("pcie_max_read_request", &Cfg::pcie_max_read_request, 128, 4096, T::kPow2);
    u32("pcie_tlp_overhead", &Cfg::pcie_tlp_overhead, 0, 256);
    dur("pcie_read_latency", &Cfg::pcie_read_latency);
    dur("mmio_write_latency", &Cfg::mmio_write_latency);
    u32("dma_max_outstanding_reads", &Cfg::dma_max_outstanding_reads, 1, 1024);
    dur("cost_xmit", &Cfg::cost_xmit);
    dur("cost_tx_clean", &Cfg::cost_tx_clean);
    dur("cost_rx_packet", &Cfg::cost_rx_packet);
    dur("cost_irq", &Cfg::cost_irq);
    return p;
  }();
  static const Keys kNames = [] {
    Keys k;
    for (const Param& p : kParams) k.push_back(p.name);
    k.push_back("mtu");  // recognised, to say where it belongs
    return k;
  }();
  MapView m;
  if (!open_map(n, path, kNames, m, "NIC settings")) return false;
  bool rate_written = false;
  for (const Field& f : m.fields) {
    std::string p = key_path(path, f.key);
    if (f.key == "mtu") {
      error(f.key_node, p, "set the interface's mtu instead (the NIC follows it)");
      continue;
    }
    const Param& prm = *std::find_if(kParams.begin(), kParams.end(), [&](const Param& x) { return f.key == x.name; });
    if (!f.value.IsScalar()) {
      error(f.value, p, "expected a value, got " + describe(f.value));
      continue;
    }
    const std::string& s = f.value.Scalar();
    switch (prm.type) {
      case T::kRate: {
        auto r = positive_rate()(s);
        if (!r.ok()) error(f.value, p, r.error);
        else prm.set(ifc.nic, static_cast<int64_t>(r.value.bps), {}, false), rate_written = true;
        break;
      }
      case T::kU32:
      case T::kPow2: {
        auto r = parse_int(s, prm.lo, prm.hi);
        if (r.ok() && prm.type == T::kPow2 && (r.value & (r.value - 1)) != 0)
          r.error = quoted(s) + " is not a power of two";
        if (!r.ok()) error(f.value, p, r.error);
        else prm.set(ifc.nic, r.value, {}, false);
        break;
      }
      case T::kTime: {
        auto r = parse_time(s);
        if (!r.ok()) error(f.value, p, r.error);
        else prm.set(ifc.nic, 0, r.value, false);
        break;
      }
      case T::kBool: {
        auto r = parse_bool(s);
        if (!r.ok()) error(f.value, p, r.error);
        else prm.set(ifc.nic, 0, {}, r.value);
        break;
      }
    }
  }
  return rate_written;
}

void Loader::load_xps(const YAML::Node& n, const std::string& path, const HostSpec& h, InterfaceSpec& ifc) {
  if (!open_list(n, path, "CPU lists, one per TX queue")) return;
  if (n.size() > ifc.nic.tx_queues) {
    error(n, path, std::to_string(n.size()) + " entries but the NIC has " + std::to_string(ifc.nic.tx_queues) +
                       " TX queue(s) (set nic.tx_queues)");
    return;
  }
  for (size_t q = 0; q < n.size(); q++) {
    const YAML::Node& e = n[q];
    std::string p = index_path(path, q);
    std::vector<uint16_t> cpus;
    // Either [0, 1] or the kernel's cpulist text "0-1,3".
    std::vector<std::string> items;
    if (e.IsSequence()) {
      for (const YAML::Node& x : e) items.push_back(x.IsScalar() ? x.Scalar() : "?");
    } else if (e.IsScalar()) {
      std::stringstream ss(e.Scalar());
      for (std::string part; std::getline(ss, part, ',');) items.push_back(part);
    } else {
      error(e, p, "expected a CPU list like [0, 1] or \"0-3\", got " + describe(e));
      continue;
    }
    bool bad = false;
    for (const std::string& it : items) {
      size_t dash = it.find('-');
      auto lo = parse_int(it.substr(0, dash), 0, h.cpus - 1);
      auto hi = dash == std::string::npos ? lo : parse_int(it.substr(dash + 1), 0, h.cpus - 1);
      if (!lo.ok() || !hi.ok() || lo.value > hi.value) {
        error(e, p, "bad CPU " + quoted(it) + " (host " + h.name + " has CPUs 0.." + std::to_string(h.cpus - 1) + ")");
        bad = true;
        break;
      }
      for (int64_t c = lo.value; c <= hi.value; c++) cpus.push_back(static_cast<uint16_t>(c));
    }
    if (bad) continue;
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    ifc.xps.resize(q + 1);
    ifc.xps[q] = std::move(cpus);
  }
}

void Loader::load_route(const YAML::Node& n, const std::string& path, HostSpec& h) {
  MapView m;
  if (!open_map(n, path, {"dst", "via", "dev", "metric"}, m, "a route {dst, via, dev}")) return;
  RouteSpec r;
  r.origin = RouteSpec::Origin::kExplicit;
  bool ok = true;
  if (auto d = value(m, "dst", [](std::string_view s) { return parse_ipv4_prefix(s, true); }, true)) {
    uint32_t mask = prefix_mask(d->len);
    if ((d->addr & ~mask) != 0) {
      // ip route: "Invalid prefix for given prefix length".
      error(m.get("dst")->value, path + ".dst",
            "host bits are set (did you mean " + format_prefix(d->addr & mask, d->len) + "?)");
      ok = false;
    }
    r.dst = d->addr & mask;
    r.prefix_len = d->len;
  } else {
    ok = false;
  }
  if (auto g = value(m, "via", parse_ipv4)) r.gateway = *g;
  else if (m.has("via")) ok = false;
  if (auto dev = text(m, "dev")) {
    if (!h.interface(*dev)) {
      Keys names;
      for (const auto& i : h.interfaces) names.push_back(i.name);
      error(m.get("dev")->value, path + ".dev", "host " + h.name + " has no interface " + quoted(*dev) + did_you_mean(*dev, names));
      ok = false;
    }
    r.dev = *dev;
  }
  if (!m.has("via") && !m.has("dev")) {
    error(n, path, "a route needs via (a gateway), dev, or both");
    ok = false;
  }
  if (auto v = value(m, "metric", int_in(0, 0xffffffffll))) r.metric = static_cast<uint32_t>(*v);
  for (const RouteSpec& o : h.routes)
    if (o.dst == r.dst && o.prefix_len == r.prefix_len && o.metric == r.metric && ok) {
      // ip route add: "File exists".
      error(n, path, "a route to " + format_prefix(r.dst, r.prefix_len) + " with metric " + std::to_string(r.metric) + " is already given");
      ok = false;
    }
  // Keep the route even when bad, so routes[j] in later messages still
  // means the j-th route written; a bad one makes loading fail anyway.
  h.routes.push_back(r);
}

void Loader::load_rule(const YAML::Node& n, const std::string& path, HostSpec& h) {
  MapView m;
  if (!open_map(n, path, {"hook", "proto", "src", "dst", "sport", "dport", "action"}, m, "a netfilter rule")) return;
  NetfilterRule r;
  static const std::vector<std::pair<std::string, NetfilterRule::Hook>> kHooks = {
      {"PRE_ROUTING", NetfilterRule::Hook::kPreRouting}, {"LOCAL_IN", NetfilterRule::Hook::kLocalIn},
      {"FORWARD", NetfilterRule::Hook::kForward},        {"LOCAL_OUT", NetfilterRule::Hook::kLocalOut},
      {"POST_ROUTING", NetfilterRule::Hook::kPostRouting}};
  static const std::vector<std::pair<std::string, NetfilterRule::Proto>> kProtos = {
      {"any", NetfilterRule::Proto::kAny}, {"udp", NetfilterRule::Proto::kUdp},
      {"tcp", NetfilterRule::Proto::kTcp}, {"icmp", NetfilterRule::Proto::kIcmp}};
  static const std::vector<std::pair<std::string, NetfilterRule::Action>> kActions = {
      {"ACCEPT", NetfilterRule::Action::kAccept}, {"DROP", NetfilterRule::Action::kDrop}};
  auto pick = [&](const char* key, const auto& table, auto& out, bool required) {
    auto t = text(m, key, required);
    if (!t) return;
    Keys names;
    for (const auto& [name, v] : table) {
      names.push_back(name);
      if (*t == name) {
        out = v;
        return;
      }
    }
    std::string hint = did_you_mean(*t, names);
    error(m.get(key)->value, key_path(path, key),
          quoted(*t) + " is not one of: " + join(names) + hint);
  };
  pick("hook", kHooks, r.hook, true);
  pick("proto", kProtos, r.proto, false);
  pick("action", kActions, r.action, true);
  auto cidr = [](std::string_view s) { return parse_ipv4_prefix(s, false); };
  if (auto p = value(m, "src", cidr)) r.src = p->addr & prefix_mask(p->len), r.src_len = p->len;
  if (auto p = value(m, "dst", cidr)) r.dst = p->addr & prefix_mask(p->len), r.dst_len = p->len;
  auto ports = [&](const char* key, uint16_t& lo, uint16_t& hi) {
    auto t = text(m, key);
    if (!t) return;
    if (r.proto != NetfilterRule::Proto::kUdp && r.proto != NetfilterRule::Proto::kTcp) {
      error(m.get(key)->key_node, key_path(path, key), "ports need proto udp or tcp");
      return;
    }
    size_t dash = t->find('-');
    auto a = parse_int(t->substr(0, dash), 0, 65535);
    auto b = dash == std::string::npos ? a : parse_int(t->substr(dash + 1), 0, 65535);
    if (!a.ok() || !b.ok() || a.value > b.value) {
      error(m.get(key)->value, key_path(path, key), "expected a port or a range like 1000-2000, got " + quoted(*t));
      return;
    }
    lo = static_cast<uint16_t>(a.value);
    hi = static_cast<uint16_t>(b.value);
  };
  ports("sport", r.sport_lo, r.sport_hi);
  ports("dport", r.dport_lo, r.dport_hi);
  h.netfilter.push_back(r);
}


}  // namespace tools::loader
