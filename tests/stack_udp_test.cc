// The UDP send path and what it touches (sockets, IP, ARP, ICMP errors),
// on hosts joined by an ideal wire. Expectations are worked out by hand
// from the kernel's rules; each test says how.
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <tuple>

#include "stack/apps.h"
#include "stack/errno.h"
#include "stack/neighbour.h"
#include "stack/socket.h"
#include "stack/steps.h"
#include "tests/stack_fixture.h"

using namespace stack;
using namespace testing_fixture;
using sim::Time;

namespace {

// A task whose program is a test's lambda.
struct Script final : Task {
  Script(Host& h, std::function<void(Script&, sim::Cpu&)> f) : Task(h, "script", 0), fn(std::move(f)) {}
  std::function<void(Script&, sim::Cpu&)> fn;
  void step(sim::Cpu& c) override { fn(*this, c); }
};

std::vector<uint8_t> bytes(size_t n) { return std::vector<uint8_t>(n, 0xab); }

// h1 (10.0.0.1) and h2 (10.0.0.2) on one ideal wire, the usual pair.
std::tuple<Host&, Host&, WirePort*, WirePort*> two_hosts(Net& n, Sysctls h2 = {}) {
  Host& a = n.add_host("h1");
  Host& b = n.add_host("h2", h2);
  auto [pa, pb] = n.link(a, ip4(10, 0, 0, 1), b, ip4(10, 0, 0, 2), 24);
  return {a, b, pa, pb};
}

bool is_arp(const std::vector<uint8_t>& f) { return f.size() >= 14 && f[12] == 0x08 && f[13] == 0x06; }
bool is_ipv4(const std::vector<uint8_t>& f) { return f.size() >= 14 && f[12] == 0x08 && f[13] == 0x00; }

void check_conservation(Net& n, uint64_t expect_alive) {
  CHECK(n.pool.balanced());
  CHECK(n.pool.created() == n.pool.consumed() + n.pool.dropped_total() + n.pool.alive());
  CHECK(n.pool.alive() == expect_alive);
}

}  // namespace

