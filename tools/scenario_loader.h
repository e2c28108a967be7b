// tools/scenario_loader.h: the YAML loader's internals, shared by
// scenario.cc (top level, links, switches, apps, outputs, checks across the
// file) and scenario_hosts.cc (hosts and what they hold). Private to
// //tools:scenario: it exposes yaml-cpp, which the public header does not.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "stack/steps.h"
#include "tools/scenario.h"
#include "tools/units.h"

namespace tools::loader {

using Keys = std::vector<std::string>;

inline std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

inline std::string join(const Keys& k, const char* sep = ", ") {
  std::string s;
  for (size_t i = 0; i < k.size(); i++) s += (i ? sep : "") + k[i];
  return s;
}

inline std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "the scalar " + quoted(n.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "an undefined value";
  }
}

inline std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }
inline std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Host, switch, port and interface names: what a shell and a file name
// take without quoting.
inline bool good_name(std::string_view s, size_t max_len, bool allow_dot) {
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
inline const Keys& trace_layers() {
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

inline const Keys kQdiscKinds = {"pfifo_fast", "pfifo", "bfifo", "tbf", "fq_codel", "noqueue"};
inline const Keys kCongestionControls = {"cubic", "reno"};

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
  void load_costs(const YAML::Node& n, const std::string& path, HostSpec& h);
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
  void check_ports();
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
  std::vector<std::string> app_paths_;  // the written path of each kept app
  bool stop_known_ = false;
};

// Parsers with ranges, in the shape value() takes.
inline auto int_in(int64_t lo, int64_t hi) {
  return [=](std::string_view s) { return parse_int(s, lo, hi); };
}
inline auto size_in(uint64_t lo, uint64_t hi) {
  return [=](std::string_view s) {
    Parsed<uint64_t> r = parse_size(s);
    if (r.ok() && (r.value < lo || r.value > hi))
      r.error = quoted(s) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + " bytes)";
    return r;
  };
}
inline auto positive_rate() {
  return [](std::string_view s) {
    Parsed<sim::Rate> r = parse_rate(s);
    if (r.ok() && r.value.bps == 0) r.error = "a rate must be above zero";
    return r;
  };
}
inline auto time_at_least(int64_t min_ns) {
  return [=](std::string_view s) {
    Parsed<sim::Duration> r = parse_time(s);
    if (r.ok() && r.value.ns() < min_ns)
      r.error = min_ns == 1 ? "must be above zero" : "must be at least " + std::to_string(min_ns) + " ns";
    return r;
  };
}

}  // namespace tools::loader
