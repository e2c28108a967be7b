// stack/ip_fragment.h: IPv4 fragmentation (the slow path of ip_do_fragment)
// and reassembly (ip_defrag).
//
// Mirrors Linux 6.x:
//  - net/ipv4/ip_output.c: ip_fragment() (the DF check) and ip_do_fragment()'s
//    slow path (ip_frag_init/ip_frag_next: each fragment a new skb, the header
//    copied, payload a multiple of 8 bytes but for the last, MF and offset,
//    tot_len, a fresh checksum, the original ID; ip_options_fragment() after
//    the first fragment);
//  - net/ipv4/ip_fragment.c + net/ipv4/inet_fragment.c: queues keyed by
//    (saddr, daddr, id, protocol), fragments kept in offset order in "runs",
//    RFC 5722 overlap handling (an overlapping fragment discards the whole
//    datagram; an exact or contained duplicate is dropped alone), completion
//    when first and last are in and no byte is missing, the ipfrag_time timer
//    (ip_expire: ICMP time exceeded, code 1, if the first fragment came),
//    memory accounting against ipfrag_high_thresh (inet_frag_find refuses
//    every fragment while above it).
//
// Simplified: no fast path (frag_list) -- every fragment is a copy, which is
// what the slow path does; the reassembled datagram is a new linear skb
// (the kernel morphs the arriving skb and chains the others on frag_list;
// the bytes and counters are the same). No ipfrag_max_dist (inet_peer) check,
// no ECN combination check, no per-netns/vrf/user keys (one user:
// IP_DEFRAG_LOCAL_DELIVER), no IpExt ReasmOverlaps counter (not in snmp.h).
//
//   // IP-06, ip_finish_output(): too big and not GSO
//   int err = ip_do_fragment(cpu, pool, skb, mtu, out, mib.ip, costs.ip_fragment);
//
//   // RX-03, ip_local_deliver(): a fragment (the caller charges Costs::ip_defrag)
//   SkBuff* whole = host.defrag->ip_defrag(cpu, skb);
//   if (!whole) return;  // queued or dropped; `skb` is no longer ours
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/cpu.h"
#include "sim/scheduler.h"
#include "sim/timer.h"
#include "sim/trace.h"
#include "stack/netdevice.h"
#include "stack/skbuff.h"
#include "stack/snmp.h"

namespace stack {

struct Sysctls;

// ---------------------------------------------------------------------------
// Fragmentation

// The `output` of ip_do_fragment(): where each fragment goes, in order
// (ip_finish_output2 on the way out). An interface, not a function object,
// so a caller binds it with no allocation.
class FragOutput {
 public:
  virtual ~FragOutput() = default;
  // Takes `frag` (data at its IP header, network_header set). A non-zero
  // return (a negative errno) stops fragmentation, as in the kernel; the
  // fragments already sent stay sent.
  virtual int output(sim::Cpu& cpu, SkBuff* frag) = 0;
  // ip_fragment() refused: DF set and larger than `mtu`. The kernel calls
  // icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu)) here;
  // `skb` (data at the IP header) is valid during the call only.
  virtual void frag_needed(sim::Cpu& cpu, const SkBuff& skb, uint32_t mtu) {}
  // Frees the original datagram (consume_skb() when all fragments went out,
  // else kfree_skb()): override to run its destructor (sock_wfree) the way
  // the caller's free path does, and return true. False (the default):
  // ip_do_fragment frees it to the pool itself.
  virtual bool free_original(sim::Cpu& cpu, SkBuff* skb, bool consumed, DropReason reason) {
    return false;
  }
};

// ip_fragment(): DF set (and not ignore_df) -> FragFails, frag_needed(),
// the skb dropped (PKT_TOO_BIG) and -EMSGSIZE; else ip_do_fragment().
int ip_fragment(sim::Cpu& cpu, SkbPool& pool, SkBuff* skb, uint32_t mtu, bool ignore_df, FragOutput& out,
                IpMib& mib, sim::Duration cost_per_frag);

// ip_do_fragment(), slow path: `skb` holds an IPv4 datagram, data at the IP
// header, longer than `mtu`. Hands each fragment to `out` in order, frees
// the original, counts FragCreates per fragment and FragOKs (or FragFails),
// charges `cost_per_frag` (Costs::ip_fragment) per fragment. Returns 0 or
// a negative errno. Always takes ownership of `skb`.
int ip_do_fragment(sim::Cpu& cpu, SkbPool& pool, SkBuff* skb, uint32_t mtu, FragOutput& out, IpMib& mib,
                   sim::Duration cost_per_frag);

// ---------------------------------------------------------------------------
// Reassembly

// What reassembly asks of the rest of the stack.
class DefragOps {
 public:
  virtual ~DefragOps() = default;
  // ip_expire() of a queue holding its first fragment: send ICMP Time
  // Exceeded, code 1 (ICMP_EXC_FRAGTIME), about `head` -- the offset-0
  // fragment, data at its IP header, dev set to the device the queue's
  // fragments came in on (qp->iif). Valid during the call only; the kernel
  // also routes it first and skips the ICMP for non-local conntrack users,
  // which is the caller's to decide here. Runs from the timer, on no CPU.
  virtual void frag_time_exceeded(const SkBuff& head) = 0;
};

struct DefragConfig {
  // net.ipv4.ipfrag_time: IP_FRAG_TIME (30 * HZ, include/net/ip.h).
  sim::Duration timeout = sim::sec(30);
  // net.ipv4.ipfrag_high_thresh: 4 MB (ipv4_frags_init_net(),
  // net/ipv4/ip_fragment.c, since 4.17). 0 disables reassembly.
  int64_t high_thresh = 4 * 1024 * 1024;
  sim::Jiffies jiffies;  // the host's HZ
  // Charged per fragment by ip_defrag(); 0 by default because the caller
  // (Ip::local_deliver) charges Costs::ip_defrag itself.
  sim::Duration cost_per_frag = sim::Duration::zero();
};

// One host's fragment queues (struct fqdir).
class IpDefrag {
 public:
  // What a queue costs in memory before any fragment: f->qsize =
  // sizeof(struct ipq) (ip4_frags.qsize, net/ipv4/ip_fragment.c). The value
  // is this model's estimate of that struct on x86-64, not measured.
  static constexpr int64_t kIpqSize = 192;

