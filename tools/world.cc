// tools/world.cc: building the model from a scenario, running it, and
// reporting what it counted.
#include "tools/world.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nic_model/driver.h"
#include "nic_model/link.h"
#include "nic_model/nic.h"
#include "nic_model/switch.h"
#include "stack/af_inet.h"
#include "stack/apps.h"
#include "stack/ip_fragment.h"
#include "stack/dev.h"
#include "stack/host.h"
#include "stack/neighbour.h"
#include "stack/netfilter.h"
#include "stack/route.h"
#include "tools/pcap_writer.h"
#include "tools/trace_sinks.h"

namespace tools {

namespace {

std::string mac_str(const stack::MacAddr& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m.b[0], m.b[1], m.b[2], m.b[3],
                     m.b[4], m.b[5]);
}

// A pcap file fed from a NIC's frame tap.
struct PcapTap final : nic_model::FrameTap {
  explicit PcapTap(const std::string& path) : writer(path) {}
  PcapWriter writer;
  void on_frame(sim::Time t, const uint8_t* data, uint32_t len, bool tx) override {
    writer.write(t, data, len);
  }
};

stack::NfRuleSpec to_nf(const NetfilterRule& r) {
  stack::NfRuleSpec s;
  s.hook = static_cast<stack::NfHook>(static_cast<int>(r.hook));
  switch (r.proto) {
    case NetfilterRule::Proto::kAny: s.proto = 0; break;
    case NetfilterRule::Proto::kUdp: s.proto = 17; break;
    case NetfilterRule::Proto::kTcp: s.proto = 6; break;
    case NetfilterRule::Proto::kIcmp: s.proto = 1; break;
  }
  s.src = r.src;
  s.src_len = r.src_len;
  s.dst = r.dst;
  s.dst_len = r.dst_len;
  s.sport = {r.sport_lo, r.sport_hi};
  s.dport = {r.dport_lo, r.dport_hi};
  s.action = r.action == NetfilterRule::Action::kAccept ? stack::NfAction::kAccept
                                                        : stack::NfAction::kDrop;
  return s;
}

}  // namespace

// Everything the world owns besides hosts and apps.
struct World::Impl {
  struct Iface {
    stack::Host* host;
    stack::NetDevice* dev;
    std::unique_ptr<nic_model::Nic> nic;
    std::unique_ptr<nic_model::IxgbeDriver> driver;
    std::unique_ptr<PcapTap> pcap;
    std::string name;  // host:ifname
  };
  std::vector<Iface> ifaces;
  std::vector<std::unique_ptr<nic_model::Link>> links;
  std::vector<std::unique_ptr<nic_model::Switch>> switches;
  // Trace output.
  std::unique_ptr<std::ofstream> trace_file;
  std::unique_ptr<sim::TraceSink> trace_sink;
  std::unique_ptr<FilterSink> filter;
  std::unique_ptr<StepSink> step;

  Iface* iface(const std::string& host, const std::string& ifname) {
    for (auto& i : ifaces)
      if (i.host->name() == host && i.dev->name == ifname) return &i;
    return nullptr;
  }
};

