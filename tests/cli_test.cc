// The skbsim command as a user runs it: exit codes, messages, outputs that
// real tools open (tshark reads the pcap files with good checksums).
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace {

struct Result {
  int status;
  std::string out;
};

// Runs a shell command, returns its exit status and stdout+stderr.
Result sh(const std::string& cmd, bool with_stderr = true) {
  Result r{-1, {}};
  FILE* p = popen((with_stderr ? cmd + " 2>&1" : cmd).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const std::string kBin = "tools/skbsim";

std::string tmpdir(const std::string& name) {
  std::string d = std::filesystem::temp_directory_path().string() + "/skbsim_cli_" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

bool have_tshark() { return sh("command -v tshark").status == 0; }

}  // namespace

TEST_CASE("--help teaches by example, --version names the model", "[cli]") {
  auto h = sh(kBin + " --help");
  CHECK(h.status == 0);
  CHECK(h.out.find("skbsim run scenarios/udp_sendto.yaml") != std::string::npos);
  CHECK(h.out.find("skbsim step") != std::string::npos);
  auto v = sh(kBin + " --version");
  CHECK(v.status == 0);
  CHECK(v.out.find("skbsim") == 0);
}

TEST_CASE("bad input exits 2 with the file, line and field", "[cli]") {
  const std::string d = tmpdir("bad");
  std::ofstream(d + "/bad.yaml") << "simulation: {stop: 1s}\n"
                                    "hosts:\n"
                                    "  - name: h1\n"
                                    "    interfaces: [{name: eth0, address: 10.0.0.1/24}]\n"
                                    "links:\n"
                                    "  - {a: \"h1:eth0\", b: \"h9:eth0\", rate: 1mbits}\n";
  auto r = sh(kBin + " validate " + d + "/bad.yaml");
  CHECK(r.status == 2);
  CHECK(r.out.find("bad.yaml:6:") != std::string::npos);
  CHECK(r.out.find("links[0].rate") != std::string::npos);
  CHECK(r.out.find("did you mean \"mbit\"") != std::string::npos);
  auto missing = sh(kBin + " run " + d + "/nope.yaml");
  CHECK(missing.status == 2);
  CHECK(missing.out.find("nope.yaml") != std::string::npos);
  auto flag = sh(kBin + " run scenarios/udp_sendto.yaml --stop 10mbit");
  CHECK(flag.status == 2);
  auto unknown = sh(kBin + " run scenarios/udp_sendto.yaml --bogus");
  CHECK(unknown.status == 2);
}

TEST_CASE("validate a good file, run it, write counters and traces", "[cli]") {
  auto v = sh(kBin + " validate scenarios/ping.yaml");
  CHECK(v.status == 0);
  CHECK(v.out.find("OK: 4 hosts, 1 switches, 4 links, 2 applications") != std::string::npos);
  const std::string d = tmpdir("run");
  auto r = sh(kBin + " run scenarios/udp_sendto.yaml --out " + d + " --trace " + d +
              "/t.json --trace-format perfetto");
  REQUIRE(r.status == 0);
  CHECK(r.out.find("conservation: OK") != std::string::npos);
  CHECK(r.out.find("UdpOutDatagrams 1") != std::string::npos);
  std::ifstream c(d + "/counters.json");
  auto j = nlohmann::json::parse(c);
  CHECK(j["hosts"]["h2"]["snmp"]["Udp"]["InDatagrams"] == 1);
  CHECK(j["packets"]["conservation_ok"] == true);
  std::ifstream t(d + "/t.json");
  auto tj = nlohmann::json::parse(t);  // Perfetto's JSON parses
  CHECK(tj["traceEvents"].size() > 100);
  auto q = sh(kBin + " run scenarios/udp_sendto.yaml --quiet");
  CHECK(q.status == 0);
  CHECK(q.out.empty());
}

TEST_CASE("skbsim step walks and quits on q", "[cli]") {
  auto r = sh("printf '\\n\\nn\\nq\\n' | " + kBin + " step scenarios/udp_sendto.yaml");
  CHECK(r.status == 0);
  CHECK(r.out.find("net/") != std::string::npos);  // kernel source files are shown
}

TEST_CASE("pcap files open in tshark with good checksums", "[cli][pcap]") {
  if (!have_tshark()) {
    WARN("tshark is not installed (tools/setup installs it): skipped");
    return;
  }
  const std::string d = tmpdir("pcap");
  REQUIRE(sh(kBin + " run scenarios/fragment.yaml --quiet --out " + d).status == 0);
  const std::string f = d + "/h1-eth0.pcap";
  REQUIRE(std::filesystem::exists(f));
  // h1 sent an ARP request and three fragments, and received the ARP reply.
  auto n = sh("tshark -r " + f + " -T fields -e frame.protocols 2>/dev/null", false);
  CHECK(n.status == 0);
  size_t lines = 0, arp = 0;
  for (size_t i = 0; i < n.out.size(); ++i) lines += n.out[i] == '\n';
  for (size_t p = n.out.find("arp"); p != std::string::npos; p = n.out.find("arp", p + 1)) ++arp;
  CHECK(lines == 5);
  CHECK(arp == 2);
  // The reassembled datagram's UDP checksum and every IP header checksum are good.
  auto ck = sh("tshark -r " + f + " -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE "
               "-o ip.defragment:TRUE -T fields -e ip.checksum.status -e udp.checksum.status "
               "-Y 'ip' 2>/dev/null", false);
  CHECK(ck.status == 0);
  CHECK(ck.out.find("Bad") == std::string::npos);
  CHECK(ck.out.find("0") == std::string::npos);  // status 0 = bad
  CHECK(ck.out.find("1\t1") != std::string::npos);  // the UDP checksum of the whole datagram, good
  // Reading the file produced no warning (tshark's note about running as
  // root concerns the user, not the file).
  auto w = sh("tshark -r " + f + " 2>&1 >/dev/null | grep -v '^Running as user'", false);
  CHECK(w.out.empty());
}
