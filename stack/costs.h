// stack/costs.h: what each kernel step costs in simulated CPU time.
//
// The model charges these to the CPU that runs the step (sim::Cpu::charge),
// so a busy CPU delays what comes next on it. Defaults are round figures of
// the order a 3 GHz server core shows in ftrace function_graph for these
// functions on Linux 6.x (hundreds of ns per layer, ~10 GB/s copies). They
// are meant to be overridden per host in YAML (`costs: {udp_sendmsg: 400ns}`)
// when a user calibrates against a machine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace stack {

#define SKBSIM_COSTS(X)                                                                  \
  X(syscall_entry, 100)       /* entry_SYSCALL_64 + exit to user */                      \
  X(sockfd_lookup, 20)        /* sockfd_lookup_light */                                  \
  X(sock_sendmsg, 30)         /* security hook + ops dispatch */                         \
  X(inet_sendmsg, 20)                                                                    \
  X(udp_sendmsg, 150)                                                                    \
  X(ip_route_output, 120)     /* fib lookup + dst creation (no route cache since 3.6) */ \
  X(ip_make_skb, 150)         /* alloc + header build, copy charged separately */        \
  X(udp_send_skb, 60)                                                                    \
  X(ip_local_out, 40)                                                                    \
  X(nf_hook, 30)              /* per hook with rules; 0 when the chain is empty */       \
  X(ip_output, 40)                                                                       \
  X(ip_finish_output2, 60)                                                               \
  X(neigh_output, 40)                                                                    \
  X(neigh_resolve_output, 150)                                                           \
  X(arp_send, 300)                                                                       \
  X(dev_queue_xmit, 80)                                                                  \
  X(qdisc_enqueue, 40)                                                                   \
  X(qdisc_dequeue, 40)                                                                   \
  X(sch_direct_xmit, 50)                                                                 \
  X(net_tx_action, 60)                                                                   \
  X(net_rx_action, 60)                                                                   \
  X(netif_receive_skb, 100)                                                              \
  X(ip_rcv, 120)                                                                         \
  X(ip_forward, 100)                                                                     \
  X(udp_rcv, 150)                                                                        \
  X(icmp_rcv, 150)                                                                       \
  X(arp_rcv, 200)                                                                        \
  X(sock_def_readable, 80)    /* waking a reader */                                      \
  X(udp_recvmsg, 150)                                                                    \
  X(ip_fragment, 200)         /* per fragment */                                         \
  X(ip_defrag, 150)           /* per fragment */                                         \
  X(copy_per_kb, 100)         /* copy_from_user / copy_to_user, per 1024 bytes */        \
  X(csum_per_kb, 150)         /* software checksum, per 1024 bytes */                    \
  X(wakeup, 500)              /* try_to_wake_up + context switch to the woken task */

struct Costs {
#define SKBSIM_COST_FIELD(name, ns_) sim::Duration name = sim::ns(ns_);
  SKBSIM_COSTS(SKBSIM_COST_FIELD)
#undef SKBSIM_COST_FIELD

  sim::Duration copy(uint64_t bytes) const { return copy_per_kb * static_cast<int64_t>(bytes) / 1024; }
  sim::Duration csum(uint64_t bytes) const { return csum_per_kb * static_cast<int64_t>(bytes) / 1024; }

  // Sets a cost by name; false if the name is unknown.
  bool set(std::string_view name, sim::Duration value);
  static const std::vector<std::string>& names();
};

inline bool Costs::set(std::string_view name, sim::Duration value) {
#define SKBSIM_COST_SET(name_, ns_) \
  if (name == #name_) {             \
    name_ = value;                  \
    return true;                    \
  }
  SKBSIM_COSTS(SKBSIM_COST_SET)
#undef SKBSIM_COST_SET
  return false;
}

inline const std::vector<std::string>& Costs::names() {
  static const std::vector<std::string> kNames = {
#define SKBSIM_COST_NAME(name, ns_) #name,
      SKBSIM_COSTS(SKBSIM_COST_NAME)
#undef SKBSIM_COST_NAME
  };
  return kNames;
}

}  // namespace stack
