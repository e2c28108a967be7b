// nic_model/nic_config.h: what a scenario can set on a NIC and a link.
//
// Defaults resemble a common 10 GbE server NIC (Intel 82599 / ixgbe class)
// on PCIe Gen2 x8; each can be set per interface in YAML (names follow
// ethtool where ethtool has one: -G rings, -C coalescing, -K offloads).
#pragma once

#include <cstdint>
#include <optional>

#include "sim/time.h"

namespace nic_model {

struct NicConfig {
  uint64_t line_rate_bps = 10000000000ull;  // 10 Gbit/s
  uint32_t tx_queues = 1;        // queue pairs (combined channels, ethtool -L)
  uint32_t rx_queues = 1;
  uint32_t tx_ring = 512;        // ethtool -G tx (IXGBE_DEFAULT_TXD)
  uint32_t rx_ring = 512;        // ethtool -G rx (IXGBE_DEFAULT_RXD)
  uint32_t clock_mhz = 250;      // NIC core clock; NIC timings are in its cycles
  // Interrupt moderation (ethtool -C). ixgbe's default ITR is dynamic; the
  // model uses fixed values: rx-usecs 50 / tx-usecs 50 (ixgbe: 0..1022 us).
  sim::Duration rx_usecs = sim::us(50);
  sim::Duration tx_usecs = sim::us(50);
  uint32_t rx_frames = 0;        // 0: no frame-count trigger
  uint32_t tx_frames = 0;
  // Offloads (ethtool -K).
  bool tx_checksum = true;
  bool rx_checksum = true;
  bool tso = false;              // off by default here: the reference runs disable it
  bool gro = false;
  bool bql = true;
  // PCIe link: generation gives the per-lane rate (Gen1 2.5 GT/s 8b/10b,
  // Gen2 5 GT/s 8b/10b, Gen3 8 GT/s 128b/130b).
  uint32_t pcie_gen = 2;
  uint32_t pcie_lanes = 8;
  uint32_t pcie_max_payload = 256;      // MPS bytes
  uint32_t pcie_max_read_request = 512; // MRRS bytes
  uint32_t pcie_tlp_overhead = 24;      // bytes per TLP (header, framing, LCRC, DLLP share)
  sim::Duration pcie_read_latency = sim::ns(500);   // round trip of a DMA read to host memory
  sim::Duration mmio_write_latency = sim::ns(300);  // doorbell: posted write reaching the device
  // A posted DMA write (RX data, write-back, MSI-X message) becomes visible
  // in host memory about half a read round trip after it left the device.
  sim::Duration pcie_write_latency = sim::ns(250);
  uint32_t dma_max_outstanding_reads = 16;
  // Descriptors fetched per DMA read at most (the on-die descriptor cache
  // the 82599 prefetches into; its datasheet gives 40 TX / 32 RX entries
  // per queue, we use one burst size for both).
  uint32_t desc_fetch_max = 32;
  // On-NIC TX packet buffer: data fetched ahead of the MAC (82599:
  // TXPBSIZE 160 KB with one traffic class, ixgbe_type.h IXGBE_TXPBSIZE_MAX).
  uint32_t tx_fifo_bytes = 160 * 1024;
  // Receive promiscuously (no unicast MAC filter), as `ip link set promisc on`.
  bool promisc = false;
  // Driver CPU costs (charged to the CPU running the driver code).
  sim::Duration cost_xmit = sim::ns(200);        // ndo_start_xmit per skb (descriptors, BQL)
  sim::Duration cost_dma_map = sim::ns(50);      // dma_map_single, no IOMMU (was in cost_xmit)
  sim::Duration cost_tx_clean = sim::ns(100);    // per completed TX descriptor
  sim::Duration cost_rx_packet = sim::ns(300);   // per received frame (build skb, refill)
  sim::Duration cost_irq = sim::ns(1000);        // hard IRQ entry/exit
  uint32_t mtu = 1500;
};

// A full-duplex point-to-point link (or a link to a switch port).
struct LinkConfig {
  uint64_t rate_bps = 1000000000ull;  // 1 Gbit/s
  sim::Duration delay = sim::us(1);   // one-way propagation delay
  uint32_t loss_ppb32 = 0;            // loss probability in parts of 2^32
};

}  // namespace nic_model
