// Netfilter: rule order, first match wins, CIDR, ports, interfaces,
// fragments, counters, policies and the iptables -L -v -n / -S text.
#include <catch2/catch.hpp>

#include <string>

#include "stack/netfilter.h"
#include "stack/skbuff.h"
#include "stack/wire.h"

using namespace stack;

namespace {

constexpr uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) { return a << 24 | b << 16 | c << 8 | d; }

// An IPv4 packet with a UDP or TCP header: `l4_len` bytes after the IP
// header (ports in the first four), data at the IP header.
SkBuff* make_pkt(SkbPool& pool, uint8_t proto, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
                 uint32_t l4_len, uint16_t frag_off = 0) {
  SkBuff* skb = pool.alloc(20 + l4_len, sim::Time::zero());
  uint8_t* p = skb->put(20 + l4_len);
  skb->reset_network_header();
  std::memset(p + 20, 0, l4_len);
  if (l4_len >= 4) {
    wr16(p + 20, sport);
    wr16(p + 22, dport);
  }
  Ipv4Hdr h;
  h.tot_len = static_cast<uint16_t>(20 + l4_len);
  h.id = 7;
  h.frag_off = frag_off;
  h.protocol = proto;
  h.saddr = saddr;
  h.daddr = daddr;
  h.emit(p);
  return skb;
}

NfRuleSpec rule(const char* chain, uint8_t proto, NfAction a) {
  NfRuleSpec r;
  REQUIRE(nf_hook_from_name(chain, &r.hook));
  r.proto = proto;
  r.action = a;
  return r;
}

// Runs a packet through a hook and frees it; conservation is checked by
// each test at its end.
NfVerdict run(Netfilter& nf, SkbPool& pool, NfHook h, SkBuff* skb, const NetDevice* in = nullptr,
              const NetDevice* out = nullptr) {
  NfVerdict v = nf.hook(h, *skb, in, out);
  if (v.accept)
    pool.consume(skb);
  else
    pool.drop(skb, DropReason::NETFILTER_DROP);
  return v;
}

}  // namespace

TEST_CASE("hook names map to chains and back", "[netfilter]") {
  NfHook h;
  REQUIRE(nf_hook_from_name("OUTPUT", &h));
  CHECK(h == NfHook::kLocalOut);
  REQUIRE(nf_hook_from_name("local_out", &h));
  CHECK(h == NfHook::kLocalOut);
  REQUIRE(nf_hook_from_name("NF_INET_PRE_ROUTING", &h));
  CHECK(h == NfHook::kPreRouting);
  REQUIRE(nf_hook_from_name("input", &h));
  CHECK(h == NfHook::kLocalIn);
  CHECK_FALSE(nf_hook_from_name("NAT", &h));
  // The uapi values: PRE_ROUTING 0 ... POST_ROUTING 4.
  CHECK(static_cast<int>(NfHook::kPostRouting) == 4);
  CHECK(std::string(nf_hook_name(NfHook::kForward)) == "NF_INET_FORWARD");
  CHECK(std::string(nf_chain_name(NfHook::kPostRouting)) == "POSTROUTING");
}

TEST_CASE("rules run in order, the first match decides, the policy catches the rest", "[netfilter]") {
  SkbPool pool;
  Netfilter nf;
  NfRuleSpec r0 = rule("OUTPUT", IPPROTO_UDP, NfAction::kDrop);
  r0.dport = {9, 9};
  NfRuleSpec r1 = rule("OUTPUT", IPPROTO_UDP, NfAction::kAccept);
  REQUIRE(nf.append(r0).empty());
  REQUIRE(nf.append(r1).empty());
  nf.set_policy(NfHook::kLocalOut, NfAction::kDrop);

  // UDP to port 9: both rules match, rule 0 comes first.
  NfVerdict v = run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_UDP, ip(10, 0, 0, 1), ip(10, 0, 0, 2), 5000, 9, 108));
  CHECK_FALSE(v.accept);
  CHECK(v.rule == 0);
  // UDP elsewhere: rule 1.
  v = run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_UDP, ip(10, 0, 0, 1), ip(10, 0, 0, 2), 5000, 10, 108));
  CHECK(v.accept);
  CHECK(v.rule == 1);
  // TCP: no rule; policy DROP.
  v = run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_TCP, ip(10, 0, 0, 1), ip(10, 0, 0, 2), 5000, 9, 20));
  CHECK_FALSE(v.accept);
  CHECK(v.rule == -1);
  // Another hook is untouched: its policy ACCEPT counts the packet.
  v = run(nf, pool, NfHook::kPostRouting, make_pkt(pool, IPPROTO_UDP, ip(10, 0, 0, 1), ip(10, 0, 0, 2), 5000, 9, 108));
  CHECK(v.accept);
  CHECK(v.rule == -1);

  // Counters: bytes are the IP datagram (20 + 108 = 128; TCP 20 + 20 = 40).
  const auto& rs = nf.rules(NfHook::kLocalOut);
  CHECK(rs[0].packets == 1);
  CHECK(rs[0].bytes == 128);
  CHECK(rs[1].packets == 1);
  CHECK(rs[1].bytes == 128);
  CHECK(nf.policy_packets(NfHook::kLocalOut) == 1);
  CHECK(nf.policy_bytes(NfHook::kLocalOut) == 40);
  CHECK(nf.policy_packets(NfHook::kPostRouting) == 1);
  CHECK(nf.has_rules(NfHook::kLocalOut));
  CHECK_FALSE(nf.has_rules(NfHook::kPostRouting));
  // A DROP policy alone is something to run.
  nf.set_policy(NfHook::kForward, NfAction::kDrop);
  CHECK(nf.has_rules(NfHook::kForward));

  nf.zero();
  CHECK(nf.rules(NfHook::kLocalOut)[0].packets == 0);
  CHECK(nf.policy_bytes(NfHook::kLocalOut) == 0);

  CHECK(pool.alive() == 0);
  CHECK(pool.consumed() == 2);
  CHECK(pool.dropped(DropReason::NETFILTER_DROP) == 2);
}

