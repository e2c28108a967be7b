// stack/neighbour.cc: the NUD state machine and ARP (net/core/neighbour.c,
// net/ipv4/arp.c, Linux 6.x). Timers count jiffies at the host's CONFIG_HZ
// and fire when the kernel's timer wheel would fire them.
#include "stack/neighbour.h"

#include <algorithm>

#include <fmt/format.h>

#include "stack/dev.h"
#include "stack/host.h"
#include "stack/icmp.h"
#include "stack/steps.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::TraceKind;

const char* nud_state_name(uint8_t s) {
  switch (s) {
    case NUD_NONE: return "NONE";
    case NUD_INCOMPLETE: return "INCOMPLETE";
    case NUD_REACHABLE: return "REACHABLE";
    case NUD_STALE: return "STALE";
    case NUD_DELAY: return "DELAY";
    case NUD_PROBE: return "PROBE";
    case NUD_FAILED: return "FAILED";
    case NUD_NOARP: return "NOARP";
    case NUD_PERMANENT: return "PERMANENT";
  }
  return "?";
}

NeighTable::NeighTable(Host& host) : host_(host), rng_(host.rng("neigh")) {
  const Sysctls& s = host.sysctl;
  const sim::Jiffies& j = host.jiffies;
  parms_.base_reachable_time = j.from_duration(sim::ms(s.neigh_base_reachable_time_ms));
  // neigh_rand_reach_time(): uniformly in [base/2, 3*base/2).
  parms_.reachable_time =
      parms_.base_reachable_time
          ? static_cast<int64_t>(rng_.below(static_cast<uint64_t>(parms_.base_reachable_time))) +
                (parms_.base_reachable_time >> 1)
          : 0;
  parms_.retrans_time = j.from_duration(sim::ms(s.neigh_retrans_time_ms));
  parms_.delay_probe_time = j.from_duration(sim::sec(s.neigh_delay_first_probe_time));
  parms_.locktime = j.from_duration(sim::ms(s.neigh_locktime_ms));
  parms_.ucast_probes = static_cast<int>(s.neigh_ucast_solicit);
  parms_.mcast_probes = static_cast<int>(s.neigh_mcast_solicit);
  parms_.app_probes = static_cast<int>(s.neigh_app_solicit);
  parms_.queue_len_bytes = s.neigh_unres_qlen_bytes;
}

NeighTable::~NeighTable() = default;

int64_t NeighTable::now_j() const { return host_.jiffies.at(host_.sched().now()); }

Neighbour* NeighTable::lookup(NetDevice* dev, uint32_t key) {
  stats_.lookups++;
  auto it = table_.find({dev->ifindex, key});
  if (it == table_.end()) return nullptr;
  stats_.hits++;
  return it->second.get();
}

// __neigh_create() with arp_constructor(): devices without ARP (loopback)
// get a NOARP entry with their own address.
Neighbour* NeighTable::lookup_or_create(Cpu& cpu, NetDevice* dev, uint32_t key) {
  if (Neighbour* n = lookup(dev, key)) return n;
  auto n = std::make_unique<Neighbour>();
  n->tbl = this;
  n->dev = dev;
  n->key = key;
  n->updated = n->used = now_j();
  n->confirmed = n->updated - parms_.base_reachable_time * 2;  // "long ago"
  n->timer.setup<&Neighbour::timer_handler>(n.get(), &cpu);
  if (dev->loopback) {
    n->nud_state = NUD_NOARP;
    n->ha = dev->dev_addr;
    n->hh_valid = true;
  }
  stats_.allocs++;
  TRACE_BRANCH(cpu, step::kIp07, "__neigh_create", 0, "new neighbour {} dev {}: {}",
               sim::TraceArg::ipv4(key), dev->name.c_str(), nud_state_name(n->nud_state));
  Neighbour* raw = n.get();
  table_.emplace(std::make_pair(dev->ifindex, key), std::move(n));
  return raw;
}

