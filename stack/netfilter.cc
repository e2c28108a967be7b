// stack/netfilter.cc: rule matching, counters and the iptables-style text.
#include "stack/netfilter.h"

#include <cctype>
#include <cstdio>

#include "stack/wire.h"

namespace stack {

namespace {

constexpr const char* kHookNames[kNfHooks] = {
    "NF_INET_PRE_ROUTING", "NF_INET_LOCAL_IN", "NF_INET_FORWARD", "NF_INET_LOCAL_OUT",
    "NF_INET_POST_ROUTING"};
constexpr const char* kChainNames[kNfHooks] = {"PREROUTING", "INPUT", "FORWARD", "OUTPUT",
                                               "POSTROUTING"};
// "-P CHAIN POLICY" for rule_text(h, -1): static, so traces can keep it.
const std::string kPolicyTexts[kNfHooks][2] = {
    {"-P PREROUTING ACCEPT", "-P PREROUTING DROP"},
    {"-P INPUT ACCEPT", "-P INPUT DROP"},
    {"-P FORWARD ACCEPT", "-P FORWARD DROP"},
    {"-P OUTPUT ACCEPT", "-P OUTPUT DROP"},
    {"-P POSTROUTING ACCEPT", "-P POSTROUTING DROP"}};

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

// Which hooks have an input / output device (ip_tables.c rejects -i on
// OUTPUT/POSTROUTING and -o on PREROUTING/INPUT: "Can't use -i with ...").
bool hook_has_in(NfHook h) { return h == NfHook::kPreRouting || h == NfHook::kLocalIn || h == NfHook::kForward; }
bool hook_has_out(NfHook h) { return h == NfHook::kForward || h == NfHook::kLocalOut || h == NfHook::kPostRouting; }

// ip_packet_match()'s interface test: the rule's name matches the device
// name exactly, or as a prefix when it ends in '+' ("eth+"). No device
// (the hook has none) compares as the empty name, which only "any" matches.
bool iface_match(const std::string& rule, const NetDevice* dev) {
  if (rule.empty()) return true;
  if (dev == nullptr) return false;
  if (rule.back() == '+') return dev->name.compare(0, rule.size() - 1, rule, 0, rule.size() - 1) == 0;
  return dev->name == rule;
}

const char* proto_name(uint8_t p) {
  switch (p) {
    case 0: return "all";
    case IPPROTO_TCP: return "tcp";
    case IPPROTO_UDP: return "udp";
    case IPPROTO_ICMP: return "icmp";
    default: return nullptr;
  }
}

// "10.0.0.0/8"; a /32 prints the bare address, as xtables_ipmask_to_numeric() does in -L.
std::string addr_mask_L(uint32_t a, uint8_t len) {
  char buf[16];
  format_ipv4(a, buf);
  std::string s = buf;
  if (len != 32) s += "/" + std::to_string(len);
  return s;
}

std::string port_range(const char* name_one, const char* name_range, NfPortRange r) {
  if (r.lo == r.hi) return std::string(name_one) + std::to_string(r.lo);
  return std::string(name_range) + std::to_string(r.lo) + ":" + std::to_string(r.hi);
}

// xtables_print_num() with FMT_KILOMEGAGIGA (iptables -L without -x):
// up to 99999 as is, then K/M/G/T in powers of 1000, rounded.
std::string print_num(uint64_t n, bool notable) {
  char buf[32];
  if (n <= 99999) {
    std::snprintf(buf, sizeof buf, notable ? "%llu " : "%5llu ", static_cast<unsigned long long>(n));
    return buf;
  }
  const char units[] = "KMGT";
  for (int i = 0; i < 4; ++i) {
    n = (n + 500) / 1000;
    if (n <= 9999 || i == 3) {
      std::snprintf(buf, sizeof buf, notable ? "%llu%c " : "%4llu%c ", static_cast<unsigned long long>(n),
                    units[i]);
      return buf;
    }
  }
  return buf;
}

void rtrim_line(std::string& s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
}

}  // namespace

const char* nf_hook_name(NfHook h) { return kHookNames[static_cast<size_t>(h)]; }
const char* nf_chain_name(NfHook h) { return kChainNames[static_cast<size_t>(h)]; }

bool nf_hook_from_name(std::string_view name, NfHook* out) {
  std::string_view bare = name;
  if (bare.size() > 8 && iequal(bare.substr(0, 8), "NF_INET_")) bare.remove_prefix(8);
  for (size_t i = 0; i < kNfHooks; ++i) {
    if (iequal(name, kChainNames[i]) || iequal(bare, kHookNames[i] + 8)) {
      *out = static_cast<NfHook>(i);
      return true;
    }
  }
  return false;
}

std::string nf_rule_to_string(NfHook h, const NfRule& r) {
  // iptables -S order: -s, -d, -i, -o, -p, then the match options, -j.
  char buf[16];
  std::string s = "-A ";
  s += nf_chain_name(h);
  if (r.src_len) {
    format_ipv4(r.src, buf);
    s += std::string(" -s ") + buf + "/" + std::to_string(r.src_len);
  }
  if (r.dst_len) {
    format_ipv4(r.dst, buf);
    s += std::string(" -d ") + buf + "/" + std::to_string(r.dst_len);
  }
  if (!r.iif.empty()) s += " -i " + r.iif;
  if (!r.oif.empty()) s += " -o " + r.oif;
  if (r.proto) {
    const char* pn = proto_name(r.proto);
    s += " -p " + (pn ? std::string(pn) : std::to_string(r.proto));
  }
  if (!r.sport.any()) s += " --sport " + port_range("", "", r.sport);
  if (!r.dport.any()) s += " --dport " + port_range("", "", r.dport);
  s += r.action == NfAction::kAccept ? " -j ACCEPT" : " -j DROP";
  return s;
}

std::string Netfilter::append(const NfRuleSpec& spec) {
  const NfHook h = spec.hook;
  if (idx(h) >= kNfHooks) return "no chain given";
  if (spec.src_len > 32 || spec.dst_len > 32) return "invalid prefix length (more than 32)";
  if (!spec.iif.empty() && !hook_has_in(h))
    return std::string("Can't use -i with ") + nf_chain_name(h);
  if (!spec.oif.empty() && !hook_has_out(h))
    return std::string("Can't use -o with ") + nf_chain_name(h);
  const bool has_ports = spec.proto == IPPROTO_TCP || spec.proto == IPPROTO_UDP;
  if ((!spec.sport.any() || !spec.dport.any()) && !has_ports)
    return "--sport/--dport need -p tcp or -p udp";
  if (spec.sport.lo > spec.sport.hi || spec.dport.lo > spec.dport.hi)
    return "invalid port range (low end above high end)";

  NfRule r;
  r.proto = spec.proto;
  r.smask = prefix_mask(spec.src_len);
  r.dmask = prefix_mask(spec.dst_len);
  // iptables stores the address masked: -s 10.1.2.3/8 lists as 10.0.0.0/8.
  r.src = spec.src & r.smask;
  r.dst = spec.dst & r.dmask;
  r.src_len = spec.src_len;
  r.dst_len = spec.dst_len;
  r.sport = spec.sport;
  r.dport = spec.dport;
  r.iif = spec.iif;
  r.oif = spec.oif;
  r.action = spec.action;
  texts_.push_back(nf_rule_to_string(h, r));
  r.text = &texts_.back();
  chains_[idx(h)].rules.push_back(std::move(r));
  return "";
}

void Netfilter::zero() {
  for (Chain& c : chains_) {
    c.policy_packets = c.policy_bytes = 0;
    for (NfRule& r : c.rules) r.packets = r.bytes = 0;
  }
}

const std::string& Netfilter::rule_text(NfHook h, int rule) const {
  const Chain& c = chains_[idx(h)];
  if (rule < 0 || static_cast<size_t>(rule) >= c.rules.size())
    return kPolicyTexts[idx(h)][c.policy == NfAction::kAccept ? 0 : 1];
  return *c.rules[static_cast<size_t>(rule)].text;
}

NfVerdict Netfilter::hook(NfHook h, const SkBuff& skb, const NetDevice* in, const NetDevice* out) {
  Chain& c = chains_[idx(h)];
  const uint8_t* ip = skb.buf.data() + skb.network_header;
  const uint32_t avail = skb.tail > skb.network_header ? skb.tail - skb.network_header : 0;
  const uint64_t bytes = skb.len();  // ipt_do_table counts skb->len, data at the IP header
  Ipv4Hdr iph;
  if (!iph.parse(ip, avail)) {
    // ip_rcv_core()/__ip_local_out() never hand a header this short to a
    // hook; a caller bug, so the policy decides rather than a rule.
    ++c.policy_packets;
    c.policy_bytes += bytes;
    return NfVerdict{c.policy == NfAction::kAccept, -1, false};
  }
  // ipt_do_table(): acpar.fragoff = ntohs(ip->frag_off) & IP_OFFSET. Port
  // matches see only the first fragment: the others carry no L4 header.
  const uint16_t fragoff = iph.frag_off & IP_OFFSET;
  const uint32_t thoff = iph.hdr_len();

  for (size_t i = 0; i < c.rules.size(); ++i) {
    NfRule& r = c.rules[i];
    // ip_packet_match(): addresses, interfaces, protocol.
    if ((iph.saddr & r.smask) != r.src || (iph.daddr & r.dmask) != r.dst) continue;
    if (!iface_match(r.iif, in) || !iface_match(r.oif, out)) continue;
    if (r.proto != 0 && r.proto != iph.protocol) continue;
    if (!r.sport.any() || !r.dport.any()) {
      // tcp_mt()/udp_mt() (net/netfilter/xt_tcpudp.c): "Must not be a
      // fragment" -- a non-first fragment never matches a port rule.
      if (fragoff != 0) continue;
      // The match needs the whole L4 header (sizeof(struct tcphdr) is 20,
      // struct udphdr 8); if the first fragment is too short to hold it
      // the match "hotdrops": the packet is dropped, nothing counted.
      const uint32_t need = r.proto == IPPROTO_TCP ? 20u : UdpHdr::kLen;
      if (avail < thoff + need) return NfVerdict{false, static_cast<int>(i), true};
      const uint16_t sp = rd16(ip + thoff);
      const uint16_t dp = rd16(ip + thoff + 2);
      if (!r.sport.contains(sp) || !r.dport.contains(dp)) continue;
    }
    // All matches hold: count it, and the standard target decides.
    ++r.packets;
    r.bytes += bytes;
    return NfVerdict{r.action == NfAction::kAccept, static_cast<int>(i), false};
  }
  // Fell off the end of a built-in chain: the policy decides and counts.
  ++c.policy_packets;
  c.policy_bytes += bytes;
  return NfVerdict{c.policy == NfAction::kAccept, -1, false};
}

std::string Netfilter::dump() const {
  // Layout of iptables/iptables.c print_header() and print_firewall() with
  // -L -v -n (FMT_NUMERIC | FMT_VIA | FMT_OPTIONS | FMT_KILOMEGAGIGA).
  std::string out;
  char buf[256];
  for (size_t hi = 0; hi < kNfHooks; ++hi) {
    const Chain& c = chains_[hi];
    if (hi) out += "\n";
    out += std::string("Chain ") + kChainNames[hi] + " (policy " +
           (c.policy == NfAction::kAccept ? "ACCEPT" : "DROP") + " " +
           print_num(c.policy_packets, true) + "packets, " + print_num(c.policy_bytes, true) +
           "bytes)\n";
    std::snprintf(buf, sizeof buf, "%5s %5s %-9s  prot opt %-6s %-6s  %-19s  %-19s", "pkts", "bytes",
                  "target", "in", "out", "source", "destination");
    std::string line = buf;
    rtrim_line(line);
    out += line + "\n";
    for (const NfRule& r : c.rules) {
      line = print_num(r.packets, false) + print_num(r.bytes, false);
      const char* pn = proto_name(r.proto);
      std::snprintf(buf, sizeof buf, "%-9s  %-5s-- ", r.action == NfAction::kAccept ? "ACCEPT" : "DROP",
                    pn ? pn : std::to_string(r.proto).c_str());
      line += buf;
      std::snprintf(buf, sizeof buf, " %-6s %-6s  %-19s  %-19s ", r.iif.empty() ? "*" : r.iif.c_str(),
                    r.oif.empty() ? "*" : r.oif.c_str(), addr_mask_L(r.src, r.src_len).c_str(),
                    addr_mask_L(r.dst, r.dst_len).c_str());
      line += buf;
      // libxt_tcp/libxt_udp print: " udp spt:53 dpts:1000:2000".
      if (!r.sport.any() || !r.dport.any()) {
        line += r.proto == IPPROTO_TCP ? " tcp" : " udp";
        if (!r.sport.any()) line += " " + port_range("spt:", "spts:", r.sport);
        if (!r.dport.any()) line += " " + port_range("dpt:", "dpts:", r.dport);
      }
      rtrim_line(line);
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace stack
