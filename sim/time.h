// sim/time.h: virtual time as integer nanoseconds, in two strong types.
//
// Time is a point on the simulated clock (nanoseconds since the start of the
// run); Duration is a signed span. Nothing here uses floating point, so a run
// gives the same clock on every machine. The clock "does not tick on its
// own": only the Scheduler moves it.
//
//   sim::Time t = sim::Time::zero() + sim::us(250);
//   sim::Duration d = sim::ms(10) / 4;            // 2.5 ms
#pragma once

#include <compare>
#include <cstdint>
#include <limits>

namespace sim {

class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration from_ns(int64_t ns) { return Duration(ns); }
  static constexpr Duration zero() { return Duration(0); }
  static constexpr Duration max() { return Duration(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr auto operator<=>(const Duration&) const = default;

  constexpr Duration operator+(Duration o) const { return Duration(ns_ + o.ns_); }
  constexpr Duration operator-(Duration o) const { return Duration(ns_ - o.ns_); }
  constexpr Duration operator-() const { return Duration(-ns_); }
  constexpr Duration operator*(int64_t k) const { return Duration(ns_ * k); }
  constexpr Duration operator/(int64_t k) const { return Duration(ns_ / k); }
  constexpr int64_t operator/(Duration o) const { return ns_ / o.ns_; }
  constexpr Duration operator%(Duration o) const { return Duration(ns_ % o.ns_); }
  constexpr Duration& operator+=(Duration o) { ns_ += o.ns_; return *this; }
  constexpr Duration& operator-=(Duration o) { ns_ -= o.ns_; return *this; }

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr Duration ns(int64_t v) { return Duration::from_ns(v); }
constexpr Duration us(int64_t v) { return Duration::from_ns(v * 1000); }
constexpr Duration ms(int64_t v) { return Duration::from_ns(v * 1000000); }
constexpr Duration sec(int64_t v) { return Duration::from_ns(v * 1000000000); }

class Time {
 public:
  constexpr Time() = default;
  static constexpr Time zero() { return Time(0); }
  static constexpr Time from_ns(int64_t ns) { return Time(ns); }
  // "Never": used for timers that are not armed and stop times not given.
  static constexpr Time max() { return Time(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr auto operator<=>(const Time&) const = default;

  constexpr Time operator+(Duration d) const { return Time(ns_ + d.ns()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.ns()); }
  constexpr Duration operator-(Time o) const { return Duration::from_ns(ns_ - o.ns_); }
  constexpr Time& operator+=(Duration d) { ns_ += d.ns(); return *this; }

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

constexpr Time max(Time a, Time b) { return a < b ? b : a; }
constexpr Time min(Time a, Time b) { return a < b ? a : b; }

// A bit rate in bits per second. Serialisation times are computed exactly in
// integer arithmetic: see BitClock for long runs without drift.
struct Rate {
  uint64_t bps = 0;
  constexpr auto operator<=>(const Rate&) const = default;
};

// The time to put `bits` on a wire at `rate`, rounded up to a whole nanosecond
// (a frame is never shorter on the wire than its bits take).
constexpr Duration transmit_time(uint64_t bits, Rate rate) {
  // bits * 1e9 fits in 64 bits for any frame below 18 GB.
  return Duration::from_ns(static_cast<int64_t>((bits * 1000000000ull + rate.bps - 1) / rate.bps));
}

// Exact serialisation over a long run: keeps the sub-nanosecond remainder so
// that a million back-to-back frames end at exactly bits_total / rate, not a
// million rounding errors later. One BitClock per transmitter.
class BitClock {
 public:
  explicit constexpr BitClock(Rate rate = {}) : rate_(rate) {}
  void set_rate(Rate r) { rate_ = r; rem_ = 0; }
  Rate rate() const { return rate_; }
  // Duration of the next `bits`, carrying the remainder (in units of
  // 1/rate ns) to the following call.
  Duration next(uint64_t bits) {
    unsigned __int128 num = static_cast<unsigned __int128>(bits) * 1000000000ull + rem_;
    uint64_t whole = static_cast<uint64_t>(num / rate_.bps);
    rem_ = static_cast<uint64_t>(num % rate_.bps);
    return Duration::from_ns(static_cast<int64_t>(whole));
  }

 private:
  Rate rate_;
  uint64_t rem_ = 0;
};

}  // namespace sim
