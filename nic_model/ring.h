// nic_model/ring.h: TX and RX descriptor rings with explicit per-descriptor
// states, as the NIC and its driver share them in host memory.
//
// Mirrors the ixgbe ring (drivers/net/ethernet/intel/ixgbe/ixgbe.h: struct
// ixgbe_ring, ixgbe_tx_buffer, ixgbe_rx_buffer, ixgbe_desc_unused()) and
// the SimBricks nicbm habit of giving every descriptor a state the reader
// can follow through the pipeline:
//
//   TX: kFree -> kPosted (driver filled it, tail not necessarily written)
//             -> kFetching (NIC reads the descriptor by DMA)
//             -> kFetched (in the NIC's descriptor cache, waiting for FIFO room)
//             -> kDataFetching (NIC reads the buffer by DMA)
//             -> kReady (data in the NIC's TX FIFO)
//             -> kDone (written back: DD set; the driver may clean it)
//   RX: kFree -> kPosted (driver gave a buffer) -> kFetched (the NIC read
//             the descriptor) -> kFilled (frame being DMA-written)
//             -> kWrittenBack (DD set; the driver may take it)
//
// A descriptor carries what the real one carries (buffer, length, command
// bits) plus what the driver keeps beside it (ixgbe_tx_buffer: the skb, its
// byte count and segment count, next_to_watch), since both live in the same
// host memory. The "buffer address" is the skb itself plus an offset.
//
//   TxRing r; r.resize(512);                // ethtool -G tx 512
//   uint16_t free = r.unused();             // ixgbe_desc_unused()
#pragma once

#include <cassert>
#include <cstdint>
#include <vector>

#include "nic_model/pcie.h"
#include "stack/skbuff.h"

namespace nic_model {

enum class TxDescState : uint8_t {
  kFree, kPosted, kFetching, kFetched, kDataFetching, kReady, kDone
};
enum class RxDescState : uint8_t { kFree, kPosted, kFetched, kFilled, kWrittenBack };

const char* tx_desc_state_name(TxDescState s);
const char* rx_desc_state_name(RxDescState s);

// Command bits of an advanced TX data descriptor (ixgbe_type.h:
// IXGBE_TXD_CMD_EOP, IXGBE_TXD_CMD_RS) and the offloads the context
// descriptor asks for (IXGBE_ADVTXD_TUCMD_*, IXGBE_ADVTXD_DCMD_TSE).
namespace txd {
constexpr uint8_t kEop = 1 << 0;      // end of packet
constexpr uint8_t kRs = 1 << 1;       // report status (write back DD)
constexpr uint8_t kContext = 1 << 2;  // a context descriptor: no data
constexpr uint8_t kCsum = 1 << 3;     // insert the L4 checksum (CHECKSUM_PARTIAL)
constexpr uint8_t kTso = 1 << 4;      // TCP segmentation (TSE)
}  // namespace txd

struct TxDesc {
  TxDescState state = TxDescState::kFree;
  uint8_t cmd = 0;
  // Data descriptor: the buffer is skb bytes [offset, offset + len) counted
  // from skb->data (dma_map_single of the linear part, split at 16 KB).
  stack::SkBuff* buf = nullptr;
  uint32_t offset = 0;
  uint32_t len = 0;
  // ixgbe_tx_buffer of the packet's first descriptor: the skb to free at
  // clean time, BQL bytes, segments, and the EOP descriptor to watch.
  stack::SkBuff* skb = nullptr;
  uint32_t bytecount = 0;
  uint16_t gso_segs = 0;
  uint32_t next_to_watch = 0;  // index of the EOP descriptor (valid when skb)
  uint32_t first = 0;          // on every descriptor: the packet's first one
  DmaOp dma;                   // the data read, then (on the EOP) the write-back

  // Back to a free slot; the embedded DMA op keeps its binding.
  void clear() {
    state = TxDescState::kFree;
    cmd = 0;
    buf = skb = nullptr;
    offset = len = bytecount = next_to_watch = first = 0;
    gso_segs = 0;
  }
};

struct RxDesc {
  RxDescState state = RxDescState::kFree;
  stack::SkBuff* skb = nullptr;  // the posted buffer (ixgbe_rx_buffer)
  uint32_t len = 0;              // written back: frame length (no FCS)
  bool l4_csum_good = false;     // written back: IXGBE_RXD_STAT_L4CS, no error
  bool csum_error = false;       // written back: IXGBE_RXDADV_ERR_TCPE / IPE
  DmaOp data_dma;                // the frame write
  DmaOp wb_dma;                  // the descriptor write-back
};

// A ring of descriptors with the driver's indices (next_to_use: where the
// driver fills next, the tail it writes; next_to_clean: where it cleans
// next) and the NIC's (head: the next descriptor the NIC processes).
template <class Desc>
class Ring {
 public:
  // Sets the size (ethtool -G). Only while the ring is idle: ixgbe brings
  // the interface down to resize (ixgbe_set_ringparam).
  void resize(uint32_t n) {
    assert(n >= 2);
    desc_ = std::vector<Desc>(n);
    next_to_use = next_to_clean = 0;
  }
  uint32_t size() const { return static_cast<uint32_t>(desc_.size()); }
  Desc& operator[](uint32_t i) { return desc_[i]; }
  const Desc& operator[](uint32_t i) const { return desc_[i]; }
  uint32_t next(uint32_t i) const { return i + 1 == size() ? 0 : i + 1; }
  // Descriptors from a to b going forward (b not included).
  uint32_t distance(uint32_t a, uint32_t b) const { return b >= a ? b - a : b + size() - a; }

  // ixgbe_desc_unused(): one descriptor always stays empty, so that a full
  // ring (tail one behind head) is told apart from an empty one.
  uint32_t unused() const {
    return (next_to_clean > next_to_use ? 0 : size()) + next_to_clean - next_to_use - 1;
  }

  uint32_t next_to_use = 0;
  uint32_t next_to_clean = 0;

 private:
  std::vector<Desc> desc_;
};

using TxRing = Ring<TxDesc>;
using RxRing = Ring<RxDesc>;

inline const char* tx_desc_state_name(TxDescState s) {
  switch (s) {
    case TxDescState::kFree: return "free";
    case TxDescState::kPosted: return "posted";
    case TxDescState::kFetching: return "fetching";
    case TxDescState::kFetched: return "fetched";
    case TxDescState::kDataFetching: return "data_fetching";
    case TxDescState::kReady: return "ready";
    case TxDescState::kDone: return "done";
  }
  return "?";
}
inline const char* rx_desc_state_name(RxDescState s) {
  switch (s) {
    case RxDescState::kFree: return "free";
    case RxDescState::kPosted: return "posted";
    case RxDescState::kFetched: return "fetched";
    case RxDescState::kFilled: return "filled";
    case RxDescState::kWrittenBack: return "written_back";
  }
  return "?";
}

}  // namespace nic_model