World::World(const Scenario& sc, const RunOptions& opts)
    : sc_(sc), opts_(opts), impl_(std::make_unique<Impl>()) {
  const uint64_t seed = opts.seed.value_or(sc.sim.seed);
  stop_ = sim::Time::zero() + opts.stop.value_or(sc.sim.stop);
  stack::SimEnv env{sched_, bus_, pool_, seed};

  // Tracing first, so host boot (inet_init) is traced too.
  std::string tfile = opts.trace_file;
  std::string tfmt = opts.trace_format;
  std::vector<std::string> fhosts = opts.filter_hosts;
  std::vector<std::string> flayers = opts.filter_layers;
  std::vector<uint64_t> fskbs = opts.filter_skbs;
  if (tfile.empty() && sc.outputs.trace) {
    tfile = sc.outputs.trace->file;
    if (tfmt.empty())
      tfmt = sc.outputs.trace->format == TraceSpec::Format::kJsonl      ? "jsonl"
             : sc.outputs.trace->format == TraceSpec::Format::kPerfetto ? "perfetto"
                                                                        : "text";
    if (fhosts.empty() && !sc.outputs.trace->host.empty()) fhosts.push_back(sc.outputs.trace->host);
    if (fskbs.empty() && sc.outputs.trace->skb) fskbs.push_back(*sc.outputs.trace->skb);
    if (flayers.empty()) flayers = sc.outputs.trace->layers;
  }
  if (tfmt.empty()) tfmt = "text";
  sim::TraceSink* sink = nullptr;
  if (opts.step) {
    impl_->step = std::make_unique<StepSink>(bus_, opts.step_in ? *opts.step_in : std::cin,
                                             opts.step_out ? *opts.step_out : std::cout);
    impl_->step->set_stop_callback([this] { sched_.request_stop(); });
    // At each pause: the state the step may have changed, on its host.
    impl_->step->set_state_hook([this](const sim::TraceRecord& r) {
      std::vector<std::string> lines;
      for (const auto& h : hosts_) {
        if (h->trace_id() != r.host) continue;
        std::string cpus;
        for (uint16_t c = 0; c < h->num_cpus(); ++c)
          cpus += fmt::format(" cpu{} busy until {:.9f} s, {} waiting;", c,
                              static_cast<double>(h->cpu(c).busy_until().ns()) / 1e9,
                              h->cpu(c).runqueue_length());
        lines.push_back(h->name() + ":" + cpus);
        for (const auto& f : impl_->ifaces) {
          if (f.host != h.get()) continue;
          const stack::NetdevQueue& q = f.dev->tx[0];
          const auto& ring = f.nic->tx_ring(0);
          lines.push_back(fmt::format(
              "{} {}: qdisc {} qlen {} backlog {}b; txq0 {}; TX ring next_to_use {} next_to_clean {} "
              "({} free); BQL limit {} inflight {}",
              h->name(), f.dev->name, q.qdisc->kind(), q.qdisc->stats.qlen, q.qdisc->stats.backlog,
              q.stopped() ? (q.drv_xoff ? "stopped (ring full)" : "stopped (BQL)") : "running",
              ring.next_to_use, ring.next_to_clean, ring.unused(), q.dql.limit, q.dql.inflight()));
        }
        for (const auto& n : h->arp->dump()) lines.push_back(h->name() + " neigh " + n);
      }
      return lines;
    });
    sink = impl_->step.get();
  } else if (!tfile.empty()) {
    std::ostream* os = &std::cout;
    if (tfile != "-") {
      impl_->trace_file = std::make_unique<std::ofstream>(tfile);
      if (!*impl_->trace_file) throw WorldError("cannot write the trace file " + tfile);
      os = impl_->trace_file.get();
      files_.push_back(tfile);
    }
    if (tfmt == "text") impl_->trace_sink = std::make_unique<TextSink>(*os, bus_);
    else if (tfmt == "jsonl") impl_->trace_sink = std::make_unique<JsonlSink>(*os, bus_);
    else if (tfmt == "perfetto") impl_->trace_sink = std::make_unique<PerfettoSink>(*os, bus_);
    else throw WorldError("unknown trace format \"" + tfmt + "\" (text, jsonl or perfetto)");
    sink = impl_->trace_sink.get();
  }
  if (sink) {
    if (!fhosts.empty() || !fskbs.empty() || !flayers.empty()) {
      impl_->filter = std::make_unique<FilterSink>(bus_, *sink);
      if (!fhosts.empty()) impl_->filter->hosts(fhosts);
      if (!fskbs.empty()) impl_->filter->skbs(fskbs);
      if (!flayers.empty()) impl_->filter->layers(flayers);
      sink = impl_->filter.get();
    }
    bus_.subscribe(sink);
  }

  // Hosts.
  for (const HostSpec& hs : sc.hosts) {
    stack::HostConfig hc;
    hc.name = hs.name;
    hc.cpus = hs.cpus;
    hc.sysctl = hs.sysctls;
    hc.costs = hs.costs;
    hc.sysctl.kernel_hz = sc.sim.hz;
    hosts_.push_back(std::make_unique<stack::Host>(env, hc));
  }
  // Interfaces: a NIC, its driver, the net_device, the address, the qdisc.
  for (size_t hi = 0; hi < sc.hosts.size(); ++hi) {
    const HostSpec& hs = sc.hosts[hi];
    stack::Host& h = *hosts_[hi];
    for (const InterfaceSpec& is : hs.interfaces) {
      Impl::Iface f;
      f.host = &h;
      f.name = hs.name + ":" + is.name;
      stack::MacAddr mac{is.mac};
      const uint16_t track =
          bus_.add_track(h.trace_id(), sim::TrackKind::kNicQueue, 0, is.name + " nic");
      nic_model::NicConfig cfg = is.nic;
      cfg.mtu = is.mtu;
      f.nic = std::make_unique<nic_model::Nic>(sched_, pool_, cfg, mac,
                                               sim::Tracer(&bus_, h.trace_id(), track));
      // Perfetto rows: the DMA engine and each queue of the NIC.
      const uint16_t hid = h.trace_id();
      std::vector<sim::Tracer> txq, rxq;
      for (uint16_t q = 0; q < f.nic->num_tx_queues(); ++q)
        txq.emplace_back(&bus_, hid,
                         bus_.add_track(hid, sim::TrackKind::kNicQueue, q, fmt::format("{} txq{}", is.name, q)));
      for (uint16_t q = 0; q < f.nic->num_rx_queues(); ++q)
        rxq.emplace_back(&bus_, hid,
                         bus_.add_track(hid, sim::TrackKind::kNicQueue, q, fmt::format("{} rxq{}", is.name, q)));
      f.nic->set_trace_tracks(
          sim::Tracer(&bus_, hid, bus_.add_track(hid, sim::TrackKind::kDma, 0, is.name + " dma")),
          std::move(txq), std::move(rxq));
      stack::NetDevice& dev = h.add_device(is.name, mac, is.mtu, f.nic->num_tx_queues(), nullptr);
      dev.tx_queue_len = is.txqueuelen;
      dev.xps_cpus = is.xps;
      f.dev = &dev;
      f.driver = std::make_unique<nic_model::IxgbeDriver>(*h.dev, dev, *f.nic);
      dev.ops = f.driver.get();
      stack::QdiscSpec q = is.qdisc;
      try {
        h.dev->attach_qdiscs(dev, q);
      } catch (const std::invalid_argument& e) {
        throw WorldError(fmt::format("{}: qdisc: {}", f.name, e.what()));
      }
      if (is.has_address) h.add_address(dev, is.address, is.prefix_len);
      f.driver->open(h.num_cpus());
      impl_->ifaces.push_back(std::move(f));
    }
    // Routes beyond the connected ones (which add_address installed).
    for (const RouteSpec& r : hs.routes) {
      if (r.origin == RouteSpec::Origin::kConnected) continue;
      stack::NetDevice* dev = h.device(r.dev);
      if (!dev) throw WorldError(fmt::format("{}: route via unknown device {}", hs.name, r.dev));
      h.fib.add(r.dst, r.prefix_len, r.gateway, dev, r.metric,
                h.select_addr(dev, r.gateway ? r.gateway : r.dst), stack::RtnType::kUnicast, false);
    }
    for (const NetfilterRule& r : hs.netfilter) {
      const std::string err = h.nf->append(to_nf(r));
      if (!err.empty()) throw WorldError(fmt::format("{}: netfilter: {}", hs.name, err));
    }
  }
  // Switches, then links.
  for (const SwitchSpec& ss : sc.switches) {
    const uint16_t hid = bus_.add_host(ss.name);
    impl_->switches.push_back(std::make_unique<nic_model::Switch>(
        sched_, pool_, static_cast<uint32_t>(ss.ports.size()), ss.queue,
        sim::Tracer(&bus_, hid, bus_.add_track(hid, sim::TrackKind::kOther, 0, "switch"))));
  }
  // Wires belong to no host: they get a trace "host" of their own.
  const uint16_t net_id = sc.links.empty() ? 0 : bus_.add_host("wires");
  for (size_t li = 0; li < sc.links.size(); ++li) {
    const LinkSpec& ls = sc.links[li];
    const uint16_t track = bus_.add_track(net_id, sim::TrackKind::kWire, static_cast<uint16_t>(li),
                                          ls.a.to_string() + "<->" + ls.b.to_string());
    auto link = std::make_unique<nic_model::Link>(
        sched_, pool_, ls.config,
        sim::Rng::stream(seed, "link/" + ls.a.to_string() + "-" + ls.b.to_string() + "/loss"),
        sim::Tracer(&bus_, net_id, track));
    // One track per direction, as a wire is two one-way channels.
    link->set_direction_tracer(0, sim::Tracer(&bus_, net_id, bus_.add_track(net_id, sim::TrackKind::kWire, static_cast<uint16_t>(2 * li), ls.a.to_string() + " -> " + ls.b.to_string())));
    link->set_direction_tracer(1, sim::Tracer(&bus_, net_id, bus_.add_track(net_id, sim::TrackKind::kWire, static_cast<uint16_t>(2 * li + 1), ls.b.to_string() + " -> " + ls.a.to_string())));
    const Endpoint* ends[2] = {&ls.a, &ls.b};
    for (int side = 0; side < 2; ++side) {
      const Endpoint& e = *ends[side];
      if (e.is_switch) {
        nic_model::Switch& sw = *impl_->switches[static_cast<size_t>(e.index)];
        sw.attach_port(static_cast<uint32_t>(e.port_index), *link, side, ls.queue);
        link->attach(side, &sw.port(static_cast<uint32_t>(e.port_index)));
      } else {
        Impl::Iface* f = impl_->iface(e.node, e.port);
        if (!f) throw WorldError("link to unknown interface " + e.to_string());
        f->nic->attach_link(*link, side);
        link->attach(side, f->nic.get());
      }
    }
    impl_->links.push_back(std::move(link));
  }
  // Packet captures.
  auto want_pcap = [&](const Impl::Iface& f) {
    if (sc.outputs.pcap_all || opts.pcap_all) return true;
    for (const Endpoint& e : sc.outputs.pcap)
      if (e.to_string() == f.name) return true;
    return false;
  };
  for (auto& f : impl_->ifaces) {
    if (!want_pcap(f)) continue;
    std::string dir = opts.out_dir.empty() ? "." : opts.out_dir;
    std::string path = dir + "/" + f.host->name() + "-" + f.dev->name + ".pcap";
    try {
      f.pcap = std::make_unique<PcapTap>(path);
    } catch (const std::exception& e) {
      throw WorldError(e.what());
    }
    f.nic->set_frame_tap(f.pcap.get());
    files_.push_back(path);
  }
  // Applications.
  for (const AppSpec& as : sc.apps) {
    stack::Host& h = *hosts_[static_cast<size_t>(as.host_index)];
    const std::string name = fmt::format("{}/{}{}", as.host, app_kind_name(as.kind), apps_.size());
    const sim::Time stop = std::min(as.stop, stop_);
    std::unique_ptr<stack::App> app;
    switch (as.kind) {
      case AppSpec::Kind::kUdpSender: {
        const auto& p = std::get<tools::UdpSenderParams>(as.params);
        stack::UdpSenderParams q;
        q.dst = p.dst;
        q.dport = p.dport;
        q.sport = p.sport.value_or(0);
        q.size = p.size;
        q.count = p.count.value_or(0);
        q.rate_bps = p.rate_bps.value_or(p.pps ? *p.pps * p.size * 8 : 0);
        q.burst = p.burst;
        q.connect = p.connect;
        q.tos = p.tos;
        q.start = as.start;
        q.stop = stop;
        app = std::make_unique<stack::UdpSender>(h, name, 0, q);
        break;
      }
      case AppSpec::Kind::kUdpSink: {
        const auto& p = std::get<tools::UdpSinkParams>(as.params);
        stack::UdpSinkParams q;
        q.port = p.port;
        q.rcvbuf = static_cast<int>(p.rcvbuf.value_or(0));
        q.read_delay = p.read_delay.value_or(sim::Duration::zero());
        q.start = as.start;
        q.stop = stop;
        app = std::make_unique<stack::UdpSink>(h, name, 0, q);
        break;
      }
      case AppSpec::Kind::kPing: {
        const auto& p = std::get<tools::PingParams>(as.params);
        stack::PingParams q;
        q.dst = p.dst;
        q.count = p.count.value_or(0);
        q.interval = p.interval;
        q.size = p.size;
        q.start = as.start;
        q.stop = stop;
        app = std::make_unique<stack::Ping>(h, name, 0, q);
        break;
      }
      case AppSpec::Kind::kTcpBulk:
      case AppSpec::Kind::kTcpSink:
        throw WorldError(fmt::format("{}: {} needs the TCP model, which this build does not have yet",
                                     name, app_kind_name(as.kind)));
    }
    app->start_at(as.start);
    apps_.push_back(std::move(app));
  }
}

