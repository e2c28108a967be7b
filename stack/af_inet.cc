// stack/af_inet.cc: inet_init and inet_create (net/ipv4/af_inet.c, 6.x).
#include "stack/af_inet.h"

#include "stack/errno.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/steps.h"
#include "stack/udp.h"
#include "stack/wire.h"

namespace stack {

namespace {
constexpr int SOCK_MAX = 11;  // include/linux/net.h (SOCK_PACKET + 1)
}

Inet::Inet(Host& host) : host_(host), inetsw_(SOCK_MAX) {}

void Inet::inet_init(sim::Cpu& cpu) {
  TRACE_FN(cpu, step::kReg01, "inet_init", 0);
  // inetsw_array[]: TCP arrives with the TCP model; until then SOCK_STREAM
  // has no entry and socket() answers -ESOCKTNOSUPPORT.
  static const InetProtosw kArray[] = {
      {SOCK_DGRAM, IPPROTO_UDP, ProtoKind::kUdp, "udp_prot", "inet_dgram_ops"},
      {SOCK_DGRAM, IPPROTO_ICMP, ProtoKind::kPing, "ping_prot", "inet_sockraw_ops"},
  };
  for (const InetProtosw& p : kArray) {
    inetsw_[static_cast<size_t>(p.type)].push_back(p);
    TRACE_BRANCH(cpu, step::kReg01, "inet_register_protosw", 0, "inetsw[{}]: protocol {} -> {}, {}",
                 p.type == SOCK_DGRAM ? "SOCK_DGRAM" : "SOCK_STREAM", p.protocol, p.prot_name,
                 p.ops_name);
  }
}

const std::vector<InetProtosw>& Inet::inetsw(int type) const {
  return inetsw_[static_cast<size_t>(type)];
}

long Inet::inet_create(sim::Cpu& cpu, int type, int protocol, Sock** out) {
  TRACE_FN(cpu, step::kReg02, "inet_create", 0);
  if (type <= 0 || type >= SOCK_MAX) return -EINVAL;  // __sock_create
  if (protocol < 0 || protocol >= 256) return -EINVAL;
  // lookup_protocol: an exact match, or one of the two IPPROTO_IP wildcards.
  int e = -ESOCKTNOSUPPORT;
  const InetProtosw* answer = nullptr;
  for (const InetProtosw& a : inetsw_[static_cast<size_t>(type)]) {
    e = 0;
    if (protocol == a.protocol) {
      if (protocol != IPPROTO_IP) {
        answer = &a;
        break;
      }
    } else {
      if (protocol == IPPROTO_IP) {  // "give me the default protocol of this type"
        protocol = a.protocol;
        answer = &a;
        break;
      }
      if (a.protocol == IPPROTO_IP) {  // the entry takes any protocol
        answer = &a;
        break;
      }
    }
    e = -EPROTONOSUPPORT;
  }
  if (!answer) {
    TRACE_BRANCH(cpu, step::kReg02, "inet_create", 0, "type {} protocol {}: -{}", type, protocol,
                 errno_name(-e));
    return e;
  }
  auto sk = std::make_unique<Sock>();
  sk->host = &host_;
  sk->id = ++next_ino_;
  sk->type = type;
  sk->protocol = protocol;
  sk->prot = answer->prot;
  sk->sndbuf = host_.sysctl.core_wmem_default;
  sk->rcvbuf = host_.sysctl.core_rmem_default;
  sk->pmtudisc = host_.sysctl.ipv4_ip_no_pmtu_disc ? 0 : 1;  // IP_PMTUDISC_WANT
  TRACE_BRANCH(cpu, step::kReg02, "inet_create", 0,
               "inetsw[type {}] matched protocol {}: sk_prot = {}, sock->ops = {}", type, protocol,
               answer->prot_name, answer->ops_name);
  *out = sk.get();
  socks_.push_back(std::move(sk));
  return 0;
}

int Inet::inet_autobind(sim::Cpu& cpu, Sock* sk, uint64_t call_id) {
  if (sk->num) return 0;
  int e = 0;
  if (sk->prot == ProtoKind::kUdp) e = host_.udp->get_port(sk, 0);
  else if (sk->prot == ProtoKind::kPing) host_.icmp->ping_hash(sk);
  TRACE_BRANCH(cpu, step::kSys03, "inet_autobind", call_id,
               "socket not bound: inet_autobind picked port {}", sk->num);
  return e;
}

}  // namespace stack
