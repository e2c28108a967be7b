// stack/ip_fragment.cc: ip_fragment()/ip_do_fragment() and ip_defrag().
#include "stack/ip_fragment.h"

#include <algorithm>
#include <cassert>
#include <cerrno>  // the C library's values are the kernel's on Linux
#include <cstring>

#include "stack/steps.h"
#include "stack/sysctl.h"
#include "stack/wire.h"

namespace stack {

namespace {

// IP option bits (include/uapi/linux/ip.h).
constexpr uint8_t IPOPT_END = 0;
constexpr uint8_t IPOPT_NOOP = 1;
constexpr uint8_t IPOPT_COPY = 0x80;  // IPOPT_COPIED(o): copy into every fragment

// ip_options_fragment() (net/ipv4/ip_options.c): after the first fragment
// only the options with the copy flag go on; the others become NOOPs, so
// the header keeps its length (and the fragment size its 8-byte step).
void options_fragment(uint8_t* opt, uint32_t l) {
  while (l > 0) {
    if (opt[0] == IPOPT_END) return;
    if (opt[0] == IPOPT_NOOP) {
      --l;
      ++opt;
      continue;
    }
    if (l < 2) return;
    const uint32_t optlen = opt[1];
    if (optlen < 2 || optlen > l) return;
    if (!(opt[0] & IPOPT_COPY)) std::memset(opt, IPOPT_NOOP, optlen);
    l -= optlen;
    opt += optlen;
  }
}

// skb_checksum_help(): "for offloaded checksums cleanup checksum before
// fragmentation" -- the fragments go out one by one, so no device can
// finish a checksum that spans them. The field holds the pseudo-header sum.
void checksum_help(SkBuff* skb) {
  const uint32_t start = skb->csum_start;
  if (start < skb->data || start + skb->csum_offset + 2 > skb->tail) return;
  uint16_t v = csum_fold(csum_partial(skb->buf.data() + start, skb->tail - start));
  if (v == 0) v = 0xffff;  // CSUM_MANGLED_0: UDP sends 0 as all ones
  wr16(skb->buf.data() + start + skb->csum_offset, v);
  skb->ip_summed = Csum::kNone;
}

void free_original(sim::Cpu& cpu, SkbPool& pool, FragOutput& out, SkBuff* skb, bool consumed,
                   DropReason reason) {
  if (out.free_original(cpu, skb, consumed, reason)) return;
  if (consumed)
    pool.consume(skb);
  else
    pool.drop(skb, reason);
}

// Fragment bookkeeping while queued, in skb->user (free for the current
// owner): the offset in the datagram's payload (FRAG_CB ip_defrag_offset)
// and, for the first fragment of a run of contiguous ones, the run's
// length (FRAG_CB frag_run_len); 0 for the others.
uint32_t frag_offset(const SkBuff* s) { return static_cast<uint32_t>(s->user); }
uint32_t run_len(const SkBuff* s) { return static_cast<uint32_t>(s->user >> 32); }
void set_frag(SkBuff* s, uint32_t offset, uint32_t run) { s->user = uint64_t{run} << 32 | offset; }

}  // namespace

// ---------------------------------------------------------------------------
// Fragmentation (net/ipv4/ip_output.c)

int ip_fragment(sim::Cpu& cpu, SkbPool& pool, SkBuff* skb, uint32_t mtu, bool ignore_df, FragOutput& out,
                IpMib& mib, sim::Duration cost_per_frag) {
  Ipv4Hdr iph;
  const bool parsed = iph.parse(skb->data_ptr(), skb->len());
  if (parsed && (iph.frag_off & IP_DF) && !ignore_df) {
    // Path MTU discovery: the sender asked not to be fragmented. The
    // caller's icmp_send tells it (or, for a local socket, ip_local_error
    // turns it into EMSGSIZE).
    TRACE_BRANCH(cpu, step::kIp06, "ip_fragment", skb->id, "DF set, {} bytes > mtu {}: frag needed",
                 skb->len(), mtu);
    mib.inc(IpMibField::FragFails);
    out.frag_needed(cpu, *skb, mtu);
    free_original(cpu, pool, out, skb, false, DropReason::PKT_TOO_BIG);
    return -EMSGSIZE;
  }
  return ip_do_fragment(cpu, pool, skb, mtu, out, mib, cost_per_frag);
}

int ip_do_fragment(sim::Cpu& cpu, SkbPool& pool, SkBuff* skb, uint32_t mtu, FragOutput& out, IpMib& mib,
                   sim::Duration cost_per_frag) {
  TRACE_FN(cpu, step::kIp06, "ip_do_fragment", skb->id);
  Ipv4Hdr iph;
  if (!iph.parse(skb->data_ptr(), skb->len()) || iph.hdr_len() + 8 > mtu) {
    // Not an IPv4 header, or no room for even 8 bytes of payload: the
    // kernel never gets here (IPv4's minimum MTU is 68), the model says why.
    TRACE_BRANCH(cpu, step::kIp06, "ip_do_fragment", skb->id, "cannot fragment: mtu {}", mtu);
    mib.inc(IpMibField::FragFails);
    free_original(cpu, pool, out, skb, false, DropReason::IP_INHDR);
    return -EINVAL;
  }
  if (skb->ip_summed == Csum::kPartial) checksum_help(skb);

  // ip_frag_init(): the state of the slow path.
  const uint32_t hlen = iph.hdr_len();
  const uint32_t room = mtu - hlen;  // "Size of data space"
  uint32_t left = skb->len() - hlen;
  uint32_t ptr = hlen;                     // where the next payload byte is, from the IP header
  uint32_t offset = iph.frag_offset_bytes();  // non-zero when fragmenting a fragment
  const bool not_last_frag = iph.more_fragments();
  const uint16_t df = iph.frag_off & IP_DF;  // kept only if DF was let through (ignore_df)
  uint8_t* const orig = skb->data_ptr();
  int err = 0;

  while (left > 0) {
    // ip_frag_next(): as much as fits, and if that is not the end, a
    // multiple of 8 bytes, since the offset field counts 8-byte units.
    uint32_t len = std::min(left, room);
    if (len < left) len &= ~7u;

    // The link-layer headroom (LL_RESERVED_SPACE) is kSkbHeadroom here.
    SkBuff* skb2 = pool.alloc(hlen + len, cpu.now());
    // ip_copy_metadata(): what a fragment inherits. The whole cb is copied
    // (the kernel copies IPCB(from)->flags).
    skb2->pkt_type = skb->pkt_type;
    skb2->priority = skb->priority;
    skb2->protocol = skb->protocol;
    skb2->dst = skb->dst;
    skb2->dev = skb->dev;
    skb2->mark = skb->mark;
    skb2->hash = skb->hash;
    skb2->cb = skb->cb;
    skb2->tstamp = skb->tstamp;  // skb_set_delivery_time(skb2, tstamp, ...)
    if (skb->sk) {
      // skb_set_owner_w(): each fragment is charged to the socket.
      skb2->sk = skb->sk;
      skb2->destructor = Destructor::kSockWfree;
    }
    uint8_t* p = skb2->put(hlen + len);
    skb2->reset_network_header();
    skb2->transport_header = skb2->network_header + hlen;
    std::memcpy(p, orig, hlen);
    std::memcpy(p + hlen, orig + ptr, len);
    left -= len;

    Ipv4Hdr h = iph;
    h.frag_off = static_cast<uint16_t>((offset >> 3) | df);
    // "If we are fragmenting a fragment that's not the last fragment then
    // keep MF on each bit" (the original's MF carries to its last piece).
    if (left > 0 || not_last_frag) h.frag_off |= IP_MF;
    h.tot_len = static_cast<uint16_t>(hlen + len);
    h.emit(p);  // ip_send_check()

    cpu.charge(cost_per_frag);
    TRACE_BRANCH(cpu, step::kIp06, "ip_do_fragment", skb2->id, "fragment {} bytes, offset {}, MF {}",
                 h.tot_len, offset, (h.frag_off & IP_MF) ? 1 : 0);
    // The first fragment has gone: only copied options follow.
    if (offset == iph.frag_offset_bytes() && hlen > 20) options_fragment(orig + 20, hlen - 20);
    ptr += len;
    offset += len;

    err = out.output(cpu, skb2);
    if (err) break;
    mib.inc(IpMibField::FragCreates);
  }
  if (err) {
    TRACE_BRANCH(cpu, step::kIp06, "ip_do_fragment", skb->id, "output failed: {}", err);
    mib.inc(IpMibField::FragFails);
    free_original(cpu, pool, out, skb, false, DropReason::NOT_SPECIFIED);
    return err;
  }
  mib.inc(IpMibField::FragOKs);
  free_original(cpu, pool, out, skb, true, DropReason::NOT_SPECIFIED);
  return 0;
}

// ---------------------------------------------------------------------------
// Reassembly (net/ipv4/ip_fragment.c, net/ipv4/inet_fragment.c)

// struct ipq with its struct inet_frag_queue.
struct IpDefrag::Ipq {
  IpDefrag* owner = nullptr;
  Key key;
  bool first_in = false;  // INET_FRAG_FIRST_IN: offset 0 is here
  bool last_in = false;   // INET_FRAG_LAST_IN: the fragment without MF is here
  uint32_t len = 0;       // payload length of the datagram as known so far
  uint32_t meat = 0;      // payload bytes received
  uint32_t nfrags = 0;
  int64_t truesize = 0;   // what the fragments add to mem_
  SkBuff* head = nullptr;  // fragments in offset order (skb->next/prev)
  SkBuff* tail = nullptr;  // q->fragments_tail
  SkBuff* last_run_head = nullptr;
  NetDevice* iif = nullptr;  // qp->iif: the device of the latest fragment
  sim::Time stamp;           // q->stamp: the latest fragment's tstamp
  uint32_t max_size = 0;     // q->max_size: largest fragment (header included)
  uint32_t max_df_size = 0;  // qp->max_df_size: largest with DF set
  bool all_csum_ok = true;   // every fragment CHECKSUM_UNNECESSARY
  sim::Timer timer;

