// stack/sysctl.h: the host's sysctls, by their Linux names.
//
// Every tunable the model reads is here with the kernel's default and the
// file the default comes from. Scenarios set them by name
// (`net.ipv4.tcp_wmem: "4096 16384 4194304"`); unknown names are errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace stack {

struct Sysctls {
  // net.core (net/core/sysctl_net_core.c, net/core/dev.c)
  int64_t core_dev_weight = 64;            // weight_p: __qdisc_run quota, backlog NAPI weight
  int64_t core_netdev_budget = 300;        // net_rx_action packet budget
  int64_t core_netdev_budget_usecs = 2000; // net_rx_action time limit (2 jiffies at HZ=1000; 2000 us)
  int64_t core_netdev_max_backlog = 1000;  // per-CPU input queue (non-NAPI/RPS)
  int64_t core_wmem_default = 212992;      // SK_WMEM_MAX (include/net/sock.h)
  int64_t core_wmem_max = 212992;
  int64_t core_rmem_default = 212992;      // SK_RMEM_MAX
  int64_t core_rmem_max = 212992;
  std::string core_default_qdisc = "pfifo_fast";  // CONFIG_DEFAULT_NET_SCH; distros: fq_codel
  // net.ipv4 (net/ipv4/sysctl_net_ipv4.c, net/ipv4/af_inet.c)
  int64_t ipv4_ip_forward = 0;
  int64_t ipv4_ip_default_ttl = 64;        // IPDEFTTL
  int64_t ipv4_ipfrag_time = 30;           // IP_FRAG_TIME seconds
  int64_t ipv4_ipfrag_high_thresh = 4 * 1024 * 1024;
  int64_t ipv4_ip_no_pmtu_disc = 0;        // 0: DF set on UDP too (IP_PMTUDISC_WANT)
  int64_t ipv4_ip_local_port_range_lo = 32768;
  int64_t ipv4_ip_local_port_range_hi = 60999;
  int64_t ipv4_icmp_ratelimit = 1000;      // ms between rate-limited ICMP errors
  int64_t ipv4_udp_mem_pages = 0;          // 0: unlimited in the model
  // neighbour, per device defaults (net/ipv4/arp.c arp_tbl.parms)
  int64_t neigh_base_reachable_time_ms = 30000;
  int64_t neigh_retrans_time_ms = 1000;
  int64_t neigh_delay_first_probe_time = 5;  // seconds
  int64_t neigh_gc_stale_time = 60;          // seconds
  int64_t neigh_ucast_solicit = 3;
  int64_t neigh_mcast_solicit = 3;
  int64_t neigh_app_solicit = 0;
  int64_t neigh_unres_qlen_bytes = 212992;   // SK_WMEM_MAX
  int64_t neigh_locktime_ms = 1000;
  // TCP (net/ipv4/tcp_ipv4.c tcp_sk_init), read by the TCP issue.
  int64_t tcp_wmem[3] = {4096, 16384, 4194304};
  int64_t tcp_rmem[3] = {4096, 131072, 6291456};
  int64_t tcp_limit_output_bytes = 1048576;  // 1 MB since 4.19 (TSQ)
  int64_t tcp_sack = 1;
  int64_t tcp_dsack = 1;
  int64_t tcp_timestamps = 1;
  int64_t tcp_window_scaling = 1;
  int64_t tcp_ecn = 2;
  int64_t tcp_recovery = 1;        // RACK
  int64_t tcp_early_retrans = 3;   // TLP
  int64_t tcp_frto = 2;
  int64_t tcp_reordering = 3;
  int64_t tcp_autocorking = 1;
  int64_t tcp_comp_sack_nr = 44;
  int64_t tcp_comp_sack_delay_ns = 1000000;
  int64_t tcp_moderate_rcvbuf = 1;
  int64_t tcp_adv_win_scale = 1;
  int64_t tcp_notsent_lowat = -1;  // UINT_MAX in the kernel: off
  int64_t tcp_init_cwnd = 10;      // TCP_INIT_CWND (include/net/tcp.h); a route attribute in Linux
  int64_t tcp_min_rto_ms = 200;    // TCP_RTO_MIN
  int64_t tcp_no_metrics_save = 0;
  std::string tcp_congestion_control = "cubic";
  // Kernel build (not a sysctl): CONFIG_HZ; Debian's kernels use 250.
  int64_t kernel_hz = 250;

  // Sets a sysctl by its Linux name ("net.ipv4.tcp_wmem"). Returns an
  // empty string on success, else the error to show the user.
  std::string set(std::string_view name, std::string_view value);
  // Every known name, sorted, for error messages and `--help`.
  static const std::vector<std::string>& names();
};

}  // namespace stack
