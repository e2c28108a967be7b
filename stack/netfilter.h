// stack/netfilter.h: the five IPv4 netfilter hooks with iptables-like rules.
//
// Mirrors what a user of iptables sees of net/netfilter/core.c (nf_hook_slow
// walking a hook's entries), net/ipv4/netfilter/ip_tables.c (ipt_do_table:
// rules in order, the first whose matches all hold decides, its counters
// count the packet; else the chain policy decides and its counters count)
// and net/netfilter/xt_tcpudp.c (port matches). Linux 6.x.
//
// Simplifications: one table (the mangle table is the one with all five
// chains; its dump order is used), standard targets only (ACCEPT, DROP; no
// user chains, no RETURN/LOG/REJECT), no inverted matches (`!`), no
// conntrack. Interface names match exactly or, with a trailing '+', by
// prefix, as iptables does.
//
//   Netfilter nf;
//   NfRuleSpec r;  r.hook = NfHook::kLocalOut; r.proto = IPPROTO_UDP;
//   r.dport = {9, 9}; r.action = NfAction::kDrop;
//   nf.append(r);                          // iptables -A OUTPUT -p udp --dport 9 -j DROP
//   NfVerdict v = nf.hook(NfHook::kLocalOut, *skb, nullptr, dev);
//   if (!v.accept) { trace nf.rule_text(NfHook::kLocalOut, v.rule).c_str(); drop NETFILTER_DROP }
//
// The caller (the IP layer) charges the cost, traces the verdict under its
// own step (IP-03 LOCAL_OUT, IP-05 POST_ROUTING, RX-03 the receive hooks)
// and drops the skb with DropReason::NETFILTER_DROP.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "stack/netdevice.h"
#include "stack/skbuff.h"

namespace stack {

// enum nf_inet_hooks (include/uapi/linux/netfilter.h), same order and values.
enum class NfHook : uint8_t { kPreRouting, kLocalIn, kForward, kLocalOut, kPostRouting, kCount };
constexpr size_t kNfHooks = static_cast<size_t>(NfHook::kCount);

const char* nf_hook_name(NfHook h);   // "NF_INET_LOCAL_OUT"
const char* nf_chain_name(NfHook h);  // "OUTPUT", as iptables names the chain
// Accepts the chain name ("OUTPUT"), the hook name with or without its
// prefix ("NF_INET_LOCAL_OUT", "LOCAL_OUT"), in any case.
bool nf_hook_from_name(std::string_view name, NfHook* out);

enum class NfAction : uint8_t { kAccept, kDrop };  // NF_ACCEPT, NF_DROP

// A port range as xt_tcpudp keeps it (spts[2], dpts[2]); 0..65535 is "any".
struct NfPortRange {
  uint16_t lo = 0;
  uint16_t hi = 65535;
  bool any() const { return lo == 0 && hi == 65535; }
  bool contains(uint16_t p) const { return lo <= p && p <= hi; }
};

// One rule as the scenario loader fills it (iptables -A arguments). Names
// are the loader's to check (nf_hook_from_name() maps them).
struct NfRuleSpec {
  NfHook hook = NfHook::kCount;  // the chain; kCount: none given (an error)
  uint8_t proto = 0;            // IPPROTO_*; 0 = all (-p all)
  uint32_t src = 0;             // -s src/src_len, host order
  uint8_t src_len = 0;
  uint32_t dst = 0;             // -d dst/dst_len
  uint8_t dst_len = 0;
  NfPortRange sport, dport;     // --sport/--dport lo[:hi]; tcp and udp only
  std::string iif, oif;         // -i / -o; empty = any; "eth+" = prefix
  NfAction action = NfAction::kAccept;
};

// A rule in a chain (struct ipt_entry with its counters).
struct NfRule {
  uint8_t proto = 0;
  uint32_t src = 0, smask = 0;  // address already masked
  uint32_t dst = 0, dmask = 0;
  uint8_t src_len = 0, dst_len = 0;
  NfPortRange sport, dport;
  std::string iif, oif;
  NfAction action = NfAction::kAccept;
  uint64_t packets = 0;  // struct xt_counters
  uint64_t bytes = 0;
  const std::string* text = nullptr;  // "-A OUTPUT -p udp --dport 9 -j DROP", owned by the Netfilter
};

// What a hook decided. `rule` is the index in the hook's chain of the rule
// that decided, or -1 when the chain policy did. `hotdrop`: a match could
// not read the header it needed (a truncated first fragment) and dropped
// the packet itself (xt_action_param.hotdrop); no counter counts it.
struct NfVerdict {
  bool accept = true;
  int rule = -1;
  bool hotdrop = false;
};

class Netfilter {
 public:
  Netfilter() = default;
  Netfilter(const Netfilter&) = delete;
  Netfilter& operator=(const Netfilter&) = delete;

  // iptables -A: appends a rule. Returns "" or the error iptables would
  // give (no chain, -i on an output chain, ports without -p tcp/udp, a
  // prefix longer than 32, an empty port range).
  std::string append(const NfRuleSpec& spec);
  // iptables -P CHAIN ACCEPT|DROP.
  void set_policy(NfHook h, NfAction a) { chains_[idx(h)].policy = a; }
  NfAction policy(NfHook h) const { return chains_[idx(h)].policy; }
  // iptables -Z: zeroes rule and policy counters.
  void zero();

  // Runs the packet through the hook's chain. `skb` has data at the IP
  // header and network_header set; `in`/`out` as the hook has them
  // (nullptr where the hook has none). Updates the counters.
  NfVerdict hook(NfHook h, const SkBuff& skb, const NetDevice* in, const NetDevice* out);

  // True when the hook has anything to do: rules, or a DROP policy. With
  // neither there is nothing to run (no table registered on the hook), so
  // the caller may skip it and charge nothing; hook() would accept.
  bool has_rules(NfHook h) const {
    const Chain& c = chains_[idx(h)];
    return !c.rules.empty() || c.policy != NfAction::kAccept;
  }
  const std::vector<NfRule>& rules(NfHook h) const { return chains_[idx(h)].rules; }
  uint64_t policy_packets(NfHook h) const { return chains_[idx(h)].policy_packets; }
  uint64_t policy_bytes(NfHook h) const { return chains_[idx(h)].policy_bytes; }

  // The rule as iptables -S prints it, for traces: the string lives as long
  // as the Netfilter, so its c_str() may go into a tracepoint. rule -1
  // (or any index not in the chain) gives the policy ("-P OUTPUT ACCEPT").
  const std::string& rule_text(NfHook h, int rule) const;
  // iptables -t mangle -L -v -n: every chain, header, policy counters and
  // one line per rule (trailing blanks trimmed).
  std::string dump() const;

 private:
  struct Chain {
    std::vector<NfRule> rules;
    NfAction policy = NfAction::kAccept;
    uint64_t policy_packets = 0;
    uint64_t policy_bytes = 0;
  };
  static size_t idx(NfHook h) { return static_cast<size_t>(h); }
  std::array<Chain, kNfHooks> chains_{};
  // Rule texts live here so that the c_str() in traces stays valid however
  // the rule vectors grow (a deque never moves its elements).
  std::deque<std::string> texts_;
};

// Renders a spec as an iptables -S line: "-A OUTPUT -p udp --dport 9 -j DROP".
std::string nf_rule_to_string(NfHook h, const NfRule& r);

}  // namespace stack
