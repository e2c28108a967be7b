// stack/skbuff.h: struct sk_buff, its pool, and the drop-reason list.
//
// Mirrors include/linux/skbuff.h and include/net/dropreason-core.h. An skb
// carries real bytes: a linear buffer with headroom, data and tail offsets
// exactly like the kernel's head/data/tail/end, so headers are built by
// skb_push() in front of the payload and pcap files hold real frames.
// Simplification: no page frags; the payload is linear (a kernel GSO skb
// with frags becomes one large linear skb here; the byte counts match).
//
// Ownership is single and explicit: whoever holds the pointer owns the skb,
// and it ends only through SkbPool::consume() (consume_skb: delivered, done)
// or SkbPool::drop() (kfree_skb_reason: lost, with a reason). The pool keeps
// the accounts, so every run can check that
//   created == consumed + dropped (by reason) + still alive.
// Skbs are recycled: after warm-up a run allocates no memory per packet.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/time.h"

namespace stack {

class NetDevice;
struct SkBuff;
struct Sock;
struct DstEntry;

// Why an skb was dropped. Names follow enum skb_drop_reason where the
// kernel has one (include/net/dropreason-core.h); the rest are the model's.
#define SKB_DROP_REASONS(X)                                                            \
  X(NOT_SPECIFIED, "not specified")                                                    \
  X(NO_SOCKET, "no socket bound to the port")                                          \
  X(SOCKET_RCVBUFF, "socket receive buffer full")                                      \
  X(SOCKET_SNDBUFF, "socket send buffer full")                                         \
  X(PROTO_MEM, "protocol memory limit (udp_mem) reached")                              \
  X(PKT_TOO_SMALL, "packet shorter than its headers")                                  \
  X(IP_CSUM, "bad IP header checksum")                                                 \
  X(IP_INHDR, "bad IP header")                                                         \
  X(IP_INADDRERRORS, "bad destination address")                                        \
  X(IP_NOPROTO, "no handler for the IP protocol")                                      \
  X(IP_OUTNOROUTES, "no route to the destination")                                     \
  X(IP_RPFILTER, "reverse path filter")                                                \
  X(UDP_CSUM, "bad UDP checksum")                                                      \
  X(OTHERHOST, "frame for another host's MAC")                                         \
  X(NETFILTER_DROP, "netfilter rule verdict DROP")                                     \
  X(NEIGH_FAILED, "neighbour resolution failed")                                       \
  X(NEIGH_QUEUEFULL, "neighbour unresolved queue full")                                \
  X(NEIGH_DEAD, "neighbour entry destroyed")                                           \
  X(QDISC_DROP, "qdisc dropped (queue full or policy)")                                \
  X(QDISC_OVERLIMIT, "qdisc over its limit")                                           \
  X(CODEL_DROP, "CoDel dropped (sojourn time above target)")                           \
  X(TC_EGRESS, "qdisc deactivated")                                                    \
  X(DEV_READY, "device down")                                                          \
  X(FULL_RING, "NIC ring full")                                                        \
  X(NIC_RX_NO_BUFFER, "NIC had no posted RX buffer (rx_missed)")                       \
  X(NIC_RX_LENGTH, "NIC dropped a frame longer than MTU + 14 (rx_length_errors)")      \
  X(LINK_LOSS, "lost on the link (random loss)")                                       \
  X(LINK_DOWN, "link has no peer")                                                     \
  X(SWITCH_QUEUE_FULL, "switch port queue full")                                       \
  X(IP_FRAG_REASM_TIMEOUT, "fragment reassembly timed out")                            \
  X(FRAG_TOO_FAR, "fragment too far / too many")                                       \
  X(DUP_FRAG, "duplicate fragment")                                                    \
  X(FRAG_OVERLAP, "overlapping fragment: whole datagram discarded (RFC 5722)")         \
  X(FRAG_INVALID, "fragment inconsistent with its datagram (end, length)")             \
  X(FRAG_MEM_LIMIT, "fragment memory above net.ipv4.ipfrag_high_thresh")               \
  X(TTL_EXPIRED, "TTL expired in transit")                                             \
  X(PKT_TOO_BIG, "larger than the MTU with DF set")                                    \
  X(XMIT_RECURSION, "device recursion limit")                                          \
  X(ICMP_CSUM, "bad ICMP checksum")                                                    \
  X(SOCKET_CLOSE, "socket closed with data queued")                                    \
  X(TCP_OLD_DATA, "TCP segment entirely old data")                                     \
  X(TCP_INVALID_SEQUENCE, "TCP segment outside the window")                            \
  X(TCP_RESET, "TCP reset")                                                            \
  X(TCP_OFO_DROP, "TCP out-of-order queue pruned")                                     \
  X(SIM_END, "still alive when the simulation ended (freed at teardown)")

enum class DropReason : uint16_t {
#define SKB_DROP_ENUM(name, text) name,
  SKB_DROP_REASONS(SKB_DROP_ENUM)
#undef SKB_DROP_ENUM
      kCount
};

const char* drop_reason_name(DropReason r);  // "NEIGH_QUEUEFULL"
const char* drop_reason_text(DropReason r);  // "neighbour unresolved queue full"

// skb->ip_summed (include/linux/skbuff.h).
enum class Csum : uint8_t { kNone, kUnnecessary, kComplete, kPartial };

// What runs when the skb is freed (skb->destructor). An enum, not a
// function pointer, so the owner of the accounting is named in traces.
enum class Destructor : uint8_t { kNone, kSockWfree, kTcpWfree, kSockRfree };

constexpr uint16_t ETH_P_IP = 0x0800;   // include/uapi/linux/if_ether.h
constexpr uint16_t ETH_P_ARP = 0x0806;
constexpr uint32_t ETH_HLEN = 14;

// Reserved in front of every skb's data for headers pushed later
// (MAX_TCP_HEADER-ish: link + IP + TCP with options fit).
constexpr uint32_t kSkbHeadroom = 128;

// Everything in an skb but its bytes (so metadata copies never allocate).
struct SkbFields {
  uint64_t id = 0;    // stable per run: the n-th skb created; traces follow it
  uint32_t data = 0;  // offset in buf of the first byte of the current packet
  uint32_t tail = 0;  // offset after its last byte

