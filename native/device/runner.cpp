// runner.cpp: the device process (rules and protocol: runner.h).
#include "runner.h"

#include <execinfo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "twin_pins.h"
#include "twin_wifi.h"

extern "C" __attribute__((weak)) void __lsan_do_leak_check();

namespace twin {
namespace runner {
namespace {

std::mutex outMu;  // guards stdout (every protocol line) and gStopping
bool gStopping = false;
std::atomic<bool> gStopAsked{false};

std::map<std::string, ControlHandler>& handlers() {
  static std::map<std::string, ControlHandler> h;  // filled before run() starts the device
  return h;
}

void emit(const std::string& line) {
  std::lock_guard<std::mutex> lk(outMu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void flushOut() {
  std::fflush(stdout);
  std::fflush(stderr);
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", c);
      out += b;
    } else {
      out += char(c);
    }
  }
  return out + "\"";
}

std::string countersJson(const Counters& c) {
  std::string out = "{";
#define TC_PRINT_COUNTER(name) \
  out += (out.size() > 1 ? ",\"" : "\"") + std::string(#name) + "\":" + std::to_string((long long)c.name.load());
  TWIN_COUNTER_FIELDS(TC_PRINT_COUNTER)
#undef TC_PRINT_COUNTER
  return out + "}";
}

[[noreturn]] void usage(const char* line, const std::string& msg) {
  std::fprintf(stderr, "twincore-device: %s\nusage: %s\n", msg.c_str(), line);
  std::fflush(stderr);
  std::_Exit(2);
}

bool parseNum(const std::string& v, uint64_t lo, uint64_t hi, uint64_t* out) {
  if (v.empty() || v.size() > 20) return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (*end || errno || v[0] == '-' || n < lo || n > hi) return false;
  *out = n;
  return true;
}

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> w;
  std::istringstream is(line);
  for (std::string x; is >> x;) w.push_back(x);
  return w;
}

// The control thread: one command a line on stdin. Never touches the device once main() stops it.
void controlMain(Device* dev) {
  char buf[4096];
  while (std::fgets(buf, sizeof buf, stdin)) {
    std::vector<std::string> w = words(buf);
    if (w.size() < 2) continue;
    const std::string id = w[0];
    uint64_t idNum = 0;
    if (!parseNum(id, 0, 1ull << 52, &idNum)) continue;
    const std::string cmd = w[1];
    std::vector<std::string> args(w.begin() + 2, w.end());
    std::string fields, error;
    bool ok = true;
    {
      std::lock_guard<std::mutex> lk(outMu);
      if (gStopping) {
        ok = false;
        error = "the device is stopping";
      }
    }
    if (!ok) {
      // answered below
    } else if (cmd == "counters") {
      fields = "\"counters\":" + countersJson(dev->counters());
    } else if (cmd == "stop") {
      gStopAsked = true;
      fields = "\"stopping\":true";
    } else if (cmd == "fault") {
      uint64_t n = 0;
      if (args.size() != 2 || !parseNum(args[1], 0, 1000000, &n)) {
        ok = false;
        error = "usage: fault failAccepts|failAllocs|failListen N | fault stallAsyncTcp|stallLoop MS";
      } else if (args[0] == "stallAsyncTcp" || args[0] == "stallLoop") {
        // A stalled task: its next turn blocks MS ms (twin::stallTask).
        if (n < 1 || n > 60000) {
          ok = false;
          error = args[0] + " takes 1..60000 ms, got " + args[1];
        } else if (!stallTask(dev, args[0] == "stallLoop" ? StallTask::Loop : StallTask::AsyncTcp, uint32_t(n))) {
          ok = false;
          error = "the device is not running";
        } else {
          fields = "\"stallMs\":" + std::to_string(n);
        }
      } else if (args[0] == "failAccepts") {
        dev->faults().failAccepts = int32_t(n);
      } else if (args[0] == "failAllocs") {
        dev->faults().failAllocs = int32_t(n);
      } else if (args[0] == "failListen") {
        dev->faults().failListen = int32_t(n);
      } else {
        ok = false;
        error = "unknown fault '" + args[0] + "' (failAccepts, failAllocs, failListen, stallAsyncTcp, stallLoop)";
      }
    } else if (cmd == "wifi") {
      // The WiFi fault: drop (every connection reset, events fired, new connections refused) and restore.
      if (args.size() == 1 && args[0] == "drop") {
        wifi::drop(dev);
      } else if (args.size() == 1 && args[0] == "restore") {
        wifi::restore(dev);
      } else if (!(args.size() == 1 && args[0] == "status")) {
        ok = false;
        error = "usage: wifi drop|restore|status";
      }
      if (ok) fields = std::string("\"dropped\":") + (wifi::dropped(dev) ? "true" : "false");
    } else if (cmd == "pin") {
      // pin N: read; pin N LEVEL: drive an input as the outside world would; pin N analog V.
      uint64_t pin = 0, v = 0;
      if (args.empty() || !parseNum(args[0], 0, 255, &pin)) {
        ok = false;
        error = "usage: pin N [0|1 | analog V]";
      } else if (args.size() == 2 && parseNum(args[1], 0, 1, &v)) {
        ok = pins::set(dev, uint8_t(pin), int(v));
        if (!ok) error = "pin " + args[0] + " cannot be set (no such GPIO)";
      } else if (args.size() == 3 && args[1] == "analog" && parseNum(args[2], 0, 4095, &v)) {
        ok = pins::setAnalog(dev, uint8_t(pin), uint16_t(v));
        if (!ok) error = "pin " + args[0] + " cannot be set (no such GPIO)";
      } else if (args.size() != 1) {
        ok = false;
        error = "usage: pin N [0|1 | analog V]";
      }
      if (ok) {
        for (const pins::PinState& st : pins::snapshot(dev)) {
          if (st.pin != pin) continue;
          fields = "\"pin\":" + std::to_string(st.pin) + ",\"mode\":" + jsonString(st.mode) +
                   ",\"level\":" + std::to_string(st.level) + ",\"analog\":" + std::to_string(st.analog) +
                   ",\"pwm\":" + std::to_string(st.pwm) + ",\"changes\":" + std::to_string(st.changes);
        }
      }
    } else if (handlers().count(cmd)) {
      ok = handlers()[cmd](*dev, args, &fields, &error);
    } else {
      ok = false;
      error = "unknown command '" + cmd + "'";
    }
    std::string reply = "TWINCORE_REPLY {\"id\":" + id + ",\"ok\":" + (ok ? "true" : "false");
    if (!ok) reply += ",\"error\":" + jsonString(error);
    if (ok && !fields.empty()) reply += "," + fields;
    emit(reply + "}");
  }
  gStopAsked = true;  // stdin closed: whoever started us is gone
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// The plain build's crash report (the sanitizer builds print their own): the signal and the
// stack, on stderr, then the default action. Async-signal-safe calls only, on an alternate stack
// so a stack overflow is reported too.
void fatalSignal(int sig) {
  char head[64];
  int n = std::snprintf(head, sizeof head, "twincore-device: fatal signal %d (%s)\n", sig,
                        sig == SIGSEGV ? "SIGSEGV" : sig == SIGABRT ? "SIGABRT" : sig == SIGBUS ? "SIGBUS"
                        : sig == SIGFPE ? "SIGFPE" : "SIGILL");
  if (n > 0) (void)!write(2, head, size_t(n));
  void* frames[64];
  int depth = backtrace(frames, 64);
  backtrace_symbols_fd(frames, depth, 2);
  (void)!write(2, "twincore-device: end of stack\n", 30);
  std::signal(sig, SIG_DFL);
  raise(sig);
}

void installCrashReport() {
  static char altStack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = altStack;
  ss.ss_size = sizeof altStack;
  sigaltstack(&ss, nullptr);
  void* warm[1];
  backtrace(warm, 1);  // loads libgcc now, not inside the handler
  struct sigaction sa {};
  sa.sa_handler = fatalSignal;
  sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) sigaction(sig, &sa, nullptr);
}
#else
void installCrashReport() {}
#endif

}  // namespace

void registerControl(const std::string& name, ControlHandler h) { handlers()[name] = std::move(h); }

int run(int argc, char** argv, const char* usageLine, const FirmwareSetup& setup, bool globalsOutliveDevice) {
  Profile profile;
  uint64_t maxSeconds = 0, boot = 1;
  bool ownDataDir = false;
  std::string profileName = "esp32";
  std::vector<std::string> rest;
  std::map<std::string, std::string> knobs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(usageLine, a + " needs a value");
      return argv[++i];
    };
    if (a == "--profile") {
      profileName = value();
    } else if (a == "--single-core") {
      knobs["--dual-core"] = "0";
    } else if (a == "--own-data-dir") {  // internal: a restart keeps the temporary flash folder
      ownDataDir = true;
    } else if (a == "--max-connections" || a == "--send-window" || a == "--recv-window" || a == "--mss" ||
               a == "--poll-ms" || a == "--ack-timeout-ms" || a == "--heap-bytes" || a == "--dual-core" ||
               a == "--port" || a == "--data-dir" || a == "--max-seconds" || a == "--boot" || a == "--link" ||
               a == "--link-kbps" || a == "--link-rtt-ms" || a == "--link-jitter-ms" || a == "--link-seed" ||
               a == "--sched-jitter-seed") {
      knobs[a] = value();
    } else {
      rest.push_back(a);
    }
  }
  if (!namedProfile(profileName, &profile)) usage(usageLine, "unknown profile '" + profileName + "' (esp32, esp32s3, esp32c3)");
  auto knob = [&](const char* flag, Range r, uint32_t* out) {
    auto it = knobs.find(flag);
    if (it == knobs.end()) return;
    uint64_t v = 0;
    if (!parseNum(it->second, r.lo, r.hi, &v))
      usage(usageLine, std::string("bad value for ") + flag + ": '" + it->second + "' (" + std::to_string(r.lo) +
                           ".." + std::to_string(r.hi) + ")");
    *out = uint32_t(v);
  };
  knob("--max-connections", limits::maxConnections, &profile.maxConnections);
  knob("--send-window", limits::sendWindow, &profile.sendWindow);
  knob("--recv-window", limits::recvWindow, &profile.recvWindow);
  knob("--mss", limits::mss, &profile.mss);
  knob("--poll-ms", limits::pollIntervalMs, &profile.pollIntervalMs);
  knob("--ack-timeout-ms", limits::ackTimeoutMs, &profile.ackTimeoutMs);
  knob("--heap-bytes", limits::heapBytes, &profile.heapBytes);
  // The link: a named one (--link), then each knob over it.
  if (knobs.count("--link") && !namedLink(knobs["--link"], &profile))
    usage(usageLine, "unknown link '" + knobs["--link"] + "' (loopback, good-wifi, weak-wifi)");
  knob("--link-kbps", limits::linkBandwidthKbps, &profile.linkBandwidthKbps);
  knob("--link-rtt-ms", limits::linkRttMs, &profile.linkRttMs);
  knob("--link-jitter-ms", limits::linkJitterMs, &profile.linkJitterMs);
  knob("--link-seed", limits::linkSeed, &profile.linkSeed);
  knob("--sched-jitter-seed", limits::schedJitterSeed, &profile.schedJitterSeed);
  uint32_t port = 0, dual = profile.dualCore ? 1 : 0, secs = 0, bootN = 1;
  knob("--port", limits::hostPort, &port);
  knob("--dual-core", Range{0, 1}, &dual);
  knob("--max-seconds", Range{1, 7 * 86400}, &secs);
  knob("--boot", Range{1, 1000000}, &bootN);
  profile.hostPort = uint16_t(port);
  profile.dualCore = dual != 0;
  maxSeconds = secs;
  boot = bootN;
  if (knobs.count("--data-dir")) {
    profile.dataDir = knobs["--data-dir"];
  } else {
    std::error_code ec;
    std::string base = std::filesystem::temp_directory_path(ec).string();
    std::string tmpl = (ec ? std::string("/tmp") : base) + "/twincore-flash-XXXXXX";
    if (!mkdtemp(&tmpl[0])) usage(usageLine, std::string("cannot create a temporary flash folder: ") + std::strerror(errno));
    profile.dataDir = tmpl;
    ownDataDir = true;
  }
  std::string error;
  if (!validateProfile(profile, &error)) usage(usageLine, error);

