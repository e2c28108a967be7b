#include "tools/trace_format.h"

#include <charconv>
#include <iterator>

namespace tools {

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, res.ptr);
}

namespace {

// Appends `v` zero-padded to `width` digits.
void append_padded(std::string& out, uint64_t v, int width) {
  char buf[24];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  for (int n = static_cast<int>(res.ptr - buf); n < width; ++n) out.push_back('0');
  out.append(buf, res.ptr);
}

// whole.frac with `digits` fraction digits, then trailing zeros (and a bare
// point) removed.
void append_trimmed(std::string& out, uint64_t whole, uint64_t frac, int digits) {
  append_uint(out, whole);
  if (frac == 0) return;
  out.push_back('.');
  size_t start = out.size();
  append_padded(out, frac, digits);
  while (out.size() > start && out.back() == '0') out.pop_back();
}

void append_hex(std::string& out, uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  char buf[16];
  int n = 0;
  do {
    buf[n++] = kDigits[v & 0xf];
    v >>= 4;
  } while (v != 0);
  out += "0x";
  while (n > 0) out.push_back(buf[--n]);
}

}  // namespace

void append_seconds(std::string& out, sim::Time t) {
  int64_t ns = t.ns();
  if (ns < 0) {  // never produced by the scheduler, but do not print garbage
    out.push_back('-');
    ns = -ns;
  }
  append_uint(out, static_cast<uint64_t>(ns) / 1000000000u);
  out.push_back('.');
  append_padded(out, static_cast<uint64_t>(ns) % 1000000000u, 9);
}

void append_us3(std::string& out, int64_t ns) {
  if (ns < 0) {
    out.push_back('-');
    ns = -ns;
  }
  append_uint(out, static_cast<uint64_t>(ns) / 1000u);
  out.push_back('.');
  append_padded(out, static_cast<uint64_t>(ns) % 1000u, 3);
}

void append_duration(std::string& out, sim::Duration d) {
  int64_t ns = d.ns();
  if (ns < 0) {
    out.push_back('-');
    ns = -ns;
  }
  const uint64_t u = static_cast<uint64_t>(ns);
  if (u < 1000u) {
    append_uint(out, u);
    out += " ns";
  } else if (u < 1000000u) {
    append_trimmed(out, u / 1000u, u % 1000u, 3);
    out += " us";
  } else if (u < 1000000000u) {
    append_trimmed(out, u / 1000000u, u % 1000000u, 6);
    out += " ms";
  } else {
    append_trimmed(out, u / 1000000000u, u % 1000000000u, 9);
    out += " s";
  }
}

void append_ipv4(std::string& out, uint32_t a) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    append_uint(out, (a >> shift) & 0xffu);
    if (shift != 0) out.push_back('.');
  }
}

void append_mac(std::string& out, uint64_t m) {
  static const char kDigits[] = "0123456789abcdef";
  for (int shift = 40; shift >= 0; shift -= 8) {
    const unsigned b = static_cast<unsigned>(m >> shift) & 0xffu;
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
    if (shift != 0) out.push_back(':');
  }
}

void append_arg(std::string& out, const sim::TraceArg& a) {
  switch (a.type) {
    case sim::TraceArg::kNone: out += "{?}"; break;
    case sim::TraceArg::kInt: append_int(out, a.i); break;
    case sim::TraceArg::kUint: append_uint(out, a.u); break;
    case sim::TraceArg::kStr: out += a.s != nullptr ? a.s : "(null)"; break;
    case sim::TraceArg::kIpv4: append_ipv4(out, static_cast<uint32_t>(a.u)); break;
    case sim::TraceArg::kMac: append_mac(out, a.u); break;
    case sim::TraceArg::kDuration: append_duration(out, sim::Duration::from_ns(a.i)); break;
  }
}

void append_detail(std::string& out, const sim::TraceRecord& r) {
  const char* p = r.fmt != nullptr ? r.fmt : "";
  int next = 0;
  while (*p != '\0') {
    const char c = *p;
    if ((c == '{' && p[1] == '{') || (c == '}' && p[1] == '}')) {
      out.push_back(c);
      p += 2;
      continue;
    }
    if (c != '{') {
      out.push_back(c);
      ++p;
      continue;
    }
    // A placeholder: find its end and its spec, if any.
    const char* end = p + 1;
    while (*end != '\0' && *end != '}') ++end;
    if (*end == '\0') {  // an unclosed brace is printed as written
      out += p;
      return;
    }
    const bool hex = end - p == 3 && p[1] == ':' && p[2] == 'x';
    if (next >= r.nargs || next >= static_cast<int>(std::size(r.args))) {
      out += "{?}";
    } else {
      const sim::TraceArg& a = r.args[next];
      if (hex && (a.type == sim::TraceArg::kUint || a.type == sim::TraceArg::kInt))
        append_hex(out, a.u);
      else
        append_arg(out, a);
    }
    ++next;
    p = end + 1;
  }
}

std::string format_detail(const sim::TraceRecord& r) {
  std::string s;
  append_detail(s, r);
  return s;
}

void append_json_escaped(std::string& out, std::string_view s) {
  static const char kDigits[] = "0123456789abcdef";
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kDigits[c >> 4]);
          out.push_back(kDigits[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
}

const char* kind_name(sim::TraceKind k) {
  switch (k) {
    case sim::TraceKind::kEnter: return "enter";
    case sim::TraceKind::kExit: return "exit";
    case sim::TraceKind::kBranch: return "branch";
    case sim::TraceKind::kEvent: return "event";
    case sim::TraceKind::kDrop: return "drop";
  }
  return "?";
}

std::string_view host_name(const sim::TraceBus& bus, uint16_t host, std::string& scratch) {
  if (host < bus.hosts().size()) return bus.hosts()[host];
  scratch = "host";
  append_uint(scratch, host);
  return scratch;
}

std::string_view track_name(const sim::TraceBus& bus, uint16_t track, std::string& scratch) {
  if (track < bus.tracks().size()) return bus.tracks()[track].name;
  scratch = "track";
  append_uint(scratch, track);
  return scratch;
}

}  // namespace tools