TEST_CASE("inet_create: protocol lookup, wildcards and errors", "[stack][socket]") {
  Net n;
  Host& h = n.add_host("h1");
  std::vector<long> rc;
  Script t(h, [&](Script& s, sim::Cpu&) {
    Syscalls& sys = *h.sys;
    rc.push_back(sys.socket(s, AF_INET, SOCK_DGRAM, 0));             // wildcard: UDP
    rc.push_back(sys.socket(s, AF_INET, SOCK_DGRAM, IPPROTO_UDP));   // exact
    rc.push_back(sys.socket(s, AF_INET, SOCK_DGRAM, IPPROTO_TCP));   // no such entry
    rc.push_back(sys.socket(s, AF_INET, 5 /* SOCK_SEQPACKET */, 0)); // empty inetsw list
    rc.push_back(sys.socket(s, 10 /* AF_INET6 */, SOCK_DGRAM, 0));
    rc.push_back(sys.socket(s, AF_INET, 99, 0));
    rc.push_back(sys.socket(s, AF_INET, SOCK_DGRAM, IPPROTO_ICMP));  // ping socket
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(1));
  REQUIRE(rc.size() == 7);
  CHECK(rc[0] == 3);
  CHECK(rc[1] == 4);
  CHECK(rc[2] == -EPROTONOSUPPORT);
  CHECK(rc[3] == -ESOCKTNOSUPPORT);
  CHECK(rc[4] == -EAFNOSUPPORT);
  CHECK(rc[5] == -EINVAL);
  CHECK(rc[6] == 5);
  CHECK(n.rec.saw("inet_init"));
}

TEST_CASE("one datagram: ARP resolves the next hop, then the datagram goes out", "[stack][udp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  UdpSinkParams sp;
  sp.port = 9;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(Time::zero());
  long rc = 0;
  Script t(a, [&](Script& s, sim::Cpu&) {
    long fd = a.sys->socket(s, AF_INET, SOCK_DGRAM, 0);
    SockAddrIn to{ip4(10, 0, 0, 2), 9};
    auto buf = bytes(100);
    rc = a.sys->sendto(s, static_cast<int>(fd), buf.data(), buf.size(), 0, &to);
  });
  t.start_at(Time::zero() + sim::us(100));
  n.run_for(sim::ms(10));
  CHECK(rc == 100);
  // On the wire from h1: an ARP request (broadcast), then the datagram.
  REQUIRE(pa->frames.size() == 2);
  CHECK(is_arp(pa->frames[0]));
  CHECK(pa->frames[0][0] == 0xff);
  CHECK(is_ipv4(pa->frames[1]));
  CHECK(pa->frames[1].size() == 14 + 20 + 8 + 100);
  // From h2: the ARP reply.
  REQUIRE(pb->frames.size() == 1);
  CHECK(is_arp(pb->frames[0]));
  CHECK(sink.received() == 1);
  CHECK(sink.bytes() == 100);
  CHECK(a.mib.udp[UdpMibField::OutDatagrams] == 1);
  CHECK(b.mib.udp[UdpMibField::InDatagrams] == 1);
  CHECK(b.mib.ip[IpMibField::InDelivers] == 1);
  CHECK(a.mib.ip[IpMibField::OutRequests] == 1);
  // The datagram waited on the neighbour's queue and was flushed by the reply.
  CHECK(n.rec.saw("neigh_resolve_output"));
  CHECK(n.rec.saw("neigh_update"));
  auto dump = a.arp->dump();
  REQUIRE(dump.size() == 1);
  CHECK(dump[0] == "10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE");
  check_conservation(n, 0);
}

TEST_CASE("the send path in the kernel's order, time never backwards on a CPU", "[stack][trace]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  UdpSinkParams sp;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(Time::zero());
  UdpSenderParams p;
  p.dst = ip4(10, 0, 0, 2);
  p.count = 2;
  p.size = 64;
  p.start = Time::zero() + sim::us(50);
  UdpSender snd(a, "snd", 0, p);
  snd.start_at(p.start);
  n.run_for(sim::ms(5));
  REQUIRE(sink.received() == 2);
  // The second datagram (neighbour now REACHABLE) takes the whole path in order.
  const char* order[] = {"__sys_sendto", "sock_sendmsg", "inet_sendmsg", "udp_sendmsg",
                         "ip_route_output_flow", "ip_make_skb", "udp_send_skb", "ip_send_skb",
                         "ip_local_out", "dst_output", "ip_output", "ip_finish_output",
                         "ip_finish_output2", "neigh_output", "__dev_queue_xmit",
                         "__dev_xmit_skb", "sch_direct_xmit"};
  size_t start = 0;
  for (size_t i = 0; i < n.rec.recs.size(); ++i)
    if (n.rec.recs[i].kind == sim::TraceKind::kEnter && std::string_view(n.rec.recs[i].fn) == "__sys_sendto")
      start = i;  // the last sendto
  size_t pos = start;
  for (const char* fn : order) {
    bool found = false;
    for (size_t i = pos; i < n.rec.recs.size(); ++i)
      if (n.rec.recs[i].kind == sim::TraceKind::kEnter && std::string_view(n.rec.recs[i].fn) == fn) {
        pos = i;
        found = true;
        break;
      }
    INFO(fn);
    CHECK(found);
  }
  // Per track, enter/exit records never go back in time.
  std::map<uint16_t, int64_t> last;
  for (const auto& r : n.rec.recs) {
    if (r.kind != sim::TraceKind::kEnter && r.kind != sim::TraceKind::kExit) continue;
    auto it = last.find(r.track);
    if (it != last.end()) CHECK(r.t.ns() >= it->second);
    last[r.track] = r.t.ns();
  }
}

TEST_CASE("connected UDP: ICMP port unreachable becomes ECONNREFUSED, once", "[stack][udp][icmp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  std::vector<long> rc;
  int phase = 0;
  int fd = -1;
  Script t(a, [&](Script& s, sim::Cpu& c) {
    auto buf = bytes(10);
    if (phase == 0) {
      fd = static_cast<int>(a.sys->socket(s, AF_INET, SOCK_DGRAM, 0));
      rc.push_back(a.sys->connect(s, fd, SockAddrIn{ip4(10, 0, 0, 2), 7777}));
      rc.push_back(a.sys->send(s, fd, buf.data(), buf.size(), 0));
      phase = 1;
      s.sleep_until(c.now() + sim::ms(5));  // the ICMP error arrives meanwhile
    } else {
      rc.push_back(a.sys->send(s, fd, buf.data(), buf.size(), 0));  // the error, once
      rc.push_back(a.sys->send(s, fd, buf.data(), buf.size(), 0));  // then fine again
    }
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(20));
  REQUIRE(rc.size() == 4);
  CHECK(rc[0] == 0);
  CHECK(rc[1] == 10);
  CHECK(rc[2] == -ECONNREFUSED);
  CHECK(rc[3] == 10);
  CHECK(b.mib.udp[UdpMibField::NoPorts] == 2);  // the first and the third datagram
  CHECK(b.mib.icmp[IcmpMibField::OutDestUnreachs] == 2);
  CHECK(a.mib.icmp[IcmpMibField::InDestUnreachs] == 2);
}

TEST_CASE("unconnected UDP learns nothing from port unreachable without IP_RECVERR", "[stack][udp][icmp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  std::vector<long> rc;
  int phase = 0;
  int fd = -1;
  Script t(a, [&](Script& s, sim::Cpu& c) {
    auto buf = bytes(10);
    SockAddrIn to{ip4(10, 0, 0, 2), 7777};
    if (phase == 0) {
      fd = static_cast<int>(a.sys->socket(s, AF_INET, SOCK_DGRAM, 0));
      rc.push_back(a.sys->sendto(s, fd, buf.data(), buf.size(), 0, &to));
      phase = 1;
      s.sleep_until(c.now() + sim::ms(5));
    } else {
      rc.push_back(a.sys->sendto(s, fd, buf.data(), buf.size(), 0, &to));
    }
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(20));
  REQUIRE(rc.size() == 2);
  CHECK(rc[0] == 10);
  CHECK(rc[1] == 10);  // ECONNREFUSED is hard, but the socket is not connected
  CHECK(a.mib.icmp[IcmpMibField::InDestUnreachs] == 2);
}

TEST_CASE("ARP failure: three broadcast probes on the timer wheel, then queued skbs drop", "[stack][neigh]") {
  // base retrans_time 1000 ms = 250 jiffies at HZ=250. The first probe is
  // sent at once; the timer (delta 250 jiffies: wheel level 1, 8-jiffy
  // buckets) fires at jiffy 256 = 1.024 s, then 512 = 2.048 s, then at
  // 768 = 3.072 s probes (3 + 0 + 3 = 6 counted from ucast_solicit) are
  // exhausted: FAILED, each queued skb reported and dropped.
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  pa->drop_all = true;  // nobody will ever answer
  std::vector<long> rc, later;
  SockExtendedErr ee;
  int phase = 0;
  Script t(a, [&](Script& s, sim::Cpu&) {
    auto buf = bytes(50);
    if (phase == 0) {
      int fd = static_cast<int>(a.sys->socket(s, AF_INET, SOCK_DGRAM, 0));
      a.sys->setsockopt(s, fd, SOL_IP, IP_RECVERR, 1);
      SockAddrIn to{ip4(10, 0, 0, 2), 9};
      for (int i = 0; i < 3; ++i) rc.push_back(a.sys->sendto(s, fd, buf.data(), buf.size(), 0, &to));
    } else {
      later.push_back(a.sys->recv_error(s, 3, &ee));
      SockAddrIn to{ip4(10, 0, 0, 7), 9};
      later.push_back(a.sys->sendto(s, 3, buf.data(), 10, 0, &to));
    }
  });
  t.start_at(Time::zero());
  n.run_for(sim::sec(2));
  CHECK(pa->tx_frames == 2);
  n.run_for(sim::ms(100));  // t = 2.1 s
  CHECK(pa->tx_frames == 3);
  CHECK(n.pool.dropped(DropReason::NEIGH_FAILED) == 0);
  n.run_for(sim::sec(1));  // t = 3.1 s
  CHECK(pa->tx_frames == 3);
  CHECK(n.pool.dropped(DropReason::NEIGH_FAILED) == 3);
  CHECK(rc == std::vector<long>{50, 50, 50});  // the sender was told nothing at send time
  // With IP_RECVERR the error queue holds the reasons, and the next call
  // on the socket reports EHOSTUNREACH once.
  phase = 1;
  t.start_at(n.sched.now());
  n.run_for(sim::ms(1));
  REQUIRE(later.size() == 2);
  CHECK(later[0] == 0);
  CHECK(ee.ee_errno == EHOSTUNREACH);
  CHECK(ee.ee_origin == 2);  // SO_EE_ORIGIN_ICMP
  CHECK(ee.ee_type == 3);
  CHECK(ee.ee_code == 1);
  CHECK(later[1] == 10);  // recv_error cleared sk_err, as ip_recv_error does
  // ICMP host unreachable went to ourselves over lo and onto the error queue.
  CHECK(a.mib.icmp[IcmpMibField::OutDestUnreachs] == 3);
  CHECK(a.mib.icmp[IcmpMibField::InDestUnreachs] == 3);
  auto d = a.arp->dump();
  REQUIRE(d.size() == 2);  // and 10.0.0.7, being resolved for the last datagram
  CHECK(d[0] == "10.0.0.2 dev eth0 FAILED");
  CHECK(d[1] == "10.0.0.7 dev eth0 INCOMPLETE");
  // The probe times: find the arp_send enters.
  std::vector<int64_t> probes;
  for (const auto& r : n.rec.recs)
    if (r.kind == sim::TraceKind::kEnter && std::string_view(r.fn) == "arp_send") probes.push_back(r.t.ns());
  REQUIRE(probes.size() == 4);  // three for 10.0.0.2, then the first for 10.0.0.7
  CHECK(probes[1] >= 1024000000);
  CHECK(probes[1] < 1024100000);
  CHECK(probes[2] >= 2048000000);
  CHECK(probes[2] < 2048100000);
}

TEST_CASE("unres_qlen_bytes: the oldest queued skbs are dropped first", "[stack][neigh]") {
  Sysctls s;
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  pa->drop_all = true;
  // A 100-byte datagram skb has truesize 768 (512 bucket + 256): the queue
  // holds three within 2400 bytes.
  const_cast<NeighParms&>(a.arp->parms()).queue_len_bytes = 2400;
  Script t(a, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(a.sys->socket(sc, AF_INET, SOCK_DGRAM, 0));
    SockAddrIn to{ip4(10, 0, 0, 2), 9};
    auto buf = bytes(100);
    for (int i = 0; i < 5; ++i) a.sys->sendto(sc, fd, buf.data(), buf.size(), 0, &to);
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(10));
  CHECK(n.pool.dropped(DropReason::NEIGH_QUEUEFULL) == 2);
  CHECK(a.arp->stats().unres_discards == 2);
  CHECK(a.arp->queued_skbs() == 3);
  check_conservation(n, 3);
}

TEST_CASE("send buffer: a non-blocking sender gets EAGAIN, SndbufErrors counted", "[stack][udp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  pa->drop_all = true;  // ARP never resolves: the skbs stay charged to the socket
  std::vector<long> rc;
  int sndbuf = 0;
  Script t(a, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(a.sys->socket(sc, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    a.sys->setsockopt(sc, fd, SOL_SOCKET, SO_SNDBUF, 4000);  // doubled: 8000
    a.sys->getsockopt(sc, fd, SOL_SOCKET, SO_SNDBUF, &sndbuf);
    SockAddrIn to{ip4(10, 0, 0, 2), 9};
    auto buf = bytes(1000);  // truesize 2304: 0, 2304, 4608, 6912 < 8000, then full
    for (int i = 0; i < 5; ++i) rc.push_back(a.sys->sendto(sc, fd, buf.data(), buf.size(), 0, &to));
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(10));
  CHECK(sndbuf == 8000);
  CHECK(rc == std::vector<long>{1000, 1000, 1000, 1000, -EAGAIN});
  CHECK(a.mib.udp[UdpMibField::SndbufErrors] == 1);
}

TEST_CASE("a blocking sender sleeps on a full send buffer and wakes when it drains", "[stack][udp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  UdpSinkParams sp;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(Time::zero());
  UdpSenderParams p;
  p.dst = ip4(10, 0, 0, 2);
  p.count = 20;
  p.size = 1000;
  p.sndbuf = 4000;
  UdpSender snd(a, "snd", 0, p);
  snd.start_at(Time::zero());
  n.run_for(sim::ms(50));
  // ARP takes a round trip; meanwhile the sender fills its buffer and
  // sleeps (sock_alloc_send_pskb); the ARP reply flushes the queue, the
  // buffer drains, sock_wfree wakes it.
  CHECK(snd.sent() == 20);
  CHECK(sink.received() == 20);
  CHECK(snd.wakeups >= 1);
  CHECK(n.rec.saw("sock_wfree"));
  check_conservation(n, 0);
}

TEST_CASE("a datagram above the MTU is fragmented and reassembled", "[stack][ip][frag]") {
  // 3000 bytes of payload + 8 UDP = 3008 bytes of IP payload: fragments
  // carry 1480, 1480 and 48 bytes: total lengths 1500, 1500, 68.
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  UdpSinkParams sp;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(Time::zero());
  UdpSenderParams p;
  p.dst = ip4(10, 0, 0, 2);
  p.count = 1;
  p.size = 3000;
  UdpSender snd(a, "snd", 0, p);
  snd.start_at(Time::zero() + sim::us(10));
  n.run_for(sim::ms(10));
  std::vector<size_t> ip_frames;
  for (const auto& f : pa->frames)
    if (is_ipv4(f)) ip_frames.push_back(f.size() - 14);
  CHECK(ip_frames == std::vector<size_t>{1500, 1500, 68});
  CHECK(sink.received() == 1);
  CHECK(sink.bytes() == 3000);
  CHECK(a.mib.ip[IpMibField::FragOKs] == 1);
  CHECK(a.mib.ip[IpMibField::FragCreates] == 3);
  CHECK(b.mib.ip[IpMibField::ReasmReqds] == 3);
  CHECK(b.mib.ip[IpMibField::ReasmOKs] == 1);
  check_conservation(n, 0);
}

TEST_CASE("forwarding: TTL decremented on a router; no forwarding, no delivery", "[stack][ip]") {
  for (int fwd : {1, 0}) {
    Net n;
    Sysctls rs;
    rs.ipv4_ip_forward = fwd;
    Host& a = n.add_host("h1");
    Host& r = n.add_host("r1", rs);
    Host& b = n.add_host("h2");
    auto [pa, pr1] = n.link(a, ip4(10, 0, 1, 1), r, ip4(10, 0, 1, 2), 24);
    auto [pr2, pb] = n.link(r, ip4(10, 0, 2, 1), b, ip4(10, 0, 2, 2), 24, "eth1", "eth0");
    a.fib.add(0, 0, ip4(10, 0, 1, 2), pa->dev, 0, 0, RtnType::kUnicast, false);
    b.fib.add(0, 0, ip4(10, 0, 2, 1), pb->dev, 0, 0, RtnType::kUnicast, false);
    UdpSinkParams sp;
    UdpSink sink(b, "sink", 0, sp);
    sink.start_at(Time::zero());
    UdpSenderParams p;
    p.dst = ip4(10, 0, 2, 2);
    p.count = 1;
    p.size = 20;
    UdpSender snd(a, "snd", 0, p);
    snd.start_at(Time::zero() + sim::us(5));
    n.run_for(sim::ms(10));
    if (fwd) {
      CHECK(sink.received() == 1);
      CHECK(r.mib.ip[IpMibField::ForwDatagrams] == 1);
      // The frame out of the router carries TTL 63 and a valid header checksum.
      const std::vector<uint8_t>* out = nullptr;
      for (const auto& f : pr2->frames)
        if (is_ipv4(f)) out = &f;
      REQUIRE(out);
      CHECK((*out)[14 + 8] == 63);
      CHECK(Ipv4Hdr::checksum_ok(out->data() + 14, 20));
    } else {
      CHECK(sink.received() == 0);
      CHECK(r.mib.ip[IpMibField::InAddrErrors] == 1);
    }
    check_conservation(n, 0);
  }
}

TEST_CASE("UDP_CORK and MSG_MORE build one datagram from several sends", "[stack][udp]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  UdpSinkParams sp;
  UdpSink sink(b, "sink", 0, sp);
  sink.start_at(Time::zero());
  std::vector<long> rc;
  Script t(a, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(a.sys->socket(sc, AF_INET, SOCK_DGRAM, 0));
    SockAddrIn to{ip4(10, 0, 0, 2), 9};
    auto buf = bytes(100);
    // UDP_CORK: three sends, then uncork -> one 300-byte datagram.
    rc.push_back(a.sys->setsockopt(sc, fd, SOL_UDP, UDP_CORK, 1));
    for (int i = 0; i < 3; ++i) rc.push_back(a.sys->sendto(sc, fd, buf.data(), buf.size(), 0, &to));
    rc.push_back(a.sys->setsockopt(sc, fd, SOL_UDP, UDP_CORK, 0));
    // MSG_MORE: two sends with it, the third without -> one 250-byte datagram.
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 100, MSG_MORE, &to));
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 100, MSG_MORE, &to));
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 50, 0, &to));
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(10));
  CHECK(rc == std::vector<long>{0, 100, 100, 100, 0, 100, 100, 50});
  CHECK(sink.received() == 2);
  CHECK(sink.bytes() == 550);
  CHECK(a.mib.udp[UdpMibField::OutDatagrams] == 2);
  check_conservation(n, 0);
}

