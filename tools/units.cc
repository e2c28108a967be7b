// tools/units.cc: exact parsing of tc/ip style numbers with units.
//
// A number is read as an integer mantissa and a decimal exponent
// ("1.5e3" -> 15 x 10^2), then multiplied by the unit's integer scale in
// 128-bit arithmetic; a result that is not a whole number of the target unit
// (half a nanosecond, a third of a byte) is an error, never rounded silently.
#include "tools/units.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace tools {
namespace {

using u128 = unsigned __int128;

struct Unit {
  const char* name;
  uint64_t scale;  // in the target unit (bits/s, ns, bytes)
};

// iproute2 tc/tc_util.c, suffixes[] of get_rate(): bit-based units first
// (the more common spelling), then tc's byte-per-second units.
constexpr Unit kRateUnits[] = {
    {"bit", 1},
    {"kbit", 1000ull},
    {"mbit", 1000000ull},
    {"gbit", 1000000000ull},
    {"tbit", 1000000000000ull},
    {"kibit", 1024ull},
    {"mibit", 1024ull * 1024},
    {"gibit", 1024ull * 1024 * 1024},
    {"tibit", 1024ull * 1024 * 1024 * 1024},
    {"bps", 8},
    {"kbps", 8000ull},
    {"mbps", 8000000ull},
    {"gbps", 8000000000ull},
    {"tbps", 8000000000000ull},
    {"kibps", 8ull * 1024},
    {"mibps", 8ull * 1024 * 1024},
    {"gibps", 8ull * 1024 * 1024 * 1024},
    {"tibps", 8ull * 1024 * 1024 * 1024 * 1024},
};

// get_time() knows s/sec/secs, ms/msec/msecs, us/usec/usecs; nanoseconds
// are added because the simulator's clock has them.
constexpr Unit kTimeUnits[] = {
    {"s", 1000000000ull}, {"sec", 1000000000ull}, {"secs", 1000000000ull},
    {"ms", 1000000ull},   {"msec", 1000000ull},   {"msecs", 1000000ull},
    {"us", 1000ull},      {"usec", 1000ull},      {"usecs", 1000ull},
    {"ns", 1},            {"nsec", 1},            {"nsecs", 1},
};

// get_size(): k/kb, m/mb, g/gb are binary (tc's sizes are 1024-based), and
// kbit/mbit/gbit are the same divided by 8; kib/mib/gib are accepted as the
// unambiguous spelling of the same.
constexpr Unit kSizeUnits[] = {
    {"b", 1},
    {"k", 1024ull},
    {"kb", 1024ull},
    {"kib", 1024ull},
    {"m", 1024ull * 1024},
    {"mb", 1024ull * 1024},
    {"mib", 1024ull * 1024},
    {"g", 1024ull * 1024 * 1024},
    {"gb", 1024ull * 1024 * 1024},
    {"gib", 1024ull * 1024 * 1024},
    {"kbit", 1024ull / 8},
    {"mbit", 1024ull * 1024 / 8},
    {"gbit", 1024ull * 1024 * 1024 / 8},
};

template <size_t N>
std::vector<std::string> names_of(const Unit (&units)[N]) {
  std::vector<std::string> v;
  for (const Unit& u : units) v.emplace_back(u.name);
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// A decimal number as mantissa x 10^exp10, and what follows it.
struct Decimal {
  uint64_t mant = 0;
  int exp10 = 0;
  std::string_view rest;  // the unit, spaces trimmed
};

// Reads [digits][.digits][e[+-]digits]; at least one digit. Returns an
// error string, empty on success.
std::string read_decimal(std::string_view s, Decimal& d) {
  s = trim(s);
  if (s.empty()) return "empty value";
  if (s.front() == '-') return "must not be negative: " + quoted(s);
  if (s.front() == '+') s.remove_prefix(1);
  size_t i = 0;
  int digits = 0;
  int zeros = 0;  // trailing fraction zeros not yet folded in: "1.500" is 15e-1
  bool any = false;
  auto take_digit = [&](char c, bool fraction) -> bool {
    any = true;
    if (d.mant == 0 && c == '0') {  // leading zeros carry no precision
      if (fraction) d.exp10--;
      return true;
    }
    if (fraction && c == '0') {
      zeros++;
      return true;
    }
    for (; zeros > 0; zeros--) {
      if (++digits > 19) return false;
      d.mant *= 10;
      d.exp10--;
    }
    if (++digits > 19) return false;  // beyond what 64 bits hold exactly
    d.mant = d.mant * 10 + static_cast<uint64_t>(c - '0');
    if (fraction) d.exp10--;
    return true;
  };
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (!take_digit(s[i], false)) return "too many digits: " + quoted(s);
    i++;
  }
  if (i < s.size() && s[i] == '.') {
    i++;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (!take_digit(s[i], true)) return "too many digits: " + quoted(s);
      i++;
    }
  }
  if (!any) return "expected a number, got " + quoted(s);
  // An exponent only when digits follow, so a unit starting with 'e' could
  // never be mistaken for one.
  if (i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    bool neg = false;
    if (s[j] == '+' || s[j] == '-') neg = s[j++] == '-';
    if (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
      int e = 0;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) {
        e = e * 10 + (s[j] - '0');
        if (e > 60) return "exponent out of range: " + quoted(s);
        j++;
      }
      d.exp10 += neg ? -e : e;
      i = j;
    }
  }
  d.rest = trim(s.substr(i));
  if (!d.rest.empty() && (d.rest.front() == '.' || std::isdigit(static_cast<unsigned char>(d.rest.front()))))
    return "bad number " + quoted(s);
  return "";
}

