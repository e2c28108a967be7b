// Trace sinks fed with a synthetic trace: a tiny function graph across two
// hosts and three tracks, a branch carrying an IPv4 address and a duration,
// an event with a MAC, and a drop. Checks the exact teaching text, the JSON
// lines, the Perfetto JSON (valid, with flows following the skb), the
// filter, and a scripted `skbsim step` session.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "sim/trace.h"
#include "stack/steps.h"
#include "tools/trace_format.h"
#include "tools/trace_sinks.h"

using namespace sim;
using stack::step::kDev04;
using stack::step::kIp03;
using stack::step::kIp05;
using stack::step::kNeigh02;
using stack::step::kNic01;
using stack::step::kNic04;
using stack::step::kRx06;

namespace {

struct World {
  TraceBus bus;
  uint16_t h1, h2, h1cpu, h1txq, h2cpu;
  World() {
    h1 = bus.add_host("h1");
    h2 = bus.add_host("h2");
    h1cpu = bus.add_track(h1, TrackKind::kCpu, 0, "cpu0");
    h1txq = bus.add_track(h1, TrackKind::kNicQueue, 0, "eth0 txq0");
    h2cpu = bus.add_track(h2, TrackKind::kCpu, 1, "cpu1");
  }
};

TraceRecord rec(TraceKind kind, int64_t t_ns, uint16_t host, uint16_t track, uint16_t step,
                const char* fn, uint64_t skb, const char* fmt = "") {
  TraceRecord r;
  r.t = Time::from_ns(t_ns);
  r.kind = kind;
  r.host = host;
  r.track = track;
  r.step = step;
  r.fn = fn;
  r.skb = skb;
  r.fmt = fmt;
  return r;
}

TraceRecord exit_rec(int64_t t_ns, int64_t dur_ns, uint16_t host, uint16_t track, uint16_t step,
                     const char* fn, uint64_t skb) {
  TraceRecord r = rec(TraceKind::kExit, t_ns, host, track, step, fn, skb);
  r.dur = ns(dur_ns);
  return r;
}

// The synthetic run, in emission order.
std::vector<TraceRecord> script(const World& w) {
  std::vector<TraceRecord> v;
  v.push_back(rec(TraceKind::kEnter, 1000, w.h1, w.h1cpu, kIp03, "ip_local_out", 7));
  v.push_back(rec(TraceKind::kEnter, 1250, w.h1, w.h1cpu, kIp05, "ip_output", 7));
  v.push_back(exit_rec(1500, 250, w.h1, w.h1cpu, kIp05, "ip_output", 7));
  TraceRecord br = rec(TraceKind::kBranch, 1600, w.h1, w.h1cpu, kDev04, "__dev_xmit_skb", 7,
                       "qdisc bypass: queue empty and TCQ_F_CAN_BYPASS (to {}, {} since enqueue)");
  br.nargs = 2;
  br.args[0] = TraceArg::ipv4(0x0a000002);
  br.args[1] = TraceArg(ns(3250));
  v.push_back(br);
  v.push_back(rec(TraceKind::kEnter, 1700, w.h1, w.h1txq, kNic01, "ndo_start_xmit", 7));
  TraceRecord ev = rec(TraceKind::kEvent, 1800, w.h1, w.h1txq, kNic04, "net_dev_start_xmit", 7,
                       "len={} dst {}");
  ev.nargs = 2;
  ev.args[0] = TraceArg(98u);
  ev.args[1] = TraceArg::mac(0x020000000002ull);
  v.push_back(ev);
  v.push_back(exit_rec(2000, 300, w.h1, w.h1txq, kNic01, "ndo_start_xmit", 7));
  v.push_back(exit_rec(4250, 3250, w.h1, w.h1cpu, kIp03, "ip_local_out", 7));
  v.push_back(rec(TraceKind::kEnter, 5000, w.h2, w.h2cpu, kRx06, "udp_recvmsg", 7));
  v.push_back(exit_rec(5100, 100, w.h2, w.h2cpu, kRx06, "udp_recvmsg", 7));
  v.push_back(rec(TraceKind::kEnter, 5900, w.h1, w.h1cpu, kNeigh02, "neigh_resolve_output", 9));
  TraceRecord drop = rec(TraceKind::kDrop, 6000, w.h1, w.h1cpu, kNeigh02, "neigh_resolve_output",
                         9, "{}");
  drop.nargs = 1;
  drop.args[0] = TraceArg("NEIGH_QUEUEFULL");
  v.push_back(drop);
  v.push_back(exit_rec(6100, 200, w.h1, w.h1cpu, kNeigh02, "neigh_resolve_output", 9));
  return v;
}

void play(const World& w, TraceSink& s) {
  for (const TraceRecord& r : script(w)) s.record(r);
  s.finish();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

struct Collect final : TraceSink {
  std::vector<TraceRecord> got;
  bool finished = false;
  void record(const TraceRecord& r) override { got.push_back(r); }
  void finish() override { finished = true; }
};

}  // namespace

TEST_CASE("argument formatting", "[tools][trace]") {
  TraceRecord r;
  r.fmt = "{} {} {} {} {{literal}} {:x}";
  r.nargs = 4;
  r.args[0] = TraceArg(-5);
  r.args[1] = TraceArg::ipv4(0xc0a80001);
  r.args[2] = TraceArg::mac(0x0a1b2c3d4e5full);
  r.args[3] = TraceArg(ms(1) + us(234) + ns(567));
  CHECK(tools::format_detail(r) == "-5 192.168.0.1 0a:1b:2c:3d:4e:5f 1.234567 ms {literal} {?}");
  std::string s;
  tools::append_duration(s, ns(850));
  s += '|';
  tools::append_duration(s, ns(3250));
  s += '|';
  tools::append_duration(s, sec(2));
  CHECK(s == "850 ns|3.25 us|2 s");
  s.clear();
  tools::append_seconds(s, Time::from_ns(12345));
  CHECK(s == "0.000012345");
}

TEST_CASE("TextSink prints a function graph with steps, branches and drops", "[tools][trace]") {
  World w;
  std::ostringstream out;
  tools::TextSink sink(out, w.bus, tools::TextSink::Options{false, true});
  play(w, sink);
  const std::vector<std::string> want = {
      "  IP-03     0.000001000  h1     cpu0                   7                   |  ip_local_out() {",
      "  IP-05     0.000001500  h1     cpu0                   7         0.250 us  |    ip_output();",
      "  DEV-04    0.000001600  h1     cpu0                   7                   |    /* qdisc bypass: queue empty and TCQ_F_CAN_BYPASS (to 10.0.0.2, 3.25 us since enqueue) */",
      "  NIC-01    0.000001700  h1     eth0 txq0              7                   |  ndo_start_xmit() {",
      "  NIC-04    0.000001800  h1     eth0 txq0              7                   |    => net_dev_start_xmit: len=98 dst 02:00:00:00:00:02",
      "  NIC-01    0.000002000  h1     eth0 txq0              7         0.300 us  |  } /* ndo_start_xmit */",
      "  IP-03     0.000004250  h1     cpu0                   7         3.250 us  |  } /* ip_local_out */",
      "  RX-06     0.000005100  h2     cpu1                   7         0.100 us  |  udp_recvmsg();",
      "  NEIGH-02  0.000005900  h1     cpu0                   9                   |  neigh_resolve_output() {",
      "  NEIGH-02  0.000006000  h1     cpu0                   9                   |    => kfree_skb reason: NEIGH_QUEUEFULL (in neigh_resolve_output)",
      "  NEIGH-02  0.000006100  h1     cpu0                   9         0.200 us  |  } /* neigh_resolve_output */",
  };
  CHECK(lines_of(out.str()) == want);

  // Without leaf collapsing every enter opens a brace; the header explains
  // the columns and lines its titles up with the data.
  std::ostringstream out2;
  tools::TextSink full(out2, w.bus);
  play(w, full);
  auto l2 = lines_of(out2.str());
  REQUIRE(l2.size() > 12);
  CHECK(l2[0].rfind("# skbsim trace", 0) == 0);
  bool found_titles = false;
  for (const auto& l : l2)
    if (l.rfind("# STEP", 0) == 0) {
      found_titles = true;
      CHECK(l.find("TIME(s)") == want[0].find("0.000001000") + 4);  // right-aligned over the time
      CHECK(l.find("CALLS") == want[0].find("ip_local_out"));
    }
  CHECK(found_titles);
}

TEST_CASE("TextSink without leaf collapsing", "[tools][trace]") {
  World w;
  std::ostringstream out;
  tools::TextSink sink(out, w.bus, tools::TextSink::Options{false, false});
  play(w, sink);
  auto l = lines_of(out.str());
  REQUIRE(l.size() == 13);
  CHECK(l[1].substr(l[1].find('|')) == "|    ip_output() {");
  CHECK(l[2].substr(l[2].find('|')) == "|    } /* ip_output */");
  CHECK(l[2].find("0.250 us") != std::string::npos);
}

TEST_CASE("JsonlSink writes one parseable object per record, byte-identical per run",
          "[tools][trace]") {
  World w;
  std::ostringstream a, b;
  tools::JsonlSink sa(a, w.bus), sb(b, w.bus);
  play(w, sa);
  play(w, sb);
  CHECK(a.str() == b.str());
  auto lines = lines_of(a.str());
  REQUIRE(lines.size() == script(w).size());
  std::vector<nlohmann::json> js;
  for (const auto& l : lines) js.push_back(nlohmann::json::parse(l));
  for (const auto& j : js)
    for (const char* key : {"t_ns", "host", "cpu", "track", "kind", "step", "fn", "skb", "detail"})
      CHECK(j.contains(key));
  CHECK(js[0]["t_ns"] == 1000);
  CHECK(js[0]["host"] == "h1");
  CHECK(js[0]["cpu"] == 0);
  CHECK(js[0]["track"] == "cpu0");
  CHECK(js[0]["kind"] == "enter");
  CHECK(js[0]["step"] == "IP-03");
  CHECK(js[0]["layer"] == "ip");
  CHECK(js[0]["fn"] == "ip_local_out");
  CHECK(js[0]["skb"] == 7);
  CHECK_FALSE(js[0].contains("dur_ns"));
  CHECK(js[2]["kind"] == "exit");
  CHECK(js[2]["dur_ns"] == 250);
  CHECK(js[3]["detail"] ==
        "qdisc bypass: queue empty and TCQ_F_CAN_BYPASS (to 10.0.0.2, 3.25 us since enqueue)");
  CHECK(js[3]["args"] == nlohmann::json::parse(R"(["10.0.0.2", 3250])"));
  CHECK(js[4]["cpu"].is_null());  // a NIC queue is not a CPU
  CHECK(js[4]["track"] == "eth0 txq0");
  CHECK(js[5]["args"] == nlohmann::json::parse(R"([98, "02:00:00:00:00:02"])"));
  CHECK(js[8]["host"] == "h2");
  CHECK(js[8]["cpu"] == 1);
  CHECK(js[11]["kind"] == "drop");
  CHECK(js[11]["detail"] == "NEIGH_QUEUEFULL");
}

TEST_CASE("PerfettoSink writes valid trace-event JSON with names and skb flows",
          "[tools][trace]") {
  World w;
  std::ostringstream out;
  {
    tools::PerfettoSink sink(out, w.bus);
    play(w, sink);
  }
  const nlohmann::json doc = nlohmann::json::parse(out.str());
  const auto& ev = doc.at("traceEvents");
  std::map<std::string, std::string> thread_names;  // "pid/tid" -> name
  std::map<int, std::string> process_names;
  int b = 0, e = 0, inst = 0;
  std::vector<nlohmann::json> flows;
  for (const auto& x : ev) {
    const std::string ph = x.at("ph");
    if (ph == "M" && x["name"] == "thread_name")
      thread_names[std::to_string(int(x["pid"])) + "/" + std::to_string(int(x["tid"]))] =
          x["args"]["name"];
    if (ph == "M" && x["name"] == "process_name") process_names[x["pid"]] = x["args"]["name"];
    if (ph == "B") ++b;
    if (ph == "E") ++e;
    if (ph == "i") {
      ++inst;
      CHECK(x["s"] == "t");
      CHECK(x.contains("args"));
    }
    if (ph == "s" || ph == "t" || ph == "f") flows.push_back(x);
  }
  CHECK(process_names == std::map<int, std::string>{{1, "h1"}, {2, "h2"}});
  CHECK(thread_names ==
        std::map<std::string, std::string>{{"1/1", "cpu0"}, {"1/2", "eth0 txq0"}, {"2/3", "cpu1"}});
  CHECK(b == 5);
  CHECK(e == 5);
  CHECK(inst == 3);
  // Timestamps in microseconds with the nanoseconds kept as decimals.
  CHECK(ev[2]["ph"] == "B");  // after ip_local_out's "B" and its flow start
  CHECK(ev[2]["ts"].get<double>() == Approx(1.25));
  CHECK(out.str().find("\"ts\":1.250") != std::string::npos);
  // skb 7: starts on h1 cpu0, steps to the NIC queue, ends in h2's recvmsg;
  // skb 9 ends where it was dropped. All bound to the enclosing slice.
  REQUIRE(flows.size() == 5);
  auto at = [](const nlohmann::json& f) {
    return std::string(f["ph"]) + " " + std::to_string(int(f["id"])) + " " +
           std::to_string(int(f["pid"])) + "/" + std::to_string(int(f["tid"])) + " " +
           std::to_string(int(f["ts"].get<double>() * 1000 + 0.5));
  };
  CHECK(at(flows[0]) == "s 7 1/1 1000");
  CHECK(at(flows[1]) == "t 7 1/2 1700");
  CHECK(at(flows[2]) == "f 7 2/3 5000");
  CHECK(at(flows[3]) == "s 9 1/1 5900");
  CHECK(at(flows[4]) == "f 9 1/1 6000");
  for (const auto& f : flows) {
    CHECK(f["bp"] == "e");
    CHECK(f["cat"] == "skb");
  }
}

TEST_CASE("PerfettoSink output is valid JSON even with nothing recorded", "[tools][trace]") {
  World w;
  std::ostringstream out;
  tools::PerfettoSink sink(out, w.bus);
  sink.finish();
  const nlohmann::json doc = nlohmann::json::parse(out.str());
  CHECK(doc["traceEvents"].size() == 2 * 2 + 2 * 3);  // names and sort order only
}

TEST_CASE("FilterSink passes records by host, skb and layer", "[tools][trace]") {
  World w;
  {
    Collect c;
    tools::FilterSink f(w.bus, c);
    f.hosts({"h2"});
    play(w, f);
    REQUIRE(c.got.size() == 2);
    for (const auto& r : c.got) CHECK(r.host == w.h2);
    CHECK(c.finished);
  }
  {
    Collect c;
    tools::FilterSink f(w.bus, c);
    f.skbs({9});
    play(w, f);
    REQUIRE(c.got.size() == 3);
    for (const auto& r : c.got) CHECK(r.skb == 9);
  }
  {
    Collect c;
    tools::FilterSink f(w.bus, c);
    f.layers({"ip"});
    play(w, f);
    REQUIRE(c.got.size() == 4);  // ip_local_out and ip_output, enter and exit
    for (const auto& r : c.got) CHECK(stack::step_info(r.step).layer == "ip");
  }
  {
    // Criteria combine: host h1 and layer nic leaves the NIC queue's three.
    Collect c;
    tools::FilterSink f(w.bus, c);
    f.hosts({"h1", "h3"}).layers({"driver", "nic"});
    play(w, f);
    CHECK(c.got.size() == 3);
  }
  {
    Collect c;
    tools::FilterSink f(w.bus, c);
    f.layers({"no-such-layer"});
    play(w, f);
    CHECK(c.got.empty());
  }
}

TEST_CASE("StepSink walks step by step, skips to the next packet, continues", "[tools][step]") {
  World w;
  std::istringstream in("\nn\nc\n");
  std::ostringstream out;
  tools::StepSink sink(w.bus, in, out);
  int state_calls = 0;
  sink.set_state_hook([&](const TraceRecord& r) {
    ++state_calls;
    return std::vector<std::string>{"h1 eth0 txq0 qlen 0", "cpu0 busy until " +
                                                               std::to_string(r.t.ns() + 10)};
  });
  play(w, sink);
  const std::string s = out.str();
  // Stop 1: ip_local_out with its kernel file; Enter goes on. Stop 2:
  // ip_output; `n` skips the rest of skb 7 to skb 9's first record, where
  // `c` runs to the end without asking again.
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
    return n;
  };
  CHECK(count("step [Enter=next") == 3);
  CHECK(s.find("-- 1 -- IP-03  ip_local_out()  (enter)\n"
               "   source  net/ipv4/ip_output.c  [layer ip; step function ip_local_out]\n"
               "   time    0.000001000 s  h1 cpu0  skb 7\n"
               "   state   h1 eth0 txq0 qlen 0\n"
               "   state   cpu0 busy until 1010\n") != std::string::npos);
  CHECK(s.find("-- 2 -- IP-05  ip_output()") != std::string::npos);
  CHECK(s.find("__dev_xmit_skb") == std::string::npos);  // skipped by `n`
  CHECK(s.find("udp_recvmsg") == std::string::npos);
  CHECK(s.find("-- 3 -- NEIGH-02  neigh_resolve_output()") != std::string::npos);
  CHECK(s.find("-- 4 -- NEIGH-02  neigh_resolve_output  (drop)\n") != std::string::npos);
  CHECK(s.find("   drop    kfree_skb reason: NEIGH_QUEUEFULL\n") != std::string::npos);
  CHECK(s.find("net/core/neighbour.c") != std::string::npos);
  CHECK(sink.shown() == 4);
  CHECK(state_calls == 4);
  CHECK_FALSE(sink.quit_requested());
  CHECK(s.find("(end of trace: 4 steps)") != std::string::npos);
}