TEST_CASE("send errors as Linux returns them", "[stack][udp][socket]") {
  Net n;
  auto [a, b, pa, pb] = two_hosts(n);
  std::vector<long> rc;
  Script t(a, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(a.sys->socket(sc, AF_INET, SOCK_DGRAM, 0));
    auto buf = bytes(70000);
    SockAddrIn to{ip4(10, 0, 0, 2), 9};
    rc.push_back(a.sys->send(sc, fd, buf.data(), 10, 0));               // not connected
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 65508, 0, &to));     // 65507 is the most
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 65507, 0, &to));     // fits (fragmented)
    SockAddrIn far{ip4(192, 168, 9, 9), 9};
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 10, 0, &far));       // no route
    SockAddrIn port0{ip4(10, 0, 0, 2), 0};
    rc.push_back(a.sys->sendto(sc, fd, buf.data(), 10, 0, &port0));     // port 0
    rc.push_back(a.sys->sendto(sc, 99, buf.data(), 10, 0, &to));        // not a file
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(20));
  CHECK(rc == std::vector<long>{-EDESTADDRREQ, -EMSGSIZE, 65507, -ENETUNREACH, -EINVAL, -EBADF});
  CHECK(a.mib.ip[IpMibField::OutNoRoutes] == 1);
  CHECK(a.mib.ip[IpMibField::FragCreates] == 45);  // 65515 / 1480 -> 44 full + 1
}