constexpr u128 kU64Max = std::numeric_limits<uint64_t>::max();

// mant x scale x 10^exp10 as an exact integer no larger than `max`.
// `what` names the target unit for messages ("bit/s", "ns", "byte").
std::string scale_exact(const Decimal& d, uint64_t scale, uint64_t max, const char* what,
                        std::string_view text, uint64_t& out) {
  u128 v = static_cast<u128>(d.mant) * scale;
  if (v == 0) {
    out = 0;
    return "";
  }
  int e = d.exp10;
  for (; e > 0; e--) {
    if (v > kU64Max) break;
    v *= 10;
  }
  for (; e < 0; e++) {
    if (v % 10 != 0) {
      return quoted(text) + " is not a whole number of " + what;
    }
    v /= 10;
  }
  if (e > 0 || v > max) return quoted(text) + " is too large";
  out = static_cast<uint64_t>(v);
  return "";
}

template <size_t N>
const Unit* find_unit(const Unit (&units)[N], std::string_view name) {
  std::string l = lower(name);
  for (const Unit& u : units)
    if (l == u.name) return &u;
  return nullptr;
}

template <size_t N>
std::string unknown_unit(const Unit (&units)[N], std::string_view name) {
  std::string msg = "unknown unit " + quoted(name);
  std::string hint = did_you_mean(lower(name), names_of(units));
  if (!hint.empty()) return msg + hint;
  msg += " (expected one of:";
  for (const Unit& u : units) msg += std::string(" ") + u.name;
  return msg + ")";
}

}  // namespace

const std::vector<std::string>& rate_units() {
  static const std::vector<std::string> v = names_of(kRateUnits);
  return v;
}
const std::vector<std::string>& time_units() {
  static const std::vector<std::string> v = names_of(kTimeUnits);
  return v;
}
const std::vector<std::string>& size_units() {
  static const std::vector<std::string> v = names_of(kSizeUnits);
  return v;
}

Parsed<sim::Rate> parse_rate(std::string_view s) {
  Parsed<sim::Rate> r;
  Decimal d;
  if (r.error = read_decimal(s, d); !r.ok()) return r;
  uint64_t scale = 1;  // tc: a bare number is bits per second
  if (!d.rest.empty()) {
    const Unit* u = find_unit(kRateUnits, d.rest);
    if (!u) {
      r.error = unknown_unit(kRateUnits, d.rest);
      return r;
    }
    scale = u->scale;
  }
  r.error = scale_exact(d, scale, std::numeric_limits<uint64_t>::max(), "bit/s", trim(s),
                        r.value.bps);
  return r;
}

