// twin.cpp: the simulated device: its two threads, the single-core CPU, the Arduino subset,
// the twin heap. AsyncTCP itself is in AsyncTCP.cpp. Rules: see twin.h and twin_internal.h.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#if defined(__linux__) || defined(__APPLE__)
#include <pthread.h>
#include <unistd.h>
#endif

#include "twin_internal.h"

namespace twin {

namespace {
// Running devices of the process, for networkBarrier() called off device threads. A device is
// listed by start() before its threads start and unlisted by stop() before they are joined.
// gDevicesMu: guards gDevices and is held while networkBarrier() waits on every listed device's
// async_tcp, so a stop() (taken after Impl::stopMu) waits for a barrier in progress and a barrier
// never waits on a device being torn down. Never taken on a device thread (networkBarrier() there
// uses only its own device).
std::mutex gDevicesMu;
std::vector<Device::Impl*> gDevices;
std::atomic<uint32_t> gDevicesRunning{0};  // gDevices.size(), readable without the lock
thread_local Device::Impl* tlsDev = nullptr;
thread_local Role tlsRole = Role::None;
// Single-core CPU state of this thread: 0 not held, 1 held, 2 given up inside a blocking
// section (retaken at its end). tlsCpuDepth counts nested cpuTake() so only the outermost
// take/give pair acquires and releases.
thread_local int tlsCpuHeld = 0;
thread_local int tlsCpuDepth = 0;
thread_local std::string tlsSerialLine;
// Set on the loop task while it destroys the firmware: checkTaskStop() then returns instead of
// unwinding (a destructor must not throw).
thread_local bool tlsNoUnwind = false;
// Corking (twin_internal.h): set on the loop task during a pass; tlsCorkPending once a corked
// send left async_tcp something to flush.
thread_local bool tlsCorked = false;
thread_local bool tlsCorkPending = false;
// Net batch (twin_internal.h): whether a call inside the batch wanted async_tcp woken.
thread_local bool tlsNetBatchWake = false;
thread_local bool tlsNetBatchCorkFlush = false;
const auto processStart = std::chrono::steady_clock::now();
}  // namespace

thread_local Device::Impl* tlsNetBatch = nullptr;

Device::Impl* currentImpl() { return tlsDev; }

Device::Impl* netBatchBegin() {
  Device::Impl* d = tlsDev;
  if (!d || tlsNetBatch || tlsJitter) return nullptr;  // jitter: every call its own lock point
  d->net.lock();
  tlsNetBatch = d;
  return d;
}

void netBatchEnd(Device::Impl* d) {
  if (!d) return;
  tlsNetBatch = nullptr;
  d->net.unlock();
  if (tlsNetBatchWake) d->wakeNet();
  if (tlsNetBatchCorkFlush) corkFlush();
  tlsNetBatchWake = tlsNetBatchCorkFlush = false;
}

void netBatchDeferWake() { tlsNetBatchWake = true; }
void netBatchDeferCorkFlush() { tlsNetBatchCorkFlush = true; }
void netBatchMisuse(const char* fn) {
  std::fprintf(stderr, "twincore: %s called inside a network batch (only space/add/send/state may be); aborting\n", fn);
  std::abort();
}


bool corkedOn(Device::Impl* d) { return tlsCorked && tlsDev == d; }
void corkNote() { tlsCorkPending = true; }
void corkFlush() {
  if (!tlsCorkPending) return;
  tlsCorkPending = false;
  if (tlsDev) tlsDev->wakeNet();
}

bool namedProfile(const std::string& name, Profile* out) {
  Profile p;  // esp32: the defaults of twin::Profile
  if (name == "esp32" || name == "esp32s3") {
    p.dualCore = true;
  } else if (name == "esp32c3") {
    p.dualCore = false;  // one RISC-V core: async_tcp and loop are serialised
  } else {
    return false;
  }
  p.name = name;
  *out = p;
  return true;
}

// The named links. Sources (README "Faults that make loopback behave like WiFi"):
//  - bandwidth: Espressif's ESP32 Wi-Fi throughput table (iperf, TCP, "air in lab") is about
//    20 Mbit/s, https://docs.espressif.com/projects/esp-idf/en/latest/esp32/api-guides/wifi.html
//    (quoted at https://esp32.com/search.php?author_id=21873&sr=posts: "(air on lab) throughput of
//    20 Mbit/s"); weak-wifi takes a tenth of it, 2 Mbit/s, the TCP throughput reported for an ESP32
//    on a poor link in https://github.com/espressif/esp-hosted-mcu/issues/112 ("about 2Mbps").
//  - round trip and jitter: ESP32 first-hop ping quantiles (2048 pings to the router),
//    https://blog.thexyzlab.studio/esp32-development-log-01-wi-fi-latenc/ : next to the router
//    median 13.3 ms, p90 23.6 ms (good-wifi: RTT 13 ms, jitter 0..10 ms); through a wall median
//    16.2 ms, p90 42.6 ms, p99 114 ms (weak-wifi: RTT 40 ms, jitter 0..75 ms).
bool namedLink(const std::string& name, Profile* out) {
  uint32_t kbps, rtt, jitter;
  if (name == "loopback") {
    kbps = 0, rtt = 0, jitter = 0;
  } else if (name == "good-wifi") {
    kbps = 20000, rtt = 13, jitter = 10;
  } else if (name == "weak-wifi") {
    kbps = 2000, rtt = 40, jitter = 75;
  } else {
    return false;
  }
  out->linkBandwidthKbps = kbps;
  out->linkRttMs = rtt;
  out->linkJitterMs = jitter;
  return true;
}

bool validateProfile(const Profile& p, std::string* error) {
  auto check = [&](const char* knob, uint64_t v, Range r) {
    if (v >= r.lo && v <= r.hi) return true;
    *error = std::string("profile.") + knob + " must be an integer " + std::to_string(r.lo) + ".." +
             std::to_string(r.hi) + ", got " + std::to_string(v);
    return false;
  };
  return check("maxConnections", p.maxConnections, limits::maxConnections) &&
         check("sendWindow", p.sendWindow, limits::sendWindow) &&
         check("recvWindow", p.recvWindow, limits::recvWindow) && check("mss", p.mss, limits::mss) &&
         check("pollIntervalMs", p.pollIntervalMs, limits::pollIntervalMs) &&
         check("ackTimeoutMs", p.ackTimeoutMs, limits::ackTimeoutMs) &&
         check("heapBytes", p.heapBytes, limits::heapBytes) && check("hostPort", p.hostPort, limits::hostPort) &&
         check("linkBandwidthKbps", p.linkBandwidthKbps, limits::linkBandwidthKbps) &&
         check("linkRttMs", p.linkRttMs, limits::linkRttMs) &&
         check("linkJitterMs", p.linkJitterMs, limits::linkJitterMs) &&
         check("linkSeed", p.linkSeed, limits::linkSeed) &&
         check("schedJitterSeed", p.schedJitterSeed, limits::schedJitterSeed);
}

// ---------------- scheduling jitter ----------------

thread_local JitterRng* tlsJitter = nullptr;
namespace {
thread_local JitterRng tlsJitterRng;
uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// Seeds the calling thread's generator (jitter on) or clears it: seed + the thread's role (and a
// firmware task's name), so each thread's decisions repeat for the same seed.
void seedJitter(Device::Impl* dev, Role role, const char* taskName) {
  if (!dev || dev->profile.schedJitterSeed == 0 || role == Role::None) {
    tlsJitter = nullptr;
    return;
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a of the role and the task's name
  auto mix = [&](unsigned char b) { h = (h ^ b) * 1099511628211ull; };
  mix(uint8_t(role));
  if (role == Role::Task && taskName)
    for (const char* c = taskName; *c; ++c) mix(uint8_t(*c));
  tlsJitterRng.state = (uint64_t(dev->profile.schedJitterSeed) << 32) ^ h;
  tlsJitter = &tlsJitterRng;
}
}  // namespace

// Half of the points do nothing, a quarter yield the host CPU, a quarter sleep 0..200 us.
void jitterSlow() {
  uint64_t r = splitmix(tlsJitter->state);
  switch (r & 3) {
    case 0:
    case 1:
      return;
    case 2:
      std::this_thread::yield();
      return;
    default:
      std::this_thread::sleep_for(std::chrono::microseconds((r >> 8) % 201));
      return;
  }
}

void schedJitterPoint() { jitterPoint(); }
void setThreadIdentity(Device::Impl* dev, Role role, const char* taskName) {
  tlsDev = dev;
  tlsRole = role;
  seedJitter(dev, role, taskName);
  // The FreeRTOS task names of the board ("async_tcp" from AsyncTCP, "loopTask" from the Arduino
  // core, the firmware's own for its tasks), so the threads are recognisable in a debugger,
  // `top -H` and /proc/<pid>/task/*/comm (the lifecycle tests count them by these names).
  const char* name = role == Role::Net ? "async_tcp" : role == Role::Loop ? "loopTask" : taskName;
  if (!name) return;
  char shortName[16];  // Linux limits thread names to 15 characters
  std::snprintf(shortName, sizeof shortName, "%s", name);
#if defined(__linux__)
  pthread_setname_np(pthread_self(), shortName);
#elif defined(__APPLE__)
  pthread_setname_np(shortName);
#endif
}
Role currentRole() { return tlsRole; }
bool Device::Impl::onNet() const { return tlsDev == this && tlsRole == Role::Net; }

void Cpu::acquire() {
  std::unique_lock<std::mutex> lk(_m);
  uint64_t ticket = _next++;
  _cv.wait(lk, [&] { return _serving == ticket; });
}

void Cpu::release() {
  {
    std::lock_guard<std::mutex> lk(_m);
    ++_serving;
  }
  _cv.notify_all();
}

static bool singleCore(Device::Impl* d) { return d && !d->profile.dualCore; }

// Nesting-safe: only the outermost take/give pair acquires and releases.
void cpuTake() {
  if (!singleCore(tlsDev)) return;
  if (tlsCpuDepth++ == 0 && tlsCpuHeld == 0) {
    tlsDev->cpu.acquire();
    tlsCpuHeld = 1;
  }
}
void cpuGive() {
  if (!singleCore(tlsDev)) return;
  if (--tlsCpuDepth == 0 && tlsCpuHeld == 1) {
    tlsCpuHeld = 0;
    tlsDev->cpu.release();
  }
}

// A blocking section: a thread holding the CPU gives it up and takes it back afterwards.
// tlsCpuHeld goes to 2 meaning "given up, retake at the end".
void cpuBlockBegin() {
  corkFlush();  // about to block: what a corked pass sent goes out now
  if (singleCore(tlsDev) && tlsCpuHeld == 1) {
    tlsDev->cpu.release();
    tlsCpuHeld = 2;
  }
}
void cpuBlockEnd() {
  if (singleCore(tlsDev) && tlsCpuHeld == 2) {
    tlsDev->cpu.acquire();
    tlsCpuHeld = 1;
  }
}

Device::Impl::Impl(Profile p, FirmwareFactory f, LogSink l)
    : profile(std::move(p)), factory(std::move(f)), logSink(std::move(l)) {}

void Device::Impl::log(LogLevel lvl, const std::string& line) {
  if (logSink) {
    logSink(lvl, line);
  } else {
    std::fprintf(stderr, "[%s] %s\n", profile.name.c_str(), line.c_str());
  }
}

// ---------------- loop task ----------------

// The longest wait between two idle passes of loop() (see loopMain): 2 ms for up to 20 devices
// in the process, growing with their number (one more ms per 10 devices) to 32 ms at 320 and
// more. Fidelity where the desktop can afford it, hundreds of boards where it cannot.
uint32_t idlePaceCapMs() {
  uint32_t n = gDevicesRunning.load(std::memory_order_relaxed) / 10;
  return n < 2 ? 2 : n > 32 ? 32 : n;
}

void Device::Impl::kickLoop() {
  netActivity.store(true, std::memory_order_relaxed);
  if (!loopSleepingLong.load(std::memory_order_relaxed)) return;
  {
    std::lock_guard<std::mutex> lk(loopMu);
    loopKick = true;
  }
  loopCv.notify_all();
}

void Device::Impl::loopMain() {
  setThreadIdentity(this, Role::Loop);
  // threadsAlive: counted by start(), before the thread existed.
  cpuTake();
  // The firmware's globals are constructed on the loop task, before setup(), as a sketch's
  // static objects are constructed before the board calls setup().
  firmware = factory ? factory() : nullptr;
  bool ok = firmware != nullptr;
  bool exited = false;  // ESP.restart() unwound setup() or loop() (TaskExit)
  if (ok) {
    try {
      firmware->setup();
    } catch (const TaskExit&) {
      exited = true;
    }
  }
  {
    std::lock_guard<std::mutex> lk(loopMu);
    setupDone = true;
    setupOk = ok && !(exited && stoppingFlag);  // a stop that unwound setup(): start() fails
  }
  loopCv.notify_all();

  // The ESP32 loop task calls loop() back to back. The twin paces it (so a desktop runs
  // hundreds of devices): a pass that sent right after a pass that sent too (a stream) is
  // followed by the next one at once; a pass that ran posted work or follows a network event
  // (data, a connection, a disconnect, an error) by the next one a FreeRTOS tick (1 ms) later;
  // a pass that sent after an
  // idle one keeps the current wait (a schedule kept in loop(), such as 10 Hz telemetry, is not
  // a reason to spin); each idle pass doubles the wait, up to idlePaceCapMs(). A network event
  // or posted work ends a long wait at once. Firmware timing uses millis(), so a schedule kept in
  // loop() runs at most one wait late: the fidelity traded is README's "Loop pacing". Sends of
  // one pass are corked (twin_internal.h) and go out when it ends.
  std::deque<std::function<void()>> work;
  uint32_t paceMs = 1;
  bool sentBefore = false;
  while (ok && !exited) {
    bool active = false;
    {
      std::unique_lock<std::mutex> lk(loopMu);
      if (loopStopping) break;
      work.swap(loopPosts);
      loopKick = false;
    }
    active = !work.empty() || netActivity.exchange(false);
    jitterPoint();  // between two loop() passes
    tlsCorked = true;
    try {
      for (auto& fn : work) fn();
      work.clear();
      firmware->loop();
    } catch (const TaskExit&) {
      exited = true;  // ESP.restart(): the device is stopping; wait for it below
    }
    tlsCorked = false;
    jitterPoint();
    bool sent = tlsCorkPending;
    corkFlush();
    counters.loopIterations++;
    uint32_t cap = idlePaceCapMs();
    if (sent && sentBefore) {
      paceMs = 0;  // streaming: the next pass at once, as a board's loop task runs
    } else if (active) {
      paceMs = 1;
    } else if (!sent) {
      paceMs = paceMs == 0 ? 1 : paceMs * 2 > cap ? cap : paceMs * 2;
    }
    sentBefore = sent;
    cpuGive();
    {
      std::unique_lock<std::mutex> lk(loopMu);
      if (paceMs > 1) loopSleepingLong.store(true);
      if (paceMs > 0) {
        loopCv.wait_for(lk, std::chrono::milliseconds(paceMs),
                        [&] { return loopStopping || !loopPosts.empty() || loopKick; });
      }
      loopSleepingLong.store(false);
    }
    cpuTake();
  }
  if (exited) {
    cpuGive();
    {
      std::unique_lock<std::mutex> lk(loopMu);
      loopCv.wait(lk, [&] { return loopStopping; });
    }
    cpuTake();
  }
  // Stopping: destroy the firmware here, on its own task, while async_tcp still runs (its
  // servers' end() needs it). Posted work that never ran is dropped and counted. A destructor
  // that waits (delay) must not be unwound: blocking calls just return from here on.
  tlsNoUnwind = true;
  firmware.reset();
  tlsNoUnwind = false;
  {
    std::lock_guard<std::mutex> lk(loopMu);
    counters.droppedPosts += int64_t(loopPosts.size());
    loopPosts.clear();
  }
  cpuGive();
  counters.threadsAlive--;
  setThreadIdentity(nullptr, Role::None);
}

// ---------------- Device ----------------

Device::Device(Profile profile, FirmwareFactory factory, LogSink log)
    : _impl(new Impl(std::move(profile), std::move(factory), std::move(log))) {
  _impl->owner = this;
}

Device::~Device() {
  stop();
  delete _impl;
}

bool Device::start() {
  Impl* d = _impl;
  // stopMu is held while the threads start, not while setup() runs: a stop() from another thread
  // may interrupt a setup() that never returns (a sketch waiting forever for WiFi), as a reset
  // interrupts a board.
  std::unique_lock<std::mutex> g(d->stopMu);
  if (d->running || d->stopped) {
    d->lastError = d->stopped ? "device already stopped" : "device already running";
    return false;
  }
  if (d->profile.maxConnections == 0 || d->profile.sendWindow == 0 || d->profile.pollIntervalMs == 0) {
    d->lastError = "profile: maxConnections, sendWindow and pollIntervalMs must be > 0";
    return false;
  }
  if (d->profile.dataDir.empty()) {
    std::error_code ec;
    auto base = std::filesystem::temp_directory_path(ec);
    char tmpl[4096];
    std::snprintf(tmpl, sizeof tmpl, "%s/twincore-flash-XXXXXX", ec ? "/tmp" : base.c_str());
    if (!mkdtemp(tmpl)) {
      d->lastError = std::string("cannot create a temporary flash folder: ") + std::strerror(errno);
      return false;
    }
    d->dataDir = tmpl;
    d->ownDataDir = true;
  } else {
    std::error_code ec;
    std::filesystem::create_directories(d->profile.dataDir, ec);
    if (!std::filesystem::is_directory(d->profile.dataDir)) {
      d->lastError = "data folder '" + d->profile.dataDir + "' is not a folder" + (ec ? ": " + ec.message() : "");
      return false;
    }
    d->dataDir = d->profile.dataDir;
  }
  d->readBuf.resize(64 * 1024);
  if (uv_loop_init(&d->loop) != 0) {
    d->lastError = "uv_loop_init failed";
    return false;
  }
  d->loop.data = d;
  uv_async_init(&d->loop, &d->wake, [](uv_async_t* h) {
    static_cast<Impl*>(h->loop->data)->runNetTasks();
  });
  uv_timer_init(&d->loop, &d->pollTimer);
  uv_timer_init(&d->loop, &d->ackTimer);
  uv_timer_init(&d->loop, &d->linkTimer);
  d->linkOn = d->profile.linkModel();
  d->linkRng = (uint64_t(d->profile.linkSeed) << 32) ^ 0x5eedf00dull;
  uv_prepare_init(&d->loop, &d->flushPrepare);
  uv_check_init(&d->loop, &d->flushCheck);
  d->running = true;
  {
    std::lock_guard<std::mutex> lk(gDevicesMu);
    gDevices.push_back(d);
    gDevicesRunning = uint32_t(gDevices.size());
  }
  d->counters.threadsAlive += 2;  // async_tcp and loopTask, each uncounted when it ends
  d->netThread = std::thread([d] { d->netMain(); });
  d->loopThread = std::thread([d] { d->loopMain(); });
  g.unlock();
  bool ok;
  {
    std::unique_lock<std::mutex> lk(d->loopMu);
    d->loopCv.wait(lk, [&] { return d->setupDone; });
    ok = d->setupOk;
  }
  if (!ok) {
    std::lock_guard<std::mutex> g2(d->stopMu);
    d->lastError = d->stoppingFlag ? "stopped before setup() returned" : "firmware could not be constructed";
  }
  return ok;
}

void Device::stop() {
  Impl* d = _impl;
  std::lock_guard<std::mutex> g(d->stopMu);
  if (d->stopped) return;
  d->stopped = true;
  if (!d->running) return;
  {
    std::lock_guard<std::mutex> lk(gDevicesMu);
    eraseOne(gDevices, d);
    gDevicesRunning = uint32_t(gDevices.size());
  }
  // 0. Mark the device stopping: blocking waits return (the loop task, async_tcp) or unwind with
  //    TaskExit (firmware tasks); join the firmware's tasks while the firmware still exists.
  {
    std::lock_guard<std::mutex> lk(d->stopWaitMu);
    d->stoppingFlag = true;
  }
  d->stopCv.notify_all();
  d->stopTasks();
  // 1. Signal the loop task; it finishes its loop(), destroys the firmware (ending its servers
  //    and clients while async_tcp still delivers), and exits.
  {
    std::lock_guard<std::mutex> lk(d->loopMu);
    d->loopStopping = true;
  }
  d->loopCv.notify_all();
  if (d->loopThread.joinable()) d->loopThread.join();
  // 2. Then async_tcp: close what is left, run the loop until every handle is closed, exit.
  d->netStopping = true;
  d->postNet([d] { d->shutdownNet(); });
  if (d->netThread.joinable()) d->netThread.join();
  uv_loop_close(&d->loop);
  d->running = false;
  // 3. The layers' per-device states, newest first, then our temporary flash folder.
  {
    std::lock_guard<std::mutex> lk(d->stateMu);
    while (!d->states.empty()) d->states.pop_back();
  }
  if (d->ownDataDir) {
    std::error_code ec;
    std::filesystem::remove_all(d->dataDir, ec);
  }
}

void Device::Impl::stopTasks() {
  // Tasks may start tasks: take the list until it stays empty (startTask refuses once stopping).
  for (;;) {
    std::vector<Task> list;
    {
      std::lock_guard<std::mutex> lk(tasksMu);
      list.swap(tasks);
    }
    if (list.empty()) return;
    for (Task& t : list) {
      if (!t.thread.joinable()) continue;
      // A task that never blocks cannot see the stop; say so once, then keep waiting (a board
      // would be starved by it too; a hang here is the firmware's, and visible).
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      bool warned = false;
      while (true) {
        bool done;
        {
          std::lock_guard<std::mutex> lk(tasksMu);
          done = finishedTasks.count(t.thread.get_id()) != 0;
        }
        if (done) break;
        if (!warned && std::chrono::steady_clock::now() > deadline) {
          log(LogLevel::Warn, "stop: task '" + t.name + "' has not stopped after 2 s (it never blocks)");
          warned = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(warned ? 50 : 1));
      }
      t.thread.join();
      std::lock_guard<std::mutex> lk(tasksMu);
      finishedTasks.erase(t.thread.get_id());
    }
  }
}

void Device::Impl::stallFor(uint32_t ms) {
  // Holds the calling task's core (a busy wait on the board): no cpuBlockBegin.
  std::unique_lock<std::mutex> lk(stopWaitMu);
  stopCv.wait_for(lk, std::chrono::milliseconds(ms), [this] { return stoppingFlag.load(); });
}

bool stallTask(Device* dev, StallTask task, uint32_t ms) {
  if (!dev || ms == 0 || ms > 60000) return false;
  Device::Impl* d = dev->impl();
  if (!d->running || d->stoppingFlag) return false;
  if (task == StallTask::AsyncTcp) return d->postNet([d, ms] { d->stallFor(ms); });
  return dev->postToLoop([d, ms] { d->stallFor(ms); });
}

bool Device::restartRequested() const { return _impl->restartWanted.load(); }
std::string Device::dataDir() const { return _impl->dataDir; }

bool Device::running() const { return _impl->running && !_impl->stopped; }
const Profile& Device::profile() const { return _impl->profile; }
const Counters& Device::counters() const { return _impl->counters; }
Faults& Device::faults() { return _impl->faults; }

std::vector<uint16_t> Device::ports() const {
  std::lock_guard<std::mutex> lk(_impl->net);
  return _impl->boundPorts;
}

std::string Device::lastError() const {
  std::lock_guard<std::mutex> g(_impl->stopMu);
  return _impl->lastError;
}

bool Device::postToLoop(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lk(_impl->loopMu);
    if (_impl->loopStopping || !_impl->running) {
      _impl->counters.droppedPosts++;
      return false;
    }
    _impl->loopPosts.push_back(std::move(fn));
  }
  _impl->loopCv.notify_all();
  return true;
}

Device* currentDevice() { return tlsDev ? tlsDev->owner : nullptr; }

namespace {
std::atomic<Device*> gDefaultDevice{nullptr};
}
Device* contextDevice() { return tlsDev ? tlsDev->owner : gDefaultDevice.load(); }
void setDefaultDevice(Device* d) { gDefaultDevice = d; }

DeviceState* deviceState(Device* d, const void* key, std::unique_ptr<DeviceState> (*make)(Device*)) {
  if (!d) return nullptr;
  Device::Impl* impl = d->impl();
  std::lock_guard<std::mutex> lk(impl->stateMu);
  for (auto& kv : impl->states)
    if (kv.first == key) return kv.second.get();
  impl->states.emplace_back(key, make(d));
  return impl->states.back().second.get();
}

uint32_t uptimeMs() { return uint32_t(uptimeUs() / 1000); }
uint64_t uptimeUs() {
  return uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                                        processStart)
                      .count());
}

