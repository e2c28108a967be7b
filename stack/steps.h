// stack/steps.h: the catalogue of SEND_PATH steps (../shared/SEND_PATH.md).
//
// Every tracepoint names the step it belongs to, so a trace can be read
// against the checklist, filtered by layer, and checked for coverage. Each
// entry: the id as SEND_PATH writes it, the layer, the kernel function, and
// the kernel source file it stands for (Linux 6.x paths).
#pragma once

#include <cstdint>
#include <string_view>

namespace stack {

#define SKBSIM_STEPS(X)                                                                  \
  X(None, "-", "none", "", "")                                                           \
  X(Reg01, "REG-01", "socket", "inet_init", "net/ipv4/af_inet.c")                        \
  X(Reg02, "REG-02", "socket", "inet_create", "net/ipv4/af_inet.c")                      \
  X(Sys01, "SYS-01", "syscall", "__sys_sendto", "net/socket.c")                          \
  X(Sys02, "SYS-02", "socket", "sock_sendmsg", "net/socket.c")                           \
  X(Sys03, "SYS-03", "socket", "inet_sendmsg", "net/ipv4/af_inet.c")                     \
  X(Udp01, "UDP-01", "udp", "udp_sendmsg", "net/ipv4/udp.c")                             \
  X(Udp02, "UDP-02", "udp", "ip_route_output_flow", "net/ipv4/route.c")                  \
  X(Udp03, "UDP-03", "udp", "ip_make_skb", "net/ipv4/ip_output.c")                       \
  X(Udp04, "UDP-04", "udp", "udp_send_skb", "net/ipv4/udp.c")                            \
  X(Udp05, "UDP-05", "udp", "ip_send_skb", "net/ipv4/ip_output.c")                       \
  X(Udp06, "UDP-06", "udp", "UDP_INC_STATS", "include/net/udp.h")                        \
  X(Tcp01, "TCP-01", "tcp", "tcp_sendmsg", "net/ipv4/tcp.c")                             \
  X(Tcp02, "TCP-02", "tcp", "tcp_send_mss", "net/ipv4/tcp.c")                            \
  X(Tcp03, "TCP-03", "tcp", "tcp_stream_alloc_skb", "net/ipv4/tcp.c")                    \
  X(Tcp04, "TCP-04", "tcp", "skb_copy_to_page_nocache", "include/net/sock.h")            \
  X(Tcp05, "TCP-05", "tcp", "tcp_push_one", "net/ipv4/tcp_output.c")                     \
  X(Tcp06, "TCP-06", "tcp", "sk_stream_wait_memory", "net/core/stream.c")                \
  X(Tcp07, "TCP-07", "tcp", "tcp_push", "net/ipv4/tcp.c")                                \
  X(Tcp08, "TCP-08", "tcp", "tcp_write_xmit", "net/ipv4/tcp_output.c")                   \
  X(Tcp09, "TCP-09", "tcp", "tcp_cwnd_test", "net/ipv4/tcp_output.c")                    \
  X(Tcp10, "TCP-10", "tcp", "tcp_snd_wnd_test", "net/ipv4/tcp_output.c")                 \
  X(Tcp11, "TCP-11", "tcp", "tcp_nagle_test", "net/ipv4/tcp_output.c")                   \
  X(Tcp12, "TCP-12", "tcp", "tcp_small_queue_check", "net/ipv4/tcp_output.c")            \
  X(Tcp13, "TCP-13", "tcp", "tso_fragment", "net/ipv4/tcp_output.c")                     \
  X(Tcp14, "TCP-14", "tcp", "tcp_transmit_skb", "net/ipv4/tcp_output.c")                 \
  X(Tcp15, "TCP-15", "tcp", "ip_queue_xmit", "net/ipv4/ip_output.c")                     \
  X(Tcp16, "TCP-16", "tcp", "tcp_event_new_data_sent", "net/ipv4/tcp_output.c")          \
  X(Ip01, "IP-01", "ip", "ip_queue_xmit", "net/ipv4/ip_output.c")                        \
  X(Ip02, "IP-02", "ip", "ip_build_header", "net/ipv4/ip_output.c")                      \
  X(Ip03, "IP-03", "ip", "ip_local_out", "net/ipv4/ip_output.c")                         \
  X(Ip04, "IP-04", "ip", "dst_output", "include/net/dst.h")                              \
  X(Ip05, "IP-05", "ip", "ip_output", "net/ipv4/ip_output.c")                            \
  X(Ip06, "IP-06", "ip", "ip_finish_output", "net/ipv4/ip_output.c")                     \
  X(Ip07, "IP-07", "ip", "ip_finish_output2", "net/ipv4/ip_output.c")                    \
  X(Neigh01, "NEIGH-01", "neigh", "neigh_output", "include/net/neighbour.h")             \
  X(Neigh02, "NEIGH-02", "neigh", "neigh_resolve_output", "net/core/neighbour.c")        \
  X(Neigh03, "NEIGH-03", "neigh", "neigh_update", "net/core/neighbour.c")                \
  X(Dev01, "DEV-01", "dev", "__dev_queue_xmit", "net/core/dev.c")                        \
  X(Dev02, "DEV-02", "dev", "netdev_pick_tx", "net/core/dev.c")                          \
  X(Dev03, "DEV-03", "dev", "dev_hard_start_xmit", "net/core/dev.c")                     \
  X(Dev04, "DEV-04", "dev", "__dev_xmit_skb", "net/core/dev.c")                          \
  X(Dev05, "DEV-05", "dev", "__qdisc_run", "net/sched/sch_generic.c")                    \
  X(Dev06, "DEV-06", "dev", "__netif_schedule", "net/core/dev.c")                        \
  X(Dev07, "DEV-07", "dev", "sch_direct_xmit", "net/sched/sch_generic.c")                \
  X(Nic01, "NIC-01", "driver", "ndo_start_xmit", "drivers/net/ethernet/intel/ixgbe")     \
  X(Nic02, "NIC-02", "driver", "writel(tail)", "drivers/net/ethernet/intel/ixgbe")       \
  X(Nic03, "NIC-03", "nic", "dma_read", "nic_model/pcie.cc")                             \
  X(Nic04, "NIC-04", "nic", "mac_xmit", "nic_model/mac.cc")                              \
  X(Nic05, "NIC-05", "nic", "msix_irq", "nic_model/irq.cc")                              \
  X(Nic06, "NIC-06", "driver", "net_rx_action", "net/core/dev.c")                        \
  X(Nic07, "NIC-07", "driver", "clean_tx_irq", "drivers/net/ethernet/intel/ixgbe")       \
  X(Rx01, "RX-01", "nic", "rx_dma_write", "nic_model/nic.cc")                            \
  X(Rx02, "RX-02", "driver", "netif_receive_skb", "net/core/dev.c")                      \
  X(Rx03, "RX-03", "ip", "ip_rcv", "net/ipv4/ip_input.c")                                \
  X(Rx04, "RX-04", "udp", "udp_rcv", "net/ipv4/udp.c")                                   \
  X(Rx05, "RX-05", "tcp", "tcp_v4_rcv", "net/ipv4/tcp_ipv4.c")                           \
  X(Rx06, "RX-06", "socket", "recvmsg", "net/socket.c")                                  \
  X(Wire, "WIRE", "wire", "wire", "nic_model/link.cc")                                   \
  X(App, "APP", "app", "app", "tools/apps")

namespace step {
enum : uint16_t {
#define SKBSIM_STEP_ENUM(name, id, layer, fn, file) k##name,
  SKBSIM_STEPS(SKBSIM_STEP_ENUM)
#undef SKBSIM_STEP_ENUM
      kCount
};
}  // namespace step

struct StepInfo {
  std::string_view id;     // "IP-03"
  std::string_view layer;  // "ip"
  std::string_view fn;     // the main kernel function of the step
  std::string_view file;   // kernel source file
};

inline const StepInfo& step_info(uint16_t s) {
  static const StepInfo kInfo[] = {
#define SKBSIM_STEP_INFO(name, id, layer, fn, file) {id, layer, fn, file},
      SKBSIM_STEPS(SKBSIM_STEP_INFO)
#undef SKBSIM_STEP_INFO
  };
  return kInfo[s < step::kCount ? s : 0];
}

}  // namespace stack
