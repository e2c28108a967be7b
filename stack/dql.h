// stack/dql.h: byte queue limits (lib/dynamic_queue_limits.c, BQL).
//
// BQL keeps the bytes sitting in a NIC's TX ring just large enough to keep
// the wire busy, so that the queue builds in the qdisc (where it can be
// managed) instead of in the ring. The driver reports bytes it queues
// (netdev_tx_sent_queue -> dql_queued) and bytes completed
// (netdev_tx_completed_queue -> dql_completed); when dql_avail() goes
// negative the stack stops the queue (__QUEUE_STATE_STACK_XOFF), and a
// completion that makes room wakes it. The limit adapts: it grows when the
// ring ran dry while packets were waiting (starvation) and shrinks slowly
// when bytes sat unused for a whole hold time.
#pragma once

#include <cstdint>

#include "sim/time.h"

namespace stack {

class Dql {
 public:
  // Defaults from lib/dynamic_queue_limits.c / include/linux/dynamic_queue_limits.h.
  static constexpr uint32_t kMaxObject = UINT32_MAX / 16;              // DQL_MAX_OBJECT
  static constexpr uint32_t kMaxLimit = UINT32_MAX / 2 - kMaxObject;  // DQL_MAX_LIMIT
  sim::Duration slack_hold_time = sim::sec(1);          // HZ: 1 s hold time

  bool enabled = true;
  uint32_t limit = 0;          // current limit (bytes)
  uint32_t min_limit = 0;      // limit_min (sysfs byte_queue_limits/limit_min)
  uint32_t max_limit = kMaxLimit;

  void reset(sim::Time now);
  // dql_queued(): `count` bytes handed to the hardware.
  void queued(uint32_t count) {
    last_obj_cnt_ = count;
    num_queued_ += count;
  }
  // dql_avail(): bytes that may still be queued before the limit. The
  // counters are free-running u32 that wrap after 4 GiB; their difference
  // is taken in u32 and read as signed, as the kernel does.
  int64_t avail() const { return static_cast<int32_t>(adj_limit_ - num_queued_); }
  // dql_completed(): `count` bytes finished; adapts the limit.
  void completed(uint32_t count, sim::Time now);

  uint32_t inflight() const { return num_queued_ - num_completed_; }
  uint64_t prev_ovlimit() const { return prev_ovlimit_; }

 private:
  uint32_t num_queued_ = 0;
  uint32_t adj_limit_ = 0;
  uint32_t last_obj_cnt_ = 0;
  uint32_t num_completed_ = 0;
  uint32_t prev_ovlimit_ = 0;
  uint32_t prev_num_queued_ = 0;
  uint32_t prev_last_obj_cnt_ = 0;
  uint32_t lowest_slack_ = 0;
  sim::Time slack_start_time_;
};

}  // namespace stack
