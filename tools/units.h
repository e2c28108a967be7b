// tools/units.h: numbers with units, written the way `tc` and `ip` write them.
//
// Scenario files say `rate: 100mbit`, `delay: 1.5ms`, `limit: 64k`,
// `loss: 0.1%`, `address: 10.0.0.1/24`. These parsers turn such strings into
// the simulator's typed values, exactly: decimals are parsed as integers
// with a decimal exponent, never through floating point, so `1.5ms` is
// 1500000 ns on every machine. Each returns either a value or an error
// message meant for the user (the loader adds file, line and field path).
//
//   auto r = tools::parse_rate("1.5gbit");   // r.value.bps == 1500000000
//   auto t = tools::parse_time("250us");     // t.value == sim::us(250)
//   auto e = tools::parse_rate("10mbits");   // e.error: unknown unit "mbits"
//                                            //   (did you mean "mbit"?)
//
// Meanings follow iproute2 (tc/tc_util.c: get_rate, get_time, get_size):
//  - rates: bit kbit mbit gbit tbit (powers of 1000), kibit mibit gibit
//    tibit (powers of 1024), and bps kbps mbps gbps tbps, which in tc mean
//    BYTES per second (x8), with kibps mibps gibps tibps; a bare number is
//    bits per second; case-insensitive;
//  - times: s sec secs, ms msec msecs, us usec usecs, ns nsec nsecs; tc
//    reads a bare number as microseconds, which is easy to get wrong in a
//    file, so here a bare number other than 0 is an error;
//  - sizes (bytes): b, k kb kib (1024), m mb mib (1024^2), g gb gib
//    (1024^3), and kbit mbit gbit (1024/8 ...), as tc's get_size does; a
//    bare number is bytes;
//  - probabilities: `0.5%` or a fraction `0.005` (also `5e-3`), in parts of
//    2^32, rounded to nearest.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace tools {

// A parsed value or the reason it could not be parsed (error non-empty).
template <typename T>
struct Parsed {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
};

Parsed<sim::Rate> parse_rate(std::string_view s);
Parsed<sim::Duration> parse_time(std::string_view s);
Parsed<uint64_t> parse_size(std::string_view s);
// Probability as parts of 2^32; 1 (100%) saturates at 0xffffffff.
Parsed<uint32_t> parse_probability(std::string_view s);
// A plain decimal integer in [lo, hi] (no unit, no sign unless lo < 0).
Parsed<int64_t> parse_int(std::string_view s, int64_t lo, int64_t hi);
// on/off, true/false, yes/no (ethtool writes on/off), case-insensitive.
Parsed<bool> parse_bool(std::string_view s);

// Dotted-quad IPv4 address, host byte order (10.0.0.1 -> 0x0a000001).
Parsed<uint32_t> parse_ipv4(std::string_view s);
struct Ipv4Prefix {
  uint32_t addr = 0;  // host order; for an interface address, the host part is kept
  uint8_t len = 0;
};
// "10.0.0.1/24"; "default" is 0.0.0.0/0 when allow_default is set; a bare
// address is a /32.
Parsed<Ipv4Prefix> parse_ipv4_prefix(std::string_view s, bool allow_default);
std::string format_ipv4(uint32_t a);
std::string format_prefix(uint32_t addr, uint8_t len);
inline uint32_t prefix_mask(uint8_t len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

// A MAC address "02:00:00:aa:bb:cc" (also with '-').
Parsed<std::array<uint8_t, 6>> parse_mac(std::string_view s);
std::string format_mac(const std::array<uint8_t, 6>& m);

// Optimal string alignment distance (Levenshtein plus adjacent swaps).
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to `word`, if close enough to be a likely typo
// (ties: the earlier candidate); empty when none is.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);
// " (did you mean "x"?)" or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// Unit names each parser accepts, in the order used for suggestions.
const std::vector<std::string>& rate_units();
const std::vector<std::string>& time_units();
const std::vector<std::string>& size_units();

}  // namespace tools
