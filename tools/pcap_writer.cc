#include "tools/pcap_writer.h"

#include <pcap/pcap.h>

#include <utility>

namespace tools {

PcapWriter::PcapWriter(const std::string& path, uint32_t snaplen) : path_(path), snaplen_(snaplen) {
  // A "dead" handle: no device, only the link type and timestamp precision
  // the file header needs. NANO makes the file use the nanosecond magic, so
  // virtual time survives to the nanosecond.
  pcap_ = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, static_cast<int>(snaplen),
                                               PCAP_TSTAMP_PRECISION_NANO);
  if (pcap_ == nullptr) throw PcapError("pcap: cannot create a handle for " + path);
  dumper_ = pcap_dump_open(pcap_, path.c_str());
  if (dumper_ == nullptr) {
    std::string err = pcap_geterr(pcap_);
    pcap_close(pcap_);
    pcap_ = nullptr;
    throw PcapError("pcap: cannot open " + path + ": " + err);
  }
}

PcapWriter::~PcapWriter() { close(); }

PcapWriter::PcapWriter(PcapWriter&& o) noexcept
    : path_(std::move(o.path_)),
      snaplen_(o.snaplen_),
      pcap_(std::exchange(o.pcap_, nullptr)),
      dumper_(std::exchange(o.dumper_, nullptr)),
      frames_(o.frames_) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& o) noexcept {
  if (this != &o) {
    close();
    path_ = std::move(o.path_);
    snaplen_ = o.snaplen_;
    pcap_ = std::exchange(o.pcap_, nullptr);
    dumper_ = std::exchange(o.dumper_, nullptr);
    frames_ = o.frames_;
  }
  return *this;
}

void PcapWriter::write(sim::Time t, const uint8_t* frame, uint32_t len) {
  if (dumper_ == nullptr) throw PcapError("pcap: write after close: " + path_);
  pcap_pkthdr h{};
  const int64_t ns = t.ns();
  h.ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  // With PCAP_TSTAMP_PRECISION_NANO the dumper stores this field as
  // nanoseconds, despite its name.
  h.ts.tv_usec = static_cast<suseconds_t>(ns % 1000000000);
  h.caplen = len < snaplen_ ? len : snaplen_;
  h.len = len;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame);
  ++frames_;
}

void PcapWriter::flush() {
  if (dumper_ != nullptr && pcap_dump_flush(dumper_) != 0)
    throw PcapError("pcap: cannot write " + path_);
}

void PcapWriter::close() {
  if (dumper_ != nullptr) {
    pcap_dump_close(dumper_);  // flushes and closes the FILE
    dumper_ = nullptr;
  }
  if (pcap_ != nullptr) {
    pcap_close(pcap_);
    pcap_ = nullptr;
  }
}

}  // namespace tools