  FirmwareFactory factory;
  if (!setup(rest, &factory, &error)) usage(usageLine, error);

  std::signal(SIGPIPE, SIG_IGN);
  installCrashReport();
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto removeData = [&] {
    if (!ownDataDir) return;
    std::error_code ec;
    std::filesystem::remove_all(profile.dataDir, ec);
  };
  Device device(profile, factory, [](LogLevel, const std::string& line) { emit("LOG " + line); });
  setDefaultDevice(&device);
  // start() returns when setup() has; a setup() that never returns (waiting forever for WiFi, as
  // a board may) must not make the process deaf to SIGTERM: start on a thread, wait here.
  std::atomic<int> startState{0};  // 0 running, 1 ok, 2 failed
  std::thread starter([&] { startState = device.start() ? 1 : 2; });
  timespec startSlice{0, 50 * 1000 * 1000};
  std::string earlyReason;
  while (startState == 0) {
    int sig = sigtimedwait(&set, nullptr, &startSlice);
    if (sig == SIGTERM || sig == SIGINT) {
      earlyReason = sig == SIGTERM ? "SIGTERM" : "SIGINT";
      emit("LOG twincore: stopped before setup() returned");
      device.stop();  // unwinds setup() (TaskExit at its next blocking call)
      break;
    }
  }
  starter.join();
  if (startState != 1) {
    if (earlyReason.empty()) std::fprintf(stderr, "twincore-device: start failed: %s\n", device.lastError().c_str());
    device.stop();
    setDefaultDevice(nullptr);
    removeData();
    emit("TWINCORE_DEVICE_EXIT {\"reason\":" + jsonString(earlyReason.empty() ? "start failed" : earlyReason) +
         ",\"boot\":" + std::to_string(boot) + ",\"counters\":" + countersJson(device.counters()) + "}");
    flushOut();
    std::_Exit(earlyReason.empty() ? 4 : 0);
  }
  std::vector<uint16_t> ports = device.ports();
  {
    std::string list;
    for (uint16_t p : ports) list += (list.empty() ? "" : ",") + std::to_string(p);
    emit("TWINCORE_DEVICE_READY {\"ports\":[" + list + "],\"pid\":" + std::to_string(getpid()) +
         ",\"boot\":" + std::to_string(boot) + ",\"profile\":" + jsonString(profile.name) +
         ",\"link\":{\"kbps\":" + std::to_string(profile.linkBandwidthKbps) + ",\"rttMs\":" +
         std::to_string(profile.linkRttMs) + ",\"jitterMs\":" + std::to_string(profile.linkJitterMs) +
         ",\"seed\":" + std::to_string(profile.linkSeed) + "},\"schedJitterSeed\":" +
         std::to_string(profile.schedJitterSeed) + "}");
  }
  std::thread(controlMain, &device).detach();

