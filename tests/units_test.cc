// tests/units_test.cc: tools/units.h, numbers with units as tc and ip
// write them, and stack::Sysctls::set.
#include <catch2/catch.hpp>

#include "stack/sysctl.h"
#include "tools/units.h"

using namespace tools;

namespace {
uint64_t rate(const char* s) {
  auto r = parse_rate(s);
  INFO(s << ": " << r.error);
  REQUIRE(r.ok());
  return r.value.bps;
}
int64_t ns(const char* s) {
  auto r = parse_time(s);
  INFO(s << ": " << r.error);
  REQUIRE(r.ok());
  return r.value.ns();
}
uint64_t bytes(const char* s) {
  auto r = parse_size(s);
  INFO(s << ": " << r.error);
  REQUIRE(r.ok());
  return r.value;
}
uint32_t prob(const char* s) {
  auto r = parse_probability(s);
  INFO(s << ": " << r.error);
  REQUIRE(r.ok());
  return r.value;
}
}  // namespace

TEST_CASE("rates: tc's units, bits and bytes per second", "[units]") {
  CHECK(rate("100mbit") == 100000000ull);
  CHECK(rate("1gbit") == 1000000000ull);
  CHECK(rate("10gbit") == 10000000000ull);
  CHECK(rate("500kbit") == 500000ull);
  CHECK(rate("1000bit") == 1000ull);
  CHECK(rate("1000") == 1000ull);  // tc: a bare number is bit/s
  CHECK(rate("1tbit") == 1000000000000ull);
  // tc's *bps are bytes per second.
  CHECK(rate("100mbps") == 800000000ull);
  CHECK(rate("1bps") == 8ull);
  CHECK(rate("2kbps") == 16000ull);
  CHECK(rate("1gbps") == 8000000000ull);
  // Binary prefixes.
  CHECK(rate("1kibit") == 1024ull);
  CHECK(rate("1mibit") == 1048576ull);
  CHECK(rate("1gibit") == 1073741824ull);
  CHECK(rate("1mibps") == 8ull * 1048576);
  // Case-insensitive as tc (strcasecmp), decimals exact.
  CHECK(rate("1Gbit") == 1000000000ull);
  CHECK(rate("1.5gbit") == 1500000000ull);
  CHECK(rate("2.5mbit") == 2500000ull);
  CHECK(rate("0.001gbit") == 1000000ull);
  CHECK(rate("1e6bit") == 1000000ull);
  CHECK(rate(" 10mbit ") == 10000000ull);
}

TEST_CASE("rates: errors", "[units]") {
  CHECK(parse_rate("10mbits").error == "unknown unit \"mbits\" (did you mean \"mbit\"?)");
  CHECK(parse_rate("1gbt").error == "unknown unit \"gbt\" (did you mean \"gbit\"?)");
  // "mbs" is one edit from tc's mbps (bytes!), the closest real unit.
  CHECK(parse_rate("1mbs").error == "unknown unit \"mbs\" (did you mean \"mbps\"?)");
  CHECK(parse_rate("5furlongs").error.rfind("unknown unit \"furlongs\" (expected one of: bit kbit", 0) == 0);
  CHECK(parse_rate("").error == "empty value");
  CHECK(parse_rate("mbit").error == "expected a number, got \"mbit\"");
  CHECK(parse_rate("-1mbit").error == "must not be negative: \"-1mbit\"");
  CHECK(parse_rate("0.5bit").error == "\"0.5bit\" is not a whole number of bit/s");
  CHECK(parse_rate("1.1bps").error == "\"1.1bps\" is not a whole number of bit/s");
  CHECK(parse_rate("100000000tbit").error == "\"100000000tbit\" is too large");
}

TEST_CASE("times: exact nanoseconds, tc's spellings", "[units]") {
  CHECK(ns("10ms") == 10000000);
  CHECK(ns("250us") == 250000);
  CHECK(ns("1s") == 1000000000);
  CHECK(ns("1.5ms") == 1500000);
  CHECK(ns("100ns") == 100);
  CHECK(ns("2sec") == 2000000000);
  CHECK(ns("3secs") == 3000000000);
  CHECK(ns("1msec") == 1000000);
  CHECK(ns("1usec") == 1000);
  CHECK(ns("0.000001s") == 1000);
  CHECK(ns("0.123456789s") == 123456789);
  CHECK(ns("1.000000001s") == 1000000001);
  CHECK(ns("0") == 0);
  CHECK(ns("12.5us") == 12500);
  CHECK(ns("1e-3s") == 1000000);
  CHECK(ns("9223372036s") == 9223372036000000000);
  // Trailing zeros do not count against the 19 significant digits.
  CHECK(ns("0.1000000000000000000000000s") == 100000000);
  CHECK(ns("1.0500ms") == 1050000);
  CHECK(parse_time("1.23456789012345678901s").error == "too many digits: \"1.23456789012345678901s\"");
}

