// stack/dql.cc: byte queue limits, dql_completed() and dql_reset()
// (lib/dynamic_queue_limits.c). See stack/dql.h for the idea.
//
// Simplification: the kernel measures the slack hold time in jiffies; here
// in nanoseconds of simulated time (the default, HZ jiffies, is 1 s either
// way). The stall detector of 6.9+ is not modelled.
#include "stack/dql.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace stack {

namespace {
// POSDIFF(A, B): A - B if positive (in wrap-safe u32 arithmetic), else 0.
constexpr uint32_t posdiff(uint32_t a, uint32_t b) {
  return static_cast<int32_t>(a - b) > 0 ? a - b : 0;
}
}  // namespace

void Dql::reset(sim::Time now) {
  // dql_reset(); the limit restarts at min_limit, not 0, as in current
  // kernels ("the limit should always be greater than or equal to
  // limit_min"), so it never sits below limit_min.
  limit = min_limit;
  num_queued_ = 0;
  num_completed_ = 0;
  last_obj_cnt_ = 0;
  prev_num_queued_ = 0;
  prev_last_obj_cnt_ = 0;
  prev_ovlimit_ = 0;
  lowest_slack_ = std::numeric_limits<uint32_t>::max();
  slack_start_time_ = now;
  adj_limit_ = limit + num_completed_;  // as dql_completed() keeps it
}

void Dql::completed(uint32_t count, sim::Time now) {
  // Can't complete more than what is in flight: the kernel BUG()s; a
  // debug build asserts, a release build clamps.
  assert(count <= num_queued_ - num_completed_);
  count = std::min(count, num_queued_ - num_completed_);

  const uint32_t completed = num_completed_ + count;
  uint32_t lim = limit;
  uint32_t ovlimit = posdiff(num_queued_ - num_completed_, lim);
  const uint32_t inprogress = num_queued_ - completed;
  const uint32_t prev_inprogress = prev_num_queued_ - num_completed_;
  const uint32_t all_prev_completed = posdiff(completed, prev_num_queued_);

  if ((ovlimit && !inprogress) || (prev_ovlimit_ && all_prev_completed)) {
    // Starved: the queue was over its limit in the last interval and has
    // now run dry, or was over the limit in the previous interval and
    // everything queued then has completed (it may have run dry between
    // this completion and the next enqueue). Grow the limit by what was
    // sent and completed in the last interval plus the previous overshoot.
    lim += posdiff(completed, prev_num_queued_) + prev_ovlimit_;
    slack_start_time_ = now;
    lowest_slack_ = std::numeric_limits<uint32_t>::max();
  } else if (inprogress && prev_inprogress && !all_prev_completed) {
    // Busy for the whole interval and not starved: maybe too large. The
    // slack is the excess over what kept the queue busy: the limit plus
    // the previous overshoot minus twice what completed (an upper bound
    // of what is needed), or the part of the last enqueue beyond the
    // overshoot, whichever is larger.
    uint32_t slack = posdiff(lim + prev_ovlimit_, 2 * (completed - num_completed_));
    const uint32_t slack_last_objs = prev_ovlimit_ ? posdiff(prev_last_obj_cnt_, prev_ovlimit_) : 0;
    slack = std::max(slack, slack_last_objs);
    // Shrink by the smallest slack seen over a whole hold time, so a
    // single quiet completion does not cut the limit (hysteresis).
    lowest_slack_ = std::min(lowest_slack_, slack);
    if (now > slack_start_time_ + slack_hold_time) {  // time_after(jiffies, ...)
      lim = posdiff(lim, lowest_slack_);
      slack_start_time_ = now;
      lowest_slack_ = std::numeric_limits<uint32_t>::max();
    }
  }

  // Enforce the bounds on the limit (the kernel's clamp(): max wins).
  lim = std::min(std::max(lim, min_limit), max_limit);
  if (lim != limit) {
    limit = lim;
    ovlimit = 0;  // a new limit: the old overshoot no longer says anything
  }
  adj_limit_ = lim + completed;
  prev_ovlimit_ = ovlimit;
  prev_last_obj_cnt_ = last_obj_cnt_;
  num_completed_ = completed;
  prev_num_queued_ = num_queued_;
}

}  // namespace stack