bool stopping() { return tlsDev && tlsDev->stoppingFlag.load(); }

bool checkTaskStop() {
  if (!stopping()) return false;
  // The loop task unwinds too: a setup() or loop() spinning on delay() (waiting for WiFi, for a
  // queue) would otherwise never end. loopMain() catches it; async_tcp just gets true.
  if ((tlsRole == Role::Task || tlsRole == Role::Loop) && !tlsNoUnwind) throw TaskExit{};
  return true;
}

void sleepMs(uint32_t ms) {
  cpuBlockBegin();
  if (Device::Impl* d = tlsDev) {
    std::unique_lock<std::mutex> lk(d->stopWaitMu);
    d->stopCv.wait_for(lk, std::chrono::milliseconds(ms), [d] { return d->stoppingFlag.load(); });
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  cpuBlockEnd();
  checkTaskStop();
}

void yieldTask() {
  cpuBlockBegin();
  std::this_thread::yield();
  cpuBlockEnd();
  checkTaskStop();
}

void blockBegin() { cpuBlockBegin(); }
void blockEnd() { cpuBlockEnd(); }

void log(LogLevel lvl, const std::string& line) {
  if (tlsDev) {
    tlsDev->log(lvl, line);
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

uint64_t startTask(Device* d, std::function<void()> fn, const std::string& name) {
  if (!d) return 0;
  Device::Impl* impl = d->impl();
  static std::atomic<uint64_t> nextId{1};
  std::lock_guard<std::mutex> lk(impl->tasksMu);
  if (impl->stoppingFlag || !impl->running) return 0;
  uint64_t id = nextId++;
  impl->counters.threadsAlive++;
  Device::Impl::Task t;
  t.name = name;
  t.thread = std::thread([impl, fn = std::move(fn), name] {
    setThreadIdentity(impl, Role::Task, name.c_str());
    cpuTake();
    try {
      fn();
    } catch (const TaskExit&) {
    }
    cpuGive();
    setThreadIdentity(nullptr, Role::None);
    std::lock_guard<std::mutex> g(impl->tasksMu);
    impl->finishedTasks.insert(std::this_thread::get_id());
    impl->counters.threadsAlive--;
  });
  impl->tasks.push_back(std::move(t));
  return id;
}

void requestRestart() {
  Device::Impl* d = tlsDev;
  if (!d) {
    if (Device* def = gDefaultDevice.load()) def->impl()->restartWanted = true;
    return;
  }
  d->log(LogLevel::Info, "ESP.restart(): the device restarts");
  d->restartWanted = true;
  if (tlsRole == Role::Net) return;
  // As on the board, restart() does not return: wait for the stop, then unwind.
  cpuBlockBegin();
  {
    std::unique_lock<std::mutex> lk(d->stopWaitMu);
    d->stopCv.wait(lk, [d] { return d->stoppingFlag.load(); });
  }
  cpuBlockEnd();
  throw TaskExit{};
}

bool postToLoop(std::function<void()> fn) {
  Device* d = currentDevice();
  return d ? d->postToLoop(std::move(fn)) : false;
}

void networkBarrier() {
  if (Device::Impl* d = tlsDev) {
    d->runOnNet([] {});
    return;
  }
  std::lock_guard<std::mutex> lk(gDevicesMu);
  for (Device::Impl* d : gDevices) d->runOnNet([] {});
}

// Twin heap: every allocation carries a 16-byte header naming its device so a free on any
// thread credits the right budget.
namespace {
struct HeapHeader {
  Device::Impl* dev;
  size_t n;
};
constexpr size_t kHeader = 16;
static_assert(sizeof(HeapHeader) <= kHeader, "header");
}  // namespace

void* heapAlloc(size_t n) { return heapAllocIn(tlsDev ? tlsDev->owner : nullptr, n); }

void* heapAllocIn(Device* dev, size_t n) {
  Device::Impl* d = dev ? dev->impl() : nullptr;
  if (d) {
    if (d->faults.failAllocs.load() > 0 && d->faults.failAllocs.fetch_sub(1) > 0) {
      d->counters.allocFailures++;
      return nullptr;
    }
    int64_t used = d->counters.heapUsed.fetch_add(int64_t(n)) + int64_t(n);
    if (d->profile.heapBytes && used > int64_t(d->profile.heapBytes)) {
      d->counters.heapUsed -= int64_t(n);
      d->counters.allocFailures++;
      return nullptr;
    }
    int64_t peak = d->counters.heapPeak.load();
    while (used > peak && !d->counters.heapPeak.compare_exchange_weak(peak, used)) {
    }
  }
  auto* raw = static_cast<unsigned char*>(std::malloc(n + kHeader));
  if (!raw) {
    if (d) {
      d->counters.heapUsed -= int64_t(n);
      d->counters.allocFailures++;
    }
    return nullptr;
  }
  auto* h = reinterpret_cast<HeapHeader*>(raw);
  h->dev = d;
  h->n = n;
  return raw + kHeader;
}

void heapFree(void* p, size_t) {
  if (!p) return;
  auto* raw = static_cast<unsigned char*>(p) - kHeader;
  auto* h = reinterpret_cast<HeapHeader*>(raw);
  if (h->dev) h->dev->counters.heapUsed -= int64_t(h->n);
  std::free(raw);
}

}  // namespace twin

