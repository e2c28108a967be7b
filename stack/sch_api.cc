// stack/sch_api.cc: make_qdisc(), the qdisc_create() of net/sched/sch_api.c
// together with the checks `tc qdisc add` makes before it asks the kernel
// (iproute2 tc/q_*.c): parameters that belong to another kind are refused,
// required ones demanded, defaults filled in as the kernel's *_init() does.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "stack/codel.h"
#include "stack/pkt_sched.h"
#include "stack/sch_fq_codel.h"

namespace stack {

namespace {

enum Kind : unsigned { kPfifoFast = 1, kPfifo = 2, kBfifo = 4, kTbf = 8, kFqCodel = 16, kNoqueue = 32 };

struct KindName {
  const char* name;
  Kind kind;
};
constexpr KindName kKinds[] = {{"pfifo_fast", kPfifoFast}, {"pfifo", kPfifo}, {"bfifo", kBfifo},
                               {"tbf", kTbf},             {"fq_codel", kFqCodel},
                               {"noqueue", kNoqueue}};

// Which QdiscSpec field applies to which kinds.
struct FieldRule {
  const char* field;
  bool (*set)(const QdiscSpec&);
  unsigned kinds;
};
constexpr FieldRule kFields[] = {
    {"limit", [](const QdiscSpec& s) { return s.limit.has_value(); }, kPfifo | kBfifo | kFqCodel},
    {"rate_bps", [](const QdiscSpec& s) { return s.rate_bps.has_value(); }, kTbf},
    {"burst", [](const QdiscSpec& s) { return s.burst.has_value(); }, kTbf},
    {"limit_bytes", [](const QdiscSpec& s) { return s.limit_bytes.has_value(); }, kTbf},
    {"latency", [](const QdiscSpec& s) { return s.latency.has_value(); }, kTbf},
    {"peakrate_bps", [](const QdiscSpec& s) { return s.peakrate_bps.has_value(); }, kTbf},
    {"mtu", [](const QdiscSpec& s) { return s.mtu.has_value(); }, kTbf},
    {"child", [](const QdiscSpec& s) { return s.child != nullptr; }, kTbf},
    {"flows", [](const QdiscSpec& s) { return s.flows.has_value(); }, kFqCodel},
    {"target", [](const QdiscSpec& s) { return s.target.has_value(); }, kFqCodel},
    {"interval", [](const QdiscSpec& s) { return s.interval.has_value(); }, kFqCodel},
    {"quantum", [](const QdiscSpec& s) { return s.quantum.has_value(); }, kFqCodel},
    {"memory_limit", [](const QdiscSpec& s) { return s.memory_limit.has_value(); }, kFqCodel},
    {"ecn", [](const QdiscSpec& s) { return s.ecn.has_value(); }, kFqCodel},
    {"drop_batch", [](const QdiscSpec& s) { return s.drop_batch.has_value(); }, kFqCodel},
};

[[noreturn]] void bad(const char* field, const std::string& why) {
  throw std::invalid_argument(std::string("\"") + field + "\": " + why);
}

Kind find_kind(const std::string& name) {
  for (const KindName& k : kKinds)
    if (name == k.name) return k.kind;
  std::string known;
  for (const KindName& k : kKinds) known += std::string(known.empty() ? "" : ", ") + k.name;
  throw std::invalid_argument("unknown qdisc kind \"" + name + "\" (known: " + known + ")");
}

// A Duration as tc passes it to fq_codel: whole microseconds
// (TCA_FQ_CODEL_TARGET/INTERVAL are u32 us), then to codel time.
codel_time_t codel_from_us(sim::Duration d) {
  const uint64_t us = static_cast<uint64_t>(d.ns()) / 1000;
  return static_cast<codel_time_t>((us * 1000) >> CODEL_SHIFT);
}

std::unique_ptr<Qdisc> make_tbf(const QdiscSpec& spec, QdiscEnv& env, uint32_t tx_queue_len,
                                uint32_t mtu) {
  // q_tbf.c: 'Both "rate" and "burst" are required.'
  if (!spec.rate_bps || *spec.rate_bps == 0) bad("rate_bps", "required by tbf");
  if (!spec.burst || *spec.burst == 0) bad("burst", "required by tbf");
  // q_tbf.c: 'Either "limit" or "latency" are required.', and not both.
  if (!spec.limit_bytes && !spec.latency) bad("limit_bytes", "tbf needs limit_bytes or latency");
  if (spec.limit_bytes && spec.latency) bad("latency", "tbf takes limit_bytes or latency, not both");
  if (spec.latency && spec.latency->ns() < 0) bad("latency", "must not be negative");

  TbfParams p;
  // tc takes rates in bits and hands the kernel bytes per second.
  p.rate_bytes_ps = *spec.rate_bps / 8;
  if (p.rate_bytes_ps == 0) bad("rate_bps", "below one byte per second");
  p.burst = *spec.burst;
  if (spec.peakrate_bps) {
    // q_tbf.c: a peak rate needs the peak bucket's size; sch_tbf.c:
    // tbf_change() refuses a peak rate not above the rate.
    if (!spec.mtu || *spec.mtu == 0) bad("mtu", "required by tbf with peakrate_bps");
    p.peak_bytes_ps = *spec.peakrate_bps / 8;
    if (p.peak_bytes_ps <= p.rate_bytes_ps) bad("peakrate_bps", "must be above rate_bps");
    p.mtu = *spec.mtu;
  }
  if (spec.limit_bytes) {
    p.limit = *spec.limit_bytes;
  } else {
    // q_tbf.c: limit = rate * latency + burst (and the same for the peak
    // bucket, keeping the smaller), truncated to whole bytes.
    const auto lat = static_cast<unsigned __int128>(spec.latency->ns());
    auto lim = static_cast<uint64_t>(p.rate_bytes_ps * lat / 1000000000u) + p.burst;
    if (p.peak_bytes_ps) {
      const auto lim2 = static_cast<uint64_t>(p.peak_bytes_ps * lat / 1000000000u) + p.mtu;
      lim = std::min(lim, lim2);
    }
    p.limit = static_cast<uint32_t>(std::min<uint64_t>(lim, UINT32_MAX));
  }
  std::unique_ptr<Qdisc> child;
  if (spec.child) {
    if (spec.child->kind == "noqueue") bad("child", "noqueue cannot hold packets for tbf");
    child = make_qdisc(*spec.child, env, tx_queue_len, mtu);
  }
  return tbf_create(env, p, std::move(child), mtu);
}

std::unique_ptr<Qdisc> make_fq_codel(const QdiscSpec& spec, QdiscEnv& env, uint32_t mtu) {
  FqCodelParams p;
  // fq_codel_init(): quantum and CoDel's mtu are psched_mtu(dev).
  p.quantum = psched_mtu(mtu);
  p.cparams.mtu = psched_mtu(mtu);
  // fq_codel_change().
  if (spec.flows) {
    if (*spec.flows == 0 || *spec.flows > 65536) bad("flows", "must be 1..65536");
    p.flows = *spec.flows;
  }
  if (spec.target) {
    if (spec.target->ns() < 0) bad("target", "must not be negative");
    p.cparams.target = codel_from_us(*spec.target);
  }
  if (spec.interval) {
    if (spec.interval->ns() <= 0) bad("interval", "must be positive");
    p.cparams.interval = codel_from_us(*spec.interval);
  }
  if (spec.limit) p.limit = *spec.limit;
  if (spec.ecn) p.cparams.ecn = *spec.ecn;
  if (spec.quantum) {
    // FQ_CODEL_QUANTUM_MAX (1 << 20) is refused; below 256 is raised to 256.
    if (*spec.quantum > (1u << 20)) bad("quantum", "must be at most 1048576");
    p.quantum = std::max(256u, *spec.quantum);
  }
  // At least one packet per batch (max(1U, ...) in current kernels).
  if (spec.drop_batch) p.drop_batch = std::max(1u, *spec.drop_batch);
  if (spec.memory_limit) p.memory_limit = std::min(1u << 31, *spec.memory_limit);
  return fq_codel_create(env, p);
}

}  // namespace

const std::vector<std::string>& qdisc_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> v;
    for (const KindName& k : kKinds) v.emplace_back(k.name);
    return v;
  }();
  return kinds;
}

