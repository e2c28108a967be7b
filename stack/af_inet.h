// stack/af_inet.h: the AF_INET family (net/ipv4/af_inet.c): protocol
// registration (inet_init and inetsw) and socket creation (inet_create).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cpu.h"
#include "stack/sock.h"

namespace stack {

class Host;

// struct inet_protosw: one (type, protocol) a socket can be created with.
struct InetProtosw {
  int type;
  int protocol;             // IPPROTO_IP here is the wildcard (raw sockets)
  ProtoKind prot;
  const char* prot_name;    // "udp_prot"
  const char* ops_name;     // "inet_dgram_ops"
};

class Inet {
 public:
  explicit Inet(Host& host);

  // REG-01 inet_init(): fills inetsw[]. Traced at boot on CPU 0.
  void inet_init(sim::Cpu& cpu);
  // REG-02 inet_create(): a new sock, or -errno.
  long inet_create(sim::Cpu& cpu, int type, int protocol, Sock** out);
  // inet_autobind(): an unbound socket gets an ephemeral port on first send.
  int inet_autobind(sim::Cpu& cpu, Sock* sk, uint64_t call_id);

  const std::vector<InetProtosw>& inetsw(int type) const;
  const std::vector<std::unique_ptr<Sock>>& socks() const { return socks_; }

 private:
  Host& host_;
  std::vector<std::vector<InetProtosw>> inetsw_;  // indexed by type, SOCK_MAX = 11
  std::vector<std::unique_ptr<Sock>> socks_;
  uint64_t next_ino_ = 10000;
};

}  // namespace stack