TEST_CASE("StepSink shows branches and events, and q asks the runner to stop", "[tools][step]") {
  World w;
  std::istringstream in("\n\nx\n\nq\n\n");
  std::ostringstream out;
  tools::StepSink sink(w.bus, in, out);
  int stops = 0;
  sink.set_stop_callback([&] { ++stops; });
  for (const TraceRecord& r : script(w)) {
    sink.record(r);
    if (sink.quit_requested()) break;  // what the runner does after request_stop
  }
  sink.finish();
  const std::string s = out.str();
  CHECK(stops == 1);
  CHECK(sink.quit_requested());
  CHECK(sink.shown() == 4);  // local_out, ip_output, the branch, ndo_start_xmit
  CHECK(s.find("   why     qdisc bypass: queue empty and TCQ_F_CAN_BYPASS (to 10.0.0.2, 3.25 us "
               "since enqueue)\n") != std::string::npos);
  CHECK(s.find("keys: Enter = next step") != std::string::npos);  // the unknown "x"
  CHECK(s.find("(quit)") != std::string::npos);
  CHECK(s.find("(end of trace") == std::string::npos);
  // Records after quit are ignored.
  sink.record(script(w)[5]);
  CHECK(sink.shown() == 4);
}

TEST_CASE("StepSink treats end of input as continue", "[tools][step]") {
  World w;
  std::istringstream in("");
  std::ostringstream out;
  tools::StepSink sink(w.bus, in, out);
  play(w, sink);
  CHECK(sink.shown() == 8);  // the 13 records but their 5 exits
  CHECK(out.str().find("(end of input: continuing without pausing)") != std::string::npos);
}
