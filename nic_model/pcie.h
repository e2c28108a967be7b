// nic_model/pcie.h: the PCIe link between host and NIC, its DMA engine and
// the MMIO (register write) path.
//
// What it models, in the spirit of SimBricks nicbm's DMA ops but without a
// heap allocation per op:
//  - Link bandwidth per direction from the generation, lane count and line
//    encoding (Gen1/2: 8b/10b, Gen3+: 128b/130b), full duplex: the upstream
//    direction (device -> host: read requests, posted writes, MSI-X) and the
//    downstream one (host -> device: read completions) are separate
//    serialisers. Exact over long runs (sim::BitClock).
//  - DMA reads: split into read requests of at most MRRS bytes; each request
//    is a header-only TLP upstream, then, one read latency later, the data
//    comes back as completions of at most MPS bytes, each with a fixed
//    per-TLP overhead (header, sequence number, LCRC, framing).
//  - A limit on outstanding read requests (PCIe tags / the device's read
//    request queue). The limit is a fixed pool of ReadTag records, each an
//    intrusive event, so the number of in-flight reads never allocates.
//  - DMA writes are posted: MPS-sized TLPs upstream, complete (visible in
//    host memory) one write latency after the last byte left the device.
//  - MMIO writes (doorbells) reach the device mmio_write_latency after the
//    CPU issued them, in order (posted writes are not reordered).
//
// A DmaOp is intrusive: the NIC embeds one in each descriptor slot and
// queue, fills in length and who to call, and submits it. Simplifications:
// no flow-control credits, no read completion boundary splitting below MPS,
// no address alignment of requests, MMIO writes take no link bandwidth.
//
//   op.len = 1514; op.client = this;
//   pcie.read(op);    // later: client->dma_complete(op)
#pragma once

#include <cstdint>
#include <vector>

#include "nic_model/nic_config.h"
#include "sim/scheduler.h"
#include "sim/time.h"

namespace nic_model {

class PcieLink;
struct DmaOp;

class DmaClient {
 public:
  virtual ~DmaClient() = default;
  // The op finished: a read's data is in the device, a write is in host memory.
  virtual void dma_complete(DmaOp& op) = 0;
};

struct DmaOp final : sim::Event {
  enum class Dir : uint8_t { kRead, kWrite };
  // Set by the submitter.
  DmaClient* client = nullptr;
  uint32_t len = 0;
  uint8_t kind = 0;    // the client's own tag: what this op is for
  uint16_t queue = 0;  // the client's queue
  uint32_t index = 0;  // the client's descriptor index
  uint32_t count = 0;  // the client's descriptor count (batch fetches)
  uint64_t skb_id = 0; // for traces
  // Engine state.
  Dir dir = Dir::kRead;
  bool busy = false;
  uint32_t requested = 0;     // bytes covered by issued read requests
  uint16_t outstanding = 0;   // read requests in flight
  sim::Time issued;           // when the op was submitted
  DmaOp* next_wait = nullptr; // FIFO of reads waiting for a tag
  PcieLink* link = nullptr;
  void fire() override;       // posted write completion
};

struct PcieStats {
  uint64_t read_ops = 0, write_ops = 0;
  uint64_t read_bytes = 0, write_bytes = 0;
  uint64_t read_requests = 0;
  uint64_t tlps_up = 0, tlps_down = 0;
  uint64_t tag_stalls = 0;   // a read request had to wait for a free tag
  uint64_t mmio_writes = 0;
};

class PcieLink {
 public:
  PcieLink(sim::Scheduler& sched, const NicConfig& cfg);
  PcieLink(const PcieLink&) = delete;
  PcieLink& operator=(const PcieLink&) = delete;

  void read(DmaOp& op);
  void write(DmaOp& op);
  // A posted write whose completion nobody waits for (RX data, which the
  // descriptor write-back behind it, in order, makes visible): the same
  // TLPs as write(), but no completion event and no dma_complete().
  void post(DmaOp& op);
  // When a posted MMIO write issued at `issued` reaches the device.
  sim::Time mmio_arrival(sim::Time issued);

  // Bits per second of one direction after encoding (for documentation and
  // tests: Gen2 x8 = 32 Gbit/s).
  uint64_t effective_bps() const;
  uint32_t tags_in_use() const;
  const PcieStats& stats() const { return stats_; }
  sim::Duration write_latency() const { return cfg_.pcie_write_latency; }

 private:
  friend struct DmaOp;
  // One direction of the link: a serialiser with its own clock.
  struct Direction {
    sim::BitClock clock;
    sim::Time free_at;
  };
  // A read request in flight. Requests complete in the order they were
  // issued (their completions share the downstream serialiser, and later
  // requests are issued no earlier), so the tags in flight form a FIFO.
  // A tag's completion event only matters when it finishes its op or when
  // reads wait for a tag; otherwise it just returns the tag. Such a tag is
  // virtual: it is not scheduled, only given the key its event would have
  // had, and is returned to the pool once the scheduler has passed that
  // key. When a read has to wait for a tag, every virtual tag is scheduled
  // at its key, so from then on tags complete exactly as events.
  struct ReadTag final : sim::Event {
    PcieLink* link = nullptr;
    DmaOp* op = nullptr;
    bool virt = false;     // not scheduled; completes at `vkey`
    sim::EventKey vkey;
    void fire() override { link->tag_done(*this); }
  };
  // Puts a TLP carrying `payload` bytes on `d` no earlier than `earliest`;
  // returns when its last bit is sent.
  sim::Time send_tlp(Direction& d, sim::Time earliest, uint32_t payload);
  void issue_reads();
  void tag_done(ReadTag& tag);
  // Returns the virtual tags whose completion the scheduler has passed.
  void retire_virtual();
  // Schedules every virtual tag at its reserved key.
  void materialize();
  ReadTag* inflight_front() const { return inflight_[inflight_head_]; }
  void inflight_pop();
  void write_done(DmaOp& op);

  sim::Scheduler& sched_;
  NicConfig cfg_;
  uint64_t enc_den_ = 10;  // wire bits per enc_num_ data bits
  Direction up_, down_;
  std::vector<ReadTag> tags_;
  std::vector<ReadTag*> free_tags_;
  // Tags in flight, in issue (= completion) order: a ring of tags_.size().
  std::vector<ReadTag*> inflight_;
  uint32_t inflight_head_ = 0, inflight_count_ = 0;
  uint32_t virtual_count_ = 0;  // virtual tags among them
  DmaOp* wait_head_ = nullptr;
  DmaOp* wait_tail_ = nullptr;
  sim::Time last_mmio_;
  PcieStats stats_;
};

}  // namespace nic_model