TEST_CASE("port ranges include both ends", "[netfilter]") {
  SkbPool pool;
  Netfilter nf;
  NfRuleSpec r = rule("INPUT", IPPROTO_UDP, NfAction::kDrop);
  r.dport = {1000, 2000};
  r.sport = {53, 53};
  REQUIRE(nf.append(r).empty());
  auto verdict = [&](uint16_t sport, uint16_t dport) {
    return run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), sport, dport, 8)).accept;
  };
  CHECK(verdict(53, 999));
  CHECK_FALSE(verdict(53, 1000));
  CHECK_FALSE(verdict(53, 1500));
  CHECK_FALSE(verdict(53, 2000));
  CHECK(verdict(53, 2001));
  CHECK(verdict(54, 1500));  // source port outside its range
  // TCP ports are not UDP ports: the protocol must match first.
  CHECK(run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_TCP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 53, 1500, 20)).accept);
  CHECK(nf.rules(NfHook::kLocalIn)[0].packets == 3);
  CHECK(pool.alive() == 0);
}

TEST_CASE("CIDR matches compare the masked address", "[netfilter]") {
  SkbPool pool;
  Netfilter nf;
  NfRuleSpec r = rule("FORWARD", 0, NfAction::kDrop);
  r.src = ip(10, 1, 2, 3);  // host bits set: iptables stores 10.1.0.0/16
  r.src_len = 16;
  r.dst = ip(192, 168, 1, 1);
  r.dst_len = 32;
  REQUIRE(nf.append(r).empty());
  CHECK(nf.rules(NfHook::kForward)[0].src == ip(10, 1, 0, 0));
  auto dropped = [&](uint32_t s, uint32_t d) {
    return !run(nf, pool, NfHook::kForward, make_pkt(pool, IPPROTO_ICMP, s, d, 0, 0, 8)).accept;
  };
  CHECK(dropped(ip(10, 1, 0, 0), ip(192, 168, 1, 1)));
  CHECK(dropped(ip(10, 1, 255, 255), ip(192, 168, 1, 1)));
  CHECK_FALSE(dropped(ip(10, 2, 0, 0), ip(192, 168, 1, 1)));      // outside /16
  CHECK_FALSE(dropped(ip(10, 0, 255, 255), ip(192, 168, 1, 1)));   // just below it
  CHECK_FALSE(dropped(ip(10, 1, 0, 1), ip(192, 168, 1, 2)));       // /32: exact only
  CHECK(std::string(nf.rule_text(NfHook::kForward, 0)) == "-A FORWARD -s 10.1.0.0/16 -d 192.168.1.1/32 -j DROP");

  // /0 and protocol "all" match everything.
  Netfilter nf2;
  REQUIRE(nf2.append(rule("PREROUTING", 0, NfAction::kDrop)).empty());
  CHECK_FALSE(run(nf2, pool, NfHook::kPreRouting, make_pkt(pool, 47, ip(8, 8, 8, 8), ip(1, 2, 3, 4), 0, 0, 8)).accept);
  CHECK(pool.alive() == 0);
}