TEST_CASE("times: errors", "[units]") {
  CHECK(parse_time("0.5ns").error == "\"0.5ns\" is not a whole number of nanoseconds (sub-ns)");
  CHECK(parse_time("1.0000000001s").error == "\"1.0000000001s\" is not a whole number of nanoseconds (sub-ns)");
  CHECK(parse_time("10").error == "missing unit in \"10\" (write e.g. \"10ms\"; tc would read microseconds)");
  CHECK(parse_time("10mss").error == "unknown unit \"mss\" (did you mean \"ms\"?)");
  // Too far from any unit for a suggestion: the list instead.
  CHECK(parse_time("5min").error == "unknown unit \"min\" (expected one of: s sec secs ms msec msecs us usec usecs ns nsec nsecs)");
  CHECK(parse_time("9223372037s").error == "\"9223372037s\" is too large");
  CHECK(parse_time("1.2.3ms").error == "bad number \"1.2.3ms\"");
  CHECK(parse_time("1 2ms").error == "bad number \"1 2ms\"");
}

TEST_CASE("sizes: tc's get_size (k = 1024)", "[units]") {
  CHECK(bytes("1500") == 1500);
  CHECK(bytes("64k") == 65536);
  CHECK(bytes("64kb") == 65536);
  CHECK(bytes("4kib") == 4096);
  CHECK(bytes("1m") == 1048576);
  CHECK(bytes("1mb") == 1048576);
  CHECK(bytes("1g") == 1073741824ull);
  CHECK(bytes("100b") == 100);
  CHECK(bytes("8kbit") == 1024);  // 8 x 1024 / 8
  CHECK(bytes("1mbit") == 131072);
  CHECK(bytes("1.5k") == 1536);
  CHECK(bytes("1KB") == 1024);
  CHECK(parse_size("1.3k").error == "\"1.3k\" is not a whole number of bytes");
  CHECK(parse_size("10kbs").error == "unknown unit \"kbs\" (did you mean \"kb\"?)");
}

TEST_CASE("probabilities: parts of 2^32, rounded to nearest", "[units]") {
  CHECK(prob("0") == 0);
  CHECK(prob("0%") == 0);
  CHECK(prob("50%") == 0x80000000u);
  CHECK(prob("0.5") == 0x80000000u);
  CHECK(prob("25%") == 0x40000000u);
  // 0.1% of 2^32 = 4294967.296 -> 4294967
  CHECK(prob("0.1%") == 4294967u);
  CHECK(prob("0.001") == 4294967u);
  CHECK(prob("1e-3") == 4294967u);
  // 0.5% = 21474836.48 -> 21474836
  CHECK(prob("0.5%") == 21474836u);
  // 0.3333 x 2^32 = 1431512599.7568 -> 1431512600 (rounds up)
  CHECK(prob("0.3333") == 1431512600u);
  // 0.25% x 2^32 = 10737418.24 -> 10737418 (rounds down)
  CHECK(prob("0.25%") == 10737418u);
  CHECK(prob("100%") == 0xffffffffu);
  CHECK(prob("1") == 0xffffffffu);
  CHECK(prob("1e-40") == 0u);
  CHECK(parse_probability("101%").error == "probability \"101%\" is above 1 (100%)");
  CHECK(parse_probability("2").error == "probability \"2\" is above 1 (100%)");
  CHECK(parse_probability("1e30").error == "probability \"1e30\" is above 1 (100%)");
  CHECK(parse_probability("1pct").error == "unknown unit \"pct\" (write a fraction like 0.001 or a percentage like 0.1%)");
}

TEST_CASE("integers, booleans", "[units]") {
  CHECK(parse_int("42", 0, 100).value == 42);
  CHECK(parse_int("-5", -10, 10).value == -5);
  CHECK(parse_int("101", 0, 100).error == "\"101\" is out of range (0..100)");
  CHECK(parse_int("1.5", 0, 100).error == "expected an integer, got \"1.5\"");
  CHECK(parse_int("99999999999999999999999", 0, 100).error == "\"99999999999999999999999\" is out of range (0..100)");
  CHECK(parse_int("-9223372036854775808", INT64_MIN, 0).value == INT64_MIN);
  CHECK(parse_bool("on").value);
  CHECK(parse_bool("True").value);
  CHECK_FALSE(parse_bool("off").value);
  CHECK(parse_bool("maybe").error == "expected on/off (or true/false), got \"maybe\"");
}