std::unique_ptr<Qdisc> make_qdisc(const QdiscSpec& spec, QdiscEnv& env, uint32_t tx_queue_len,
                                  uint32_t mtu) {
  const Kind kind = find_kind(spec.kind);
  for (const FieldRule& f : kFields)
    if (f.set(spec) && !(f.kinds & kind)) bad(f.field, "not a parameter of " + spec.kind);

  switch (kind) {
    case kPfifoFast:
      return pfifo_fast_create(env, tx_queue_len);
    case kNoqueue:
      return noqueue_create(env);
    case kPfifo:
      // fifo_init(): default limit txqueuelen packets.
      return fifo_create(env, false, spec.limit.value_or(tx_queue_len), mtu);
    case kBfifo: {
      // fifo_init(): default limit txqueuelen * psched_mtu bytes.
      const uint64_t dflt = uint64_t{tx_queue_len} * psched_mtu(mtu);
      return fifo_create(env, true,
                         spec.limit.value_or(static_cast<uint32_t>(std::min<uint64_t>(dflt, UINT32_MAX))),
                         mtu);
    }
    case kTbf:
      return make_tbf(spec, env, tx_queue_len, mtu);
    case kFqCodel:
      return make_fq_codel(spec, env, mtu);
  }
  throw std::logic_error("make_qdisc: unhandled kind");
}

}  // namespace stack
