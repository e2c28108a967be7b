// stack/sock.cc: send/receive buffer accounting and wait queues
// (net/core/sock.c: skb_set_owner_w, sock_wfree, sock_rfree,
// sock_def_write_space).
#include "stack/sock.h"

#include "stack/host.h"
#include "stack/steps.h"
#include "stack/task.h"

namespace stack {

void WaitQueue::add(Task* t) {
  for (int i = 0; i < n; ++i)
    if (sleepers[i] == t) return;
  if (n < 4) sleepers[n++] = t;
}

void WaitQueue::wake_all(sim::Cpu& cpu) {
  const int count = n;
  Task* woken[4];
  for (int i = 0; i < count; ++i) woken[i] = sleepers[i];
  n = 0;
  for (int i = 0; i < count; ++i) woken[i]->wake(cpu);
}

void sock_queue_rcv_skb(Sock* sk, SkBuff* skb, sim::Time now) {
  sk->rmem_alloc += skb->truesize;
  skb->sk = sk;
  skb->destructor = Destructor::kSockRfree;
  skb->tstamp = now;
  sk->receive_queue.enqueue_tail(skb);
}

void skb_set_owner_w(SkBuff* skb, Sock* sk) {
  skb->sk = sk;
  skb->destructor = Destructor::kSockWfree;
  sk->wmem_alloc += skb->truesize;
}

void skb_orphan(Host& host, sim::Cpu& cpu, SkBuff* skb) {
  Sock* sk = skb->sk;
  if (!sk) return;
  switch (skb->destructor) {
    case Destructor::kSockWfree:
    case Destructor::kTcpWfree:
      sk->wmem_alloc -= skb->truesize;
      // sock_def_write_space(): writers wake once half the buffer is free.
      if (sk->wq_tx.n && sk->sock_writeable()) {
        TRACE_BRANCH(cpu, step::kNic07, "sock_wfree", skb->id,
                     "sk_wmem_alloc {} < sk_sndbuf/2: wake the writer", sk->wmem_alloc);
        sk->wq_tx.wake_all(cpu);
      }
      break;
    case Destructor::kSockRfree:
      sk->rmem_alloc -= skb->truesize;
      break;
    case Destructor::kNone:
      break;
  }
  skb->sk = nullptr;
  skb->destructor = Destructor::kNone;
}

void skb_destructor_hook(SkBuff* skb) {
  if (!skb->sk) return;
  Host& h = *skb->sk->host;
  skb_orphan(h, h.current_cpu(), skb);
}

}  // namespace stack
