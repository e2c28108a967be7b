// JsonlSink, PerfettoSink and FilterSink (TextSink and StepSink have their
// own files). JSON is written by hand from integers and escaped strings:
// faster than building a DOM per record, and byte-identical across runs.
#include <algorithm>
#include <iterator>
#include <ostream>

#include "stack/steps.h"
#include "tools/trace_format.h"
#include "tools/trace_sinks.h"

namespace tools {

namespace {

void json_str(std::string& out, std::string_view s) {
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
}

// One raw argument as a JSON value.
void json_arg(std::string& out, const sim::TraceArg& a) {
  switch (a.type) {
    case sim::TraceArg::kInt:
    case sim::TraceArg::kDuration: append_int(out, a.i); break;
    case sim::TraceArg::kUint: append_uint(out, a.u); break;
    case sim::TraceArg::kStr:
      if (a.s == nullptr)
        out += "null";
      else
        json_str(out, a.s);
      break;
    case sim::TraceArg::kIpv4:
    case sim::TraceArg::kMac: {
      std::string s;
      append_arg(s, a);
      json_str(out, s);
      break;
    }
    case sim::TraceArg::kNone: out += "null"; break;
  }
}

// Microseconds with three decimals from integer ns: the trace-event format's
// unit, without the rounding a double would bring.
void json_us(std::string& out, sim::Time t) { append_us3(out, t.ns()); }

}  // namespace

// ---------------------------------------------------------------------------
// JsonlSink

void JsonlSink::record(const sim::TraceRecord& r) {
  std::string& s = buf_;
  s.clear();
  s += "{\"t_ns\":";
  append_int(s, r.t.ns());
  s += ",\"host\":";
  json_str(s, host_name(bus_, r.host, scratch_));
  s += ",\"cpu\":";
  const auto& tracks = bus_.tracks();
  if (r.track < tracks.size() && tracks[r.track].kind == sim::TrackKind::kCpu)
    append_uint(s, tracks[r.track].index);
  else
    s += "null";
  s += ",\"track\":";
  json_str(s, track_name(bus_, r.track, scratch_));
  s += ",\"kind\":\"";
  s += kind_name(r.kind);
  s += "\",\"step\":";
  if (r.step != 0 && r.step < stack::step::kCount) {
    const stack::StepInfo& st = stack::step_info(r.step);
    json_str(s, st.id);
    s += ",\"layer\":";
    json_str(s, st.layer);
  } else {
    s += "null,\"layer\":null";
  }
  s += ",\"fn\":";
  json_str(s, r.fn != nullptr ? r.fn : "");
  s += ",\"skb\":";
  append_uint(s, r.skb);
  s += ",\"detail\":";
  scratch_.clear();
  append_detail(scratch_, r);
  json_str(s, scratch_);
  if (r.kind == sim::TraceKind::kExit) {
    s += ",\"dur_ns\":";
    append_int(s, r.dur.ns());
  }
  if (r.nargs > 0) {
    s += ",\"args\":[";
    for (size_t i = 0; i < r.nargs && i < std::size(r.args); ++i) {
      if (i > 0) s.push_back(',');
      json_arg(s, r.args[i]);
    }
    s.push_back(']');
  }
  s += "}\n";
  out_.write(s.data(), static_cast<std::streamsize>(s.size()));
}

void JsonlSink::finish() { out_.flush(); }

// ---------------------------------------------------------------------------
// PerfettoSink

PerfettoSink::~PerfettoSink() {
  if (!finished_) finish();
}

void PerfettoSink::write() {
  if (!started_) {
    started_ = true;
    // displayTimeUnit only changes how the legacy viewer labels the axis.
    out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  } else {
    out_ << ",\n";
  }
  out_.write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
}

// The fields every event has; pid = host + 1 and tid = track + 1 because
// some viewers treat 0 as "no process/thread".
void PerfettoSink::begin_event(char ph, const sim::TraceRecord& r) {
  buf_.clear();
  buf_ += "{\"ph\":\"";
  buf_.push_back(ph);
  buf_ += "\",\"pid\":";
  append_uint(buf_, r.host + 1u);
  buf_ += ",\"tid\":";
  append_uint(buf_, r.track + 1u);
  buf_ += ",\"ts\":";
  json_us(buf_, r.t);
}

void PerfettoSink::flow(char ph, const sim::TraceRecord& r) {
  begin_event(ph, r);
  // Flows are matched by (id, cat, name); "bp":"e" binds every point to the
  // slice enclosing it (the default for "f" would be the next slice).
  buf_ += ",\"name\":\"skb\",\"cat\":\"skb\",\"id\":";
  append_uint(buf_, r.skb);
  buf_ += ",\"bp\":\"e\"}";
  write();
}

void PerfettoSink::record(const sim::TraceRecord& r) {
  if (finished_) return;
  if (r.track >= depth_.size()) depth_.resize(r.track + 1u, 0);
  const stack::StepInfo& st = stack::step_info(r.step);
  switch (r.kind) {
    case sim::TraceKind::kEnter: {
      ++depth_[r.track];
      begin_event('B', r);
      buf_ += ",\"name\":";
      json_str(buf_, r.fn != nullptr ? r.fn : "");
      buf_ += ",\"cat\":";
      json_str(buf_, r.step != 0 ? st.layer : std::string_view("other"));
      buf_ += ",\"args\":{\"step\":";
      json_str(buf_, st.id);
      buf_ += ",\"skb\":";
      append_uint(buf_, r.skb);
      buf_ += "}}";
      write();
      if (r.skb == 0) return;
      // Written right after its "B" with the same ts, so a viewer that sorts
      // by time (stably) sees the slice open when it binds the point.
      auto [it, first] = flows_.try_emplace(r.skb, Flow{r.track, false});
      if (first) {
        flow('s', r);
      } else if (!it->second.ended &&
                 (it->second.track != r.track || r.step == stack::step::kRx06)) {
        const bool end = r.step == stack::step::kRx06;  // the receiver's recvmsg
        flow(end ? 'f' : 't', r);
        it->second.track = r.track;
        it->second.ended = end;
      }
      return;
    }
    case sim::TraceKind::kExit:
      if (depth_[r.track] > 0) --depth_[r.track];
      begin_event('E', r);
      buf_ += "}";
      write();
      return;
    case sim::TraceKind::kBranch:
    case sim::TraceKind::kEvent:
    case sim::TraceKind::kDrop: {
      begin_event('i', r);
      scratch_.clear();
      append_detail(scratch_, r);
      buf_ += ",\"s\":\"t\",\"name\":";
      // A branch is named by its why-text, which is what the eye looks for on
      // the timeline; events by their tracepoint, drops by the kernel's.
      if (r.kind == sim::TraceKind::kBranch)
        json_str(buf_, scratch_);
      else if (r.kind == sim::TraceKind::kDrop)
        json_str(buf_, "kfree_skb");
      else
        json_str(buf_, r.fn != nullptr ? r.fn : "");
      buf_ += ",\"cat\":\"";
      buf_ += kind_name(r.kind);
      buf_ += "\",\"args\":{\"step\":";
      json_str(buf_, st.id);
      buf_ += ",\"fn\":";
      json_str(buf_, r.fn != nullptr ? r.fn : "");
      buf_ += ",\"skb\":";
      append_uint(buf_, r.skb);
      buf_ += r.kind == sim::TraceKind::kDrop ? ",\"reason\":" : ",\"detail\":";
      json_str(buf_, scratch_);
      buf_ += "}}";
      write();
      if (r.kind == sim::TraceKind::kDrop && r.skb != 0 && depth_[r.track] > 0) {
        // The packet's journey ends here: close its arrow in the function
        // that dropped it.
        auto it = flows_.find(r.skb);
        if (it != flows_.end() && !it->second.ended) {
          flow('f', r);
          it->second.ended = true;
        }
      }
      return;
    }
  }
}

void PerfettoSink::finish() {
  if (finished_) return;
  // Names for every process and thread the bus knows, sorted as declared
  // (hosts in order, tracks in order within a host).
  const auto& hosts = bus_.hosts();
  for (size_t h = 0; h < hosts.size(); ++h) {
    buf_ = "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":";
    append_uint(buf_, h + 1);
    buf_ += ",\"args\":{\"name\":";
    json_str(buf_, hosts[h]);
    buf_ += "}}";
    write();
    buf_ = "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":";
    append_uint(buf_, h + 1);
    buf_ += ",\"args\":{\"sort_index\":";
    append_uint(buf_, h);
    buf_ += "}}";
    write();
  }
  const auto& tracks = bus_.tracks();
  for (size_t t = 0; t < tracks.size(); ++t) {
    for (const bool name : {true, false}) {
      buf_ = name ? "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":"
                  : "{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":";
      append_uint(buf_, tracks[t].host + 1u);
      buf_ += ",\"tid\":";
      append_uint(buf_, t + 1);
      if (name) {
        buf_ += ",\"args\":{\"name\":";
        json_str(buf_, tracks[t].name);
      } else {
        buf_ += ",\"args\":{\"sort_index\":";
        append_uint(buf_, t);
      }
      buf_ += "}}";
      write();
    }
  }
  if (!started_) out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  out_ << "\n]}\n";
  out_.flush();
  started_ = true;
  finished_ = true;
}

// ---------------------------------------------------------------------------
// FilterSink

FilterSink& FilterSink::hosts(std::vector<std::string> names) {
  host_names_ = std::move(names);
  host_ok_.clear();
  return *this;
}

FilterSink& FilterSink::skbs(std::vector<uint64_t> ids) {
  skbs_.clear();
  skbs_.insert(ids.begin(), ids.end());
  return *this;
}

FilterSink& FilterSink::layers(const std::vector<std::string>& names) {
  step_ok_.assign(names.empty() ? 0 : stack::step::kCount, false);
  for (uint16_t s = 0; s < step_ok_.size(); ++s) {
    std::string_view layer = stack::step_info(s).layer;
    step_ok_[s] = std::find(names.begin(), names.end(), layer) != names.end();
  }
  return *this;
}

bool FilterSink::pass(const sim::TraceRecord& r) {
  if (!step_ok_.empty() && !(r.step < step_ok_.size() && step_ok_[r.step])) return false;
  if (!skbs_.empty() && skbs_.count(r.skb) == 0) return false;
  if (!host_names_.empty()) {
    // Resolved once per host index; hosts may be added after the filter.
    if (r.host >= host_ok_.size()) host_ok_.resize(r.host + 1u, -1);
    int8_t& ok = host_ok_[r.host];
    if (ok < 0) {
      const auto& hosts = bus_.hosts();
      if (r.host >= hosts.size()) return false;  // unnamed yet: ask again later
      ok = std::find(host_names_.begin(), host_names_.end(), hosts[r.host]) !=
                   host_names_.end()
               ? 1
               : 0;
    }
    if (ok == 0) return false;
  }
  return true;
}

}  // namespace tools