  void on_timer() { owner->expire(this); }

  void reset(IpDefrag* o, const Key& k) {
    owner = o;
    key = k;
    first_in = last_in = false;
    len = meat = nfrags = 0;
    truesize = 0;
    head = tail = last_run_head = nullptr;
    iif = nullptr;
    stamp = sim::Time();
    max_size = max_df_size = 0;
    all_csum_ok = true;
  }
  void insert_before(SkBuff* skb, SkBuff* next) {
    skb->next = next;
    skb->prev = next ? next->prev : tail;
    if (skb->prev) skb->prev->next = skb; else head = skb;
    if (next) next->prev = skb; else tail = skb;
    ++nfrags;
  }
};

IpDefrag::IpDefrag(sim::Scheduler& sched, SkbPool& pool, IpMib& mib, DefragOps* ops, DefragConfig cfg)
    : sched_(sched), pool_(pool), mib_(mib), ops_(ops), cfg_(cfg) {}

IpDefrag::IpDefrag(sim::Scheduler& sched, SkbPool& pool, const Sysctls& sysctl, const sim::Jiffies& jiffies,
                   IpMib& mib)
    : IpDefrag(sched, pool, mib, nullptr,
               DefragConfig{sim::sec(sysctl.ipv4_ipfrag_time), sysctl.ipv4_ipfrag_high_thresh, jiffies,
                            sim::Duration::zero()}) {}

IpDefrag::~IpDefrag() { flush(DropReason::SIM_END); }

sim::Time IpDefrag::expires(uint32_t saddr, uint32_t daddr, uint16_t id, uint8_t protocol) const {
  const Key k{saddr, daddr, id, protocol};
  auto it = std::lower_bound(index_.begin(), index_.end(), k,
                             [](const Ipq* q, const Key& key) { return q->key < key; });
  if (it == index_.end() || (*it)->key != k || !(*it)->timer.pending()) return sim::Time::max();
  return (*it)->timer.expires();
}

IpDefrag::Ipq* IpDefrag::find_or_create(const Key& k, sim::Cpu& cpu) {
  auto it = std::lower_bound(index_.begin(), index_.end(), k,
                             [](const Ipq* q, const Key& key) { return q->key < key; });
  if (it != index_.end() && (*it)->key == k) return *it;
  // inet_frag_alloc() + inet_frag_create().
  Ipq* q;
  if (!free_.empty()) {
    q = free_.back();
    free_.pop_back();
  } else {
    all_.push_back(std::make_unique<Ipq>());
    q = all_.back().get();
    q->timer.setup<&Ipq::on_timer>(q);
  }
  q->reset(this, k);
  mem_ += kIpqSize;
  index_.insert(it, q);
  // mod_timer(&q->timer, jiffies + fqdir->timeout), once at creation: the
  // kernel does not push it back as fragments arrive ("Fragment queue must
  // be destroyed before MSL expires"). The wheel fires it late by up to
  // 1/8 of the delta (30 s at HZ=250 lands on a 512-jiffy boundary).
  const sim::Jiffies& j = cfg_.jiffies;
  const int64_t now_j = j.at(cpu.now());
  const int64_t fire_j = sim::timer_wheel_expiry(now_j, now_j + j.from_duration(cfg_.timeout));
  q->timer.mod(sched_, std::max(j.to_time(fire_j), sched_.now()));
  return q;
}

void IpDefrag::unlink(Ipq* q) {
  q->timer.del(sched_);
  auto it = std::lower_bound(index_.begin(), index_.end(), q->key,
                             [](const Ipq* a, const Key& key) { return a->key < key; });
  assert(it != index_.end() && *it == q);
  index_.erase(it);
}

void IpDefrag::release(Ipq* q) {
  mem_ -= q->truesize + kIpqSize;
  q->head = q->tail = q->last_run_head = nullptr;
  free_.push_back(q);
}

void IpDefrag::purge(Ipq* q, DropReason reason) {
  // inet_frag_rbtree_purge(): every queued fragment is dropped.
  for (SkBuff* s = q->head; s != nullptr;) {
    SkBuff* next = s->next;
    s->next = s->prev = nullptr;
    pool_.drop(s, reason);
    s = next;
  }
  release(q);
}

void IpDefrag::flush(DropReason reason) {
  while (!index_.empty()) {
    Ipq* q = index_.back();
    unlink(q);
    purge(q, reason);
  }
}

SkBuff* IpDefrag::ip_defrag(sim::Cpu& cpu, SkBuff* skb) {
  TRACE_FN(cpu, step::kRx03, "ip_defrag", skb->id);
  cpu.charge(cfg_.cost_per_frag);
  mib_.inc(IpMibField::ReasmReqds);
  // skb_orphan(): a queued fragment belongs to no socket. (The model has
  // no destructor to run here; received fragments carry none.)
  skb->sk = nullptr;
  skb->destructor = Destructor::kNone;

  // inet_frag_find(): above the high threshold every fragment is refused,
  // even one that would complete a queue; 6.x has no evictor, so memory
  // comes back only as queues complete, fail or expire.
  if (cfg_.high_thresh == 0 || mem_ > cfg_.high_thresh) {
    TRACE_BRANCH(cpu, step::kRx03, "ip_defrag", skb->id, "frag memory {} > ipfrag_high_thresh {}", mem_,
                 cfg_.high_thresh);
    mib_.inc(IpMibField::ReasmFails);
    pool_.drop(skb, DropReason::FRAG_MEM_LIMIT);
    return nullptr;
  }
  Ipv4Hdr iph;
  if (!iph.parse(skb->data_ptr(), skb->len()) || iph.tot_len < iph.hdr_len() ||
      iph.tot_len > skb->len()) {
    // ip_rcv_core() lets no such packet through; a caller bug if it comes.
    mib_.inc(IpMibField::ReasmFails);
    pool_.drop(skb, DropReason::IP_INHDR);
    return nullptr;
  }
  skb->trim(iph.tot_len);  // link-layer padding is not payload

  Ipq* q = find_or_create(Key{iph.saddr, iph.daddr, iph.id, iph.protocol}, cpu);

  // ip_frag_queue().
  const uint32_t ihl = iph.hdr_len();
  uint32_t offset = iph.frag_offset_bytes();
  uint32_t end = offset + skb->len() - ihl;
  DropReason discard = DropReason::FRAG_INVALID;
  bool bad = false;
  if (!iph.more_fragments()) {
    // "If we already have some bits beyond end or have different end,
    // the segment is corrupted."
    if (end < q->len || (q->last_in && end != q->len)) bad = true;
    q->last_in = true;
    q->len = end;
  } else {
    // A middle fragment's length must be a multiple of 8; the excess is
    // cut (and with it any checksum the NIC computed over it).
    if (end & 7) {
      end &= ~7u;
      if (skb->ip_summed != Csum::kUnnecessary) skb->ip_summed = Csum::kNone;
    }
    if (end > q->len) {
      if (q->last_in) bad = true;  // "Some bits beyond end -> corruption."
      q->len = end;
    }
  }
  if (end == offset) bad = true;  // nothing in it

  int verdict = 0;  // inet_frag_queue_insert(): 0 IPFRAG_OK, 1 IPFRAG_DUP, 2 IPFRAG_OVERLAP
  SkBuff* insert_at = nullptr;  // the fragment to insert before (nullptr: at the tail)
  bool append_to_run = false;
  if (!bad) {
    // RFC 5722 (errata 3089), as inet_frag_queue_insert() applies it to
    // IPv4 too since 4.19: an overlapping fragment discards the whole
    // datagram; a duplicate (inside one run of received bytes) is ignored.
    // With no fragment yet it simply starts the first run.
    if (SkBuff* last = q->tail) {
      const uint32_t last_end = frag_offset(last) + last->len();
      if (last_end < end) {
        // The common case: it goes at the end.
        if (offset < last_end)
          verdict = 2;
        else if (offset == last_end)
          append_to_run = true;  // fragrun_append_to_last()
      } else {
        // Somewhere before the end: find the run it falls into, if any
        // (the kernel's rbtree search over runs; runs never overlap).
        verdict = 2;
        for (SkBuff* s = q->head; s != nullptr; s = s->next) {
          if (run_len(s) == 0) continue;  // not the first of a run
          const uint32_t rs = frag_offset(s), re = rs + run_len(s);
          if (re <= offset) continue;  // entirely before
          if (end <= rs) {             // entirely after: goes right here
            verdict = 0;
            insert_at = s;
            break;
          }
          verdict = (offset >= rs && end <= re) ? 1 : 2;
          break;
        }
      }
    }
  }
  if (bad || verdict == 2) {
    // discard_qp: inet_frag_kill() + REASMFAILS; every fragment goes.
    if (verdict == 2) discard = DropReason::FRAG_OVERLAP;
    TRACE_BRANCH(cpu, step::kRx03, "ip_defrag", skb->id, "{}: offset {} end {}, datagram discarded",
                 verdict == 2 ? "overlap" : "invalid fragment", offset, end);
    mib_.inc(IpMibField::ReasmFails);
    unlink(q);
    purge(q, discard);
    pool_.drop(skb, discard);
    return nullptr;
  }
  if (verdict == 1) {
    // IPFRAG_DUP: dropped, the queue keeps waiting. No REASMFAILS.
    TRACE_BRANCH(cpu, step::kRx03, "ip_defrag", skb->id, "duplicate: offset {} end {}", offset, end);
    pool_.drop(skb, DropReason::DUP_FRAG);
    return nullptr;
  }

  // Queue it: data at the payload, exactly end - offset bytes
  // (pskb_pull + pskb_trim_rcsum); network_header still at its IP header.
  skb->pull(ihl);
  skb->trim(end - offset);
  skb->next = skb->prev = nullptr;
  if (append_to_run) {
    set_frag(skb, offset, 0);
    SkBuff* rh = q->last_run_head;
    set_frag(rh, frag_offset(rh), run_len(rh) + skb->len());
    q->insert_before(skb, nullptr);
  } else {
    set_frag(skb, offset, skb->len());  // fragrun_create(): a run of its own
    q->insert_before(skb, insert_at);
    if (insert_at == nullptr) q->last_run_head = skb;
  }
  if (skb->dev) q->iif = skb->dev;
  q->stamp = skb->tstamp;
  q->meat += skb->len();
  q->truesize += skb->truesize;
  mem_ += skb->truesize;  // add_frag_mem_limit()
  if (offset == 0) q->first_in = true;
  if (skb->ip_summed != Csum::kUnnecessary) q->all_csum_ok = false;
  const uint32_t fragsize = skb->len() + ihl;
  q->max_size = std::max(q->max_size, fragsize);
  if ((iph.frag_off & IP_DF) && fragsize > q->max_df_size) q->max_df_size = fragsize;

  if (q->first_in && q->last_in && q->meat == q->len) return reasm(cpu, q, skb->dev);
  TRACE_BRANCH(cpu, step::kRx03, "ip_defrag", skb->id, "queued: offset {} len {}, have {} of {} bytes",
               offset, skb->len(), q->meat, q->len);
  return nullptr;
}

// ip_frag_reasm(): one skb with the whole datagram.
SkBuff* IpDefrag::reasm(sim::Cpu& cpu, Ipq* q, NetDevice* dev) {
  unlink(q);  // ipq_kill()
  SkBuff* first = q->head;
  assert(first && frag_offset(first) == 0);
  const uint8_t* fh = first->buf.data() + first->network_header;
  Ipv4Hdr iph;
  iph.parse(fh, first->tail - first->network_header);
  const uint32_t ihl = iph.hdr_len();
  const uint32_t len = ihl + q->len;
  if (len > 65535) {
    // out_oversize: "Oversized IP packet" (offset + length past 64 KB).
    TRACE_BRANCH(cpu, step::kRx03, "ip_frag_reasm", first->id, "oversized datagram: {} bytes", len);
    mib_.inc(IpMibField::ReasmFails);
    purge(q, DropReason::FRAG_INVALID);
    return nullptr;
  }
  SkBuff* whole = pool_.alloc(len, cpu.now());
  // The head's metadata (the kernel morphs the arriving skb into the first
  // fragment), on a new buffer.
  whole->protocol = first->protocol;
  whole->pkt_type = first->pkt_type;
  whole->priority = first->priority;
  whole->mark = first->mark;
  whole->hash = first->hash;
  whole->dst = first->dst;
  whole->cb = first->cb;
  whole->dev = dev;          // head->dev = dev: the completing fragment's device
  whole->tstamp = q->stamp;  // head->tstamp = q->stamp
  whole->ip_summed = q->all_csum_ok ? Csum::kUnnecessary : Csum::kNone;
  uint8_t* p = whole->put(len);
  whole->reset_network_header();
  whole->reset_mac_header();
  whole->transport_header = whole->network_header + ihl;
  std::memcpy(p, fh, ihl);
  for (SkBuff* s = q->head; s != nullptr; s = s->next) {
    std::memcpy(p + ihl + frag_offset(s), s->data_ptr(), s->len());
  }
  iph.tot_len = static_cast<uint16_t>(len);
  // DF only if the largest fragment had it: a forwarder must then refragment
  // to at most that size rather than pass on a bigger DF datagram.
  iph.frag_off = q->max_df_size == q->max_size ? IP_DF : 0;
  iph.emit(p);  // ip_send_check()
  TRACE_BRANCH(cpu, step::kRx03, "ip_frag_reasm", whole->id, "reassembled {} bytes from {} fragments", len,
               q->nfrags);
  mib_.inc(IpMibField::ReasmOKs);
  // The fragments are merged into it: consumed, not lost.
  for (SkBuff* s = q->head; s != nullptr;) {
    SkBuff* next = s->next;
    s->next = s->prev = nullptr;
    pool_.consume(s);
    s = next;
  }
  release(q);
  return whole;
}

// ip_expire(): the queue timed out.
void IpDefrag::expire(Ipq* q) {
  unlink(q);
  mib_.inc(IpMibField::ReasmFails);
  mib_.inc(IpMibField::ReasmTimeout);
  const bool icmp = q->first_in && q->head != nullptr && ops_ != nullptr;
  if (tracer_.on())
    tracer_.event(sched_.now(), step::kRx03, "ip_expire", q->head ? q->head->id : 0,
                  "reassembly timeout: {} of {} bytes, {} fragments, ICMP {}", q->meat, q->len, q->nfrags,
                  icmp ? "time exceeded" : "none (first fragment missing)");
  if (icmp) {
    // inet_frag_pull_head(): the offset-0 fragment, data back at its IP
    // header, on the device the fragments came from.
    SkBuff* head = q->head;
    head->push(head->data - head->network_header);
    head->dev = q->iif;
    ops_->frag_time_exceeded(*head);
  }
  purge(q, DropReason::IP_FRAG_REASM_TIMEOUT);
}

uint64_t IpDefrag::queued_skbs() const {
  uint64_t n = 0;
  for (const Ipq* q : index_) n += q->nfrags;
  return n;
}

}  // namespace stack
