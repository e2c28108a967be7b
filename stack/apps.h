// stack/apps.h: the applications a scenario runs. Each is a Task that acts
// only through the modelled system calls, like a small C program would:
//   udp_sender  socket/connect/sendto in a loop, at a rate or flat out;
//   udp_sink    bind and recvfrom in a loop, optionally a slow reader;
//   ping        an ICMP echo socket, like iputils ping.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/time.h"
#include "stack/sock.h"
#include "stack/task.h"

namespace stack {

class App : public Task {
 public:
  using Task::Task;
  // Lines for the run summary, and counters for the JSON output.
  virtual void report(std::vector<std::string>& lines) const = 0;
  virtual void counters(std::vector<std::pair<std::string, uint64_t>>& out) const = 0;
  const std::string& kind() const { return kind_; }

 protected:
  std::string kind_;
};

struct UdpSenderParams {
  uint32_t dst = 0;
  uint16_t dport = 9;
  uint16_t sport = 0;       // 0: ephemeral (autobind)
  uint32_t size = 1472;     // payload bytes per datagram
  uint64_t count = 0;       // 0: until stop
  uint64_t rate_bps = 0;    // payload bits per second; 0: as fast as the socket allows
  uint32_t burst = 1;       // datagrams per wakeup
  bool connect = false;
  bool nonblock = false;
  bool recverr = false;
  uint8_t tos = 0;
  int sndbuf = 0;           // SO_SNDBUF, 0: default
  sim::Time start, stop = sim::Time::max();
};

class UdpSender final : public App {
 public:
  UdpSender(Host& host, std::string name, uint16_t cpu, UdpSenderParams p);
  void step(sim::Cpu& cpu) override;
  void report(std::vector<std::string>& lines) const override;
  void counters(std::vector<std::pair<std::string, uint64_t>>& out) const override;
  uint64_t sent() const { return sent_; }

 private:
  sim::Time send_time(uint64_t n) const;
  UdpSenderParams p_;
  int fd_ = -1;
  uint64_t attempts_ = 0;  // sendto() calls that returned (a loop counter)
  uint64_t sent_ = 0;
  uint64_t bytes_ = 0;
  std::map<int, uint64_t> errors_;  // errno -> count
  std::vector<uint8_t> buf_;
  bool done_ = false;
};

struct UdpSinkParams {
  uint16_t port = 9;
  int rcvbuf = 0;                  // SO_RCVBUF, 0: default
  sim::Duration read_delay;        // a slow reader: pause after each datagram
  uint32_t buf_size = 65536;
  sim::Time start, stop = sim::Time::max();
};

class UdpSink final : public App {
 public:
  UdpSink(Host& host, std::string name, uint16_t cpu, UdpSinkParams p);
  void step(sim::Cpu& cpu) override;
  void report(std::vector<std::string>& lines) const override;
  void counters(std::vector<std::pair<std::string, uint64_t>>& out) const override;
  uint64_t received() const { return received_; }
  uint64_t bytes() const { return bytes_; }

 private:
  UdpSinkParams p_;
  int fd_ = -1;
  uint64_t received_ = 0;
  uint64_t bytes_ = 0;
  sim::Time first_, last_;
  std::map<int, uint64_t> errors_;
  std::vector<uint8_t> buf_;
};

struct PingParams {
  uint32_t dst = 0;
  uint64_t count = 0;  // 0: until stop
  sim::Duration interval = sim::sec(1);
  uint32_t size = 56;  // ICMP payload bytes
  sim::Time start, stop = sim::Time::max();
};

class Ping final : public App {
 public:
  Ping(Host& host, std::string name, uint16_t cpu, PingParams p);
  void step(sim::Cpu& cpu) override;
  void report(std::vector<std::string>& lines) const override;
  void counters(std::vector<std::pair<std::string, uint64_t>>& out) const override;
  const std::vector<sim::Duration>& rtts() const { return rtts_; }
  uint64_t transmitted() const { return seq_; }

 private:
  PingParams p_;
  int fd_ = -1;
  uint16_t seq_ = 0;
  sim::Time next_send_;
  std::vector<sim::Time> sent_at_;
  std::vector<sim::Duration> rtts_;
  std::vector<std::string> lines_;
  std::map<int, uint64_t> errors_;
  bool finished_sending_ = false;
};

}  // namespace stack
