// stack/sysctl.cc: setting the host's sysctls by their Linux names.
//
// One table maps each /proc/sys name (dots for slashes, as sysctl(8)
// writes it) to the field it sets and the range the kernel accepts
// (proc_dointvec_minmax's extra1/extra2 in net/ipv4/sysctl_net_ipv4.c and
// net/core/sysctl_net_core.c). Values are written as `sysctl -w` takes them:
// decimal integers, several separated by blanks for vector sysctls.
#include "stack/sysctl.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <limits>

namespace stack {
namespace {

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

// Splits "4096 16384 4194304" into integers; false on anything else.
bool parse_ints(std::string_view v, std::vector<int64_t>& out) {
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && std::isspace(static_cast<unsigned char>(v[i]))) i++;
    if (i == v.size()) break;
    size_t start = i;
    if (v[i] == '-') i++;
    size_t digits = i;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) i++;
    if (i == digits || i - digits > 18) return false;
    if (i < v.size() && !std::isspace(static_cast<unsigned char>(v[i]))) return false;
    out.push_back(std::strtoll(std::string(v.substr(start, i - start)).c_str(), nullptr, 10));
  }
  return !out.empty();
}

struct Entry {
  const char* name;
  // Applies a value to the struct; returns an error or "".
  std::function<std::string(Sysctls&, std::string_view)> apply;
};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// An integer sysctl in [lo, hi], stored scaled by `mul` (for unit changes
// such as USER_HZ ticks to milliseconds).
Entry int_entry(const char* name, int64_t Sysctls::*field, int64_t lo, int64_t hi, int64_t mul = 1) {
  return {name, [=](Sysctls& s, std::string_view v) -> std::string {
            std::vector<int64_t> xs;
            if (!parse_ints(v, xs) || xs.size() != 1) return "expected one integer, got " + quoted(v);
            if (xs[0] < lo || xs[0] > hi)
              return quoted(v) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")";
            s.*field = xs[0] * mul;
            return "";
          }};
}

// tcp_wmem / tcp_rmem: "min default max", each at least 1 and in order
// (the kernel takes any order, but a default above max is surely a typo).
Entry triple_entry(const char* name, int64_t (Sysctls::*field)[3]) {
  return {name, [=](Sysctls& s, std::string_view v) -> std::string {
            std::vector<int64_t> xs;
            if (!parse_ints(v, xs) || xs.size() != 3)
              return "expected three integers \"min default max\", got " + quoted(v);
            for (int64_t x : xs)
              if (x < 1 || x > kIntMax) return quoted(v) + ": each value must be 1.." + std::to_string(kIntMax);
            if (xs[0] > xs[1] || xs[1] > xs[2]) return quoted(v) + ": expected min <= default <= max";
            for (int i = 0; i < 3; i++) (s.*field)[i] = xs[i];
            return "";
          }};
}

