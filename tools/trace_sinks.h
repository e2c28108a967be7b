// tools/trace_sinks.h: the observers that turn the trace bus into something
// to read: teaching text, JSON lines, a Perfetto timeline, a filter, and the
// interactive step-by-step walk behind `skbsim step`.
//
// All of them are pure observers: they read TraceRecords and write to a
// stream; none schedules an event or touches model state, so subscribing any
// of them never changes a run (the only exception is on purpose: StepSink's
// `q` calls the stop callback the runner gave it). Each is cheap to build
// (no I/O before the first record), and they reach the bus's host and track
// names at record time, so hosts added after subscribing are named too.
//
//   sim::TraceBus bus;
//   std::ofstream txt("run.trace"), js("run.perfetto.json");
//   tools::TextSink text(txt, bus);
//   tools::PerfettoSink perfetto(js, bus);
//   tools::FilterSink only_h1(bus, text);
//   only_h1.hosts({"h1"}).layers({"ip", "dev"});
//   bus.subscribe(&only_h1);
//   bus.subscribe(&perfetto);
//   ... run ...
//   bus.finish();   // closes Perfetto's JSON array, flushes pending lines
//
// (args beyond r.nargs are ignored; the count follows sim::TraceRecord.)
//
// Sample TextSink output (ftrace function_graph shape, one line per record):
//   # STEP      TIME(s)       HOST   TRACK                  SKB     DURATION  |  CALLS
//     IP-03      0.000012345  h1     cpu0                   7                 |  ip_local_out() {
//     DEV-04     0.000013000  h1     cpu0                   7                 |    /* qdisc bypass: ... */
//     IP-05      0.000013000  h1     cpu0                   7       0.250 us  |    ip_output();
//     IP-03      0.000015595  h1     cpu0                   7       3.250 us  |  } /* ip_local_out */
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sim/trace.h"

namespace tools {

// ftrace function_graph-shaped teaching text.
class TextSink final : public sim::TraceSink {
 public:
  struct Options {
    bool header = true;         // the "# columns" block before the first line
    bool collapse_leaves = true;  // "fn();" for an enter directly followed by its exit
  };
  TextSink(std::ostream& out, const sim::TraceBus& bus) : TextSink(out, bus, Options{}) {}
  TextSink(std::ostream& out, const sim::TraceBus& bus, Options opt)
      : out_(out), bus_(bus), opt_(opt) {}

  void record(const sim::TraceRecord& r) override;
  void finish() override;

  // The column legend the sink prints first (also useful for docs).
  static std::string header_text();

 private:
  void flush_pending();
  void line(const sim::TraceRecord& r, int depth, const std::string* dur_col,
            const std::string& body);
  int& depth(uint16_t track);

  std::ostream& out_;
  const sim::TraceBus& bus_;
  Options opt_;
  bool header_done_ = false;
  // function_graph prints a function with nothing inside as "fn();": the
  // enter is held back until the next record shows whether it is a leaf.
  bool have_pending_ = false;
  sim::TraceRecord pending_;
  std::vector<int> depth_;  // per track: how many functions are open
  std::string buf_, scratch_;
};

// One JSON object per line:
//   {"t_ns":12345,"host":"h1","cpu":0,"track":"cpu0","kind":"exit",
//    "step":"IP-03","layer":"ip","fn":"ip_local_out","skb":7,"detail":"",
//    "dur_ns":3250}
// `cpu` is the CPU number on a CPU track and null elsewhere (NIC queue, DMA,
// wire). `args` (only when the record has some) holds the raw values: numbers
// for integers and durations (ns), strings for text, IPv4 and MAC addresses.
// Keys come in that fixed order; integers only, so runs are byte-identical.
class JsonlSink final : public sim::TraceSink {
 public:
  JsonlSink(std::ostream& out, const sim::TraceBus& bus) : out_(out), bus_(bus) {}
  void record(const sim::TraceRecord& r) override;
  void finish() override;

