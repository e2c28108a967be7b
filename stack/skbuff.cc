// stack/skbuff.cc: the skb pool and its accounts.
#include "stack/skbuff.h"

namespace stack {

namespace {
const char* const kDropNames[] = {
#define SKB_DROP_NAME(name, text) #name,
    SKB_DROP_REASONS(SKB_DROP_NAME)
#undef SKB_DROP_NAME
};
const char* const kDropTexts[] = {
#define SKB_DROP_TEXT(name, text) text,
    SKB_DROP_REASONS(SKB_DROP_TEXT)
#undef SKB_DROP_TEXT
};
}  // namespace

const char* drop_reason_name(DropReason r) { return kDropNames[static_cast<size_t>(r)]; }
const char* drop_reason_text(DropReason r) { return kDropTexts[static_cast<size_t>(r)]; }

SkbPool::~SkbPool() {
  for (SkBuff* s : all_) delete s;
}

SkBuff* SkbPool::get() {
  if (!free_.empty()) {
    SkBuff* s = free_.back();
    free_.pop_back();
    return s;
  }
  all_.push_back(new SkBuff());
  return all_.back();
}

void SkbPool::put(SkBuff* skb) {
  if (skb->destructor != Destructor::kNone && destructor_hook_) destructor_hook_(skb);
  skb->next = skb->prev = nullptr;
  free_.push_back(skb);
}

SkBuff* SkbPool::alloc(uint32_t size, sim::Time now) {
  SkBuff* skb = get();
  static_cast<SkbFields&>(*skb) = SkbFields();
  skb->buf.resize(kSkbHeadroom + size);  // a recycled skb keeps its capacity
  skb->data = skb->tail = kSkbHeadroom;
  skb->mac_header = skb->network_header = skb->transport_header = kSkbHeadroom;
  skb->id = ++created_;
  skb->tstamp = now;
  // SKB_TRUESIZE(): the kmalloc bucket holding the kernel's usual headroom
  // (NET_SKB_PAD + hard header, ~64 bytes), data and skb_shared_info (320
  // bytes), plus struct sk_buff (256 with alignment). The model's own
  // headroom is larger but not charged, so buffer limits count as Linux's.
  uint32_t need = 64 + size + 320;
  uint32_t bucket = 512;
  while (bucket < need && bucket < 65536) bucket <<= 1;
  if (bucket < need) bucket = need;
  skb->truesize = bucket + 256;
  return skb;
}

SkBuff* SkbPool::clone(const SkBuff& src, sim::Time now) {
  SkBuff* skb = get();
  const uint64_t id = ++created_;
  static_cast<SkbFields&>(*skb) = src;
  skb->buf.assign(src.buf.begin(), src.buf.end());
  skb->id = id;
  skb->next = skb->prev = nullptr;
  skb->tstamp = now;
  return skb;
}

void SkbPool::consume(SkBuff* skb) {
  ++consumed_;
  put(skb);
}

void SkbPool::drop(SkBuff* skb, DropReason reason) {
  ++dropped_[static_cast<size_t>(reason)];
  put(skb);
}

uint64_t SkbPool::dropped_total() const {
  uint64_t n = 0;
  for (uint64_t d : dropped_) n += d;
  return n;
}

}  // namespace stack
