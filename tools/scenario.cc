// tools/scenario.cc: the YAML scenario loader (yaml-cpp stays in this file).
//
// Loading is one pass over the document that checks every field where it is
// written and records where each field path lies in the file; later checks
// that span fields (addresses across hosts, link ends, routes) report at
// those recorded places. Nothing stops at the first problem: all are
// collected, then sorted by position. Routes are computed only when the
// rest is clean, so a typo in one address does not also show up as a dozen
// unreachable destinations.
#include "tools/scenario.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "stack/steps.h"
#include "tools/routes.h"
#include "tools/units.h"

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

namespace {

using Keys = std::vector<std::string>;

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join(const Keys& k, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < k.size(); i++) s += (i ? sep : "") + k[i];
  return s;
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "the scalar " + quoted(n.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "an undefined value";
  }
}

std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }
std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Host, switch, port and interface names: what a shell and a file name
// take without quoting.
bool good_name(std::string_view s, size_t max_len, bool allow_dot) {
  if (s.empty() || s.size() > max_len) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (allow_dot && c == '.');
  });
}

// One key of a map, as written.
struct Field {
  std::string key;
  YAML::Node key_node;
  YAML::Node value;
};

// A map's fields, checked for duplicate and unknown keys.
struct MapView {
  YAML::Node node;
  std::string path;
  std::vector<Field> fields;
  const Field* get(std::string_view key) const {
    for (const Field& f : fields)
      if (f.key == key) return &f;
    return nullptr;
  }
  bool has(std::string_view key) const { return get(key) != nullptr; }
};

// Layer names from the step catalogue, for trace filters.
const Keys& trace_layers() {
  static const Keys layers = [] {
    std::set<std::string> s;
#define SKBSIM_LAYER(e, id, layer, fn, file) s.insert(layer);
    SKBSIM_STEPS(SKBSIM_LAYER)
#undef SKBSIM_LAYER
    s.erase("none");
    return Keys(s.begin(), s.end());
  }();
  return layers;
}

const Keys kQdiscKinds = {"pfifo_fast", "pfifo", "bfifo", "tbf", "fq_codel", "noqueue"};
const Keys kCongestionControls = {"cubic", "reno"};

class Loader {
 public:
  explicit Loader(std::string file) { sc_.file = std::move(file); }

  LoadResult run(const YAML::Node& root);
  void syntax_error(const YAML::Mark& m, const std::string& msg) { add(m, "", msg); }
  std::vector<Diagnostic>& errors() { return errs_; }

 private:
  // ---- diagnostics ----
  void add(const YAML::Mark& m, const std::string& path, const std::string& msg) {
    Diagnostic d;
    d.file = sc_.file;
    if (m.line >= 0) {
      d.line = m.line + 1;
      d.col = m.column + 1;
    } else {
      d.line = 1;
      d.col = 1;
    }
    d.path = path;
    d.message = msg;
    errs_.push_back(std::move(d));
  }
  void error(const YAML::Node& n, const std::string& path, const std::string& msg) {
    add(n.IsDefined() ? n.Mark() : YAML::Mark::null_mark(), path, msg);
  }
  // An error about a field recorded earlier; falls back to the nearest
  // enclosing path that was recorded.
  void error_path(const std::string& path, const std::string& msg) {
    std::string p = path;
    while (true) {
      auto it = marks_.find(p);
      if (it != marks_.end()) return add(it->second, path, msg);
      size_t cut = p.find_last_of(".[");
      if (cut == std::string::npos || cut == 0) break;
      p.resize(cut);
    }
    add(YAML::Mark::null_mark(), path, msg);
  }
  void remember(const std::string& path, const YAML::Node& n) {
    if (n.IsDefined()) marks_.emplace(path, n.Mark());
  }

  // ---- structure ----
  // Reads a map node's keys; false (with an error) when n is not a map.
  bool open_map(const YAML::Node& n, const std::string& path, const Keys& allowed, MapView& out,
                const char* what = nullptr) {
    out.node = n;
    out.path = path;
    if (!n.IsMap()) {
      error(n, path, std::string("expected a map") + (what ? std::string(" (") + what + ")" : "") +
                         ", got " + describe(n));
      return false;
    }
    remember(path, n);
    for (auto it = n.begin(); it != n.end(); ++it) {
      const YAML::Node k = it->first;  // a copy: it-> yields a temporary
      if (!k.IsScalar()) {
        error(k, path, "a key must be a plain name, got " + describe(k));
        continue;
      }
      std::string key = k.Scalar();
      if (const Field* prev = out.get(key)) {
        error(k, key_path(path, key),
              "duplicate key (first at line " + std::to_string(prev->key_node.Mark().line + 1) + ")");
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string hint = did_you_mean(key, allowed);
        error(k, key_path(path, key),
              "unknown key " + quoted(key) + (hint.empty() ? " (expected one of: " + join(allowed) + ")" : hint));
        continue;
      }
      out.fields.push_back({key, k, it->second});
      remember(key_path(path, key), it->second);
    }
    return true;
  }