TEST_CASE("TTL 1 through a router: ICMP time exceeded back to the sender", "[stack][ip][icmp]") {
  Net n;
  Sysctls rs;
  rs.ipv4_ip_forward = 1;
  Host& a = n.add_host("h1");
  Host& r = n.add_host("r1", rs);
  Host& b = n.add_host("h2");
  auto [pa, pr1] = n.link(a, ip4(10, 0, 1, 1), r, ip4(10, 0, 1, 2), 24);
  auto [pr2, pb] = n.link(r, ip4(10, 0, 2, 1), b, ip4(10, 0, 2, 2), 24, "eth1", "eth0");
  a.fib.add(0, 0, ip4(10, 0, 1, 2), pa->dev, 0, 0, RtnType::kUnicast, false);
  b.fib.add(0, 0, ip4(10, 0, 2, 1), pb->dev, 0, 0, RtnType::kUnicast, false);
  Script t(a, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(a.sys->socket(sc, AF_INET, SOCK_DGRAM, 0));
    a.sys->setsockopt(sc, fd, SOL_IP, IP_TTL, 1);
    SockAddrIn to{ip4(10, 0, 2, 2), 9};
    auto buf = bytes(10);
    a.sys->sendto(sc, fd, buf.data(), buf.size(), 0, &to);
  });
  t.start_at(Time::zero());
  n.run_for(sim::ms(10));
  CHECK(r.mib.ip[IpMibField::InHdrErrors] == 1);
  CHECK(r.mib.icmp[IcmpMibField::OutTimeExcds] == 1);
  CHECK(a.mib.icmp[IcmpMibField::InTimeExcds] == 1);
  CHECK(b.mib.ip[IpMibField::InReceives] == 0);
  CHECK(n.pool.dropped(DropReason::TTL_EXPIRED) == 1);
  check_conservation(n, 0);
}

