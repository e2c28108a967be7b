// tools/skbsim.cc: the skbsim command line.
//
//   skbsim run FILE [--seed N] [--stop TIME] [--out DIR] [--trace FILE]
//                   [--trace-format text|jsonl|perfetto] [--host H] [--skb N]
//                   [--layer L] [--quiet]
//   skbsim validate FILE
//   skbsim step FILE [--host H] [--skb N] [--layer L]
//   skbsim --version
// Exit status: 0 ok, 1 the run failed, 2 bad input (the file or the flags).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "tools/scenario.h"
#include "tools/units.h"
#include "tools/world.h"

namespace {

constexpr const char* kVersion = "skbsim 0.1.0 (Linux 6.x network stack model; UDP, IP, ARP, qdiscs, NIC)";

constexpr const char* kHelp = R"(skbsim: a deterministic simulator of the Linux network stack.

It follows a packet the way the kernel handles it: sendto() through the
socket layer, UDP, IP routing, ARP, the qdisc, the NET_TX softirq, the
driver, DMA over PCIe, the NIC, the wire, the interrupt and NAPI on the
other side, up to recvfrom(). Every step happens on a virtual clock, so the
same scenario and seed give byte-identical results on every machine.

Examples:
  skbsim run scenarios/udp_sendto.yaml
        run the walkthrough scenario and print the counters Linux would show
        (nstat, tc -s qdisc, ip -s link, ethtool -S, softnet_stat)
  skbsim run scenarios/udp_sendto.yaml --trace - | less
        the same, with the ftrace function_graph-style trace of every step
  skbsim run scenarios/udp_flood.yaml --out out/ --pcap --trace out/run.json --trace-format perfetto
        counters.json, a pcap per interface and a Perfetto timeline in out/
        (open out/run.json in ui.perfetto.dev; the pcap files in Wireshark)
  skbsim run scenarios/ping.yaml --trace - --host r1 --layer ip
        only what the router's IP layer did
  skbsim step scenarios/udp_sendto.yaml
        walk the send path one step at a time (Enter: next, n: next packet,
        c: continue, q: quit)
  skbsim validate my.yaml
        check a scenario file and list every problem in it

Scenario files are YAML: scenarios/README.md documents every key.
)";


}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kHelp, "skbsim"};
  app.set_version_flag("--version", kVersion);
  app.require_subcommand(1);
  app.footer("Exit status: 0 ok, 1 the run failed, 2 bad input.");

  std::string file;
  std::optional<uint64_t> seed;
  std::string stop_text, out_dir, trace_file, trace_format;
  std::vector<std::string> hosts, layers;
  std::vector<uint64_t> skbs;
  bool quiet = false;
  bool pcap = false;

  CLI::App* run = app.add_subcommand("run", "run a scenario and print its summary");
  run->add_option("FILE", file, "the scenario (YAML)")->required();
  run->add_option("--seed", seed, "the random seed (overrides simulation.seed)");
  run->add_option("--stop", stop_text, "virtual time to stop at, e.g. 2s or 500ms (overrides simulation.stop)");
  run->add_option("--out", out_dir, "directory for counters.json and pcap files (created if needed)");
  run->add_option("--trace", trace_file, "write the step-by-step trace here (- for standard output)");
  run->add_option("--trace-format", trace_format, "text (default), jsonl or perfetto")
      ->check(CLI::IsMember({"text", "jsonl", "perfetto"}));
  run->add_option("--host", hosts, "trace only these hosts");
  run->add_option("--skb", skbs, "trace only these skb ids");
  run->add_option("--layer", layers, "trace only these layers: socket udp ip neigh dev driver nic wire");
  run->add_flag("--pcap", pcap, "capture every interface to DIR/HOST-IF.pcap (with --out, else .)");
  run->add_flag("-q,--quiet", quiet, "no progress and no summary, only errors");

  CLI::App* validate = app.add_subcommand("validate", "check a scenario file without running it");
  validate->add_option("FILE", file, "the scenario (YAML)")->required();

  CLI::App* step = app.add_subcommand("step", "walk the packet path one step at a time");
  step->add_option("FILE", file, "the scenario (YAML)")->required();
  step->add_option("--host", hosts, "show only these hosts");
  step->add_option("--skb", skbs, "show only these skb ids");
  step->add_option("--layer", layers, "show only these layers");
  step->add_option("--stop", stop_text, "virtual time to stop at");

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  tools::LoadResult loaded = tools::load_scenario(file);
  if (!loaded.ok()) {
    std::cerr << loaded.error_text();
    std::cerr << fmt::format("skbsim: {} error{} in {}\n", loaded.errors.size(),
                             loaded.errors.size() == 1 ? "" : "s", file);
    return 2;
  }
  if (validate->parsed()) {
    const tools::Scenario& s = loaded.scenario;
    std::cout << fmt::format("{}: OK: {} hosts, {} switches, {} links, {} applications\n", file,
                             s.hosts.size(), s.switches.size(), s.links.size(), s.apps.size());
    return 0;
  }

  tools::RunOptions opts;
  opts.seed = seed;
  if (!stop_text.empty()) {
    auto t = tools::parse_time(stop_text);
    if (!t.ok()) {
      std::cerr << "skbsim: --stop: " << t.error << "\n";
      return 2;
    }
    opts.stop = t.value;
  }
  opts.out_dir = out_dir;
  opts.pcap_all = pcap;
  opts.trace_file = trace_file;
  opts.trace_format = trace_format;
  opts.filter_hosts = hosts;
  opts.filter_skbs = skbs;
  opts.filter_layers = layers;
  opts.step = step->parsed();
  if (opts.step) quiet = true;

  try {
    if (!out_dir.empty()) std::filesystem::create_directories(out_dir);
    tools::World world(loaded.scenario, opts);
    const bool show_progress = !quiet && isatty(STDERR_FILENO);
    const auto wall0 = std::chrono::steady_clock::now();
    auto last = wall0;
    world.run([&](sim::Time t) {
      if (!show_progress) return;
      const auto now = std::chrono::steady_clock::now();
      if (now - last < std::chrono::milliseconds(250)) return;
      last = now;
      const double wall = std::chrono::duration<double>(now - wall0).count();
      const double simt = static_cast<double>(t.ns()) / 1e9;
      std::fprintf(stderr, "\r[skbsim] %.3f of %.3f s simulated, %.2f simulated s per wall s   ",
                   simt, static_cast<double>(world.stop_time().ns()) / 1e9,
                   wall > 0 ? simt / wall : 0.0);
    });
    if (show_progress) std::fprintf(stderr, "\r%78s\r", "");
    world.write_outputs();
    if (!quiet) {
      world.print_summary(std::cout);
      for (const auto& f : world.files_written()) std::cout << "  wrote " << f << "\n";
    }
    std::string why;
    if (!world.conservation_ok(&why)) {
      std::cerr << "skbsim: packet accounting does not balance: " << why << "\n";
      return 1;
    }
  } catch (const tools::WorldError& e) {
    std::cerr << "skbsim: " << file << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "skbsim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