World::~World() = default;

stack::Host& World::host(const std::string& name) {
  for (auto& h : hosts_)
    if (h->name() == name) return *h;
  throw WorldError("no host " + name);
}

void World::run(const std::function<void(sim::Time)>& progress) {
  // Run in slices so progress can be reported; the slices do not change
  // the order of events (run_until only moves the clock).
  const sim::Duration slice = sim::ms(100);
  sim::Time t = sched_.now();
  while (t < stop_) {
    sim::Time next = std::min(stop_, t + slice);
    sched_.run_until(next);
    if (impl_->step && impl_->step->quit_requested()) break;
    t = next;
    if (progress) progress(t);
  }
  bus_.finish();
  for (auto& f : impl_->ifaces)
    if (f.pcap) f.pcap->writer.flush();
}

std::vector<std::pair<std::string, uint64_t>> World::in_flight() const {
  uint64_t qdisc = 0, arp = 0, sockets = 0, nic = 0, wire = 0, ring = 0, rxbuf = 0, other = 0;
  for (const auto& h : hosts_) {
    for (const auto& d : h->devices())
      for (const auto& q : d->tx)
        if (q.qdisc) qdisc += q.qdisc->stats.qlen;
    arp += h->arp->queued_skbs();
    for (const auto& sk : h->inet->socks())
      sockets += sk->receive_queue.qlen() + sk->error_queue.qlen() + sk->cork_queue.qlen();
    other += h->dev->backlog_skbs() + h->defrag->queued_skbs();
  }
  for (const auto& f : impl_->ifaces) {
    nic += f.nic->skbs_held();
    ring += f.driver->tx_skbs_held();
    rxbuf += f.driver->rx_buffers_posted();
  }
  for (const auto& l : impl_->links) wire += l->in_flight();
  uint64_t sw = 0;
  for (const auto& s : impl_->switches) sw += s->skbs_held();
  return {{"qdisc", qdisc},           {"arp_queue", arp},    {"socket_queues", sockets},
          {"tx_ring", ring},          {"nic_fifo", nic},     {"wire", wire},
          {"switch_queues", sw},      {"backlog_and_defrag", other},
          {"rx_buffers_posted", rxbuf}};
}