  IpDefrag(sim::Scheduler& sched, SkbPool& pool, IpMib& mib, DefragOps* ops, DefragConfig cfg = {});
  // The host's way: ipfrag_time and ipfrag_high_thresh from its sysctls
  // (read once, at creation), no ICMP until set_ops().
  IpDefrag(sim::Scheduler& sched, SkbPool& pool, const Sysctls& sysctl, const sim::Jiffies& jiffies,
           IpMib& mib);
  ~IpDefrag();
  IpDefrag(const IpDefrag&) = delete;
  IpDefrag& operator=(const IpDefrag&) = delete;

  void set_tracer(sim::Tracer t) { tracer_ = t; }  // for ip_expire, which runs on no CPU
  void set_ops(DefragOps* ops) { ops_ = ops; }      // who sends the ICMP time exceeded

  // ip_defrag(): takes `skb`, a fragment (data at the IP header,
  // network_header set, trimmed to tot_len by ip_rcv). Returns the whole
  // datagram (a new skb, data at its IP header) if this fragment completed
  // it; else nullptr: the fragment is queued, or dropped with a reason.
  SkBuff* ip_defrag(sim::Cpu& cpu, SkBuff* skb);

  size_t queue_count() const { return index_.size(); }
  // Fragments held in all queues (for the conservation check).
  uint64_t queued_skbs() const;
  int64_t mem() const { return mem_; }  // frag_mem_limit()
  // When the queue for this datagram expires (the timer wheel's tick),
  // Time::max() if there is none.
  sim::Time expires(uint32_t saddr, uint32_t daddr, uint16_t id, uint8_t protocol) const;
  // Drops every queued fragment with `reason` and stops the timers (the
  // destructor does this with SIM_END).
  void flush(DropReason reason);

 private:
  struct Key {
    uint32_t saddr = 0, daddr = 0;
    uint16_t id = 0;
    uint8_t protocol = 0;
    auto operator<=>(const Key&) const = default;
  };
  struct Ipq;

  Ipq* find_or_create(const Key& k, sim::Cpu& cpu);
  void unlink(Ipq* q);                       // inet_frag_kill(): out of the index, timer off
  void purge(Ipq* q, DropReason reason);     // drop every fragment, free the queue
  void release(Ipq* q);                      // back on the free list
  SkBuff* reasm(sim::Cpu& cpu, Ipq* q, NetDevice* dev);
  void expire(Ipq* q);                       // ip_expire()

  sim::Scheduler& sched_;
  SkbPool& pool_;
  IpMib& mib_;
  DefragOps* ops_;
  DefragConfig cfg_;
  sim::Tracer tracer_;
  int64_t mem_ = 0;
  // The hash table of the kernel as a vector sorted by key: deterministic,
  // and with its capacity and the queue objects recycled, nothing is
  // allocated per datagram once warmed up.
  std::vector<Ipq*> index_;
  std::vector<std::unique_ptr<Ipq>> all_;
  std::vector<Ipq*> free_;
};

}  // namespace stack