TEST_CASE("IPv4 addresses and prefixes", "[units]") {
  CHECK(parse_ipv4("10.0.0.1").value == 0x0a000001u);
  CHECK(parse_ipv4("255.255.255.255").value == 0xffffffffu);
  for (const char* bad : {"10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "10..0.1", "010.0.0.1", "", "10.0.0.1 x"}) {
    INFO(bad);
    CHECK_FALSE(parse_ipv4(bad).ok());
  }
  auto p = parse_ipv4_prefix("192.168.1.7/24", false);
  REQUIRE(p.ok());
  CHECK(p.value.addr == 0xc0a80107u);
  CHECK(p.value.len == 24);
  CHECK(parse_ipv4_prefix("default", true).value.len == 0);
  CHECK_FALSE(parse_ipv4_prefix("default", false).ok());
  CHECK(parse_ipv4_prefix("10.0.0.0/33", false).error == "bad prefix length in \"10.0.0.0/33\" (0..32)");
  CHECK(parse_ipv4_prefix("10.0.0.0/", false).error == "bad prefix length in \"10.0.0.0/\" (0..32)");
  CHECK(format_ipv4(0x0a000102u) == "10.0.1.2");
  CHECK(format_prefix(0x0a000100u, 24) == "10.0.1.0/24");
  CHECK(prefix_mask(0) == 0);
  CHECK(prefix_mask(24) == 0xffffff00u);
  CHECK(prefix_mask(32) == 0xffffffffu);
}

TEST_CASE("MAC addresses", "[units]") {
  auto m = parse_mac("02:00:5e:AB:cd:01");
  REQUIRE(m.ok());
  CHECK(m.value == std::array<uint8_t, 6>{0x02, 0x00, 0x5e, 0xab, 0xcd, 0x01});
  CHECK(format_mac(m.value) == "02:00:5e:ab:cd:01");
  CHECK(parse_mac("02-00-5e-ab-cd-01").ok());
  CHECK_FALSE(parse_mac("02:00:5e:ab:cd").ok());
  CHECK_FALSE(parse_mac("02:00:5e:ab:cd:0g").ok());
}

TEST_CASE("edit distance and suggestions", "[units]") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("mbit", "mibt") == 1);  // one swap
  CHECK(closest_match("linkz", {"links", "hosts"}) == "links");
  CHECK(closest_match("xy", {"ms", "us"}).empty());
  CHECK(did_you_mean("hots", {"hosts", "links"}) == " (did you mean \"hosts\"?)");
  CHECK(did_you_mean("zzzzzz", {"hosts", "links"}).empty());
}

TEST_CASE("sysctls by their Linux names", "[sysctl]") {
  stack::Sysctls s;
  CHECK(s.set("net.ipv4.ip_forward", "1").empty());
  CHECK(s.ipv4_ip_forward == 1);
  CHECK(s.set("net.ipv4.tcp_wmem", "4096 65536 8388608").empty());
  CHECK(s.tcp_wmem[1] == 65536);
  CHECK(s.tcp_wmem[2] == 8388608);
  CHECK(s.set("net.core.default_qdisc", "fq_codel").empty());
  CHECK(s.core_default_qdisc == "fq_codel");
  CHECK(s.set("net.ipv4.ip_local_port_range", "1024\t2048").empty());
  CHECK(s.ipv4_ip_local_port_range_lo == 1024);
  CHECK(s.set("net.ipv4.neigh.default.locktime", "50").empty());
  CHECK(s.neigh_locktime_ms == 500);
  CHECK(s.set("net.ipv4.tcp_notsent_lowat", "4294967295").empty());
  CHECK(s.tcp_notsent_lowat == -1);
  CHECK(s.set("net.ipv4.udp_mem", "10 20 30").empty());
  CHECK(s.ipv4_udp_mem_pages == 30);

  CHECK(s.set("net.ipv4.ip_forwrd", "1") == "unknown sysctl \"net.ipv4.ip_forwrd\"");
  CHECK(s.set("net.ipv4.ip_forward", "2") == "\"2\" is out of range (0..1)");
  CHECK(s.set("net.ipv4.ip_forward", "yes") == "expected one integer, got \"yes\"");
  CHECK(s.set("net.ipv4.tcp_wmem", "4096 16384") == "expected three integers \"min default max\", got \"4096 16384\"");
  CHECK(s.set("net.ipv4.tcp_wmem", "4096 9999999 16384") == "\"4096 9999999 16384\": expected min <= default <= max");
  CHECK(s.set("net.core.default_qdisc", "tbf") == "\"tbf\" is not one of: pfifo_fast pfifo bfifo fq_codel noqueue");
  CHECK(s.set("net.ipv4.tcp_congestion_control", "bbr") == "\"bbr\" is not one of: cubic reno");
  // A failed set leaves the value alone.
  CHECK(s.tcp_wmem[1] == 65536);

  const auto& names = stack::Sysctls::names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::find(names.begin(), names.end(), "net.core.netdev_budget") != names.end());
  // Every listed name is settable (with some value), none silently ignored.
  for (const std::string& n : names) {
    stack::Sysctls t;
    INFO(n);
    CHECK(t.set(n, "") != "unknown sysctl \"" + n + "\"");
  }
}