bool World::conservation_ok(std::string* why) const {
  uint64_t known = 0;
  for (const auto& [place, n] : in_flight()) known += n;
  const bool ok = pool_.balanced() && known == pool_.alive();
  if (!ok && why)
    *why = fmt::format("created {} consumed {} dropped {} alive {} but {} found in queues",
                       pool_.created(), pool_.consumed(), pool_.dropped_total(), pool_.alive(), known);
  return ok;
}

namespace {

template <class Mib, size_t N>
void mib_lines(const char* prefix, const Mib& mib, const char* const (&names)[N],
               std::vector<std::string>& out) {
  for (size_t i = 0; i < N; ++i)
    if (mib.v[i]) out.push_back(fmt::format("{}{} {}", prefix, names[i], mib.v[i]));
}

template <class Mib, size_t N>
nlohmann::ordered_json mib_json(const Mib& mib, const char* const (&names)[N]) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (size_t i = 0; i < N; ++i) j[names[i]] = mib.v[i];
  return j;
}

std::string qdisc_line(const stack::NetDevice& d, const stack::NetdevQueue& q) {
  const stack::Qdisc& s = *q.qdisc;
  return fmt::format(
      "qdisc {} {:x}: dev {}{} root\n      Sent {} bytes {} pkt (dropped {}, overlimits {} requeues {})\n"
      "      backlog {}b {}p requeues {}",
      s.kind(), s.handle >> 16, d.name, d.tx.size() > 1 ? fmt::format(" txq {}", q.index) : "",
      s.stats.bytes, s.stats.packets, s.stats.drops, s.stats.overlimits, s.stats.requeues,
      s.stats.backlog, s.stats.qlen, s.stats.requeues);
}

}  // namespace