TEST_CASE("interfaces match by name or by prefix with '+'", "[netfilter]") {
  SkbPool pool;
  NetDevice eth0, eth1, lo;
  eth0.name = "eth0";
  eth1.name = "eth1";
  lo.name = "lo";
  Netfilter nf;
  NfRuleSpec a = rule("FORWARD", 0, NfAction::kDrop);
  a.iif = "eth0";
  a.oif = "eth1";
  NfRuleSpec b = rule("INPUT", 0, NfAction::kDrop);
  b.iif = "eth+";
  REQUIRE(nf.append(a).empty());
  REQUIRE(nf.append(b).empty());
  auto pkt = [&] { return make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 1, 2, 8); };
  CHECK_FALSE(run(nf, pool, NfHook::kForward, pkt(), &eth0, &eth1).accept);
  CHECK(run(nf, pool, NfHook::kForward, pkt(), &eth1, &eth0).accept);
  CHECK(run(nf, pool, NfHook::kForward, pkt(), nullptr, &eth1).accept);  // no device: no name
  CHECK_FALSE(run(nf, pool, NfHook::kLocalIn, pkt(), &eth1, nullptr).accept);
  CHECK(run(nf, pool, NfHook::kLocalIn, pkt(), &lo, nullptr).accept);
  CHECK(std::string(nf.rule_text(NfHook::kForward, 0)) == "-A FORWARD -i eth0 -o eth1 -j DROP");
  CHECK(pool.alive() == 0);
}

TEST_CASE("port rules see only first fragments; a truncated one is hotdropped", "[netfilter]") {
  SkbPool pool;
  Netfilter nf;
  NfRuleSpec ports = rule("INPUT", IPPROTO_UDP, NfAction::kDrop);
  ports.dport = {9, 9};
  REQUIRE(nf.append(ports).empty());

  // First fragment (MF, offset 0): its UDP header is there, rule 0 drops.
  NfVerdict v = run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 7, 9, 1480, IP_MF));
  CHECK_FALSE(v.accept);
  CHECK(v.rule == 0);
  // A later fragment (offset 1480 = 185 units) whose first payload bytes
  // happen to read as port 9: xt_tcpudp refuses to look (fragoff != 0).
  v = run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 7, 9, 48, 185));
  CHECK(v.accept);
  CHECK(v.rule == -1);

  // A rule without ports still matches every fragment by protocol.
  REQUIRE(nf.append(rule("INPUT", IPPROTO_UDP, NfAction::kDrop)).empty());
  v = run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 7, 9, 48, 185));
  CHECK_FALSE(v.accept);
  CHECK(v.rule == 1);

  // A first fragment too short for the UDP header (4 of 8 bytes): the
  // match hotdrops it and no counter moves.
  const uint64_t before = nf.rules(NfHook::kLocalIn)[0].packets;
  v = run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 7, 9, 4, IP_MF));
  CHECK_FALSE(v.accept);
  CHECK(v.hotdrop);
  CHECK(nf.rules(NfHook::kLocalIn)[0].packets == before);
  CHECK(pool.alive() == 0);
  CHECK(pool.dropped(DropReason::NETFILTER_DROP) == 3);
}

TEST_CASE("bad rules are refused with iptables' reasons", "[netfilter]") {
  Netfilter nf;
  CHECK(nf.append(NfRuleSpec{}) == "no chain given");
  NfRuleSpec r = rule("OUTPUT", IPPROTO_ICMP, NfAction::kDrop);
  r.dport = {1, 1};
  CHECK(nf.append(r) == "--sport/--dport need -p tcp or -p udp");
  r = rule("OUTPUT", 0, NfAction::kDrop);
  r.iif = "eth0";
  CHECK(nf.append(r) == "Can't use -i with OUTPUT");
  r = rule("INPUT", 0, NfAction::kDrop);
  r.oif = "eth0";
  CHECK(nf.append(r) == "Can't use -o with INPUT");
  r = rule("INPUT", 0, NfAction::kDrop);
  r.src_len = 33;
  CHECK_FALSE(nf.append(r).empty());
  r = rule("INPUT", IPPROTO_TCP, NfAction::kDrop);
  r.dport = {2000, 1000};
  CHECK_FALSE(nf.append(r).empty());
  for (size_t h = 0; h < kNfHooks; ++h) CHECK(nf.rules(static_cast<NfHook>(h)).empty());
}

