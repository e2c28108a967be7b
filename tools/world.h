// tools/world.h: a runnable simulation built from a Scenario.
//
// The world builder turns the typed scenario (tools/scenario.h) into the
// model: one stack::Host per host, a NIC (nic_model) and its driver behind
// each interface, links and switches between them, routes, netfilter rules,
// applications; then it runs the scheduler to the stop time and reports
// what the model counted, named as Linux names it. Nothing is global: two
// Worlds can run side by side in one process (the determinism test does).
//
//   tools::World w(scenario, opts);
//   w.run();
//   w.print_summary(std::cout);
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/scheduler.h"
#include "sim/trace.h"
#include "stack/skbuff.h"
#include "tools/scenario.h"

namespace stack {
class Host;
class App;
}  // namespace stack

namespace tools {

struct RunOptions {
  std::optional<uint64_t> seed;        // overrides simulation.seed
  std::optional<sim::Duration> stop;   // overrides simulation.stop
  std::string out_dir;                 // pcap and counters go here ("" = none unless the file says)
  bool pcap_all = false;               // capture every interface (--pcap)
  std::string trace_file;              // overrides outputs.trace.file
  std::string trace_format;            // text | jsonl | perfetto
  std::vector<std::string> filter_hosts;
  std::vector<uint64_t> filter_skbs;
  std::vector<std::string> filter_layers;
  bool step = false;                   // interactive walk (skbsim step)
  std::istream* step_in = nullptr;
  std::ostream* step_out = nullptr;
};

// Thrown when the scenario cannot be built or an output cannot be written.
class WorldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class World {
 public:
  World(const Scenario& sc, const RunOptions& opts);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Runs to the stop time. `progress` (may be empty) is called now and then
  // with the simulated time reached.
  void run(const std::function<void(sim::Time)>& progress = {});

  sim::Time stop_time() const { return stop_; }
  sim::Scheduler& sched() { return sched_; }
  sim::TraceBus& bus() { return bus_; }
  stack::SkbPool& pool() { return pool_; }
  stack::Host& host(const std::string& name);
  const std::vector<std::unique_ptr<stack::Host>>& hosts() const { return hosts_; }
  const std::vector<std::unique_ptr<stack::App>>& apps() const { return apps_; }

  // The run summary a user reads, and the same as JSON (counters.json).
  void print_summary(std::ostream& os) const;
  std::string counters_json() const;
  // Packets: created = consumed + dropped + still in flight, and every
  // skb still alive is somewhere the model knows.
  bool conservation_ok(std::string* why = nullptr) const;
  // Where in-flight skbs are, by place ("qdisc", "arp_queue", ...).
  std::vector<std::pair<std::string, uint64_t>> in_flight() const;

  // Writes the files the scenario asked for (pcap flushed, counters).
  void write_outputs();
  std::vector<std::string> files_written() const { return files_; }

 private:
  struct Impl;
  sim::Scheduler sched_;
  sim::TraceBus bus_;
  stack::SkbPool pool_;
  sim::Time stop_;
  Scenario sc_;
  RunOptions opts_;
  std::vector<std::unique_ptr<stack::Host>> hosts_;
  std::vector<std::unique_ptr<stack::App>> apps_;
  std::unique_ptr<Impl> impl_;
  std::vector<std::string> files_;
};

}  // namespace tools