void World::print_summary(std::ostream& os) const {
  os << fmt::format("skbsim: {} ran to {:.9f} s of virtual time, seed {}, {} events\n", sc_.file,
                    static_cast<double>(sched_.now().ns()) / 1e9, opts_.seed.value_or(sc_.sim.seed),
                    sched_.events_executed());
  for (const auto& h : hosts_) {
    os << "\n== host " << h->name() << "\n";
    os << "  ip route:\n";
    for (const auto& r : h->fib.dump())
      if (r.find("dev lo") == std::string::npos) os << "    " << r << "\n";
    const auto neigh = h->arp->dump();
    if (!neigh.empty()) {
      os << "  ip neigh:\n";
      for (const auto& n : neigh) os << "    " << n << "\n";
    }
    std::vector<std::string> c;
    mib_lines("Ip", h->mib.ip, stack::IpMibNames, c);
    mib_lines("IpExt", h->mib.ipext, stack::IpExtMibNames, c);
    mib_lines("Icmp", h->mib.icmp, stack::IcmpMibNames, c);
    mib_lines("Udp", h->mib.udp, stack::UdpMibNames, c);
    mib_lines("Tcp", h->mib.tcp, stack::TcpMibNames, c);
    if (!c.empty()) {
      os << "  nstat (non-zero counters of /proc/net/snmp and netstat):\n";
      std::string line = "   ";
      for (const auto& s : c) {
        if (line.size() + s.size() > 96) {
          os << line << "\n";
          line = "   ";
        }
        line += " " + s;
      }
      os << line << "\n";
    }
    for (const auto& d : h->devices()) {
      if (d->loopback && d->stats.tx_packets == 0) continue;
      os << fmt::format("  {}: mtu {} link/ether {}\n", d->name, d->mtu, mac_str(d->dev_addr));
      os << fmt::format("    RX: {} bytes {} packets {} errors {} dropped {} missed\n", d->stats.rx_bytes,
                        d->stats.rx_packets, d->stats.rx_errors, d->stats.rx_dropped,
                        d->stats.rx_missed_errors);
      os << fmt::format("    TX: {} bytes {} packets {} errors {} dropped\n", d->stats.tx_bytes,
                        d->stats.tx_packets, d->stats.tx_errors, d->stats.tx_dropped);
      for (const auto& q : d->tx)
        if (q.qdisc && std::string_view(q.qdisc->kind()) != "noqueue")
          os << "    " << qdisc_line(*d, q) << "\n";
      if (d->ops && !d->loopback) {
        std::vector<std::pair<std::string, uint64_t>> st;
        d->ops->ethtool_stats(st);
        std::string line = "    ethtool -S:";
        for (const auto& [k, v] : st)
          if (v) line += fmt::format(" {}={}", k, v);
        os << line << "\n";
      }
    }
    bool any_rules = false;
    for (int k = 0; k < static_cast<int>(stack::NfHook::kCount); ++k)
      any_rules |= !h->nf->rules(static_cast<stack::NfHook>(k)).empty();
    if (any_rules) {
      os << "  iptables -L -v -n:\n";
      std::istringstream lines(h->nf->dump());
      for (std::string l; std::getline(lines, l);) os << "    " << l << "\n";
    }
    std::string sn = "  softnet_stat:";
    for (uint16_t i = 0; i < h->num_cpus(); ++i) {
      const auto& s = h->dev->softnet_stat(i);
      sn += fmt::format(" cpu{} processed {} dropped {} time_squeeze {};", i, s.processed, s.dropped,
                        s.time_squeeze);
    }
    os << sn << "\n";
  }
  if (!apps_.empty()) {
    os << "\n== applications\n";
    std::vector<std::string> lines;
    for (const auto& a : apps_) a->report(lines);
    for (const auto& l : lines) os << "  " << l << "\n";
  }
  os << "\n== packets\n";
  os << fmt::format("  skbs created {} = consumed {} + dropped {} + alive {}\n", pool_.created(),
                    pool_.consumed(), pool_.dropped_total(), pool_.alive());
  for (size_t r = 0; r < static_cast<size_t>(stack::DropReason::kCount); ++r) {
    const auto reason = static_cast<stack::DropReason>(r);
    if (pool_.dropped(reason))
      os << fmt::format("  dropped {:>8} {} ({})\n", pool_.dropped(reason),
                        stack::drop_reason_name(reason), stack::drop_reason_text(reason));
  }
  std::string flight;
  for (const auto& [place, n] : in_flight())
    if (n) flight += fmt::format(" {} {};", place, n);
  if (!flight.empty()) os << "  alive at the end:" << flight << "\n";
  std::string why;
  os << (conservation_ok(&why) ? "  conservation: OK, every packet accounted for\n"
                               : "  conservation: FAILED: " + why + "\n");
}