int NeighTable::max_probes(const Neighbour* n) const {
  // neigh_max_probes().
  return parms_.ucast_probes + parms_.app_probes +
         ((n->nud_state & NUD_PROBE) ? parms_.mcast_reprobes : parms_.mcast_probes);
}

void NeighTable::add_timer(Neighbour* n, int64_t expires_j) {
  n->timer.mod_jiffies(host_.jiffies, expires_j);
}

// NEIGH-01 neigh_output().
int NeighTable::neigh_output(Cpu& cpu, Neighbour* n, SkBuff* skb) {
  TRACE_FN(cpu, step::kNeigh01, "neigh_output", skb->id);
  cpu.charge(host_.costs.neigh_output);
  if ((n->nud_state & NUD_CONNECTED) && n->hh_valid) {
    TRACE_BRANCH(cpu, step::kNeigh01, "neigh_output", skb->id,
                 "neigh {} {}: cached header, neigh_hh_output", sim::TraceArg::ipv4(n->key),
                 nud_state_name(n->nud_state));
    return neigh_hh_output(cpu, n, skb);
  }
  TRACE_BRANCH(cpu, step::kNeigh01, "neigh_output", skb->id,
               "neigh {} {}: not connected, n->output = neigh_resolve_output",
               sim::TraceArg::ipv4(n->key), nud_state_name(n->nud_state));
  return neigh_resolve_output(cpu, n, skb);
}

// neigh_hh_output(): copy the cached Ethernet header in front, transmit.
int NeighTable::neigh_hh_output(Cpu& cpu, Neighbour* n, SkBuff* skb) {
  EthHdr eth;
  eth.dst = n->ha;
  eth.src = n->dev->dev_addr;
  eth.proto = ETH_P_IP;
  eth.emit(skb->push(EthHdr::kLen));
  skb->dev = n->dev;
  return host_.dev->dev_queue_xmit(cpu, skb);
}

// NEIGH-02 neigh_resolve_output().
int NeighTable::neigh_resolve_output(Cpu& cpu, Neighbour* n, SkBuff* skb) {
  TRACE_FN(cpu, step::kNeigh02, "neigh_resolve_output", skb->id);
  cpu.charge(host_.costs.neigh_resolve_output);
  if (!neigh_event_send(cpu, n, skb)) return 0;  // queued or dropped
  // neigh_hh_init() then dev_hard_header().
  if (!n->hh_valid) {
    n->hh_valid = true;
    TRACE_BRANCH(cpu, step::kNeigh02, "neigh_hh_init", skb->id,
                 "header for {} cached: later packets take neigh_hh_output",
                 sim::TraceArg::ipv4(n->key));
  }
  return neigh_hh_output(cpu, n, skb);
}

