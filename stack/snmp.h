// stack/snmp.h: the MIB counters, named as /proc/net/snmp and
// /proc/net/netstat print them (include/uapi/linux/snmp.h; the names are
// those of net/ipv4/proc.c). One X-macro list per table, so the dump, the
// JSON output and the enum cannot disagree.
#pragma once

#include <array>
#include <cstdint>

namespace stack {

#define SKBSIM_IP_MIB(X)                                                              \
  X(InReceives) X(InHdrErrors) X(InAddrErrors) X(ForwDatagrams) X(InUnknownProtos)   \
  X(InDiscards) X(InDelivers) X(OutRequests) X(OutDiscards) X(OutNoRoutes)           \
  X(ReasmTimeout) X(ReasmReqds) X(ReasmOKs) X(ReasmFails) X(FragOKs) X(FragFails)    \
  X(FragCreates) X(OutTransmits)
#define SKBSIM_ICMP_MIB(X)                                                            \
  X(InMsgs) X(InErrors) X(InCsumErrors) X(InDestUnreachs) X(InTimeExcds) X(InEchos)  \
  X(InEchoReps) X(OutMsgs) X(OutErrors) X(OutDestUnreachs) X(OutTimeExcds)           \
  X(OutEchos) X(OutEchoReps)
#define SKBSIM_UDP_MIB(X)                                                             \
  X(InDatagrams) X(NoPorts) X(InErrors) X(OutDatagrams) X(RcvbufErrors)              \
  X(SndbufErrors) X(InCsumErrors) X(IgnoredMulti) X(MemErrors)
#define SKBSIM_TCP_MIB(X)                                                             \
  X(ActiveOpens) X(PassiveOpens) X(AttemptFails) X(EstabResets) X(CurrEstab)         \
  X(InSegs) X(OutSegs) X(RetransSegs) X(InErrs) X(OutRsts) X(InCsumErrors)
#define SKBSIM_IPEXT_MIB(X)                                                           \
  X(InNoRoutes) X(InTruncatedPkts) X(InMcastPkts) X(OutMcastPkts) X(InBcastPkts)     \
  X(OutBcastPkts) X(InOctets) X(OutOctets)

template <class E, size_t N>
struct Mib {
  std::array<uint64_t, N> v{};
  void inc(E e, uint64_t n = 1) { v[static_cast<size_t>(e)] += n; }
  uint64_t get(E e) const { return v[static_cast<size_t>(e)]; }
  uint64_t operator[](E e) const { return get(e); }
};

#define SKBSIM_MIB_ENUM(name) name,
#define SKBSIM_MIB_NAME(name) #name,
#define SKBSIM_DEFINE_MIB(Type, LIST)                                                 \
  enum class Type##Field : uint16_t { LIST(SKBSIM_MIB_ENUM) kCount };                 \
  using Type = Mib<Type##Field, static_cast<size_t>(Type##Field::kCount)>;            \
  inline constexpr const char* Type##Names[] = {LIST(SKBSIM_MIB_NAME)};

SKBSIM_DEFINE_MIB(IpMib, SKBSIM_IP_MIB)
SKBSIM_DEFINE_MIB(IcmpMib, SKBSIM_ICMP_MIB)
SKBSIM_DEFINE_MIB(UdpMib, SKBSIM_UDP_MIB)
SKBSIM_DEFINE_MIB(TcpMib, SKBSIM_TCP_MIB)
SKBSIM_DEFINE_MIB(IpExtMib, SKBSIM_IPEXT_MIB)

// All of a host's counters (struct netns_mib).
struct Mibs {
  IpMib ip;
  IcmpMib icmp;
  UdpMib udp;
  TcpMib tcp;
  IpExtMib ipext;
};

}  // namespace stack