std::string World::counters_json() const {
  using J = nlohmann::ordered_json;
  J root;
  root["scenario"] = sc_.file;
  root["seed"] = opts_.seed.value_or(sc_.sim.seed);
  root["stop_ns"] = sched_.now().ns();
  root["events"] = sched_.events_executed();
  J hosts = J::object();
  for (const auto& h : hosts_) {
    J jh;
    jh["snmp"] = {{"Ip", mib_json(h->mib.ip, stack::IpMibNames)},
                  {"Icmp", mib_json(h->mib.icmp, stack::IcmpMibNames)},
                  {"Udp", mib_json(h->mib.udp, stack::UdpMibNames)},
                  {"Tcp", mib_json(h->mib.tcp, stack::TcpMibNames)}};
    jh["netstat"] = {{"IpExt", mib_json(h->mib.ipext, stack::IpExtMibNames)}};
    J devs = J::object();
    for (const auto& d : h->devices()) {
      J jd;
      jd["mtu"] = d->mtu;
      jd["address"] = mac_str(d->dev_addr);
      jd["stats64"] = {{"rx_bytes", d->stats.rx_bytes},     {"rx_packets", d->stats.rx_packets},
                       {"rx_errors", d->stats.rx_errors},   {"rx_dropped", d->stats.rx_dropped},
                       {"rx_missed_errors", d->stats.rx_missed_errors},
                       {"tx_bytes", d->stats.tx_bytes},     {"tx_packets", d->stats.tx_packets},
                       {"tx_errors", d->stats.tx_errors},   {"tx_dropped", d->stats.tx_dropped}};
      J qd = J::array();
      for (const auto& q : d->tx) {
        if (!q.qdisc) continue;
        const auto& s = q.qdisc->stats;
        J jq = {{"kind", q.qdisc->kind()},     {"handle", fmt::format("{:x}:", q.qdisc->handle >> 16)},
                {"txq", q.index},              {"bytes", s.bytes},
                {"packets", s.packets},        {"drops", s.drops},
                {"overlimits", s.overlimits},  {"requeues", s.requeues},
                {"backlog", s.backlog},        {"qlen", s.qlen}};
        std::vector<std::pair<std::string, uint64_t>> extra;
        q.qdisc->dump_extra(extra);
        for (const auto& [k, v] : extra) jq[k] = v;
        jq["bql_limit"] = q.dql.limit;
        qd.push_back(jq);
      }
      jd["qdisc"] = qd;
      if (d->ops && !d->loopback) {
        std::vector<std::pair<std::string, uint64_t>> st;
        d->ops->ethtool_stats(st);
        J je = J::object();
        for (const auto& [k, v] : st) je[k] = v;
        jd["ethtool"] = je;
      }
      devs[d->name] = jd;
    }
    jh["interfaces"] = devs;
    J sn = J::array();
    for (uint16_t i = 0; i < h->num_cpus(); ++i) {
      const auto& s = h->dev->softnet_stat(i);
      sn.push_back({{"cpu", i}, {"processed", s.processed}, {"dropped", s.dropped},
                    {"time_squeeze", s.time_squeeze}});
    }
    jh["softnet_stat"] = sn;
    jh["neigh"] = h->arp->dump();
    jh["routes"] = h->fib.dump();
    const auto& ns = h->arp->stats();
    jh["arp_cache"] = {{"allocs", ns.allocs},   {"lookups", ns.lookups},
                       {"hits", ns.hits},       {"res_failed", ns.res_failed},
                       {"unres_discards", ns.unres_discards}};
    hosts[h->name()] = jh;
  }
  root["hosts"] = hosts;
  J apps = J::object();
  for (const auto& a : apps_) {
    std::vector<std::pair<std::string, uint64_t>> c;
    a->counters(c);
    J ja = J::object();
    for (const auto& [k, v] : c) ja[k] = v;
    apps[a->name()] = ja;
  }
  root["apps"] = apps;
  J drops = J::object();
  for (size_t r = 0; r < static_cast<size_t>(stack::DropReason::kCount); ++r) {
    const auto reason = static_cast<stack::DropReason>(r);
    if (pool_.dropped(reason)) drops[stack::drop_reason_name(reason)] = pool_.dropped(reason);
  }
  J flight = J::object();
  for (const auto& [place, n] : in_flight()) flight[place] = n;
  root["packets"] = {{"created", pool_.created()},     {"consumed", pool_.consumed()},
                     {"dropped", pool_.dropped_total()}, {"in_flight", pool_.alive()},
                     {"drops_by_reason", drops},       {"in_flight_by_place", flight},
                     {"conservation_ok", conservation_ok()}};
  return root.dump(2) + "\n";
}

void World::write_outputs() {
  for (auto& f : impl_->ifaces)
    if (f.pcap) f.pcap->writer.close();
  std::string path = sc_.outputs.counters;
  if (!opts_.out_dir.empty()) path = opts_.out_dir + "/" + (path.empty() ? "counters.json" : path);
  if (path.empty()) return;
  std::ofstream os(path);
  if (!os) throw WorldError("cannot write " + path);
  os << counters_json();
  files_.push_back(path);
}

}  // namespace tools
