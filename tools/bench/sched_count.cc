// tools/bench/sched_count.cc: a fixed number of hold-model steps, to count
// instructions under callgrind or cachegrind (stable on a shared machine,
// where times are not). Run it twice, with S and 2S steps, and divide the
// difference by S, so the set-up cancels out:
//
//   sched_count QUEUE N STEPS [split]     QUEUE: bucket dary4 dary2
//   valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//     bazel-bin/tools/bench/sched_count bucket 1000000 300000
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tools/bench/hold.h"

namespace {

template <class Q>
int run(size_t n, long steps, bool split) {
  sim::bench::Hold<Q> h(n, sim::bench::Dist::kExponential, split);
  for (long i = 0; i < steps; ++i) h.step();
  std::printf("%lld\n", static_cast<long long>(h.sched.now().ns()));
  return h.sched.pending_events() == n ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s bucket|dary4|dary2 N STEPS [split]\n", argv[0]);
    return 2;
  }
  const size_t n = std::strtoull(argv[2], nullptr, 10);
  const long steps = std::strtol(argv[3], nullptr, 10);
  const bool split = argc > 4 && std::strcmp(argv[4], "split") == 0;
  if (std::strcmp(argv[1], "bucket") == 0) return run<sim::BucketHeap>(n, steps, split);
  if (std::strcmp(argv[1], "dary4") == 0) return run<sim::DaryHeap<4>>(n, steps, split);
  if (std::strcmp(argv[1], "dary2") == 0) return run<sim::DaryHeap<2>>(n, steps, split);
  std::fprintf(stderr, "unknown queue %s\n", argv[1]);
  return 2;
}
