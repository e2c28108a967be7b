// stack/apps.cc: udp_sender, udp_sink and ping, written against the
// modelled syscalls as their C counterparts would be.
#include "stack/apps.h"

#include <algorithm>

#include <fmt/format.h>

#include "stack/errno.h"
#include "stack/host.h"
#include "stack/route.h"
#include "stack/socket.h"
#include "stack/wire.h"

namespace stack {

using sim::Cpu;
using sim::Time;

namespace {
std::string errors_text(const std::map<int, uint64_t>& errors) {
  std::string s;
  for (const auto& [e, n] : errors) s += fmt::format(" {}x{}", errno_name(e), n);
  return s;
}
std::string fmt_ms(sim::Duration d) { return fmt::format("{:.3f}", static_cast<double>(d.ns()) / 1e6); }
}  // namespace

// ------------------------------------------------------------- udp_sender

UdpSender::UdpSender(Host& host, std::string name, uint16_t cpu, UdpSenderParams p)
    : App(host, std::move(name), cpu), p_(p), buf_(p.size) {
  kind_ = "udp_sender";
  // A recognisable payload: the byte's offset, so pcaps are readable.
  for (size_t i = 0; i < buf_.size(); ++i) buf_[i] = static_cast<uint8_t>(i);
}

// When datagram n is due: exact over long runs (no accumulated rounding).
Time UdpSender::send_time(uint64_t n) const {
  if (!p_.rate_bps) return p_.start;
  const unsigned __int128 bits = static_cast<unsigned __int128>(n) * p_.size * 8;
  return p_.start + sim::ns(static_cast<int64_t>(bits * 1000000000ull / p_.rate_bps));
}

void UdpSender::step(Cpu& cpu) {
  Syscalls& sys = *host().sys;
  if (fd_ < 0) {
    const long fd = sys.socket(*this, AF_INET, SOCK_DGRAM | (p_.nonblock ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0) {
      errors_[static_cast<int>(-fd)]++;
      exit();
      return;
    }
    fd_ = static_cast<int>(fd);
    if (p_.tos) sys.setsockopt(*this, fd_, SOL_IP, IP_TOS, p_.tos);
    if (p_.recverr) sys.setsockopt(*this, fd_, SOL_IP, IP_RECVERR, 1);
    if (p_.sndbuf) sys.setsockopt(*this, fd_, SOL_SOCKET, SO_SNDBUF, p_.sndbuf);
    if (p_.sport) sys.bind(*this, fd_, SockAddrIn{0, p_.sport});
    if (p_.connect) {
      const long rc = sys.connect(*this, fd_, SockAddrIn{p_.dst, p_.dport});
      if (rc < 0) errors_[static_cast<int>(-rc)]++;
    }
  }
  const SockAddrIn to{p_.dst, p_.dport};
  for (uint32_t i = 0; i < p_.burst; ++i) {
    if ((p_.count && attempts_ >= p_.count) || cpu.now() >= p_.stop) {
      done_ = true;
      break;
    }
    const long rc = p_.connect ? sys.send(*this, fd_, buf_.data(), buf_.size(), 0)
                               : sys.sendto(*this, fd_, buf_.data(), buf_.size(), 0, &to);
    if (rc == -ERESTARTSYS) return;  // blocked on the send buffer; retried when woken
    attempts_++;
    if (rc < 0) {
      errors_[static_cast<int>(-rc)]++;
      if (rc == -EAGAIN) break;  // non-blocking and full: try again next tick
    } else {
      sent_++;
      bytes_ += static_cast<uint64_t>(rc);
    }
  }
  if (done_ || (p_.count && attempts_ >= p_.count)) {
    sys.close(*this, fd_);
    exit();
    return;
  }
  // Next burst: on the rate's schedule (counting failed attempts, so a
  // full buffer does not make the sender catch up later), or at once when
  // flat out (the task runs again after the CPU work it just did).
  const Time next = p_.rate_bps ? send_time(attempts_) : cpu.now();
  if (next >= p_.stop) {
    sys.close(*this, fd_);
    exit();
    return;
  }
  sleep_until(std::max(next, cpu.now()));
}

void UdpSender::report(std::vector<std::string>& lines) const {
  lines.push_back(fmt::format("{} (udp_sender): {} datagrams, {} bytes sent to {}:{}{}{}", name(),
                              sent_, bytes_, ipv4_str(p_.dst), p_.dport,
                              errors_.empty() ? "" : "; errors:", errors_text(errors_)));
}

void UdpSender::counters(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("datagrams_sent", sent_);
  out.emplace_back("bytes_sent", bytes_);
  for (const auto& [e, n] : errors_) out.emplace_back(std::string("errors_") + errno_name(e), n);
}

// ---------------------------------------------------------------- udp_sink

UdpSink::UdpSink(Host& host, std::string name, uint16_t cpu, UdpSinkParams p)
    : App(host, std::move(name), cpu), p_(p), buf_(p.buf_size) {
  kind_ = "udp_sink";
}

void UdpSink::step(Cpu& cpu) {
  Syscalls& sys = *host().sys;
  if (fd_ < 0) {
    const long fd = sys.socket(*this, AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
      errors_[static_cast<int>(-fd)]++;
      exit();
      return;
    }
    fd_ = static_cast<int>(fd);
    if (p_.rcvbuf) sys.setsockopt(*this, fd_, SOL_SOCKET, SO_RCVBUF, p_.rcvbuf);
    const long rc = sys.bind(*this, fd_, SockAddrIn{0, p_.port});
    if (rc < 0) {
      errors_[static_cast<int>(-rc)]++;
      exit();
      return;
    }
  }
  for (;;) {
    if (cpu.now() >= p_.stop) {
      sys.close(*this, fd_);
      exit();
      return;
    }
    SockAddrIn from;
    const long n = sys.recvfrom(*this, fd_, buf_.data(), buf_.size(), 0, &from);
    if (n == -ERESTARTSYS) {
      // Sleeping until data arrives; also wake at the stop time to close.
      if (p_.stop != Time::max()) sleep_until(p_.stop);
      return;
    }
    if (n < 0) {
      errors_[static_cast<int>(-n)]++;
      continue;
    }
    if (!received_) first_ = cpu.now();
    last_ = cpu.now();
    received_++;
    bytes_ += static_cast<uint64_t>(n);
    if (p_.read_delay > sim::Duration::zero()) {
      sleep_until(cpu.now() + p_.read_delay);  // the slow reader works on it
      return;
    }
  }
}

void UdpSink::report(std::vector<std::string>& lines) const {
  std::string rate;
  if (received_ > 1 && last_ > first_)
    rate = fmt::format(", {:.2f} Mbit/s over {} ms",
                       static_cast<double>(bytes_) * 8e3 / static_cast<double>((last_ - first_).ns()),
                       fmt_ms(last_ - first_));
  lines.push_back(fmt::format("{} (udp_sink): {} datagrams, {} bytes received on port {}{}{}{}",
                              name(), received_, bytes_, p_.port, rate,
                              errors_.empty() ? "" : "; errors:", errors_text(errors_)));
}

void UdpSink::counters(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("datagrams_received", received_);
  out.emplace_back("bytes_received", bytes_);
  for (const auto& [e, n] : errors_) out.emplace_back(std::string("errors_") + errno_name(e), n);
}

// -------------------------------------------------------------------- ping

Ping::Ping(Host& host, std::string name, uint16_t cpu, PingParams p)
    : App(host, std::move(name), cpu), p_(p) {
  kind_ = "ping";
}

void Ping::step(Cpu& cpu) {
  Syscalls& sys = *host().sys;
  if (fd_ < 0) {
    const long fd = sys.socket(*this, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    if (fd < 0) {
      errors_[static_cast<int>(-fd)]++;
      exit();
      return;
    }
    fd_ = static_cast<int>(fd);
    next_send_ = cpu.now();
    lines_.push_back(fmt::format("PING {} ({}) {}({}) bytes of data.", ipv4_str(p_.dst),
                                 ipv4_str(p_.dst), p_.size, p_.size + 28));
  }
  // Replies first (non-blocking), as ping's poll loop does.
  for (;;) {
    uint8_t buf[2048];
    SockAddrIn from;
    int ttl = 0;
    const long n = sys.recvfrom(*this, fd_, buf, sizeof buf, MSG_DONTWAIT, &from, &ttl);
    if (n < 0) {
      if (n != -EAGAIN) {
        errors_[static_cast<int>(-n)]++;
        lines_.push_back(fmt::format("From {} icmp_seq={} {}", ipv4_str(p_.dst), seq_,
                                     errno_name(static_cast<int>(-n))));
        continue;
      }
      break;
    }
    if (n < 8 || buf[0] != IcmpHdr::kEchoReply) continue;
    const uint16_t seq = rd16(buf + 6);
    if (seq == 0 || seq > sent_at_.size()) continue;
    const sim::Duration rtt = cpu.now() - sent_at_[seq - 1];
    rtts_.push_back(rtt);
    lines_.push_back(fmt::format("{} bytes from {}: icmp_seq={} ttl={} time={} ms", n,
                                 ipv4_str(from.addr), seq, ttl, fmt_ms(rtt)));
  }
  if (!finished_sending_ && cpu.now() >= next_send_) {
    if ((p_.count && seq_ >= p_.count) || cpu.now() >= p_.stop) {
      finished_sending_ = true;
    } else {
      std::vector<uint8_t> msg(8 + p_.size);
      msg[0] = IcmpHdr::kEcho;
      ++seq_;
      wr16(msg.data() + 6, seq_);
      for (size_t i = 8; i < msg.size(); ++i) msg[i] = static_cast<uint8_t>(i);
      sent_at_.push_back(cpu.now());
      const SockAddrIn to{p_.dst, 0};
      const long rc = sys.sendto(*this, fd_, msg.data(), msg.size(), 0, &to);
      if (rc < 0) {
        errors_[static_cast<int>(-rc)]++;
        lines_.push_back(fmt::format("ping: sendmsg: {}", errno_name(static_cast<int>(-rc))));
      }
      next_send_ = next_send_ + p_.interval;
    }
  }
  if (finished_sending_ && (cpu.now() >= p_.stop || rtts_.size() == seq_)) {
    sys.close(*this, fd_);
    exit();
    return;
  }
  // Sleep until the next echo is due, or a reply wakes us.
  block_on(fd_lookup(fd_)->wq_rx);
  if (!finished_sending_) sleep_until(next_send_);
  else if (p_.stop != Time::max()) sleep_until(p_.stop);
}

void Ping::report(std::vector<std::string>& lines) const {
  for (const auto& l : lines_) lines.push_back(name() + ": " + l);
  const uint64_t tx = seq_, rx = rtts_.size();
  lines.push_back(fmt::format("{}: --- {} ping statistics ---", name(), ipv4_str(p_.dst)));
  lines.push_back(fmt::format("{}: {} packets transmitted, {} received, {}% packet loss", name(), tx,
                              rx, tx ? (tx - rx) * 100 / tx : 0));
  if (rx) {
    sim::Duration mn = rtts_[0], mx = rtts_[0], sum;
    for (auto r : rtts_) {
      mn = std::min(mn, r);
      mx = std::max(mx, r);
      sum += r;
    }
    lines.push_back(fmt::format("{}: rtt min/avg/max = {}/{}/{} ms", name(), fmt_ms(mn),
                                fmt_ms(sum / static_cast<int64_t>(rx)), fmt_ms(mx)));
  }
}

void Ping::counters(std::vector<std::pair<std::string, uint64_t>>& out) const {
  out.emplace_back("transmitted", seq_);
  out.emplace_back("received", rtts_.size());
  for (const auto& [e, n] : errors_) out.emplace_back(std::string("errors_") + errno_name(e), n);
}

}  // namespace stack
