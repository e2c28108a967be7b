// sim/rng.h: seeded random streams, one per model component.
//
// Every random draw in a run comes from a stream named after the component
// that draws ("host/r1/neigh", "link/l2/loss"), seeded from the scenario seed
// and that stable name. Adding a host therefore never changes the draws of
// another host, and a run is the same on every machine (the generator is
// xoshiro256**, fully specified; no std::*_distribution, whose output differs
// between standard libraries).
//
//   sim::Rng loss = sim::Rng::stream(seed, "link/l2/loss");
//   if (loss.chance(1, 1000)) drop();
#pragma once

#include <cstdint>
#include <string_view>

namespace sim {

class Rng {
 public:
  // The stream for component `name` in a run with seed `seed`.
  static Rng stream(uint64_t seed, std::string_view name) {
    // FNV-1a over the name: stable, and independent of std::hash.
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : name) {
      h ^= c;
      h *= 0x100000001b3ull;
    }
    return Rng(seed ^ (h * 0x9e3779b97f4a7c15ull));
  }

  explicit Rng(uint64_t seed = 0) {
    // splitmix64 expands the seed into the 256-bit state.
    for (auto& w : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      w = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n), without modulo bias (Lemire's method).
  uint64_t below(uint64_t n) {
    unsigned __int128 m = static_cast<unsigned __int128>(next()) * n;
    uint64_t lo = static_cast<uint64_t>(m);
    if (lo < n) {
      uint64_t threshold = (0 - n) % n;
      while (lo < threshold) {
        m = static_cast<unsigned __int128>(next()) * n;
        lo = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability num/den.
  bool chance(uint64_t num, uint64_t den) { return below(den) < num; }

  // True with probability p given in parts per 2^32 (loss rates from YAML
  // are converted once to this fixed-point form, never drawn as doubles).
  bool chance_ppb32(uint64_t p) { return (next() >> 32) < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace sim