TEST_CASE("net_rx_action: netdev_budget runs out, time_squeeze counts it", "[stack][dev]") {
  // Five devices on h2 get 100 frames each at once; their interrupts all
  // schedule NAPI on cpu0. net_rx_action polls each once per call, up to
  // its weight (64): 5 x 64 = 320 >= netdev_budget (300), so the first call
  // stops after the fifth poll: time_squeeze 1, NET_RX raised again. The
  // second call takes the remaining 5 x 36 = 180 and ends under budget.
  // (With one device it would never squeeze: a call polls each context
  // once, and the softirq restarts take the rest, as in net/core/dev.c.)
  Net n(false);
  Host& b = n.add_host("h2");
  std::vector<WirePort*> ports;
  for (int d = 0; d < 5; ++d) {
    Host& a = n.add_host("a" + std::to_string(d));
    auto [pa, pb] = n.link(a, ip4(10, 0, d, 1), b, ip4(10, 0, d, 2), 24, "eth0", "eth" + std::to_string(d));
    for (int i = 0; i < 100; ++i) {
      SkBuff* skb = n.pool.alloc(60, Time::zero());
      std::memset(skb->put(60), 0, 60);
      EthHdr eth;
      eth.dst = pb->dev->dev_addr;
      eth.src = pa->dev->dev_addr;
      eth.proto = 0x88b5;  // a local experimental Ethertype: dropped as unhandled
      eth.emit(skb->data_ptr());
      skb->dev = pb->dev;
      pb->rx_ring.push_back(skb);
    }
    pb->irq.set_cpu(&b.cpu(0));
    n.sched.schedule(pb->irq, Time::zero());
  }
  n.run_for(sim::ms(1));
  CHECK(b.dev->softnet_stat(0).processed == 500);
  CHECK(b.dev->softnet_stat(0).time_squeeze == 1);
  check_conservation(n, 0);
}