// __neigh_event_send().
bool NeighTable::neigh_event_send(Cpu& cpu, Neighbour* n, SkBuff* skb) {
  const int64_t now = now_j();
  n->used = now;
  if (n->nud_state & (NUD_CONNECTED | NUD_DELAY | NUD_PROBE)) return true;
  bool immediate_probe = false;
  if (!(n->nud_state & (NUD_STALE | NUD_INCOMPLETE))) {
    if (parms_.mcast_probes + parms_.app_probes) {
      n->probes = parms_.ucast_probes;
      n->timer.del();
      n->nud_state = NUD_INCOMPLETE;
      n->updated = now;
      immediate_probe = true;
      add_timer(n, now + std::max<int64_t>(parms_.retrans_time, host_.jiffies.hz / 100));
      TRACE_BRANCH(cpu, step::kNeigh02, "__neigh_event_send", skb ? skb->id : 0,
                   "neigh {}: NONE -> INCOMPLETE, probe now and every retrans_time {}",
                   sim::TraceArg::ipv4(n->key), sim::TraceArg(host_.jiffies.tick() * parms_.retrans_time));
    } else {
      n->nud_state = NUD_FAILED;
      n->updated = now;
      if (skb) {
        stats_.res_failed++;
        if (cpu.tracer().on())
          cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kNeigh02, "kfree_skb", skb->id,
                            "NEIGH_FAILED: mcast_solicit and app_solicit are 0");
        host_.pool().drop(skb, DropReason::NEIGH_FAILED);
      }
      return false;
    }
  } else if (n->nud_state & NUD_STALE) {
    n->timer.del();
    n->nud_state = NUD_DELAY;
    n->updated = now;
    add_timer(n, now + parms_.delay_probe_time);
    TRACE_BRANCH(cpu, step::kNeigh02, "__neigh_event_send", skb ? skb->id : 0,
                 "neigh {}: STALE -> DELAY, send with the old address; probe in {}",
                 sim::TraceArg::ipv4(n->key), host_.jiffies.tick() * parms_.delay_probe_time);
  }
  if (n->nud_state == NUD_INCOMPLETE) {
    if (skb) {
      // Make room: drop the oldest queued skbs past unres_qlen_bytes.
      while (n->arp_queue_len_bytes + skb->truesize > static_cast<uint64_t>(parms_.queue_len_bytes)) {
        SkBuff* old = n->arp_queue.dequeue();
        if (!old) break;
        n->arp_queue_len_bytes -= old->truesize;
        stats_.unres_discards++;
        if (cpu.tracer().on())
          cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kNeigh02, "kfree_skb", old->id,
                            "NEIGH_QUEUEFULL: arp_queue over unres_qlen_bytes {}, oldest dropped",
                            parms_.queue_len_bytes);
        host_.pool().drop(old, DropReason::NEIGH_QUEUEFULL);
      }
      n->arp_queue.enqueue_tail(skb);
      n->arp_queue_len_bytes += skb->truesize;
      TRACE_BRANCH(cpu, step::kNeigh02, "__neigh_event_send", skb->id,
                   "neigh {} INCOMPLETE: skb queued on arp_queue ({} skbs, {} bytes)",
                   sim::TraceArg::ipv4(n->key), n->arp_queue.qlen(), n->arp_queue_len_bytes);
    }
    if (immediate_probe) neigh_probe(cpu, n);
    return false;
  }
  if (immediate_probe) neigh_probe(cpu, n);
  return true;
}

// neigh_probe(): count the probe and solicit.
void NeighTable::neigh_probe(Cpu& cpu, Neighbour* n) {
  SkBuff* skb = n->arp_queue.peek_tail();
  n->probes++;
  arp_solicit(cpu, n, skb);
}

void Neighbour::timer_handler(Cpu& cpu) { tbl->neigh_timer(cpu, this); }