Parsed<sim::Duration> parse_time(std::string_view s) {
  Parsed<sim::Duration> r;
  Decimal d;
  if (r.error = read_decimal(s, d); !r.ok()) return r;
  if (d.rest.empty()) {
    if (d.mant == 0) return r;  // zero needs no unit
    r.error = "missing unit in " + quoted(trim(s)) + " (write e.g. \"" + std::string(trim(s)) +
              "ms\"; tc would read microseconds)";
    return r;
  }
  const Unit* u = find_unit(kTimeUnits, d.rest);
  if (!u) {
    r.error = unknown_unit(kTimeUnits, d.rest);
    return r;
  }
  uint64_t ns = 0;
  r.error = scale_exact(d, u->scale, std::numeric_limits<int64_t>::max(), "nanoseconds (sub-ns)",
                        trim(s), ns);
  r.value = sim::Duration::from_ns(static_cast<int64_t>(ns));
  return r;
}

Parsed<uint64_t> parse_size(std::string_view s) {
  Parsed<uint64_t> r;
  Decimal d;
  if (r.error = read_decimal(s, d); !r.ok()) return r;
  uint64_t scale = 1;
  if (!d.rest.empty()) {
    const Unit* u = find_unit(kSizeUnits, d.rest);
    if (!u) {
      r.error = unknown_unit(kSizeUnits, d.rest);
      return r;
    }
    scale = u->scale;
  }
  r.error = scale_exact(d, scale, std::numeric_limits<uint64_t>::max(), "bytes", trim(s), r.value);
  return r;
}

Parsed<uint32_t> parse_probability(std::string_view s) {
  Parsed<uint32_t> r;
  Decimal d;
  if (r.error = read_decimal(s, d); !r.ok()) return r;
  int exp10 = d.exp10;
  if (d.rest == "%") {
    exp10 -= 2;
  } else if (!d.rest.empty()) {
    r.error = "unknown unit " + quoted(d.rest) + " (write a fraction like 0.001 or a percentage like 0.1%)";
    return r;
  }
  // p x 2^32 = mant x 2^32 x 10^exp10, rounded to nearest; mant x 2^32 <
  // 2^96, so it and the division stay inside 128 bits.
  u128 num = static_cast<u128>(d.mant) << 32;
  u128 den = 1;
  // Stop scaling up once the value is certainly above 1 (num > 2^34).
  for (; exp10 > 0 && num <= (static_cast<u128>(1) << 34); exp10--) num *= 10;
  // Below 10^-30 the rounded result is 0 whatever the mantissa.
  for (; exp10 < 0 && den < (static_cast<u128>(1) << 100); exp10++) den *= 10;
  u128 q = exp10 < 0 ? 0 : (num + den / 2) / den;
  if (exp10 > 0 || q > (static_cast<u128>(1) << 32)) {
    r.error = "probability " + quoted(trim(s)) + " is above 1 (100%)";
    return r;
  }
  // Certainty (1 or 100%) saturates: the loss model draws a 32-bit number
  // and drops when it is below this value.
  r.value = q >= (static_cast<u128>(1) << 32) ? 0xffffffffu : static_cast<uint32_t>(q);
  return r;
}

Parsed<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi) {
  Parsed<int64_t> r;
  std::string_view t = trim(s);
  bool neg = !t.empty() && t.front() == '-';
  if (neg) t.remove_prefix(1);
  if (t.empty() || !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    r.error = "expected an integer, got " + quoted(trim(s));
    return r;
  }
  u128 v = 0;
  for (char c : t) {
    v = v * 10 + static_cast<u128>(c - '0');
    if (v > (static_cast<u128>(1) << 64)) break;
  }
  bool in_range;
  int64_t value = 0;
  if (neg) {
    in_range = v <= static_cast<u128>(std::numeric_limits<int64_t>::max()) + 1;
    if (in_range) value = v == static_cast<u128>(std::numeric_limits<int64_t>::max()) + 1
                              ? std::numeric_limits<int64_t>::min()
                              : -static_cast<int64_t>(v);
  } else {
    in_range = v <= static_cast<u128>(std::numeric_limits<int64_t>::max());
    if (in_range) value = static_cast<int64_t>(v);
  }
  if (!in_range || value < lo || value > hi) {
    r.error = quoted(trim(s)) + " is out of range (" + std::to_string(lo) + ".." + std::to_string(hi) + ")";
    return r;
  }
  r.value = value;
  return r;
}

