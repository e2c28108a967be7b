// tools/trace_format.h: turning raw tracepoint values into text, shared by
// every trace sink.
//
// The model hands the trace bus a static fmt-style string and up to four raw
// TraceArgs (sim/trace.h); nothing is formatted unless a sink asks. These
// helpers do that formatting in one place so that the teaching text, the JSON
// lines, Perfetto and the step walk all spell an address, a duration or a
// timestamp the same way. Everything is integer arithmetic: the output is
// byte-identical on every machine and every run.
//
//   std::string why = tools::format_detail(rec);   // "qlen 3 > limit 2"
//   tools::append_seconds(line, rec.t);            // "0.000012345"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/trace.h"

namespace tools {

// Appends `v` in decimal.
void append_int(std::string& out, int64_t v);
void append_uint(std::string& out, uint64_t v);

// Appends a point in virtual time as seconds with nine decimals,
// "12.000012345" (no padding).
void append_seconds(std::string& out, sim::Time t);

// Appends `ns` as microseconds with three decimals, "3.250" (the unit of
// ftrace's duration column; the caller adds " us").
void append_us3(std::string& out, int64_t ns);

// A duration in the largest unit that keeps it exact, trailing zeros trimmed:
// "850 ns", "3.25 us", "1.234567 ms", "2 s". Exact because a learner comparing
// two costs should not be misled by rounding.
void append_duration(std::string& out, sim::Duration d);

// 10.0.0.1 from the host-order value the model keeps (0x0a000001).
void append_ipv4(std::string& out, uint32_t addr);

// 02:00:00:00:00:01 from MacAddr::as_u64() (first octet most significant).
void append_mac(std::string& out, uint64_t mac);

// One argument, as the text sinks show it.
void append_arg(std::string& out, const sim::TraceArg& a);

// The record's fmt with each "{}" replaced by the next argument ("{{" and
// "}}" are literal braces, as in fmt). A placeholder with a spec ("{:x}") is
// accepted; the spec "x" prints integers in hex with 0x, other specs are
// ignored. Missing arguments print as "{?}" so a mistake in a tracepoint is
// visible rather than silently shifted.
void append_detail(std::string& out, const sim::TraceRecord& r);
std::string format_detail(const sim::TraceRecord& r);

// Appends `s` as the body of a JSON string (quotes not included): escapes
// '"', '\\' and control characters; other bytes are passed through (the model
// writes ASCII, and UTF-8 is valid JSON as is).
void append_json_escaped(std::string& out, std::string_view s);

// Short lowercase names: "enter", "exit", "branch", "event", "drop".
const char* kind_name(sim::TraceKind k);

// The host's and track's names from the bus, or "host3" / "track7" when the
// record names one the bus does not know (a synthetic record in a test).
std::string_view host_name(const sim::TraceBus& bus, uint16_t host, std::string& scratch);
std::string_view track_name(const sim::TraceBus& bus, uint16_t track, std::string& scratch);

}  // namespace tools
