// stack/netdevice.h: struct net_device, its TX queues, NAPI, and the seam
// between the kernel's device layer and a driver (the NIC model).
//
// Mirrors include/linux/netdevice.h. The two directions of the seam:
//  - the stack calls the driver through NetDeviceOps (net_device_ops:
//    ndo_start_xmit), exactly where dev_hard_start_xmit() does;
//  - the driver calls the stack through DevCore, the handful of
//    net/core/dev.c services a driver uses (napi_schedule,
//    netif_receive_skb, netif_tx_wake_queue, dev_consume_skb_any, ...).
// Neither side sees the other's internals, so the NIC model can be tested
// against a fake DevCore and the stack against a fake driver.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/cpu.h"
#include "stack/dql.h"
#include "stack/skbuff.h"

namespace stack {

class Qdisc;
class NetDevice;
struct Host;

// A MAC address, six bytes in wire order.
struct MacAddr {
  std::array<uint8_t, 6> b{};
  static MacAddr broadcast() { return MacAddr{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  bool is_broadcast() const { return *this == broadcast(); }
  bool is_multicast() const { return b[0] & 1; }
  uint64_t as_u64() const {
    uint64_t v = 0;
    for (uint8_t x : b) v = (v << 8) | x;
    return v;
  }
  friend bool operator==(const MacAddr&, const MacAddr&) = default;
  friend auto operator<=>(const MacAddr&, const MacAddr&) = default;
};

// NETIF_F_* features (include/linux/netdev_features.h), the ones modelled.
namespace netif_f {
constexpr uint64_t kSg = 1ull << 0;        // scatter-gather
constexpr uint64_t kHwCsum = 1ull << 1;    // checksum offload (CHECKSUM_PARTIAL)
constexpr uint64_t kTso = 1ull << 2;       // TCP segmentation offload
constexpr uint64_t kGso = 1ull << 3;       // software segmentation before the driver
constexpr uint64_t kGro = 1ull << 4;       // receive coalescing
constexpr uint64_t kRxCsum = 1ull << 5;    // receive checksum offload
constexpr uint64_t kLltx = 1ull << 6;      // lockless TX (virtual devices)
}  // namespace netif_f

// What ndo_start_xmit returns (enum netdev_tx).
enum class NetdevTx { kOk, kBusy };

// struct netdev_queue: one TX queue of a device.
struct NetdevQueue {
  NetDevice* dev = nullptr;
  uint16_t index = 0;
  // __QUEUE_STATE_DRV_XOFF: the driver stopped the queue (ring full);
  // __QUEUE_STATE_STACK_XOFF: BQL stopped it (too many bytes in flight).
  bool drv_xoff = false;
  bool stack_xoff = false;
  bool stopped() const { return drv_xoff || stack_xoff; }
  Qdisc* qdisc = nullptr;  // the root qdisc attached to this queue
  Dql dql;                 // byte queue limits (lib/dynamic_queue_limits.c)
  sim::Time trans_start;
  uint64_t tx_packets = 0;  // per-queue counters (ethtool -S tx_queue_N_*)
  uint64_t tx_bytes = 0;
  uint64_t restarts = 0;    // times the queue was woken after a stop
};

// struct rtnl_link_stats64: what `ip -s link` prints.
struct LinkStats {
  uint64_t rx_packets = 0, tx_packets = 0;
  uint64_t rx_bytes = 0, tx_bytes = 0;
  uint64_t rx_errors = 0, tx_errors = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0;
  uint64_t multicast = 0;
  uint64_t rx_missed_errors = 0;
  uint64_t tx_carrier_errors = 0;
};

class NetDeviceOps {
 public:
  virtual ~NetDeviceOps() = default;
  // The driver's transmit function. Takes ownership of skb when it returns
  // kOk; on kBusy the caller keeps it and requeues (dev_requeue_skb).
  virtual NetdevTx ndo_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq) = 0;
  // ethtool -S: driver counters, in a stable order, named as drivers name them.
  virtual void ethtool_stats(std::vector<std::pair<std::string, uint64_t>>& out) const {}
};

// A NAPI context's poll function (the driver's ixgbe_poll()).
class NapiPoll {
 public:
  virtual ~NapiPoll() = default;
  // Processes up to `budget` received packets (TX cleaning does not count
  // against the budget, as in most drivers) and returns the work done. If
  // it returns less than budget it must call DevCore::napi_complete_done().
  virtual int napi_poll(sim::Cpu& cpu, int budget) = 0;
};

// struct napi_struct.
struct NapiStruct {
  NapiPoll* poll = nullptr;
  NetDevice* dev = nullptr;
  int weight = 64;            // NAPI_POLL_WEIGHT (include/linux/netdevice.h)
  bool scheduled = false;     // NAPI_STATE_SCHED
  NapiStruct* poll_next = nullptr;  // link in softnet_data.poll_list
  uint16_t cpu = 0;           // the CPU its IRQ is affine to
};

// The net/core/dev.c services a driver calls. Implemented by the host's
// device layer (stack/dev.cc); tests may implement a fake.
class DevCore {
 public:
  virtual ~DevCore() = default;
  virtual sim::Cpu& cpu(uint16_t index) = 0;
  virtual SkbPool& pool() = 0;
  // napi_schedule(): from the hard IRQ handler on `cpu`: put the NAPI
  // context on this CPU's poll list and raise NET_RX_SOFTIRQ.
  virtual void napi_schedule(sim::Cpu& cpu, NapiStruct& napi) = 0;
  // napi_complete_done(): the poll finished under budget; returns false if
  // the driver must not re-enable its interrupt (NAPI was rescheduled).
  virtual bool napi_complete_done(sim::Cpu& cpu, NapiStruct& napi, int work_done) = 0;
  // netif_receive_skb() / napi_gro_receive(): hand a received frame (data
  // at the Ethernet header, skb->dev set) to the stack, in softirq context.
  virtual void netif_receive_skb(sim::Cpu& cpu, SkBuff* skb) = 0;
  // netif_tx_wake_queue(): the ring has room again; reschedules the qdisc.
  virtual void netif_tx_wake_queue(sim::Cpu& cpu, NetdevQueue& txq) = 0;
  // netdev_tx_completed_queue(): BQL completion (may wake the queue).
  virtual void netdev_tx_completed_queue(sim::Cpu& cpu, NetdevQueue& txq, uint32_t pkts,
                                         uint32_t bytes) = 0;
  // dev_consume_skb_any(): a transmitted skb is done; runs its destructor
  // (TSQ's tcp_wfree may let TCP send more) and frees it.
  virtual void dev_consume_skb(sim::Cpu& cpu, SkBuff* skb) = 0;
  // dev_kfree_skb_any() with a reason: the driver dropped it.
  virtual void dev_kfree_skb(sim::Cpu& cpu, SkBuff* skb, DropReason reason) = 0;
};

// struct net_device.
class NetDevice {
 public:
  std::string name;        // "eth0"
  int ifindex = 0;
  MacAddr dev_addr;
  uint32_t mtu = 1500;     // ETH_DATA_LEN
  uint32_t tx_queue_len = 1000;  // DEFAULT_TX_QUEUE_LEN (include/uapi/linux/if_ether.h)
  uint64_t features = 0;   // netif_f::*
  bool up = true;
  bool loopback = false;
  uint16_t hard_header_len = ETH_HLEN;

  std::vector<NetdevQueue> tx;       // real_num_tx_queues entries
  std::vector<std::vector<uint16_t>> xps_cpus;  // per TX queue: CPUs mapped by XPS (empty: none)
  NetDeviceOps* ops = nullptr;
  Host* host = nullptr;
  LinkStats stats;

  uint16_t real_num_tx_queues() const { return static_cast<uint16_t>(tx.size()); }
};

}  // namespace stack