TEST_CASE("udp_mem: past the hard limit datagrams drop as MemErrors", "[stack][udp]") {
  // udp_mem max of 1 page (4096 bytes) on h2, whose socket never reads. A
  // 100-byte datagram's skb has truesize 768 (a 512-byte kmalloc bucket +
  // 256): five queue (3840 bytes), the sixth would make 4608: the last five
  // of ten are dropped.
  Sysctls s;
  s.ipv4_udp_mem_pages = 1;
  Net n;
  Host& a = n.add_host("h1");
  Host& b = n.add_host("h2", s);
  n.link(a, ip4(10, 0, 0, 1), b, ip4(10, 0, 0, 2), 24);
  Script idle(b, [&](Script& sc, sim::Cpu&) {
    int fd = static_cast<int>(b.sys->socket(sc, AF_INET, SOCK_DGRAM, 0));
    b.sys->bind(sc, fd, SockAddrIn{0, 9});
  });
  idle.start_at(Time::zero());
  UdpSenderParams p;
  p.dst = ip4(10, 0, 0, 2);
  p.count = 10;
  p.size = 100;
  UdpSender snd(a, "snd", 0, p);
  snd.start_at(Time::zero() + sim::us(10));
  n.run_for(sim::ms(10));
  CHECK(b.mib.udp[UdpMibField::MemErrors] == 5);
  CHECK(b.mib.udp[UdpMibField::InErrors] == 5);
  CHECK(n.pool.dropped(DropReason::PROTO_MEM) == 5);
  check_conservation(n, 5);  // the five queued datagrams are still alive
}
