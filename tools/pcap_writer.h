// tools/pcap_writer.h: frames to a .pcap file, stamped with virtual time.
//
// The stand-in for a capture at the dev_queue_xmit_nit / netif_receive_skb
// taps: one file per interface, Ethernet link type, nanosecond timestamps
// taken from the simulated clock (a run that starts at t=0 shows frames in
// 1970, which Wireshark displays fine and keeps runs byte-identical).
// Written through libpcap so Wireshark/tshark read it as any capture.
//
//   tools::PcapWriter cap("h1-eth0.pcap");     // throws PcapError if it cannot
//   cap.write(now, skb->data(), skb->len());   // one frame
//   // closed (and flushed) by the destructor, or close()
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "sim/time.h"

// libpcap's handles, kept out of the header so users need not see pcap.h.
struct pcap;
struct pcap_dumper;

namespace tools {

class PcapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class PcapWriter {
 public:
  // Frames longer than `snaplen` are cut to it (their original length is
  // still recorded, as a capture does). 65535 covers any non-jumbo frame.
  explicit PcapWriter(const std::string& path, uint32_t snaplen = 65535);
  ~PcapWriter();
  PcapWriter(PcapWriter&& o) noexcept;
  PcapWriter& operator=(PcapWriter&& o) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  void write(sim::Time t, const uint8_t* frame, uint32_t len);
  void flush();
  void close();

  const std::string& path() const { return path_; }
  uint64_t frames() const { return frames_; }

 private:
  std::string path_;
  uint32_t snaplen_;
  pcap* pcap_ = nullptr;
  pcap_dumper* dumper_ = nullptr;
  uint64_t frames_ = 0;
};

}  // namespace tools