// NEIGH-03 neigh_timer_handler(): the timed transitions.
void NeighTable::neigh_timer(Cpu& cpu, Neighbour* n) {
  TRACE_FN(cpu, step::kNeigh03, "neigh_timer_handler", 0);
  const int64_t now = now_j();
  int64_t next = now + host_.jiffies.hz;
  const uint8_t state = n->nud_state;
  if (!(state & NUD_IN_TIMER)) return;
  const int64_t min_retrans = std::max<int64_t>(parms_.retrans_time, host_.jiffies.hz / 100);
  if (state & NUD_REACHABLE) {
    if (now <= n->confirmed + parms_.reachable_time) {
      next = n->confirmed + parms_.reachable_time;
    } else if (now <= n->used + parms_.delay_probe_time) {
      n->nud_state = NUD_DELAY;
      n->updated = now;
      next = now + parms_.delay_probe_time;
      TRACE_BRANCH(cpu, step::kNeigh03, "neigh_timer_handler", 0,
                   "neigh {}: REACHABLE -> DELAY (not confirmed for reachable_time, used recently)",
                   sim::TraceArg::ipv4(n->key));
    } else {
      n->nud_state = NUD_STALE;
      n->updated = now;
      TRACE_BRANCH(cpu, step::kNeigh03, "neigh_timer_handler", 0,
                   "neigh {}: REACHABLE -> STALE (not confirmed for reachable_time)",
                   sim::TraceArg::ipv4(n->key));
    }
  } else if (state & NUD_DELAY) {
    if (now <= n->confirmed + parms_.delay_probe_time) {
      n->nud_state = NUD_REACHABLE;
      n->updated = now;
      next = n->confirmed + parms_.reachable_time;
      TRACE_BRANCH(cpu, step::kNeigh03, "neigh_timer_handler", 0,
                   "neigh {}: DELAY -> REACHABLE (confirmed meanwhile)", sim::TraceArg::ipv4(n->key));
    } else {
      n->nud_state = NUD_PROBE;
      n->updated = now;
      n->probes = 0;
      next = now + min_retrans;
      TRACE_BRANCH(cpu, step::kNeigh03, "neigh_timer_handler", 0,
                   "neigh {}: DELAY -> PROBE (no confirmation in delay_first_probe_time)",
                   sim::TraceArg::ipv4(n->key));
    }
  } else {
    next = now + min_retrans;  // NUD_PROBE | NUD_INCOMPLETE
  }
  if ((n->nud_state & (NUD_INCOMPLETE | NUD_PROBE)) && n->probes >= max_probes(n)) {
    TRACE_BRANCH(cpu, step::kNeigh03, "neigh_timer_handler", 0,
                 "neigh {}: {} -> FAILED after {} probes without reply", sim::TraceArg::ipv4(n->key),
                 nud_state_name(n->nud_state), n->probes);
    n->nud_state = NUD_FAILED;
    n->updated = now;
    neigh_invalidate(cpu, n);
    return;
  }
  if (n->nud_state & NUD_IN_TIMER) {
    if (next < now + host_.jiffies.hz / 100) next = now + host_.jiffies.hz / 100;
    add_timer(n, next);
  }
  if (n->nud_state & (NUD_INCOMPLETE | NUD_PROBE)) neigh_probe(cpu, n);
}

// neigh_invalidate(): resolution failed; every queued skb is reported
// (arp_error_report -> ipv4_link_failure -> ICMP host unreachable to its
// sender) and dropped.
void NeighTable::neigh_invalidate(Cpu& cpu, Neighbour* n) {
  stats_.res_failed++;
  while (n->nud_state == NUD_FAILED) {
    SkBuff* skb = n->arp_queue.dequeue();
    if (!skb) break;
    n->arp_queue_len_bytes -= skb->truesize;
    host_.icmp->send_error(cpu, skb, IcmpHdr::kDestUnreach, IcmpHdr::kHostUnreach, 0);
    if (cpu.tracer().on())
      cpu.tracer().emit(TraceKind::kDrop, cpu.now(), step::kNeigh03, "kfree_skb", skb->id,
                        "NEIGH_FAILED: {} did not answer ARP", sim::TraceArg::ipv4(n->key));
    host_.pool().drop(skb, DropReason::NEIGH_FAILED);
  }
  n->arp_queue_len_bytes = 0;
}

