// TextSink: the teaching trace, shaped like ftrace's function_graph tracer
// (kernel/trace/trace_functions_graph.c) so that a reader who knows one can
// read the other; with the SEND_PATH step id in front so each line maps to
// the checklist.
#include <ostream>

#include "stack/steps.h"
#include "tools/trace_format.h"
#include "tools/trace_sinks.h"

namespace tools {

namespace {

constexpr size_t kStepW = 8;    // "NEIGH-01"
constexpr size_t kTimeW = 12;   // " 0.000012345": room for 999 s
constexpr size_t kHostW = 6;
constexpr size_t kTrackW = 22;  // "wire h1:eth0->h2:eth0"
constexpr size_t kSkbW = 6;
constexpr size_t kDurW = 11;    // "1234.567 us"

void pad_right(std::string& out, std::string_view s, size_t w) {
  out += s;
  for (size_t n = s.size(); n < w; ++n) out.push_back(' ');
}

void pad_left(std::string& out, std::string_view s, size_t w) {
  for (size_t n = s.size(); n < w; ++n) out.push_back(' ');
  out += s;
}

// The column titles, laid out with the same widths as the data lines.
std::string column_titles(const char* lead, bool bars) {
  std::string s = lead;
  pad_right(s, bars ? "|" : "STEP", kStepW);
  s += ' ';
  pad_left(s, bars ? "|" : "TIME(s)", kTimeW);
  s += "  ";
  pad_right(s, bars ? "|" : "HOST", kHostW);
  s += ' ';
  pad_right(s, bars ? "|" : "TRACK", kTrackW);
  s += ' ';
  pad_right(s, bars ? "|" : "SKB", kSkbW);
  s += ' ';
  pad_left(s, bars ? "|" : "DURATION", kDurW);
  s += bars ? "  |  |   |   |\n" : "  |  CALLS\n";
  return s;
}

}  // namespace

std::string TextSink::header_text() {
  std::string s =
      "# skbsim trace: the simulated kernel as ftrace's function_graph shows the real one\n"
      "#\n"
      "#   STEP      step id in SEND_PATH.md (\"-\" when the record names none)\n"
      "#   TIME(s)   virtual time since the start of the run, in seconds\n"
      "#   HOST      the host the record comes from\n"
      "#   TRACK     where it ran: a CPU, a NIC queue, the DMA engine, a wire\n"
      "#   SKB       the skb's id, to follow one packet (\"-\" when none)\n"
      "#   DURATION  simulated time a function took, on its closing line\n"
      "#   CALLS     fn() { ... } nests per track; fn(); had nothing inside;\n"
      "#             /* why a branch went this way */;  => an event;\n"
      "#             => kfree_skb reason: ... an skb dropped\n"
      "#\n";
  s += column_titles("# ", false);
  s += column_titles("# ", true);
  return s;
}

int& TextSink::depth(uint16_t track) {
  if (track >= depth_.size()) depth_.resize(track + 1u, 0);
  return depth_[track];
}

void TextSink::line(const sim::TraceRecord& r, int depth, const std::string* dur_col,
                    const std::string& body) {
  std::string& s = buf_;
  s.clear();
  s += "  ";
  pad_right(s, stack::step_info(r.step).id, kStepW);
  s += ' ';
  scratch_.clear();
  append_seconds(scratch_, r.t);
  pad_left(s, scratch_, kTimeW);
  s += "  ";
  pad_right(s, host_name(bus_, r.host, scratch_), kHostW);
  s += ' ';
  pad_right(s, track_name(bus_, r.track, scratch_), kTrackW);
  s += ' ';
  scratch_.clear();
  if (r.skb != 0)
    append_uint(scratch_, r.skb);
  else
    scratch_ = "-";
  pad_right(s, scratch_, kSkbW);
  s += ' ';
  pad_left(s, dur_col != nullptr ? std::string_view(*dur_col) : std::string_view(), kDurW);
  s += "  |  ";
  for (int i = 0; i < depth; ++i) s += "  ";
  s += body;
  s += '\n';
  out_.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void TextSink::flush_pending() {
  if (!have_pending_) return;
  have_pending_ = false;
  int& d = depth(pending_.track);
  line(pending_, d, nullptr, std::string(pending_.fn) + "() {");
  ++d;
}

void TextSink::record(const sim::TraceRecord& r) {
  if (!header_done_) {
    header_done_ = true;
    if (opt_.header) out_ << header_text();
  }
  if (have_pending_) {
    // An exit straight after its own enter is a leaf: one line, "fn();".
    const bool leaf = r.kind == sim::TraceKind::kExit && r.track == pending_.track &&
                      r.skb == pending_.skb && std::string_view(r.fn) == pending_.fn;
    if (leaf) {
      have_pending_ = false;
      std::string dur;
      append_us3(dur, r.dur.ns());
      dur += " us";
      line(r, depth(r.track), &dur, std::string(r.fn) + "();");
      return;
    }
    flush_pending();
  }
  std::string body;
  switch (r.kind) {
    case sim::TraceKind::kEnter:
      if (opt_.collapse_leaves) {
        pending_ = r;
        have_pending_ = true;
        return;
      }
      line(r, depth(r.track)++, nullptr, std::string(r.fn) + "() {");
      return;
    case sim::TraceKind::kExit: {
      int& d = depth(r.track);
      if (d > 0) --d;  // an exit whose enter was filtered out stays at the left
      std::string dur;
      append_us3(dur, r.dur.ns());
      dur += " us";
      // "} /* fn */" as ftrace's funcgraph-tail option prints it: with several
      // tracks interleaved, the name says which brace closes what.
      line(r, d, &dur, std::string("} /* ") + r.fn + " */");
      return;
    }
    case sim::TraceKind::kBranch:
      body = "/* ";
      append_detail(body, r);
      body += " */";
      break;
    case sim::TraceKind::kEvent:
      body = "=> ";
      body += r.fn;
      if (r.fmt != nullptr && r.fmt[0] != '\0') {
        body += ": ";
        append_detail(body, r);
      }
      break;
    case sim::TraceKind::kDrop: {
      // The kernel's kfree_skb tracepoint prints the reason; the function
      // that dropped it follows when the record names another one.
      body = "=> kfree_skb reason: ";
      append_detail(body, r);
      std::string_view fn = r.fn != nullptr ? r.fn : "";
      if (!fn.empty() && fn.substr(0, 9) != "kfree_skb") {
        body += " (in ";
        body += fn;
        body += ')';
      }
      break;
    }
  }
  line(r, depth(r.track), nullptr, body);
}

void TextSink::finish() {
  flush_pending();
  out_.flush();
}

}  // namespace tools
