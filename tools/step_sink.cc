// StepSink: `skbsim step`, the packet's path one kernel step at a time, with
// the kernel source file beside each step so a learner can open it.
#include <istream>
#include <ostream>

#include "stack/steps.h"
#include "tools/trace_format.h"
#include "tools/trace_sinks.h"

namespace tools {

namespace {

constexpr const char* kPrompt = "step [Enter=next  n=next packet  c=continue  q=quit]> ";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

void StepSink::show(const sim::TraceRecord& r) {
  ++shown_;
  const stack::StepInfo& st = stack::step_info(r.step);
  std::string& s = buf_;
  s = "-- ";
  append_uint(s, shown_);
  s += " -- ";
  s += st.id;
  s += "  ";
  s += r.fn != nullptr ? r.fn : "";
  if (r.kind == sim::TraceKind::kEnter) s += "()";
  s += "  (";
  s += kind_name(r.kind);
  s += ")\n";
  if (r.step != 0) {
    s += "   source  ";
    s += st.file;
    s += "  [layer ";
    s += st.layer;
    s += "; step function ";
    s += st.fn;
    s += "]\n";
  }
  s += "   time    ";
  append_seconds(s, r.t);
  s += " s  ";
  s += host_name(bus_, r.host, scratch_);
  s += ' ';
  s += track_name(bus_, r.track, scratch_);
  if (r.skb != 0) {
    s += "  skb ";
    append_uint(s, r.skb);
  }
  s += '\n';
  switch (r.kind) {
    case sim::TraceKind::kEnter: break;
    case sim::TraceKind::kExit: break;
    case sim::TraceKind::kBranch:
      s += "   why     ";
      append_detail(s, r);
      s += '\n';
      break;
    case sim::TraceKind::kEvent:
      s += "   event   ";
      append_detail(s, r);
      s += '\n';
      break;
    case sim::TraceKind::kDrop:
      s += "   drop    kfree_skb reason: ";
      append_detail(s, r);
      s += '\n';
      break;
  }
  if (state_) {
    for (const std::string& line : state_(r)) {
      s += "   state   ";
      s += line;
      s += '\n';
    }
  }
  out_ << s;
}

// Reads keys until one moves the walk on.
void StepSink::prompt() {
  std::string line;
  for (;;) {
    out_ << kPrompt << std::flush;
    if (!std::getline(in_, line)) {
      // No terminal (or it closed): show the rest rather than hang or lose it.
      out_ << "\n(end of input: continuing without pausing)\n";
      mode_ = Mode::kContinue;
      return;
    }
    std::string_view key = trim(line);
    if (key.empty()) {
      mode_ = Mode::kStep;
      return;
    }
    if (key == "n") {
      mode_ = Mode::kNextPacket;
      return;
    }
    if (key == "c") {
      mode_ = Mode::kContinue;
      return;
    }
    if (key == "q") {
      mode_ = Mode::kQuit;
      out_ << "(quit)\n" << std::flush;
      if (stop_) stop_();
      return;
    }
    out_ << "keys: Enter = next step, n = next packet, c = continue to the end, q = quit\n";
  }
}

void StepSink::record(const sim::TraceRecord& r) {
  if (mode_ == Mode::kQuit) return;
  // "New packet" means an skb id this walk has not met in any record yet.
  const bool new_skb = r.skb != 0 && seen_skbs_.insert(r.skb).second;
  if (r.kind == sim::TraceKind::kExit) return;  // a return is not a step
  if (mode_ == Mode::kNextPacket) {
    if (!new_skb) return;
    mode_ = Mode::kStep;
  }
  show(r);
  if (mode_ == Mode::kStep) prompt();
}

void StepSink::finish() {
  if (mode_ != Mode::kQuit) out_ << "(end of trace: " << shown_ << " steps)\n";
  out_.flush();
}

}  // namespace tools