TEST_CASE("rule text is iptables -S", "[netfilter]") {
  Netfilter nf;
  NfRuleSpec a = rule("OUTPUT", IPPROTO_UDP, NfAction::kDrop);
  a.dport = {9, 9};
  NfRuleSpec b = rule("FORWARD", IPPROTO_TCP, NfAction::kAccept);
  b.src = ip(10, 0, 0, 0);
  b.src_len = 8;
  b.dst = ip(192, 168, 1, 1);
  b.dst_len = 32;
  b.iif = "eth0";
  b.oif = "eth1";
  b.sport = {1024, 65535};
  b.dport = {80, 80};
  REQUIRE(nf.append(a).empty());
  REQUIRE(nf.append(b).empty());
  nf.set_policy(NfHook::kLocalOut, NfAction::kDrop);
  CHECK(std::string(nf.rule_text(NfHook::kLocalOut, 0)) == "-A OUTPUT -p udp --dport 9 -j DROP");
  CHECK(std::string(nf.rule_text(NfHook::kForward, 0)) ==
        "-A FORWARD -s 10.0.0.0/8 -d 192.168.1.1/32 -i eth0 -o eth1 -p tcp --sport 1024:65535 --dport 80 -j ACCEPT");
  CHECK(std::string(nf.rule_text(NfHook::kLocalOut, -1)) == "-P OUTPUT DROP");
  CHECK(std::string(nf.rule_text(NfHook::kLocalIn, -1)) == "-P INPUT ACCEPT");
  // The text pointer survives later appends (traces keep it for the run).
  const char* t = nf.rule_text(NfHook::kLocalOut, 0).c_str();
  for (int i = 0; i < 100; ++i) REQUIRE(nf.append(a).empty());
  CHECK(std::string(t) == "-A OUTPUT -p udp --dport 9 -j DROP");
  CHECK(nf.rule_text(NfHook::kLocalOut, 0).c_str() == t);
}

TEST_CASE("dump() prints iptables -L -v -n", "[netfilter]") {
  SkbPool pool;
  Netfilter nf;
  // The line of a real `iptables -L -n -v` for `-A INPUT -p tcp --dport 80 -j DROP`:
  //     "    0     0 DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80"
  NfRuleSpec web = rule("INPUT", IPPROTO_TCP, NfAction::kDrop);
  web.dport = {80, 80};
  REQUIRE(nf.append(web).empty());
  NfRuleSpec a = rule("OUTPUT", IPPROTO_UDP, NfAction::kDrop);
  a.dport = {9, 9};
  NfRuleSpec b = rule("OUTPUT", IPPROTO_UDP, NfAction::kAccept);
  b.dst = ip(10, 0, 0, 0);
  b.dst_len = 8;
  b.sport = {53, 53};
  b.dport = {1000, 2000};
  REQUIRE(nf.append(a).empty());
  REQUIRE(nf.append(b).empty());
  NfRuleSpec c = rule("POSTROUTING", 0, NfAction::kAccept);
  c.oif = "eth0";
  c.src = ip(192, 168, 1, 1);
  c.src_len = 32;
  REQUIRE(nf.append(c).empty());

  // OUTPUT: 2 x 128 bytes to port 9 (rule 0), 1 x 128 to 10.1.2.3:1500
  // from port 53 (rule 1), 1 x 40-byte TCP (policy).
  for (int i = 0; i < 2; ++i)
    run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 5, 9, 108));
  run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(10, 1, 2, 3), 53, 1500, 108));
  run(nf, pool, NfHook::kLocalOut, make_pkt(pool, IPPROTO_TCP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 5, 9, 20));
  // INPUT policy: 100 x 1028 bytes = 102800 bytes, printed as 103K
  // ((102800 + 500) / 1000 = 103, xtables_print_num()).
  for (int i = 0; i < 100; ++i)
    run(nf, pool, NfHook::kLocalIn, make_pkt(pool, IPPROTO_UDP, ip(1, 1, 1, 1), ip(2, 2, 2, 2), 5, 9, 1008));

  const std::string hdr = " pkts bytes target     prot opt in     out     source               destination\n";
  const std::string expected =
      "Chain PREROUTING (policy ACCEPT 0 packets, 0 bytes)\n" + hdr +
      "\n"
      "Chain INPUT (policy ACCEPT 100 packets, 103K bytes)\n" + hdr +
      "    0     0 DROP       tcp  --  *      *       0.0.0.0/0            0.0.0.0/0            tcp dpt:80\n"
      "\n"
      "Chain FORWARD (policy ACCEPT 0 packets, 0 bytes)\n" + hdr +
      "\n"
      "Chain OUTPUT (policy ACCEPT 1 packets, 40 bytes)\n" + hdr +
      "    2   256 DROP       udp  --  *      *       0.0.0.0/0            0.0.0.0/0            udp dpt:9\n"
      "    1   128 ACCEPT     udp  --  *      *       0.0.0.0/0            10.0.0.0/8           udp spt:53 dpts:1000:2000\n"
      "\n"
      "Chain POSTROUTING (policy ACCEPT 0 packets, 0 bytes)\n" + hdr +
      "    0     0 ACCEPT     all  --  *      eth0    192.168.1.1          0.0.0.0/0\n";
  CHECK(nf.dump() == expected);
  CHECK(pool.alive() == 0);
}