  timespec slice{0, 50 * 1000 * 1000};
  const time_t started = std::time(nullptr);
  std::string reason;
  for (;;) {
    int sig = sigtimedwait(&set, nullptr, &slice);
    if (sig == SIGTERM || sig == SIGINT) {
      reason = sig == SIGTERM ? "SIGTERM" : "SIGINT";
      break;
    }
    if (gStopAsked) {
      reason = "stop";
      break;
    }
    if (device.restartRequested()) {
      reason = "restart";
      break;
    }
    if (maxSeconds && uint64_t(std::time(nullptr) - started) >= maxSeconds) {
      reason = "maxSeconds";
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lk(outMu);
    gStopping = true;
  }
  device.stop();
  setDefaultDevice(nullptr);
  const Counters& c = device.counters();
  bool leftovers = (!globalsOutliveDevice && c.clientsAlive != 0) || c.connectionsOpen != 0 || c.threadsAlive != 0;

  if (reason == "restart" && !leftovers) {
    // ESP.restart(): the board reboots. Re-execute this program on the same first port and flash
    // folder, so the sketch's globals are constructed anew, as after a reset.
    emit("TWINCORE_DEVICE_RESTART {\"reason\":\"ESP.restart\",\"counters\":" + countersJson(c) + "}");
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      if (a == "--port" || a == "--data-dir" || a == "--boot") {
        ++i;
        continue;
      }
      if (a == "--own-data-dir") continue;
      args.push_back(a);
    }
    args.push_back("--port");
    args.push_back(std::to_string(ports.empty() ? profile.hostPort : ports[0]));
    args.push_back("--data-dir");
    args.push_back(profile.dataDir);
    args.push_back("--boot");
    args.push_back(std::to_string(boot + 1));
    if (ownDataDir) args.push_back("--own-data-dir");
    std::vector<char*> av;
    av.push_back(argv[0]);
    for (auto& a : args) av.push_back(&a[0]);
    av.push_back(nullptr);
    flushOut();  // not fflush(nullptr): the control thread holds stdin's lock in fgets
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
    execv("/proc/self/exe", av.data());
    std::fprintf(stderr, "twincore-device: restart failed: execv: %s\n", std::strerror(errno));
    reason = "restart failed";
  }

  emit("TWINCORE_DEVICE_EXIT {\"reason\":" + jsonString(reason) + ",\"boot\":" + std::to_string(boot) +
       ",\"counters\":" + countersJson(c) + "}");
  removeData();
  // A board never destroys its globals: leave them (a sketch's AsyncWebServer outlives its device
  // here too). LeakSanitizer still checks the heap: what globals hold is reachable, not a leak.
  if (__lsan_do_leak_check) __lsan_do_leak_check();
  flushOut();  // not fflush(nullptr): the control thread holds stdin's lock in fgets
  std::_Exit(leftovers ? 3 : 0);
}

}  // namespace runner
}  // namespace twin