// neigh_update(): learn an address or state, connect and flush the queue.
void NeighTable::neigh_update(Cpu& cpu, Neighbour* n, const MacAddr* lladdr, uint8_t new_state,
                              bool override) {
  const uint8_t old = n->nud_state;
  const int64_t now = now_j();
  if (old & (NUD_NOARP | NUD_PERMANENT)) return;
  if (!(new_state & NUD_VALID)) {
    n->timer.del();
    n->nud_state = new_state;
    return;
  }
  bool addr_changed = false;
  if (lladdr) {
    if ((old & NUD_VALID) && !(n->ha == *lladdr)) {
      if (!override) {
        // A different address without override: keep ours, mark STALE.
        if (old & NUD_CONNECTED) new_state = NUD_STALE; else return;
        lladdr = &n->ha;
      } else {
        addr_changed = true;
      }
    } else if (!(old & NUD_VALID)) {
      addr_changed = true;
    }
  } else {
    lladdr = &n->ha;
  }
  if (new_state & NUD_CONNECTED) n->confirmed = now;
  if (new_state != old || addr_changed) n->updated = now;
  if (new_state != old) {
    n->timer.del();
    if (new_state & NUD_PROBE) n->probes = 0;
    if (new_state & NUD_IN_TIMER)
      add_timer(n, (new_state & NUD_REACHABLE) ? n->updated + parms_.reachable_time : n->updated);
    n->nud_state = new_state;
  }
  if (addr_changed) {
    n->ha = *lladdr;
    n->hh_valid = false;
  }
  TRACE_BRANCH(cpu, step::kNeigh03, "neigh_update", 0, "neigh {} {} -> {} lladdr {}",
               sim::TraceArg::ipv4(n->key), nud_state_name(old), nud_state_name(n->nud_state),
               sim::TraceArg::mac(n->ha.as_u64()));
  if (!(old & NUD_VALID) && (n->nud_state & NUD_VALID)) neigh_connect_flush(cpu, n);
}

// The queued skbs go out now that the address is known.
void NeighTable::neigh_connect_flush(Cpu& cpu, Neighbour* n) {
  if (!n->arp_queue.empty())
    TRACE_BRANCH(cpu, step::kNeigh03, "neigh_update", 0, "flush arp_queue: {} skbs to {}",
                 n->arp_queue.qlen(), sim::TraceArg::ipv4(n->key));
  while (SkBuff* skb = n->arp_queue.dequeue()) {
    n->arp_queue_len_bytes -= skb->truesize;
    n->hh_valid = true;
    neigh_hh_output(cpu, n, skb);
  }
  n->arp_queue_len_bytes = 0;
}

// arp_solicit(): unicast probes first (to the address we had), then
// broadcast who-has; the source IP is the skb's if it is ours (arp_announce 0).
void NeighTable::arp_solicit(Cpu& cpu, Neighbour* n, SkBuff* skb) {
  uint32_t saddr = 0;
  if (skb) {
    Ipv4Hdr ip;
    if (ip.parse(skb->network_hdr(), skb->len()) && host_.is_local_addr(ip.saddr)) saddr = ip.saddr;
  }
  if (!saddr) saddr = host_.select_addr(n->dev, n->key);
  int probes = n->probes;
  const bool unicast = (probes -= parms_.ucast_probes) < 0 && (n->nud_state & NUD_VALID);
  const MacAddr dst_hw = unicast ? n->ha : MacAddr::broadcast();
  // The kernel counts probes from ucast_solicit up (neigh->probes starts
  // there for a new entry); show them as "k of the allowed ones".
  const int first = (n->nud_state & NUD_PROBE) ? 0 : parms_.ucast_probes + parms_.app_probes;
  TRACE_BRANCH(cpu, step::kNeigh02, "arp_solicit", skb ? skb->id : 0,
               "{} ARP who-has {} tell {} (probe {} of {})", unicast ? "unicast" : "broadcast",
               sim::TraceArg::ipv4(n->key), sim::TraceArg::ipv4(saddr), n->probes - first,
               max_probes(n) - first);
  arp_send(cpu, ArpHdr::kRequest, n->dev, n->key, dst_hw, saddr, MacAddr{}, skb ? skb->id : 0);
}

