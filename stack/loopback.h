// stack/loopback.h: the loopback device (drivers/net/loopback.c).
//
// `lo` has no queue (noqueue: dev_queue_xmit calls it directly) and no
// wire: loopback_xmit() orphans the skb and hands it to netif_rx(), the
// per-CPU backlog, which the NET_RX softirq drains into the receive path.
// ICMP errors a host sends itself (neighbour failure) travel this way.
#pragma once

#include "stack/netdevice.h"

namespace stack {

class Host;

class Loopback final : public NetDeviceOps {
 public:
  explicit Loopback(Host& host) : host_(host) {}
  NetdevTx ndo_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq) override;

 private:
  Host& host_;
};

}  // namespace stack
