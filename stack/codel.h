// stack/codel.h: the CoDel state machine (include/net/codel.h and
// include/net/codel_impl.h, as fq_codel uses it).
//
// CoDel watches the sojourn time of the packets it dequeues. Once it has
// stayed above `target` for a whole `interval`, it enters the dropping
// state and drops (or ECN-marks) one packet, then the next ones at
// intervals of interval/sqrt(count), so the drop rate rises until the
// queue drains below target. 1/sqrt(count) is kept in fixed point and
// refined by one Newton step per drop, with no division or sqrt.
//
// Times are the kernel's codel_time_t: u32 in units of 1024 ns
// (CODEL_SHIFT), compared with wrap-safe signed differences.
//
//   struct Ops { SkBuff* dequeue(CodelVars&); void drop(SkBuff*); };
//   SkBuff* skb = codel_dequeue(ops, &backlog, params, vars, stats, now);
//
// Not modelled: ce_threshold_selector/mask, CODEL_MAX_DROPS_PER_DEQUEUE
// (a recent cap on drops per call).
#pragma once

#include <cstdint>
#include <limits>

#include "sim/time.h"
#include "stack/inet_ecn.h"
#include "stack/skbuff.h"

namespace stack {

using codel_time_t = uint32_t;
constexpr int CODEL_SHIFT = 10;  // 1024 ns clock (include/net/codel.h)

// codel_get_time() at `t`; the enqueue time of an skb is its tstamp.
constexpr codel_time_t codel_time(sim::Time t) {
  return static_cast<codel_time_t>(static_cast<uint64_t>(t.ns()) >> CODEL_SHIFT);
}
// A Duration as codel time: MS2TIME() and the netlink setters truncate.
constexpr codel_time_t codel_duration(sim::Duration d) {
  return static_cast<codel_time_t>(static_cast<uint64_t>(d.ns()) >> CODEL_SHIFT);
}
// codel_time_after() and friends: RFC 1982 serial-number comparisons.
constexpr bool codel_time_after(codel_time_t a, codel_time_t b) {
  return static_cast<int32_t>(a - b) > 0;
}
constexpr bool codel_time_before(codel_time_t a, codel_time_t b) { return codel_time_after(b, a); }
constexpr bool codel_time_after_eq(codel_time_t a, codel_time_t b) {
  return static_cast<int32_t>(a - b) >= 0;
}

// CODEL_DISABLED_THRESHOLD: ce_threshold off.
constexpr codel_time_t CODEL_DISABLED_THRESHOLD = std::numeric_limits<int32_t>::max();

// struct codel_params, defaults of codel_params_init().
struct CodelParams {
  codel_time_t target = codel_duration(sim::ms(5));
  codel_time_t ce_threshold = CODEL_DISABLED_THRESHOLD;
  codel_time_t interval = codel_duration(sim::ms(100));
  uint32_t mtu = 0;  // below one MTU of backlog, never drop
  bool ecn = false;
};

// struct codel_vars (codel_vars_init(): all zero).
struct CodelVars {
  uint32_t count = 0;      // drops since entering the dropping state
  uint32_t lastcount = 0;  // count at entry to the dropping state
  bool dropping = false;
  uint16_t rec_inv_sqrt = 0;  // 1/sqrt(count), Q0.16 (the top 16 bits of a Q0.32)
  codel_time_t first_above_time = 0;
  codel_time_t drop_next = 0;
  codel_time_t ldelay = 0;  // sojourn time of the last dequeued packet
};

// struct codel_stats.
struct CodelStats {
  uint32_t maxpacket = 0;
  uint32_t drop_count = 0;
  uint32_t drop_len = 0;
  uint32_t ecn_mark = 0;
  uint32_t ce_mark = 0;
};

constexpr int REC_INV_SQRT_BITS = 16;  // 8 * sizeof(u16)
constexpr int REC_INV_SQRT_SHIFT = 32 - REC_INV_SQRT_BITS;

// codel_Newton_step(): new = (old / 2) * (3 - count * old^2), in Q0.32
// with the shifts chosen so that nothing overflows 64 bits.
inline void codel_Newton_step(CodelVars& v) {
  const uint32_t invsqrt = static_cast<uint32_t>(v.rec_inv_sqrt) << REC_INV_SQRT_SHIFT;
  const uint32_t invsqrt2 = static_cast<uint32_t>((uint64_t{invsqrt} * invsqrt) >> 32);
  uint64_t val = (3ull << 32) - uint64_t{v.count} * invsqrt2;
  val >>= 2;  // avoid overflow in the multiply below
  val = (val * invsqrt) >> (32 - 2 + 1);
  v.rec_inv_sqrt = static_cast<uint16_t>(val >> REC_INV_SQRT_SHIFT);
}

// reciprocal_scale() (include/linux/kernel.h): val * ep_ro / 2^32.
constexpr uint32_t reciprocal_scale(uint32_t val, uint32_t ep_ro) {
  return static_cast<uint32_t>((uint64_t{val} * ep_ro) >> 32);
}

// codel_control_law(): t + interval / sqrt(count).
constexpr codel_time_t codel_control_law(codel_time_t t, codel_time_t interval,
                                         uint16_t rec_inv_sqrt) {
  return t + reciprocal_scale(interval, static_cast<uint32_t>(rec_inv_sqrt) << REC_INV_SQRT_SHIFT);
}

// codel_should_drop(): is this packet's sojourn above target, and has it
// been so for at least an interval? `backlog` is the qdisc's, after the
// packet left it.
inline bool codel_should_drop(const SkBuff* skb, CodelVars& v, const CodelParams& p,
                              CodelStats& s, uint32_t backlog, codel_time_t now) {
  if (!skb) {
    v.first_above_time = 0;
    return false;
  }
  v.ldelay = now - codel_time(skb->tstamp);
  if (skb->len() > s.maxpacket) s.maxpacket = skb->len();
  // Below target, or less than one MTU queued (the link cannot go idle
  // soon enough for a drop to help): stay below for at least interval.
  if (codel_time_before(v.ldelay, p.target) || backlog <= p.mtu) {
    v.first_above_time = 0;
    return false;
  }
  if (v.first_above_time == 0) {
    // Just went above: drop only if it stays above for an interval.
    v.first_above_time = now + p.interval;
    return false;
  }
  return codel_time_after(now, v.first_above_time);
}

// codel_dequeue(). `ops.dequeue(vars)` takes the head of the queue these
// vars manage (updating `*backlog`); `ops.drop(skb)` frees a dropped one.
template <class Ops>
SkBuff* codel_dequeue(Ops& ops, const uint32_t* backlog, const CodelParams& p, CodelVars& v,
                      CodelStats& s, codel_time_t now) {
  SkBuff* skb = ops.dequeue(v);
  if (!skb) {
    v.dropping = false;
    return nullptr;
  }
  bool drop = codel_should_drop(skb, v, p, s, *backlog, now);
  if (v.dropping) {
    if (!drop) {
      v.dropping = false;  // sojourn below target: leave the dropping state
    } else if (codel_time_after_eq(now, v.drop_next)) {
      // Time for the next drop(s). A long backlog can make several due at
      // once, hence the loop; the dequeue may end the dropping state.
      while (v.dropping && codel_time_after_eq(now, v.drop_next)) {
        v.count++;  // wraps harmlessly: no divide by count anywhere
        codel_Newton_step(v);
        if (p.ecn && INET_ECN_set_ce(*skb)) {
          s.ecn_mark++;
          v.drop_next = codel_control_law(v.drop_next, p.interval, v.rec_inv_sqrt);
          goto end;
        }
        s.drop_len += skb->len();
        ops.drop(skb);
        s.drop_count++;
        skb = ops.dequeue(v);
        if (!codel_should_drop(skb, v, p, s, *backlog, now)) {
          v.dropping = false;
        } else {
          v.drop_next = codel_control_law(v.drop_next, p.interval, v.rec_inv_sqrt);
        }
      }
    }
  } else if (drop) {
    if (p.ecn && INET_ECN_set_ce(*skb)) {
      s.ecn_mark++;
    } else {
      s.drop_len += skb->len();
      ops.drop(skb);
      s.drop_count++;
      skb = ops.dequeue(v);
      drop = codel_should_drop(skb, v, p, s, *backlog, now);
    }
    v.dropping = true;
    // Re-entering soon after the last dropping state: start from the drop
    // rate that controlled the queue then, not from scratch.
    const uint32_t delta = v.count - v.lastcount;
    if (delta > 1 && codel_time_before(now - v.drop_next, 16 * p.interval)) {
      v.count = delta;
      codel_Newton_step(v);  // imprecise; later steps converge quadratically
    } else {
      v.count = 1;
      v.rec_inv_sqrt = static_cast<uint16_t>(~0u >> REC_INV_SQRT_SHIFT);
    }
    v.lastcount = v.count;
    v.drop_next = codel_control_law(now, p.interval, v.rec_inv_sqrt);
  }
end:
  if (skb && codel_time_after(v.ldelay, p.ce_threshold) && INET_ECN_set_ce(*skb)) s.ce_mark++;
  return skb;
}

}  // namespace stack