  bool open_list(const YAML::Node& n, const std::string& path, const char* what) {
    if (!n.IsSequence()) {
      error(n, path, std::string("expected a list of ") + what + ", got " + describe(n));
      return false;
    }
    remember(path, n);
    for (size_t i = 0; i < n.size(); i++) remember(index_path(path, i), n[i]);
    return true;
  }

  void missing(const MapView& m, const char* key) {
    error(m.node, m.path, std::string("missing required key \"") + key + "\"");
  }

  // The scalar text of m[key]; nullopt when absent (error if required) or
  // not a scalar (error).
  std::optional<std::string> text(const MapView& m, const char* key, bool required = false) {
    const Field* f = m.get(key);
    if (!f) {
      if (required) missing(m, key);
      return std::nullopt;
    }
    if (!f->value.IsScalar()) {
      error(f->value, key_path(m.path, key), "expected a value, got " + describe(f->value));
      return std::nullopt;
    }
    return f->value.Scalar();
  }

  // m[key] run through `parse` (a function string_view -> Parsed<T>).
  template <typename P>
  auto value(const MapView& m, const char* key, P parse, bool required = false)
      -> std::optional<decltype(parse(std::string_view()).value)> {
    auto t = text(m, key, required);
    if (!t) return std::nullopt;
    auto r = parse(*t);
    if (!r.ok()) {
      error(m.get(key)->value, key_path(m.path, key), r.error);
      return std::nullopt;
    }
    return r.value;
  }

  // ---- sections ----
  void load_simulation(const YAML::Node& n);
  void load_host(const YAML::Node& n, const std::string& path);
  void load_sysctls(const YAML::Node& n, const std::string& path, HostSpec& h);
  void load_interface(const YAML::Node& n, const std::string& path, HostSpec& h);
  bool load_qdisc(const YAML::Node& n, const std::string& path, stack::QdiscSpec& q, int depth);
  bool load_nic(const YAML::Node& n, const std::string& path, InterfaceSpec& ifc);
  void load_xps(const YAML::Node& n, const std::string& path, const HostSpec& h, InterfaceSpec& ifc);
  void load_route(const YAML::Node& n, const std::string& path, HostSpec& h);
  void load_rule(const YAML::Node& n, const std::string& path, HostSpec& h);
  void load_switch(const YAML::Node& n, const std::string& path);
  void load_link(const YAML::Node& n, const std::string& path);
  bool resolve_endpoint(const YAML::Node& n, const std::string& path, Endpoint& e, bool for_pcap);
  void load_app(const YAML::Node& n, const std::string& path);
  void load_outputs(const YAML::Node& n);
  void check_addresses();
  void assign_macs();
  void apply_link_rates();

  // Hosts and switches share one namespace (link ends name either).
  bool claim_name(const std::string& name, const YAML::Node& n, const std::string& owner) {
    auto [it, fresh] = names_.emplace(name, owner);
    if (!fresh) error(n, owner + ".name", quoted(name) + " is already the name of " + it->second);
    return fresh;
  }

  Scenario sc_;
  std::vector<Diagnostic> errs_;
  std::map<std::string, YAML::Mark> marks_;
  std::map<std::string, std::string> names_;  // host and switch names -> where defined
  std::set<std::pair<size_t, size_t>> nic_rate_written_;  // (host, interface) with nic.line_rate written
  std::map<std::string, std::string> link_ends_;  // "node:port" -> link path using it
  bool stop_known_ = false;
};

// Parsers with ranges, in the shape value() takes.
auto int_in(int64_t lo, int64_t hi) {
  return [=](std::string_view s) { return parse_int(s, lo, hi); };
}
auto size_in(uint64_t lo, uint64_t hi) {
  return [=](std::string_view s) {
    Parsed<uint64_t> r = parse_size(s);
    if (r.ok() && (r.value < lo || r.value > hi))
      r.error = quoted(s) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + " bytes)";
    return r;
  };
}
auto positive_rate() {
  return [](std::string_view s) {
    Parsed<sim::Rate> r = parse_rate(s);
    if (r.ok() && r.value.bps == 0) r.error = "a rate must be above zero";
    return r;
  };
}
auto time_at_least(int64_t min_ns) {
  return [=](std::string_view s) {
    Parsed<sim::Duration> r = parse_time(s);
    if (r.ok() && r.value.ns() < min_ns)
      r.error = min_ns == 1 ? "must be above zero" : "must be at least " + std::to_string(min_ns) + " ns";
    return r;
  };
}

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

void Loader::load_host(const YAML::Node& n, const std::string& path) {
  static const Keys kKeys = {"name", "cpus", "sysctls", "interfaces", "routes", "netfilter"};
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

}  // namespace

LoadResult load_scenario_from_string(const std::string& text, const std::string& name) {
  Loader loader(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
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
