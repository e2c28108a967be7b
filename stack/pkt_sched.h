// stack/pkt_sched.h: what the qdisc implementations share
// (include/net/pkt_sched.h, include/net/sch_generic.h, include/uapi/linux/
// pkt_sched.h): TC_PRIO values, psched_mtu(), the rate -> time conversion
// psched_l2t_ns(), and one factory per kind, called by make_qdisc()
// (stack/sch_api.cc, the qdisc_create() of net/sched/sch_api.c).
//
//   PschedRatecfg r;
//   r.precompute(12'500'000);      // 100 Mbit/s in bytes per second
//   r.l2t_ns(1514);                // 121120 ns on the wire
#pragma once

#include <cstdint>
#include <memory>

#include "stack/qdisc.h"

namespace stack {

// skb->priority values (include/uapi/linux/pkt_sched.h).
constexpr uint32_t TC_PRIO_BESTEFFORT = 0;
constexpr uint32_t TC_PRIO_FILLER = 1;
constexpr uint32_t TC_PRIO_BULK = 2;
constexpr uint32_t TC_PRIO_INTERACTIVE_BULK = 4;
constexpr uint32_t TC_PRIO_INTERACTIVE = 6;
constexpr uint32_t TC_PRIO_CONTROL = 7;
constexpr uint32_t TC_PRIO_MAX = 15;

// TC_H_MAJ / TC_H_MIN (include/uapi/linux/pkt_sched.h): a class id is
// major:minor in one u32.
constexpr uint32_t tc_h_maj(uint32_t h) { return h & 0xFFFF0000u; }
constexpr uint32_t tc_h_min(uint32_t h) { return h & 0x0000FFFFu; }

// rt_tos2priority() (include/net/route.h) over ip_tos2prio[]
// (net/ipv4/route.c): the skb->priority the IP layer gives a packet with
// this TOS byte, unless the socket set SO_PRIORITY.
uint32_t rt_tos2priority(uint8_t tos);

// psched_mtu() (include/net/pkt_sched.h): the largest frame the device
// sends without FCS: mtu + hard_header_len. The qdiscs here sit on
// Ethernet devices, so the link header is ETH_HLEN.
constexpr uint32_t psched_mtu(uint32_t dev_mtu) { return dev_mtu + ETH_HLEN; }

// struct psched_ratecfg and psched_ratecfg_precompute()
// (net/sched/sch_generic.c): a rate turned into a multiply and a shift, so
// that the time of `len` bytes is (len * mult) >> shift nanoseconds, with
// no division per packet. The kernel rounds this down, and so do we: the
// shaper's timing is the kernel's, to the nanosecond.
struct PschedRatecfg {
  uint64_t rate_bytes_ps = 0;
  uint32_t mult = 1;
  uint8_t shift = 0;

  void precompute(uint64_t bytes_ps) {
    rate_bytes_ps = bytes_ps;
    mult = 1;
    shift = 0;
    if (bytes_ps == 0) return;
    // Grow the numerator until mult uses all 32 bits (bit 31 set), for the
    // most precision a u32 multiplier can give (psched_ratecfg_precompute__).
    uint64_t factor = 1000000000ull;  // NSEC_PER_SEC
    for (;;) {
      mult = static_cast<uint32_t>(factor / bytes_ps);
      if ((mult & (1u << 31)) || (factor & (1ull << 63))) break;
      factor <<= 1;
      shift++;
    }
  }
  // psched_l2t_ns() (include/net/sch_generic.h), Ethernet link layer, no
  // overhead or mpu configured.
  uint64_t l2t_ns(uint32_t len) const { return (uint64_t{len} * mult) >> shift; }
  // psched_ns_t() (net/sched/sch_tbf.c): bytes that fit in `ns`.
  uint64_t ns_t(uint64_t ns) const {
    return static_cast<uint64_t>(static_cast<unsigned __int128>(ns) * rate_bytes_ps /
                                 1000000000ull);
  }
};

// Factories, one per net/sched file. Parameters are already validated and
// defaulted by make_qdisc().
std::unique_ptr<Qdisc> pfifo_fast_create(QdiscEnv& env, uint32_t tx_queue_len);
std::unique_ptr<Qdisc> noqueue_create(QdiscEnv& env);
// pfifo (limit in packets) or bfifo (limit in bytes); `dev_mtu` decides
// whether bypass is allowed (fifo_init()).
std::unique_ptr<Qdisc> fifo_create(QdiscEnv& env, bool bytes, uint32_t limit, uint32_t dev_mtu);

struct TbfParams {
  uint64_t rate_bytes_ps = 0;
  uint32_t burst = 0;       // bytes (tc "burst"/"buffer")
  uint32_t limit = 0;       // bytes: the default child's size
  uint64_t peak_bytes_ps = 0;  // 0: no peak rate
  uint32_t mtu = 0;         // bytes: the peak bucket's size (tc "mtu"/"minburst")
};
// `child`: the inner qdisc; nullptr makes the default bfifo of `limit` bytes.
std::unique_ptr<Qdisc> tbf_create(QdiscEnv& env, const TbfParams& p, std::unique_ptr<Qdisc> child,
                                  uint32_t dev_mtu);

struct FqCodelParams;
std::unique_ptr<Qdisc> fq_codel_create(QdiscEnv& env, const FqCodelParams& p);

// qdisc_peek_dequeued() / qdisc_dequeue_peeked() (include/net/sch_generic.h)
// for qdiscs whose dequeue decides what comes next (tbf, fq_codel): peek
// dequeues for real and parks the skb, still counted in qlen/backlog; the
// next dequeue hands out the parked skb first.
class PeekStash {
 public:
  template <class DequeueFn>
  SkBuff* peek(QdiscStats& stats, DequeueFn&& dequeue) {
    if (!skb_) {
      skb_ = dequeue();
      if (skb_) {
        stats.qlen++;
        stats.backlog += skb_->len();
      }
    }
    return skb_;
  }
  SkBuff* take(QdiscStats& stats) {
    SkBuff* skb = skb_;
    if (skb) {
      skb_ = nullptr;
      stats.qlen--;
      stats.backlog -= skb->len();
    }
    return skb;
  }
  bool empty() const { return skb_ == nullptr; }

 private:
  SkBuff* skb_ = nullptr;
};

}  // namespace stack
