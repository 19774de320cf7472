// twincore-device: one simulated device as a standalone process, for the sanitizer builds
// and the harness's "process" target. Protocol (stdout, one line each):
//   TWINCORE_DEVICE_READY {"ports":[...]}      once setup() returned
//   LOG <line>                                  each device log line
//   TWINCORE_DEVICE_EXIT {<counters>}           after the device stopped
// Stops on SIGTERM/SIGINT or after --max-seconds. Exit codes: 0 clean; 2 usage; 3 the device
// left sockets or AsyncClients behind; 4 start failed.
//
// Threads: main() owns the Device; it blocks SIGTERM/SIGINT before the device threads start
// (so they inherit the mask) and waits for them with sigtimedwait. The log sink writes under
// outMu from device threads.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>

#include "registry.h"
#include "twin.h"

namespace {

std::mutex outMu;

void usage(const char* msg) {
  std::fprintf(stderr,
               "twincore-device: %s\n"
               "usage: twincore-device --firmware NAME [--config key=value]... [--port N]\n"
               "       [--max-connections N] [--send-window N] [--single-core] [--max-seconds N]\n",
               msg);
  std::exit(2);
}

long num(const char* flag, const char* v, long lo, long hi) {
  char* end = nullptr;
  long n = v ? std::strtol(v, &end, 10) : 0;
  if (!v || *end || n < lo || n > hi) usage((std::string("bad value for ") + flag).c_str());
  return n;
}

void printCounters(const twin::Counters& c, std::string* out) {
  *out = "{";
#define TC_PRINT_COUNTER(name) \
  *out += (out->size() > 1 ? ",\"" : "\"") + std::string(#name) + "\":" + std::to_string((long long)c.name.load());
  TWIN_COUNTER_FIELDS(TC_PRINT_COUNTER)
#undef TC_PRINT_COUNTER
  *out += "}";
}

}  // namespace

int main(int argc, char** argv) {
  std::string firmware;
  FirmwareConfig config;
  twin::Profile profile;
  long maxSeconds = 0;
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!std::strcmp(a, "--firmware") && v) {
      firmware = v, ++i;
    } else if (!std::strcmp(a, "--config") && v) {
      const char* eq = std::strchr(v, '=');
      if (!eq) usage("--config needs key=value");
      config[std::string(v, size_t(eq - v))] = eq + 1;
      ++i;
    } else if (!std::strcmp(a, "--port")) {
      profile.hostPort = uint16_t(num(a, v, twin::limits::hostPort.lo, twin::limits::hostPort.hi)), ++i;
    } else if (!std::strcmp(a, "--max-connections")) {
      profile.maxConnections = uint32_t(num(a, v, twin::limits::maxConnections.lo, twin::limits::maxConnections.hi)), ++i;
    } else if (!std::strcmp(a, "--send-window")) {
      profile.sendWindow = uint32_t(num(a, v, twin::limits::sendWindow.lo, twin::limits::sendWindow.hi)), ++i;
    } else if (!std::strcmp(a, "--single-core")) {
      profile.dualCore = false;
      profile.name = "esp32c3";
    } else if (!std::strcmp(a, "--max-seconds")) {
      maxSeconds = num(a, v, 1, 86400), ++i;
    } else {
      usage((std::string("unknown argument ") + a).c_str());
    }
  }
  if (firmware.empty()) usage("--firmware is required");

  twin::FirmwareFactory factory;
  std::string error;
  if (!firmwareFactory(firmware, config, &factory, &error)) usage(error.c_str());

  std::signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  twin::Device device(profile, factory, [](twin::LogLevel, const std::string& line) {
    std::lock_guard<std::mutex> lk(outMu);
    std::fprintf(stdout, "LOG %s\n", line.c_str());
    std::fflush(stdout);
  });
  if (!device.start()) {
    std::fprintf(stderr, "twincore-device: start failed: %s\n", device.lastError().c_str());
    return 4;
  }
  {
    std::string ports;
    for (uint16_t p : device.ports()) ports += (ports.empty() ? "" : ",") + std::to_string(p);
    std::lock_guard<std::mutex> lk(outMu);
    std::fprintf(stdout, "TWINCORE_DEVICE_READY {\"ports\":[%s]}\n", ports.c_str());
    std::fflush(stdout);
  }
  timespec slice{0, 200 * 1000 * 1000};
  const time_t started = std::time(nullptr);
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &slice);
    if (sig == SIGTERM || sig == SIGINT) break;
    if (maxSeconds && std::time(nullptr) - started >= maxSeconds) break;
  }
  device.stop();
  std::string json;
  printCounters(device.counters(), &json);
  {
    std::lock_guard<std::mutex> lk(outMu);
    std::fprintf(stdout, "TWINCORE_DEVICE_EXIT %s\n", json.c_str());
    std::fflush(stdout);
  }
  const twin::Counters& c = device.counters();
  return (c.clientsAlive != 0 || c.connectionsOpen != 0 || c.threadsAlive != 0) ? 3 : 0;
}