  // Header offsets into buf (skb->mac_header, network_header, transport_header).
  uint32_t mac_header = 0;
  uint32_t network_header = 0;
  uint32_t transport_header = 0;

  uint16_t protocol = 0;  // ETH_P_* in host order
  Csum ip_summed = Csum::kNone;
  uint16_t csum_start = 0;   // CHECKSUM_PARTIAL: where the checksum starts (offset into buf)
  uint16_t csum_offset = 0;  // and where, after csum_start, it is stored
  uint16_t queue_mapping = 0;
  uint16_t gso_size = 0;  // 0: not GSO; else the segment size
  uint16_t gso_segs = 0;
  uint32_t priority = 0;  // skb->priority (TOS-derived or SO_PRIORITY)
  uint32_t mark = 0;
  uint32_t hash = 0;      // flow hash (skb_get_hash)
  uint32_t truesize = 0;  // memory charged to a socket
  uint8_t pkt_type = 0;   // PACKET_HOST, PACKET_BROADCAST, ... on receive
  bool ignore_df = false; // local datagram may be fragmented despite DF

  NetDevice* dev = nullptr;
  DstEntry* dst = nullptr;
  Sock* sk = nullptr;
  Destructor destructor = Destructor::kNone;

  sim::Time tstamp;       // when it was created or enqueued (qdiscs use it)
  uint64_t user = 0;      // free for the current owner (e.g. qdisc flow id)
  std::array<uint8_t, 48> cb{};  // skb->cb: per-layer scratch (IPCB, TCP_SKB_CB)

  // Intrusive list links (struct sk_buff_head); an skb is on one list at most.
  SkBuff* next = nullptr;
  SkBuff* prev = nullptr;
};

struct SkBuff : SkbFields {
  // The linear buffer: buf[0..kSkbHeadroom) is headroom at allocation.
  std::vector<uint8_t> buf;

  uint32_t len() const { return tail - data; }
  uint8_t* data_ptr() { return buf.data() + data; }
  const uint8_t* data_ptr() const { return buf.data() + data; }
  uint32_t headroom() const { return data; }
  uint32_t tailroom() const { return static_cast<uint32_t>(buf.size()) - tail; }

  // skb_push(): prepend `n` bytes of header; returns where to write them.
  uint8_t* push(uint32_t n) {
    assert(n <= data && "skb_push past the headroom (skb_under_panic)");
    data -= n;
    return buf.data() + data;
  }
  // skb_pull(): strip `n` bytes of header on the way up.
  uint8_t* pull(uint32_t n) {
    assert(n <= len());
    data += n;
    return buf.data() + data;
  }
  // skb_put(): append `n` bytes; returns where to write them.
  uint8_t* put(uint32_t n) {
    assert(n <= tailroom() && "skb_put past the end (skb_over_panic)");
    uint8_t* p = buf.data() + tail;
    tail += n;
    return p;
  }
  // skb_trim()
  void trim(uint32_t new_len) {
    if (new_len < len()) tail = data + new_len;
  }
  void reserve(uint32_t n) {  // skb_reserve(): only on an empty skb
    data += n;
    tail += n;
  }