 private:
  std::ostream& out_;
  const sim::TraceBus& bus_;
  std::string buf_, scratch_;
};

// Chrome trace-event JSON (opens in ui.perfetto.dev and chrome://tracing):
// a process per host, a thread per track, "B"/"E" slices for functions,
// thread-scoped instants ("i") for branches, events and drops, and v1 flow
// events ("s"/"t"/"f", id = skb id, bound to the enclosing slice) that follow
// each skb across tracks and hosts. Timestamps are microseconds printed from
// integer nanoseconds ("12.345"), so nothing is lost or rounded.
//
// A flow point is placed on an enter record of the skb when the skb has moved
// to another track since its last point (sender CPU -> NIC queue -> wire ->
// receiver CPU ...), so arrows show where the packet went, not every nested
// call. The flow ends ("f") at the receiver's recvmsg (step RX-06) or at a
// drop of the skb inside a traced function. Instants are not slices, so a
// track that only has events (no enter/exit) shows them but gets no arrow.
class PerfettoSink final : public sim::TraceSink {
 public:
  PerfettoSink(std::ostream& out, const sim::TraceBus& bus) : out_(out), bus_(bus) {}
  ~PerfettoSink() override;  // finishes the JSON if finish() was not called
  void record(const sim::TraceRecord& r) override;
  // Writes the metadata (process and thread names) and closes the array.
  void finish() override;

 private:
  void begin_event(char ph, const sim::TraceRecord& r);
  void flow(char ph, const sim::TraceRecord& r);
  void write();

  std::ostream& out_;
  const sim::TraceBus& bus_;
  bool started_ = false;
  bool finished_ = false;
  struct Flow {
    uint16_t track;
    bool ended;
  };
  std::unordered_map<uint64_t, Flow> flows_;
  std::vector<int> depth_;  // per track, to know if a slice encloses a drop
  std::string buf_, scratch_;
};

// Passes on only the records that match every criterion given; an empty
// criterion matches everything. Host names are looked up on the bus, layers
// come from the record's step (stack/steps.h).
class FilterSink final : public sim::TraceSink {
 public:
  FilterSink(const sim::TraceBus& bus, sim::TraceSink& next) : bus_(bus), next_(next) {}

  FilterSink& hosts(std::vector<std::string> names);
  FilterSink& skbs(std::vector<uint64_t> ids);
  // Layer names as steps.h writes them: "socket", "udp", "ip", "neigh",
  // "dev", "driver", "nic", "wire", ... Unknown names match nothing.
  FilterSink& layers(const std::vector<std::string>& names);

  bool pass(const sim::TraceRecord& r);
  void record(const sim::TraceRecord& r) override {
    if (pass(r)) next_.record(r);
  }
  void finish() override { next_.finish(); }

 private:
  const sim::TraceBus& bus_;
  sim::TraceSink& next_;
  std::vector<std::string> host_names_;
  std::vector<int8_t> host_ok_;  // per host index: -1 unknown yet, 0 no, 1 yes
  std::unordered_set<uint64_t> skbs_;
  std::vector<bool> step_ok_;  // per step id, empty = every layer
};

// The interactive walk of `skbsim step`. For every enter, branch, event and
// drop it prints the SEND_PATH step, the kernel function and its source
// file, the why-text, the time and the track, then reads one line:
//   (empty)  next step
//   n        run on to the next packet: the next record of an skb not seen yet
//   c        continue to the end without pausing (still printing)
//   q        quit: sets quit_requested() and calls the stop callback (the
//            runner passes one that calls Scheduler::request_stop())
// End of input counts as `c`. Exits are not shown: they are not steps.
class StepSink final : public sim::TraceSink {
 public:
  // Lines describing model state (queue lengths, neighbour state, ring
  // head/tail, CPU busy-until), asked for at each pause. The world owns it.
  using StateHook = std::function<std::vector<std::string>(const sim::TraceRecord&)>;

  StepSink(const sim::TraceBus& bus, std::istream& in, std::ostream& out)
      : bus_(bus), in_(in), out_(out) {}

  void set_state_hook(StateHook h) { state_ = std::move(h); }
  void set_stop_callback(std::function<void()> f) { stop_ = std::move(f); }
  bool quit_requested() const { return mode_ == Mode::kQuit; }
  uint64_t shown() const { return shown_; }

  void record(const sim::TraceRecord& r) override;
  void finish() override;

 private:
  enum class Mode : uint8_t { kStep, kNextPacket, kContinue, kQuit };
  void show(const sim::TraceRecord& r);
  void prompt();

  const sim::TraceBus& bus_;
  std::istream& in_;
  std::ostream& out_;
  StateHook state_;
  std::function<void()> stop_;
  Mode mode_ = Mode::kStep;
  uint64_t shown_ = 0;
  std::unordered_set<uint64_t> seen_skbs_;
  std::string buf_, scratch_;
};

}  // namespace tools
