// stack/loopback.cc: loopback_xmit().
#include "stack/loopback.h"

#include "stack/dev.h"
#include "stack/host.h"
#include "stack/sock.h"
#include "stack/steps.h"

namespace stack {

NetdevTx Loopback::ndo_start_xmit(sim::Cpu& cpu, SkBuff* skb, NetdevQueue& txq) {
  TRACE_FN(cpu, step::kDev03, "loopback_xmit", skb->id);
  // skb_orphan(): the sender's buffer is released at once.
  skb_orphan(host_, cpu, skb);
  NetDevice& dev = *txq.dev;
  dev.stats.tx_packets++;
  dev.stats.tx_bytes += skb->len();
  skb->dev = &dev;
  host_.dev->netif_rx(cpu, skb);
  return NetdevTx::kOk;
}

}  // namespace stack
