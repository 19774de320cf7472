// twincore-bench-host: many simulated boards in one process, for the benchmark's simulation-scale
// figure (how many esp32 devices one process runs at once) and for memory figures.
//
//   twincore-bench-host --devices N [--profile esp32|esp32s3|esp32c3] [--max-connections N]
//                       [--send-window N] [--recv-window N] [--firmware NAME]
//                       [--config key=value]... [--max-seconds N]
// Starts N devices (default firmware: reference) on ephemeral ports, then prints one line
//   READY {"ports":[...],"pid":N,"startMs":T}
// and runs until stdin closes (or a line "stop" arrives, or --max-seconds passes); then stops
// every device and prints
//   DONE {"loopIterations":N,"acks":N,"bytesOut":N,"writeCalls":N,"ackQueries":N,"errors":N}
// Exit codes: 0 clean, 2 usage, 4 a device failed to start.
//
// Threads: main() owns every Device (start and stop from it); a reader thread waits on stdin and
// sets an atomic flag; device log lines are dropped (a benchmark must not print per event).
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "registry.h"
#include "twin.h"
#include "twin_internal.h"

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "twincore-bench-host: %s\n(see the header of native/bench/bench_host.cpp)\n", why.c_str());
  std::exit(2);
}

uint32_t num(const char* v, uint32_t lo, uint32_t hi, const std::string& name) {
  char* end = nullptr;
  unsigned long n = std::strtoul(v, &end, 10);
  if (!*v || *end || n < lo || n > hi) usage(name + " must be an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  return uint32_t(n);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t devices = 1, maxSeconds = 3600;
  std::string profileName = "esp32", firmware = "reference";
  FirmwareConfig config;
  twin::Profile profile;
  bool haveProfile = false;
  std::vector<std::pair<std::string, std::string>> knobs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> const char* {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--devices") {
      devices = num(val(), 1, 2000, a);
    } else if (a == "--profile") {
      profileName = val();
    } else if (a == "--firmware") {
      firmware = val();
    } else if (a == "--config") {
      std::string kv = val();
      size_t eq = kv.find('=');
      if (eq == std::string::npos) usage("--config needs key=value");
      config[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--max-seconds") {
      maxSeconds = num(val(), 1, 86400, a);
    } else if (a == "--max-connections" || a == "--send-window" || a == "--recv-window") {
      knobs.emplace_back(a, val());
    } else {
      usage("unknown argument " + a);
    }
  }
  haveProfile = twin::namedProfile(profileName, &profile);
  if (!haveProfile) usage("unknown profile '" + profileName + "'");
  for (auto& k : knobs) {
    if (k.first == "--max-connections") profile.maxConnections = num(k.second.c_str(), twin::limits::maxConnections.lo, twin::limits::maxConnections.hi, k.first);
    if (k.first == "--send-window") profile.sendWindow = num(k.second.c_str(), twin::limits::sendWindow.lo, twin::limits::sendWindow.hi, k.first);
    if (k.first == "--recv-window") profile.recvWindow = num(k.second.c_str(), twin::limits::recvWindow.lo, twin::limits::recvWindow.hi, k.first);
  }
  twin::FirmwareFactory factory;
  std::string error;
  if (!firmwareFactory(firmware, config, &factory, &error)) usage(error);

  std::vector<std::unique_ptr<twin::Device>> devs;
  std::string ports;
  auto t0 = std::chrono::steady_clock::now();
  for (uint32_t i = 0; i < devices; ++i) {
    auto d = std::make_unique<twin::Device>(profile, factory, [](twin::LogLevel, const std::string&) {});
    if (!d->start() || d->ports().empty()) {
      std::fprintf(stderr, "twincore-bench-host: device %u failed to start: %s\n", i, d->lastError().c_str());
      for (auto& x : devs) x->stop();
      return 4;
    }
    ports += (ports.empty() ? "" : ",") + std::to_string(d->ports()[0]);
    devs.push_back(std::move(d));
  }
  long startMs = long(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count());
  std::printf("READY {\"ports\":[%s],\"pid\":%d,\"startMs\":%ld}\n", ports.c_str(), int(getpid()), startMs);
  std::fflush(stdout);

  std::atomic<bool> quit{false};
  std::thread reader([&] {
    char line[256];
    while (!quit) {
      pollfd p{0, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      if (!std::fgets(line, sizeof line, stdin) || std::string(line).rfind("stop", 0) == 0) break;
    }
    quit = true;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(maxSeconds);
  while (!quit && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  quit = true;
  reader.join();

  long long loops = 0, acks = 0, bytesOut = 0, errors = 0;
  unsigned long long writes = 0, queries = 0;
  for (auto& d : devs) {
    d->stop();
    const twin::Counters& c = d->counters();
    loops += c.loopIterations.load();
    acks += c.acks.load();
    bytesOut += c.bytesOut.load();
    errors += c.errors.load();
    writes += d->impl()->writeCalls.load();
    queries += d->impl()->ackQueries.load();
  }
  std::printf("DONE {\"loopIterations\":%lld,\"acks\":%lld,\"bytesOut\":%lld,\"writeCalls\":%llu,\"ackQueries\":%llu,\"errors\":%lld}\n",
              loops, acks, bytesOut, writes, queries, errors);
  return 0;
}