Entry choice_entry(const char* name, std::string Sysctls::*field, std::vector<std::string> choices) {
  return {name, [=](Sysctls& s, std::string_view v) -> std::string {
            std::string_view t = v;
            while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.remove_prefix(1);
            while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
            if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
              std::string msg = quoted(t) + " is not one of:";
              for (const auto& c : choices) msg += " " + c;
              return msg;
            }
            s.*field = std::string(t);
            return "";
          }};
}

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> e;
    // net.core (net/core/sysctl_net_core.c)
    e.push_back(int_entry("net.core.dev_weight", &Sysctls::core_dev_weight, 1, kIntMax));
    e.push_back(int_entry("net.core.netdev_budget", &Sysctls::core_netdev_budget, 1, kIntMax));
    e.push_back(int_entry("net.core.netdev_budget_usecs", &Sysctls::core_netdev_budget_usecs, 0, kIntMax));
    e.push_back(int_entry("net.core.netdev_max_backlog", &Sysctls::core_netdev_max_backlog, 1, kIntMax));
    // SOCK_MIN_SNDBUF/SOCK_MIN_RCVBUF (include/net/sock.h) are about 4.6 KB;
    // 4608 keeps the same floor without depending on sizeof(sk_buff).
    e.push_back(int_entry("net.core.wmem_default", &Sysctls::core_wmem_default, 4608, kIntMax));
    e.push_back(int_entry("net.core.wmem_max", &Sysctls::core_wmem_max, 4608, kIntMax));
    e.push_back(int_entry("net.core.rmem_default", &Sysctls::core_rmem_default, 2304, kIntMax));
    e.push_back(int_entry("net.core.rmem_max", &Sysctls::core_rmem_max, 2304, kIntMax));
    // The qdiscs the model implements that can stand alone without
    // parameters (tbf needs a rate, so it cannot be a default).
    e.push_back(choice_entry("net.core.default_qdisc", &Sysctls::core_default_qdisc,
                             {"pfifo_fast", "pfifo", "bfifo", "fq_codel", "noqueue"}));
    // net.ipv4 (net/ipv4/sysctl_net_ipv4.c, net/ipv4/devinet.c)
    e.push_back(int_entry("net.ipv4.ip_forward", &Sysctls::ipv4_ip_forward, 0, 1));
    // devinet.c: conf/all/forwarding is the same switch as ip_forward.
    e.push_back(int_entry("net.ipv4.conf.all.forwarding", &Sysctls::ipv4_ip_forward, 0, 1));
    e.push_back(int_entry("net.ipv4.ip_default_ttl", &Sysctls::ipv4_ip_default_ttl, 1, 255));
    e.push_back(int_entry("net.ipv4.ipfrag_time", &Sysctls::ipv4_ipfrag_time, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.ipfrag_high_thresh", &Sysctls::ipv4_ipfrag_high_thresh, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.ip_no_pmtu_disc", &Sysctls::ipv4_ip_no_pmtu_disc, 0, 3));
    e.push_back({"net.ipv4.ip_local_port_range", [](Sysctls& s, std::string_view v) -> std::string {
                   std::vector<int64_t> xs;
                   if (!parse_ints(v, xs) || xs.size() != 2)
                     return "expected two integers \"low high\", got " + quoted(v);
                   // ipv4_local_port_range(): 1..65535 and low <= high.
                   if (xs[0] < 1 || xs[1] > 65535 || xs[0] > xs[1])
                     return quoted(v) + ": expected 1 <= low <= high <= 65535";
                   s.ipv4_ip_local_port_range_lo = xs[0];
                   s.ipv4_ip_local_port_range_hi = xs[1];
                   return "";
                 }});
    e.push_back(int_entry("net.ipv4.icmp_ratelimit", &Sysctls::ipv4_icmp_ratelimit, 0, kIntMax));
    // udp_mem is "min pressure max" in pages; the model enforces only the
    // hard limit, so one value or the third of three is kept.
    e.push_back({"net.ipv4.udp_mem", [](Sysctls& s, std::string_view v) -> std::string {
                   std::vector<int64_t> xs;
                   if (!parse_ints(v, xs) || (xs.size() != 1 && xs.size() != 3))
                     return "expected \"min pressure max\" (pages), got " + quoted(v);
                   for (int64_t x : xs)
                     if (x < 0) return quoted(v) + ": values must not be negative";
                   s.ipv4_udp_mem_pages = xs.back();
                   return "";
                 }});
    // Neighbour defaults (net/core/neighbour.c neigh_sysctl_table), for
    // every device: only the `default` set is modelled.
    e.push_back(int_entry("net.ipv4.neigh.default.base_reachable_time_ms",
                          &Sysctls::neigh_base_reachable_time_ms, 1, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.retrans_time_ms", &Sysctls::neigh_retrans_time_ms, 1,
                          kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.delay_first_probe_time",
                          &Sysctls::neigh_delay_first_probe_time, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.gc_stale_time", &Sysctls::neigh_gc_stale_time, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.ucast_solicit", &Sysctls::neigh_ucast_solicit, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.mcast_solicit", &Sysctls::neigh_mcast_solicit, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.app_solicit", &Sysctls::neigh_app_solicit, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.neigh.default.unres_qlen_bytes", &Sysctls::neigh_unres_qlen_bytes, 0,
                          kIntMax));
    // `locktime` is in USER_HZ ticks (1/100 s); the field keeps milliseconds.
    e.push_back(int_entry("net.ipv4.neigh.default.locktime", &Sysctls::neigh_locktime_ms, 0, kIntMax / 10, 10));
    // TCP (net/ipv4/sysctl_net_ipv4.c ipv4_net_table)
    e.push_back(triple_entry("net.ipv4.tcp_wmem", &Sysctls::tcp_wmem));
    e.push_back(triple_entry("net.ipv4.tcp_rmem", &Sysctls::tcp_rmem));
    e.push_back(int_entry("net.ipv4.tcp_limit_output_bytes", &Sysctls::tcp_limit_output_bytes, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.tcp_sack", &Sysctls::tcp_sack, 0, 1));
    e.push_back(int_entry("net.ipv4.tcp_dsack", &Sysctls::tcp_dsack, 0, 1));
    e.push_back(int_entry("net.ipv4.tcp_timestamps", &Sysctls::tcp_timestamps, 0, 2));
    e.push_back(int_entry("net.ipv4.tcp_window_scaling", &Sysctls::tcp_window_scaling, 0, 1));
    e.push_back(int_entry("net.ipv4.tcp_ecn", &Sysctls::tcp_ecn, 0, 2));
    e.push_back(int_entry("net.ipv4.tcp_recovery", &Sysctls::tcp_recovery, 0, 7));
    e.push_back(int_entry("net.ipv4.tcp_early_retrans", &Sysctls::tcp_early_retrans, 0, 4));
    e.push_back(int_entry("net.ipv4.tcp_frto", &Sysctls::tcp_frto, 0, 2));
    e.push_back(int_entry("net.ipv4.tcp_reordering", &Sysctls::tcp_reordering, 1, kIntMax));
    e.push_back(int_entry("net.ipv4.tcp_autocorking", &Sysctls::tcp_autocorking, 0, 1));
    e.push_back(int_entry("net.ipv4.tcp_comp_sack_nr", &Sysctls::tcp_comp_sack_nr, 0, 255));
    e.push_back(int_entry("net.ipv4.tcp_comp_sack_delay_ns", &Sysctls::tcp_comp_sack_delay_ns, 0, kIntMax));
    e.push_back(int_entry("net.ipv4.tcp_moderate_rcvbuf", &Sysctls::tcp_moderate_rcvbuf, 0, 1));
    e.push_back(int_entry("net.ipv4.tcp_adv_win_scale", &Sysctls::tcp_adv_win_scale, -31, 31));
    // UINT_MAX (4294967295) is the kernel's "off"; -1 stands for it here.
    e.push_back({"net.ipv4.tcp_notsent_lowat", [](Sysctls& s, std::string_view v) -> std::string {
                   std::vector<int64_t> xs;
                   if (!parse_ints(v, xs) || xs.size() != 1) return "expected one integer, got " + quoted(v);
                   if (xs[0] == 4294967295ll || xs[0] == -1) {
                     s.tcp_notsent_lowat = -1;
                   } else if (xs[0] < 0 || xs[0] > 4294967295ll) {
                     return quoted(v) + " is out of range (0..4294967295)";
                   } else {
                     s.tcp_notsent_lowat = xs[0];
                   }
                   return "";
                 }});
    e.push_back(int_entry("net.ipv4.tcp_no_metrics_save", &Sysctls::tcp_no_metrics_save, 0, 1));
    // The congestion-control modules the model registers (TCP issue).
    e.push_back(choice_entry("net.ipv4.tcp_congestion_control", &Sysctls::tcp_congestion_control,
                             {"cubic", "reno"}));
    // Not sysctls in Linux (route attributes `initcwnd` and `rto_min`,
    // `ip route change ... initcwnd 10`), kept per host in the model under
    // names that say so.
    e.push_back(int_entry("skbsim.tcp_init_cwnd", &Sysctls::tcp_init_cwnd, 1, 1000));
    e.push_back(int_entry("skbsim.tcp_min_rto_ms", &Sysctls::tcp_min_rto_ms, 1, 120000));
    std::sort(e.begin(), e.end(), [](const Entry& a, const Entry& b) { return std::string_view(a.name) < b.name; });
    return e;
  }();
  return t;
}

}  // namespace

std::string Sysctls::set(std::string_view name, std::string_view value) {
  for (const Entry& e : table())
    if (name == e.name) return e.apply(*this, value);
  return "unknown sysctl \"" + std::string(name) + "\"";
}

const std::vector<std::string>& Sysctls::names() {
  static const std::vector<std::string> n = [] {
    std::vector<std::string> v;
    for (const Entry& e : table()) v.emplace_back(e.name);
    return v;
  }();
  return n;
}

}  // namespace stack