  uint8_t* mac_hdr() { return buf.data() + mac_header; }
  uint8_t* network_hdr() { return buf.data() + network_header; }
  uint8_t* transport_hdr() { return buf.data() + transport_header; }
  void reset_mac_header() { mac_header = data; }
  void reset_network_header() { network_header = data; }
  void reset_transport_header() { transport_header = data; }

  // cb as a typed per-layer struct: auto* c = skb->cb_as<TcpSkbCb>();
  template <class T>
  T* cb_as() {
    static_assert(sizeof(T) <= sizeof(cb));
    return reinterpret_cast<T*>(cb.data());
  }
};

// struct sk_buff_head: a FIFO of skbs, intrusive, with a byte count.
class SkbQueue {
 public:
  bool empty() const { return head_ == nullptr; }
  uint32_t qlen() const { return qlen_; }
  uint64_t bytes() const { return bytes_; }
  SkBuff* peek() const { return head_; }
  SkBuff* peek_tail() const { return tail_; }

  void enqueue_tail(SkBuff* skb) {
    skb->next = nullptr;
    skb->prev = tail_;
    if (tail_) tail_->next = skb; else head_ = skb;
    tail_ = skb;
    ++qlen_;
    bytes_ += skb->len();
  }
  void enqueue_head(SkBuff* skb) {
    skb->prev = nullptr;
    skb->next = head_;
    if (head_) head_->prev = skb; else tail_ = skb;
    head_ = skb;
    ++qlen_;
    bytes_ += skb->len();
  }
  SkBuff* dequeue() {
    SkBuff* skb = head_;
    if (skb) unlink(skb);
    return skb;
  }
  SkBuff* dequeue_tail() {
    SkBuff* skb = tail_;
    if (skb) unlink(skb);
    return skb;
  }
  void unlink(SkBuff* skb) {
    if (skb->prev) skb->prev->next = skb->next; else head_ = skb->next;
    if (skb->next) skb->next->prev = skb->prev; else tail_ = skb->prev;
    skb->next = skb->prev = nullptr;
    --qlen_;
    bytes_ -= skb->len();
  }

 private:
  SkBuff* head_ = nullptr;
  SkBuff* tail_ = nullptr;
  uint32_t qlen_ = 0;
  uint64_t bytes_ = 0;
};

// Where skbs come from and where they end. One pool per simulation.
class SkbPool {
 public:
  SkbPool() = default;
  SkbPool(const SkbPool&) = delete;
  SkbPool& operator=(const SkbPool&) = delete;
  ~SkbPool();

  // alloc_skb(): room for `size` bytes after kSkbHeadroom of headroom,
  // data and tail at the start of the room. Fields are reset.
  SkBuff* alloc(uint32_t size, sim::Time now);
  // skb_clone()/skb_copy(): a new skb with the same bytes and metadata
  // (the kernel shares the data; here it is copied, the counts are the same).
  SkBuff* clone(const SkBuff& src, sim::Time now);

  // What runs an skb's destructor (sock_wfree & co.) when it is freed:
  // set by the stack, which owns sockets. Both consume() and drop() run it,
  // as consume_skb() and kfree_skb() do.
  using DestructorHook = void (*)(SkBuff* skb);
  void set_destructor_hook(DestructorHook h) { destructor_hook_ = h; }

  // consume_skb(): the skb did its job.
  void consume(SkBuff* skb);
  // kfree_skb_reason(): the skb is lost, for `reason`.
  void drop(SkBuff* skb, DropReason reason);

  uint64_t created() const { return created_; }
  uint64_t consumed() const { return consumed_; }
  uint64_t dropped(DropReason r) const { return dropped_[static_cast<size_t>(r)]; }
  uint64_t dropped_total() const;
  uint64_t alive() const { return created_ - consumed_ - dropped_total(); }
  // created == consumed + dropped + alive, by construction; this checks
  // that nothing was freed twice (alive would underflow).
  bool balanced() const { return consumed_ + dropped_total() <= created_; }

 private:
  SkBuff* get();
  void put(SkBuff* skb);
  std::vector<SkBuff*> free_;
  std::vector<SkBuff*> all_;
  DestructorHook destructor_hook_ = nullptr;
  uint64_t created_ = 0;
  uint64_t consumed_ = 0;
  std::array<uint64_t, static_cast<size_t>(DropReason::kCount)> dropped_{};
};

}  // namespace stack
