// twin.h: the ESP32 network twin's device API (host side only; firmware never includes it,
// except twin::postToLoop through Arduino-style code that wants it).
//
// A Device is one simulated ESP32: an "async_tcp" thread running a libuv loop that delivers
// every AsyncTCP callback, and a "loop" task thread that constructs the firmware, runs its
// setup() once and then loop() repeatedly. Several devices may run in one process; each has its
// own threads, sockets, counters and log.
//
// Ownership and threads:
//  - The embedder (the Node addon or the standalone device executable) owns the Device. It
//    calls start() and stop() from one thread of its own (never from a device thread).
//  - stop() is idempotent and returns only when the firmware object has been destroyed on the
//    loop task, both device threads are joined, every socket is closed and every internal
//    object is freed. The destructor calls stop().
//  - LogSink and EventSink are called on device threads; they must not block and must not
//    call back into the Device (the addon forwards to a ThreadSafeFunction non-blockingly).
//  - counters() may be called from any thread at any time (atomics).
//  - postToLoop() may be called from any thread; the work runs on the loop task between two
//    loop() calls, and never after stop() has begun (it is then dropped and counted).
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace twin {

// All defaults in one place, each with its reason.
struct Profile {
  std::string name = "esp32";
  // Concurrent TCP connections (lwIP CONFIG_LWIP_MAX_ACTIVE_TCP, default 16). Beyond it, new
  // connections are left unanswered in the listen backlog until a slot frees, as lwIP drops
  // the SYN of a connection it cannot allocate a pcb for (the client retries).
  uint32_t maxConnections = 16;
  // Per-connection TCP send window in bytes (lwIP TCP_SND_BUF default 5760 = 4 * MSS).
  uint32_t sendWindow = 5760;
  // Per-connection TCP receive window in bytes (lwIP TCP_WND default 5760): data held back with
  // ackLater() beyond this stops reading from the socket.
  uint32_t recvWindow = 5760;
  // Segment size (ESP-IDF TCP_MSS 1436). The listening socket clamps TCP_MAXSEG to it, so the
  // peer sees board-sized segments and acknowledges promptly.
  uint32_t mss = 1436;
  // lwIP's slow timer calls tcp_poll every 500 ms.
  uint32_t pollIntervalMs = 500;
  // AsyncTCP CONFIG_ASYNC_TCP_MAX_ACK_TIME.
  uint32_t ackTimeoutMs = 5000;
  // true: async_tcp and loop run truly in parallel (ESP32 dual core, the default Arduino
  // setup). false: they are serialised on one "CPU" (ESP32-C3/-S2, or
  // CONFIG_ASYNC_TCP_RUNNING_CORE equal to the loop's core).
  bool dualCore = true;
  // Heap the firmware may allocate through the twin (an ESP32 with WiFi up has ~200 KB free).
  // 0 means unlimited.
  uint32_t heapBytes = 0;
  // Host port for the firmware's first listening port (0: ephemeral). Further ports of the
  // firmware get ephemeral host ports.
  uint16_t hostPort = 0;
};

// The accepted range of each numeric Profile knob, for every front end (the addon and the
// standalone device): the same numbers as PROFILE_LIMITS in src/defaults.ts, reasons there.
struct Range {
  uint32_t lo, hi;
};
namespace limits {
constexpr Range maxConnections{1, 4096};
constexpr Range sendWindow{1, 16u << 20};
constexpr Range recvWindow{1, 16u << 20};
constexpr Range mss{88, 65535};
constexpr Range pollIntervalMs{1, 3600000};
constexpr Range ackTimeoutMs{0, 3600000};
constexpr Range heapBytes{0, 0xffffffffu};
constexpr Range hostPort{0, 65535};
}  // namespace limits

// A firmware as the twin runs it: constructed on the loop task (its members are the sketch's
// globals), setup() once, loop() repeatedly, destroyed on the loop task during stop().
class Firmware {
 public:
  virtual ~Firmware() = default;
  virtual void setup() = 0;
  virtual void loop() = 0;
};
using FirmwareFactory = std::function<std::unique_ptr<Firmware>()>;

struct Counters {
  std::atomic<int64_t> connectionsOpen{0};    // accepted, not yet closed sockets
  std::atomic<int64_t> connectionsTotal{0};   // accepted since start
  std::atomic<int64_t> connectionsDeferred{0};// accepts held back by maxConnections
  std::atomic<int64_t> clientsAlive{0};       // AsyncClient objects of this device alive
  std::atomic<int64_t> serversListening{0};
  std::atomic<int64_t> threadsAlive{0};       // device threads running (0, 1 or 2)
  std::atomic<int64_t> polls{0};              // onPoll deliveries
  std::atomic<int64_t> acks{0};               // onAck deliveries
  std::atomic<int64_t> ackTimeouts{0};
  std::atomic<int64_t> rxTimeouts{0};
  std::atomic<int64_t> bytesIn{0};
  std::atomic<int64_t> bytesOut{0};           // bytes written to sockets
  std::atomic<int64_t> errors{0};             // onError deliveries
  std::atomic<int64_t> loopIterations{0};
  std::atomic<int64_t> heapUsed{0};           // bytes allocated through twin::heapAlloc
  std::atomic<int64_t> heapPeak{0};
  std::atomic<int64_t> allocFailures{0};
  std::atomic<int64_t> droppedPosts{0};
};

// Every Counters field, in declaration order, for code that reports them all (the addon, the
// standalone device). The static_assert fails the build when Counters gains a field this list
// does not name (update src/device.ts Counters too).
#define TWIN_COUNTER_FIELDS(X)                                                                   \
  X(connectionsOpen) X(connectionsTotal) X(connectionsDeferred) X(clientsAlive)                  \
  X(serversListening) X(threadsAlive) X(polls) X(acks) X(ackTimeouts) X(rxTimeouts) X(bytesIn)   \
  X(bytesOut) X(errors) X(loopIterations) X(heapUsed) X(heapPeak) X(allocFailures) X(droppedPosts)
#define TWIN_COUNT_ONE(name) +1
static_assert(sizeof(Counters) == (0 TWIN_COUNTER_FIELDS(TWIN_COUNT_ONE)) * sizeof(std::atomic<int64_t>),
              "twin::Counters changed: update TWIN_COUNTER_FIELDS");
#undef TWIN_COUNT_ONE

enum class LogLevel { Debug, Info, Warn, Error };
using LogSink = std::function<void(LogLevel, const std::string& line)>;

// Fault injection: each counter arms a failure for the next N matching operations.
struct Faults {
  std::atomic<int32_t> failAccepts{0};     // accept: the AsyncClient allocation fails
  std::atomic<int32_t> failAllocs{0};      // twin::heapAlloc returns nullptr
  std::atomic<int32_t> failListen{0};      // AsyncServer::begin fails to bind
};

class Device {
 public:
  Device(Profile profile, FirmwareFactory factory, LogSink log);
  ~Device();
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  // Starts async_tcp and the loop task, constructs the firmware and runs setup(); returns once
  // setup() has returned (or failed: then false and lastError()).
  bool start();
  void stop();
  bool running() const;

  const Profile& profile() const;
  const Counters& counters() const;
  Faults& faults();
  // Host ports bound by the firmware's servers, in begin() order.
  std::vector<uint16_t> ports() const;
  std::string lastError() const;

  // Runs fn on the loop task between two loop() calls. False if the device is stopping.
  bool postToLoop(std::function<void()> fn);

  struct Impl;
  Impl* impl() const { return _impl; }

 private:
  Impl* _impl;
};

// The device owning the calling thread, or null on a thread of no device.
Device* currentDevice();

// Firmware-side helpers (callable on device threads).
bool postToLoop(std::function<void()> fn);
// Heap accounting against the profile's heapBytes; nullptr when over budget or a fault fires.
void* heapAlloc(size_t n);
void heapFree(void* p, size_t n);
// Returns once the async_tcp thread of the calling thread's device (off device threads: of
// every running device) has finished the dispatch it was running. Inline on async_tcp.
void networkBarrier();

}  // namespace twin