Parsed<bool> parse_bool(std::string_view s) {
  Parsed<bool> r;
  std::string l = lower(trim(s));
  if (l == "on" || l == "true" || l == "yes") {
    r.value = true;
  } else if (l == "off" || l == "false" || l == "no") {
    r.value = false;
  } else {
    r.error = "expected on/off (or true/false), got " + quoted(trim(s));
  }
  return r;
}

Parsed<uint32_t> parse_ipv4(std::string_view s) {
  Parsed<uint32_t> r;
  std::string_view t = trim(s);
  uint32_t a = 0;
  int parts = 0;
  size_t i = 0;
  while (true) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) && i - start < 4) {
      octet = octet * 10 + static_cast<uint32_t>(t[i] - '0');
      i++;
    }
    // Leading zeros are refused: inet_aton would read them as octal.
    if (i == start || octet > 255 || (i - start > 1 && t[start] == '0')) break;
    a = (a << 8) | octet;
    parts++;
    if (parts == 4 || i >= t.size() || t[i] != '.') break;
    i++;
  }
  if (parts != 4 || i != t.size()) {
    r.error = "bad IPv4 address " + quoted(t);
    return r;
  }
  r.value = a;
  return r;
}

Parsed<Ipv4Prefix> parse_ipv4_prefix(std::string_view s, bool allow_default) {
  Parsed<Ipv4Prefix> r;
  std::string_view t = trim(s);
  if (allow_default && t == "default") return r;  // 0.0.0.0/0
  size_t slash = t.find('/');
  auto a = parse_ipv4(t.substr(0, slash));
  if (!a.ok()) {
    r.error = slash == std::string_view::npos ? a.error : "bad IPv4 address in " + quoted(t);
    return r;
  }
  r.value.addr = a.value;
  r.value.len = 32;
  if (slash != std::string_view::npos) {
    auto len = parse_int(t.substr(slash + 1), 0, 32);
    if (!len.ok() || t.substr(slash + 1).empty()) {
      r.error = "bad prefix length in " + quoted(t) + " (0..32)";
      return r;
    }
    r.value.len = static_cast<uint8_t>(len.value);
  }
  return r;
}

std::string format_ipv4(uint32_t a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

std::string format_prefix(uint32_t addr, uint8_t len) {
  return format_ipv4(addr) + "/" + std::to_string(len);
}

Parsed<std::array<uint8_t, 6>> parse_mac(std::string_view s) {
  Parsed<std::array<uint8_t, 6>> r;
  std::string_view t = trim(s);
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  bool ok = t.size() == 17;
  for (size_t i = 0; ok && i < 6; i++) {
    int hi = hex(t[3 * i]), lo = hex(t[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && t[3 * i + 2] != ':' && t[3 * i + 2] != '-')) ok = false;
    else r.value[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (!ok) r.error = "bad MAC address " + quoted(t) + " (expected six hex bytes like 02:00:00:00:00:01)";
  return r;
}

std::string format_mac(const std::array<uint8_t, 6>& m) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < 6; i++) {
    if (i) s += ':';
    s += kHex[m[i] >> 4];
    s += kHex[m[i] & 15];
  }
  return s;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic programme: the swap case looks two back.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) prev[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); j++) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  // Short words allow fewer edits: "xy" is not a typo of "ms".
  size_t limit = word.size() <= 3 ? 1 : word.size() <= 8 ? 2 : 3;
  std::string best;
  size_t best_d = limit + 1;
  for (const std::string& c : candidates) {
    size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  std::string m = closest_match(word, candidates);
  return m.empty() ? "" : " (did you mean \"" + m + "\"?)";
}

}  // namespace tools
