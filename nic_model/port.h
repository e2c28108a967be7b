// nic_model/port.h: the two narrow interfaces at the edge of a NIC.
//
// Port: anything a link can deliver a frame to (a NIC, a switch port). The
// frame is an skb holding exactly the bytes on the wire from the
// destination MAC to the end of the payload (no preamble, no FCS); the
// receiver takes ownership and must consume or drop it.
//
// FrameTap: an observer of frames as they are on the wire, for pcap writers.
// The NIC calls it with the exact bytes (no FCS) when a frame starts
// serialising on TX and when it arrives on RX. The bytes are only valid
// during the call.
#pragma once

#include <cstdint>

#include "sim/time.h"
#include "stack/skbuff.h"

namespace nic_model {

class Port {
 public:
  virtual ~Port() = default;
  // The last bit of `frame` arrived now (store-and-forward).
  virtual void receive_frame(stack::SkBuff* frame) = 0;
};

class FrameTap {
 public:
  virtual ~FrameTap() = default;
  virtual void on_frame(sim::Time t, const uint8_t* data, uint32_t len, bool tx) = 0;
};

}  // namespace nic_model
