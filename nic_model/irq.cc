// nic_model/irq.cc: MSI-X vector, moderation and masking.
#include "nic_model/irq.h"

#include <cassert>

#include "stack/steps.h"

namespace nic_model {

MsixVector::MsixVector() {
  work_.v = this;
  itr_timer_.setup<&MsixVector::itr_expired>(this);
}

void MsixVector::init(sim::Scheduler& sched, uint16_t index, sim::Duration interval,
                      uint32_t rx_frames, uint32_t tx_frames, sim::Duration msi_latency,
                      const sim::Tracer* tracer) {
  sched_ = &sched;
  index_ = index;
  interval_ = interval;
  rx_frames_ = rx_frames;
  tx_frames_ = tx_frames;
  msi_latency_ = msi_latency;
  tracer_ = tracer;
}

void MsixVector::raise() {
  ++stats_.causes;
  pending_ = true;
  if (masked_) {
    ++stats_.while_masked;  // EICR bit set; it fires when unmasked
    return;
  }
  try_fire();
}

void MsixVector::try_fire() {
  const sim::Time now = sched_->now();
  const bool count_hit = (rx_frames_ && rx_pending_ >= rx_frames_) ||
                         (tx_frames_ && tx_pending_ >= tx_frames_);
  const sim::Time due = fired_once_ ? last_fire_ + interval_ : now;
  if (count_hit || due <= now) {
    fire_now();
    return;
  }
  // Inside the interval: fire when it ends. Re-arm only for an earlier
  // deadline (the deadline only depends on the last interrupt, so an armed
  // timer is already right).
  if (!itr_timer_.pending() || due < itr_timer_.expires()) {
    ++stats_.deferred;
    itr_timer_.mod(*sched_, due);
  }
}

void MsixVector::itr_expired() {
  if (pending_ && !masked_) fire_now();
}

void MsixVector::fire_now() {
  assert(handler_ && cpu_ && "MSI-X vector fired without a handler (request_irq)");
  const sim::Time now = sched_->now();
  if (tracer_ && tracer_->on())
    tracer_->event(now, stack::step::kNic05, "msix_irq", 0,
                   "vector {} fires ({} rx, {} tx completions): auto-masked until NAPI completes",
                   index_, rx_pending_, tx_pending_);
  pending_ = false;
  rx_pending_ = tx_pending_ = 0;
  masked_ = true;  // EIAM auto-mask
  fired_once_ = true;
  last_fire_ = now;
  itr_timer_.del(*sched_);
  ++stats_.interrupts;
  cpu_->submit(work_, now + msi_latency_);
}

void MsixVector::enable() {
  masked_ = false;
  if (pending_) try_fire();
}

}  // namespace nic_model