// arp_create() + arp_xmit(): an ARP frame, straight to dev_queue_xmit.
void NeighTable::arp_send(Cpu& cpu, uint16_t op, NetDevice* dev, uint32_t dest_ip,
                          const MacAddr& dest_hw, uint32_t src_ip, const MacAddr& target_hw,
                          uint64_t cause_skb) {
  TRACE_FN(cpu, step::kNeigh02, "arp_send", cause_skb);
  cpu.charge(host_.costs.arp_send);
  SkBuff* skb = host_.pool().alloc(EthHdr::kLen + ArpHdr::kLen, cpu.now());
  skb->reserve(EthHdr::kLen);
  ArpHdr arp;
  arp.op = op;
  arp.sha = dev->dev_addr;
  arp.spa = src_ip;
  arp.tha = target_hw;
  arp.tpa = dest_ip;
  arp.emit(skb->put(ArpHdr::kLen));
  skb->reset_network_header();
  EthHdr eth;
  eth.dst = dest_hw;
  eth.src = dev->dev_addr;
  eth.proto = ETH_P_ARP;
  eth.emit(skb->push(EthHdr::kLen));
  skb->dev = dev;
  skb->protocol = ETH_P_ARP;
  skb->priority = 7;  // TC_PRIO_CONTROL: band 0 of pfifo_fast
  host_.dev->dev_queue_xmit(cpu, skb);
}

// NEIGH-03 arp_rcv() -> arp_process().
void NeighTable::arp_rcv(Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kNeigh03, "arp_process", skb->id);
  cpu.charge(host_.costs.arp_rcv);
  ArpHdr arp;
  NetDevice* dev = skb->dev;
  if (!arp.parse(skb->data_ptr(), skb->len()) || skb->pkt_type == 3 /* OTHERHOST */) {
    TRACE_BRANCH(cpu, step::kNeigh03, "arp_rcv", skb->id, "not an ARP for us: dropped");
    host_.pool().drop(skb, arp.op ? DropReason::OTHERHOST : DropReason::PKT_TOO_SMALL);
    return;
  }
  const bool for_us = host_.is_local_addr(arp.tpa);
  if (arp.op == ArpHdr::kRequest && for_us) {
    if (skb->pkt_type == 0) stats_.rcv_probes_ucast++; else stats_.rcv_probes_mcast++;
    // neigh_event_ns(): the asker's address is learnt (STALE), then reply.
    Neighbour* n = lookup_or_create(cpu, dev, arp.spa);
    neigh_update(cpu, n, &arp.sha, NUD_STALE, true);
    TRACE_BRANCH(cpu, step::kNeigh03, "arp_process", skb->id, "who-has {} is us: reply to {}",
                 sim::TraceArg::ipv4(arp.tpa), sim::TraceArg::ipv4(arp.spa));
    arp_send(cpu, ArpHdr::kReply, dev, arp.spa, arp.sha, arp.tpa, arp.sha, skb->id);
  } else if (Neighbour* n = lookup(dev, arp.spa)) {
    // A reply (or a request addressed to us at layer 2) confirms it.
    const uint8_t state =
        (arp.op == ArpHdr::kReply || skb->pkt_type == 0) ? NUD_REACHABLE : NUD_STALE;
    const bool override = now_j() > n->updated + parms_.locktime || arp.spa == arp.tpa;
    neigh_update(cpu, n, &arp.sha, state, override);
  } else {
    TRACE_BRANCH(cpu, step::kNeigh03, "arp_process", skb->id,
                 "ARP from {} for {}: not ours, no entry to update", sim::TraceArg::ipv4(arp.spa),
                 sim::TraceArg::ipv4(arp.tpa));
  }
  host_.pool().consume(skb);
}

std::vector<std::string> NeighTable::dump() const {
  std::vector<std::string> out;
  for (const auto& [key, n] : table_) {
    if (n->dev->loopback) continue;
    std::string s = fmt::format("{} dev {}", ipv4_str(n->key), n->dev->name);
    if (n->nud_state & NUD_VALID) {
      const auto& b = n->ha.b;
      s += fmt::format(" lladdr {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3],
                       b[4], b[5]);
    }
    s += std::string(" ") + nud_state_name(n->nud_state);
    out.push_back(std::move(s));
  }
  return out;
}

uint64_t NeighTable::queued_skbs() const {
  uint64_t q = 0;
  for (const auto& [key, n] : table_) q += n->arp_queue.qlen();
  return q;
}

}  // namespace stack
