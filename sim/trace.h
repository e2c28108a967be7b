// sim/trace.h: the trace bus, the one narrow interface between the model and
// everything that shows it.
//
// Model code emits typed tracepoints, named after the kernel function or
// Linux tracepoint they stand for, with a SEND_PATH step id, the skb they
// concern, and for branches a static format string plus a few raw values
// ("why" the branch went this way). It never formats text itself: sinks do
// that (teaching text, JSON lines, Perfetto, the step-by-step walk), and only
// when someone subscribed. With no subscriber, every tracepoint costs one
// predictable branch on `on()`.
//
//   if (tr.on()) tr.branch(t, step::kDev04, "__dev_xmit_skb", skb->id,
//                          "qdisc bypass: queue empty and TCQ_F_CAN_BYPASS");
//   TRACE_FN(cpu, step::kIp03, "ip_local_out", skb->id);  // enter + exit
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/time.h"

namespace sim {

// A raw value carried by a tracepoint, formatted by the sink.
struct TraceArg {
  enum Type : uint8_t { kNone, kInt, kUint, kStr, kIpv4, kMac, kDuration };
  Type type = kNone;
  union {
    int64_t i;
    uint64_t u;
    const char* s;  // static storage, or owned by the model for the run
  };
  TraceArg() : u(0) {}
  TraceArg(int v) : type(kInt), i(v) {}
  TraceArg(long v) : type(kInt), i(v) {}
  TraceArg(long long v) : type(kInt), i(v) {}
  TraceArg(unsigned v) : type(kUint), u(v) {}
  TraceArg(unsigned long v) : type(kUint), u(v) {}
  TraceArg(unsigned long long v) : type(kUint), u(v) {}
  TraceArg(const char* v) : type(kStr), s(v) {}
  TraceArg(Duration d) : type(kDuration), i(d.ns()) {}
  static TraceArg ipv4(uint32_t a) { TraceArg r; r.type = kIpv4; r.u = a; return r; }
  static TraceArg mac(uint64_t m) { TraceArg r; r.type = kMac; r.u = m; return r; }
};

enum class TraceKind : uint8_t {
  kEnter,   // a kernel function starts (function_graph "fn() {")
  kExit,    // it returns; dur is the simulated time it took ("}")
  kBranch,  // a decision inside the current function, with why
  kEvent,   // something that happened: an IRQ, a frame on the wire, a timer
  kDrop,    // an skb ended as a drop; fmt names the reason
};

struct TraceRecord {
  Time t;
  Duration dur;         // kExit: time since the matching kEnter
  uint16_t host = 0;    // index into TraceBus::hosts()
  uint16_t track = 0;   // index into TraceBus::tracks(): a CPU, a NIC queue, a wire
  uint16_t step = 0;    // SEND_PATH step id (stack/steps.h), 0 = none
  TraceKind kind = TraceKind::kEvent;
  uint8_t nargs = 0;
  const char* fn = "";   // kernel function or tracepoint name
  const char* fmt = "";  // fmt-style text with {} for each arg
  uint64_t skb = 0;      // stable skb id, 0 = none
  TraceArg args[8];
};

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void record(const TraceRecord& r) = 0;
  virtual void finish() {}
};

// What a track stands for; sinks use it to lay out their output (Perfetto
// draws one row per track).
enum class TrackKind : uint8_t { kCpu, kNicQueue, kDma, kWire, kOther };

struct TrackInfo {
  uint16_t host;
  TrackKind kind;
  uint16_t index;  // CPU number, queue number...
  std::string name;
};

class TraceBus {
 public:
  bool on() const { return !sinks_.empty(); }
  void subscribe(TraceSink* s) { sinks_.push_back(s); }
  void emit(const TraceRecord& r) {
    for (TraceSink* s : sinks_) s->record(r);
  }
  void finish() {
    for (TraceSink* s : sinks_) s->finish();
  }

  uint16_t add_host(std::string name) {
    hosts_.push_back(std::move(name));
    return static_cast<uint16_t>(hosts_.size() - 1);
  }
  uint16_t add_track(uint16_t host, TrackKind kind, uint16_t index, std::string name) {
    tracks_.push_back(TrackInfo{host, kind, index, std::move(name)});
    return static_cast<uint16_t>(tracks_.size() - 1);
  }
  const std::vector<std::string>& hosts() const { return hosts_; }
  const std::vector<TrackInfo>& tracks() const { return tracks_; }

 private:
  std::vector<TraceSink*> sinks_;
  std::vector<std::string> hosts_;
  std::vector<TrackInfo> tracks_;
};

// What a model component holds to trace: the bus and where it stands.
class Tracer {
 public:
  Tracer() = default;
  Tracer(TraceBus* bus, uint16_t host, uint16_t track) : bus_(bus), host_(host), track_(track) {}

  bool on() const { return bus_ != nullptr && bus_->on(); }
  uint16_t host() const { return host_; }
  uint16_t track() const { return track_; }

  template <class... A>
  void emit(TraceKind kind, Time t, uint16_t step, const char* fn, uint64_t skb, const char* fmt,
            A... args) const {
    static_assert(sizeof...(A) <= 8, "a tracepoint carries at most eight values");
    TraceRecord r;
    r.t = t;
    r.host = host_;
    r.track = track_;
    r.step = step;
    r.kind = kind;
    r.fn = fn;
    r.fmt = fmt;
    r.skb = skb;
    r.nargs = static_cast<uint8_t>(sizeof...(A));
    int i = 0;
    ((r.args[i++] = TraceArg(args)), ...);
    bus_->emit(r);
  }
  template <class... A>
  void branch(Time t, uint16_t step, const char* fn, uint64_t skb, const char* fmt, A... args) const {
    emit(TraceKind::kBranch, t, step, fn, skb, fmt, args...);
  }
  template <class... A>
  void event(Time t, uint16_t step, const char* fn, uint64_t skb, const char* fmt, A... args) const {
    emit(TraceKind::kEvent, t, step, fn, skb, fmt, args...);
  }
  void exit(Time t, Duration dur, uint16_t step, const char* fn, uint64_t skb) const {
    TraceRecord r;
    r.t = t;
    r.dur = dur;
    r.host = host_;
    r.track = track_;
    r.step = step;
    r.kind = TraceKind::kExit;
    r.fn = fn;
    r.skb = skb;
    bus_->emit(r);
  }

 private:
  TraceBus* bus_ = nullptr;
  uint16_t host_ = 0;
  uint16_t track_ = 0;
};

}  // namespace sim
