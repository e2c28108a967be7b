// stack/sock.h: struct sock with the inet_sock and udp_sock parts the model
// uses, the wait queues that block and wake tasks, and the send-buffer
// accounting (sk_wmem_alloc, sock_wfree).
//
// A socket belongs to its host for the whole run: the kernel keeps a sock
// alive while skbs still point to it, and here closed sockets simply stay
// (marked dead) until the end, which keeps skb->sk always valid.
#pragma once

#include <cstdint>

#include "sim/cpu.h"
#include "stack/route.h"
#include "stack/skbuff.h"

namespace stack {

class Host;
class Task;

// Socket types and protocols (include/linux/net.h, include/uapi/linux/in.h).
constexpr int AF_INET = 2;
constexpr int SOCK_STREAM = 1;
constexpr int SOCK_DGRAM = 2;
constexpr int SOCK_RAW = 3;
constexpr int IPPROTO_IP = 0;

// sendmsg/recvmsg flags (include/linux/socket.h).
constexpr int MSG_PEEK = 0x2;
constexpr int MSG_DONTWAIT = 0x40;
constexpr int MSG_ERRQUEUE = 0x2000;
constexpr int MSG_MORE = 0x8000;
constexpr int MSG_TRUNC = 0x20;
constexpr int MSG_CONFIRM = 0x800;

// Socket options handled (include/uapi/asm-generic/socket.h, linux/in.h, linux/udp.h).
constexpr int SOL_SOCKET = 1;
constexpr int SOL_IP = 0;
constexpr int SOL_UDP = 17;
constexpr int SO_ERROR = 4;
constexpr int SO_SNDBUF = 7;
constexpr int SO_RCVBUF = 8;
constexpr int SO_PRIORITY = 12;
constexpr int IP_TOS = 1;
constexpr int IP_TTL = 2;
constexpr int IP_RECVERR = 11;
constexpr int IP_MTU_DISCOVER = 10;
constexpr int UDP_CORK = 1;
constexpr int SOCK_MIN_SNDBUF = 4608;  // 2 * (2048 + SKB_DATA_ALIGN(sizeof(struct sk_buff)))
constexpr int SOCK_MIN_RCVBUF = 2304;

// TCP states used by UDP too (sk_state: TCP_ESTABLISHED means connected).
constexpr uint8_t TCP_ESTABLISHED = 1;
constexpr uint8_t TCP_CLOSE = 7;

enum class ProtoKind : uint8_t { kUdp, kPing, kTcp, kRaw };

struct SockAddrIn {
  uint32_t addr = 0;  // host order
  uint16_t port = 0;  // host order
};

// An entry of the socket error queue (struct sock_extended_err), what
// recvmsg(MSG_ERRQUEUE) returns with IP_RECVERR.
struct SockExtendedErr {
  int ee_errno = 0;
  uint8_t ee_origin = 0;  // SO_EE_ORIGIN_ICMP = 2, SO_EE_ORIGIN_LOCAL = 1
  uint8_t ee_type = 0, ee_code = 0;
  uint32_t ee_info = 0;
  uint32_t offender = 0;  // the address that sent the ICMP error
  uint32_t dst = 0;       // the destination of the failed datagram
  uint16_t port = 0;
};

// A wait queue with at most a few sleepers (one task per socket direction
// in the applications modelled).
struct WaitQueue {
  Task* sleepers[4] = {};
  int n = 0;
  void add(Task* t);
  // wake_up_interruptible(): every sleeper is made runnable.
  void wake_all(sim::Cpu& cpu);
};

struct Sock {
  Host* host = nullptr;
  uint64_t id = 0;  // socket inode number, for traces
  int type = 0;
  int protocol = 0;
  ProtoKind prot = ProtoKind::kUdp;
  uint8_t state = TCP_CLOSE;
  bool dead = false;  // closed by its owner
  bool nonblock = false;  // O_NONBLOCK on the file

  // inet_sock.
  uint32_t rcv_saddr = 0;  // bound address (0 = any)
  uint32_t saddr = 0;      // source for connected sends
  uint32_t daddr = 0;
  uint16_t num = 0;        // local port (inet_num), 0 = unbound
  uint16_t dport = 0;
  uint8_t tos = 0;
  int ttl = -1;            // -1: sysctl ip_default_ttl
  bool recverr = false;    // IP_RECVERR
  int pmtudisc = 1;        // IP_PMTUDISC_WANT: DF set, fragment locally if needed
  uint32_t priority = 0;   // sk_priority
  uint32_t mark = 0;
  DstEntry* dst_cache = nullptr;  // the route of a connected socket
  uint16_t ip_id = 0;      // per-socket IP ID counter for connected sockets

  // Buffers (sk_sndbuf, sk_rcvbuf, sk_wmem_alloc, sk_rmem_alloc).
  int64_t sndbuf = 0;
  int64_t rcvbuf = 0;
  int64_t wmem_alloc = 0;
  int64_t rmem_alloc = 0;
  SkbQueue receive_queue;
  SkbQueue error_queue;  // each skb carries its SockExtendedErr in skb->cb
  int sk_err = 0;       // a pending error, reported once (sock_error)
  uint64_t drops = 0;   // sk_drops

  // udp_sock: UDP_CORK / MSG_MORE pending datagram (ip_append_data).
  bool corkflag = false;
  bool pending = false;
  SkbQueue cork_queue;
  uint32_t cork_len = 0;
  uint32_t cork_daddr = 0, cork_saddr = 0;
  uint16_t cork_dport = 0;
  DstEntry* cork_dst = nullptr;

  WaitQueue wq_rx;  // readers waiting for data
  WaitQueue wq_tx;  // writers waiting for buffer space

  bool sock_writeable() const { return wmem_alloc < sndbuf / 2; }
};

// skb_set_owner_r() and the queueing half of sock_queue_rcv_skb(): charge
// the skb to the socket's receive buffer and put it on the receive queue.
// The caller has checked the buffer limit and wakes the reader.
void sock_queue_rcv_skb(Sock* sk, SkBuff* skb, sim::Time now);

// skb_set_owner_w(): charge the skb's truesize to the sending socket; the
// destructor sock_wfree returns it.
void skb_set_owner_w(SkBuff* skb, Sock* sk);
// skb_orphan(): run the destructor now (the skb left the host or was freed).
void skb_orphan(Host& host, sim::Cpu& cpu, SkBuff* skb);
// The SkbPool's destructor hook: an skb freed with its destructor still
// set (a qdisc or neighbour drop) returns its memory to its socket.
void skb_destructor_hook(SkBuff* skb);

}  // namespace stack
