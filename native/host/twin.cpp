// twin.cpp: the simulated device: its two threads, the single-core CPU, the Arduino subset,
// the twin heap. AsyncTCP itself is in AsyncTCP.cpp. Rules: see twin.h and twin_internal.h.
#include <cstdlib>
#include <cstring>
#if defined(__linux__) || defined(__APPLE__)
#include <pthread.h>
#endif

#include "Arduino.h"
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
thread_local Device::Impl* tlsDev = nullptr;
thread_local Role tlsRole = Role::None;
// Single-core CPU state of this thread: 0 not held, 1 held, 2 given up inside a blocking
// section (retaken at its end). tlsCpuDepth counts nested cpuTake() so only the outermost
// take/give pair acquires and releases.
thread_local int tlsCpuHeld = 0;
thread_local int tlsCpuDepth = 0;
thread_local std::string tlsSerialLine;
const auto processStart = std::chrono::steady_clock::now();
}  // namespace

Device::Impl* currentImpl() { return tlsDev; }
void setThreadIdentity(Device::Impl* dev, Role role) {
  tlsDev = dev;
  tlsRole = role;
  // The FreeRTOS task names of the board ("async_tcp" from AsyncTCP, "loopTask" from the Arduino
  // core), so the threads are recognisable in a debugger, `top -H` and /proc/<pid>/task/*/comm
  // (the lifecycle tests count them by these names).
  const char* name = role == Role::Net ? "async_tcp" : role == Role::Loop ? "loopTask" : nullptr;
  if (!name) return;
#if defined(__linux__)
  pthread_setname_np(pthread_self(), name);
#elif defined(__APPLE__)
  pthread_setname_np(name);
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

void Device::Impl::loopMain() {
  setThreadIdentity(this, Role::Loop);
  counters.threadsAlive++;
  cpuTake();
  // The firmware's globals are constructed on the loop task, before setup(), as a sketch's
  // static objects are constructed before the board calls setup().
  firmware = factory ? factory() : nullptr;
  bool ok = firmware != nullptr;
  if (ok) firmware->setup();
  {
    std::lock_guard<std::mutex> lk(loopMu);
    setupDone = true;
    setupOk = ok;
  }
  loopCv.notify_all();

  // The ESP32 loop task calls loop() back to back; the twin paces it at the FreeRTOS tick
  // (1 ms) so a desktop with several devices stays usable. Firmware timing uses millis().
  std::deque<std::function<void()>> work;
  while (ok) {
    {
      std::unique_lock<std::mutex> lk(loopMu);
      if (loopStopping) break;
      work.swap(loopPosts);
    }
    for (auto& fn : work) fn();
    work.clear();
    firmware->loop();
    counters.loopIterations++;
    cpuGive();
    {
      std::unique_lock<std::mutex> lk(loopMu);
      loopCv.wait_for(lk, std::chrono::milliseconds(1),
                      [&] { return loopStopping || !loopPosts.empty(); });
    }
    cpuTake();
  }
  // Stopping: destroy the firmware here, on its own task, while async_tcp still runs (its
  // servers' end() needs it). Posted work that never ran is dropped and counted.
  firmware.reset();
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
  std::lock_guard<std::mutex> g(d->stopMu);
  if (d->running || d->stopped) {
    d->lastError = d->stopped ? "device already stopped" : "device already running";
    return false;
  }
  if (d->profile.maxConnections == 0 || d->profile.sendWindow == 0 || d->profile.pollIntervalMs == 0) {
    d->lastError = "profile: maxConnections, sendWindow and pollIntervalMs must be > 0";
    return false;
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
  d->running = true;
  {
    std::lock_guard<std::mutex> lk(gDevicesMu);
    gDevices.push_back(d);
  }
  d->netThread = std::thread([d] { d->netMain(); });
  d->loopThread = std::thread([d] { d->loopMain(); });
  bool ok;
  {
    std::unique_lock<std::mutex> lk(d->loopMu);
    d->loopCv.wait(lk, [&] { return d->setupDone; });
    ok = d->setupOk;
  }
  if (!ok) d->lastError = "firmware could not be constructed";
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
  }
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
}

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

void* heapAlloc(size_t n) {
  Device::Impl* d = tlsDev;
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

// ---------------- Arduino subset ----------------

using twin::tlsDev;

// One clock for every thread of the process: the core compares times taken on different tasks
// (a close() from the test thread, the poll on async_tcp), so a per-device epoch would mix two
// clocks. On a board millis() counts from boot; here from the process start, which a firmware
// cannot tell apart except by the starting value.
uint32_t millis() {
  auto base = twin::processStart;
  return uint32_t(std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - base)
                      .count());
}

uint32_t micros() {
  auto base = twin::processStart;
  return uint32_t(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - base)
                      .count());
}

void delay(uint32_t ms) {
  twin::cpuBlockBegin();
  if (tlsDev && twin::currentRole() == twin::Role::Loop) {
    // Returns early when the device stops, so stop() never waits out a long delay().
    std::unique_lock<std::mutex> lk(tlsDev->loopMu);
    tlsDev->loopCv.wait_for(lk, std::chrono::milliseconds(ms), [] { return tlsDev->loopStopping; });
  } else {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  }
  twin::cpuBlockEnd();
}

void yield() {
  twin::cpuBlockBegin();
  std::this_thread::yield();
  twin::cpuBlockEnd();
}

HardwareSerial Serial;

size_t HardwareSerial::write(uint8_t c) {
  if (c == '\n') {
    if (tlsDev) {
      tlsDev->log(twin::LogLevel::Info, twin::tlsSerialLine);
    } else {
      std::fprintf(stderr, "%s\n", twin::tlsSerialLine.c_str());
    }
    twin::tlsSerialLine.clear();
  } else if (c != '\r') {
    if (twin::tlsSerialLine.size() < 4096) twin::tlsSerialLine.push_back(char(c));
  }
  return 1;
}

size_t HardwareSerial::write(const uint8_t* data, size_t len) {
  for (size_t i = 0; i < len; ++i) write(data[i]);
  return len;
}

size_t HardwareSerial::print(const char* s) { return write(reinterpret_cast<const uint8_t*>(s), std::strlen(s)); }
size_t HardwareSerial::print(long v) { return printf("%ld", v); }
size_t HardwareSerial::println(const char* s) { return print(s) + write('\n'); }
size_t HardwareSerial::println(long v) { return print(v) + write('\n'); }

size_t HardwareSerial::printf(const char* fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  int n = std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return 0;
  size_t len = size_t(n) < sizeof buf ? size_t(n) : sizeof buf - 1;
  return write(reinterpret_cast<const uint8_t*>(buf), len);
}
