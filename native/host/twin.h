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
  // Concurrent TCP connections (lwIP CONFIG_LWIP_MAX_ACTIVE_TCP, default 16), accepted and
  // client-side (AsyncClient::connect) alike. Beyond it, new incoming connections are left
  // unanswered in the listen backlog until a slot frees, as lwIP drops the SYN of a connection
  // it cannot allocate a pcb for (the client retries); AsyncClient::connect returns false.
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
  // Host folder backing the device's flash: LittleFS/SPIFFS files and Preferences (NVS). Empty:
  // a fresh empty temporary folder made at start() and removed at stop(), so runs never share
  // state by accident; a folder the user names is kept (it is the board's flash across runs).
  std::string dataDir;

  // ---- Faults that make loopback behave like WiFi (README "Faults that make loopback behave like
  // WiFi"; named link profiles in namedLink()). All 0: loopback, no model and no cost.
  // The link model: the device's radio is one shared "air" (both directions, all connections take
  // turns, one MSS at a time), linkBandwidthKbps kilobits per second (0: unlimited). A byte leaves
  // when the air is free; it reaches the peer's kernel a one-way delay (linkRttMs / 2) later, and
  // its acknowledgement comes back linkRttMs + a seeded jitter (0..linkJitterMs) after it left
  // (never earlier than the peer's kernel took it: a slow reader still gates onAck). Inbound bytes
  // cross the same air and reach the firmware a one-way delay (+ jitter) after the device read
  // them from the kernel. The jitter draws come from linkSeed (async_tcp only: reproducible for
  // the same order of events).
  uint32_t linkBandwidthKbps = 0;
  uint32_t linkRttMs = 0;
  uint32_t linkJitterMs = 0;
  uint32_t linkSeed = 0;
  // Scheduling jitter: 0 off; else the seed of seeded yields and short sleeps (0..200 us) at the
  // twin's lock and callback points, the loop task's passes and the FreeRTOS semaphore/critical
  // section calls, which widen race windows. Each thread draws from its own generator, seeded
  // from this seed and its role (async_tcp, loopTask, the n-th firmware task), so the decisions a
  // thread makes repeat for the same seed.
  uint32_t schedJitterSeed = 0;

  // True when the link model is on (any link knob but the seed set).
  bool linkModel() const { return linkBandwidthKbps != 0 || linkRttMs != 0 || linkJitterMs != 0; }
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
constexpr Range linkBandwidthKbps{0, 10000000};  // up to 10 Gbit/s
constexpr Range linkRttMs{0, 10000};
constexpr Range linkJitterMs{0, 10000};
constexpr Range linkSeed{0, 0xffffffffu};
constexpr Range schedJitterSeed{0, 0xffffffffu};
}  // namespace limits

// A named link (the same table as LINKS in src/defaults.ts): "loopback" (no model), "good-wifi",
// "weak-wifi"; sets the link knobs of *out (not linkSeed). False for an unknown name.
bool namedLink(const std::string& name, Profile* out);

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
  std::atomic<int64_t> connectionsOpen{0};    // open sockets, accepted and client-side
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

// The named boards (the same table as PROFILES in src/defaults.ts; a test checks them equal):
// esp32 (dual core), esp32s3 (dual core), esp32c3 (single core). False for an unknown name.
bool namedProfile(const std::string& name, Profile* out);
// Checks every numeric knob against `limits`; the message names the knob and its range.
bool validateProfile(const Profile& p, std::string* error);

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
  // True once the firmware asked for a restart (ESP.restart()); the embedder polls it, stops
  // the device and starts a new one with the same profile and ports.
  bool restartRequested() const;
  // The folder backing the device's flash (Profile::dataDir, or the temporary one made by start()).
  std::string dataDir() const;

  struct Impl;
  Impl* impl() const { return _impl; }

 private:
  Impl* _impl;
};

// A stalled task (a long flash write, a blocking sensor read): the task's next turn blocks ms
// milliseconds; meanwhile it runs no callback (async_tcp) or no loop() (the loop task), and data
// keeps arriving in the kernel. The stall holds the task's core (single-core profile: nothing
// else runs), as a busy wait on the board does; it ends early when the device stops. Any thread;
// returns at once (false: the device is not running or ms is out of 1..60000).
enum class StallTask { AsyncTcp, Loop };
bool stallTask(Device* d, StallTask task, uint32_t ms);

// The device owning the calling thread, or null on a thread of no device.
Device* currentDevice();

// ---------------- services for the layers above the twin (native/arduino) ----------------
//
// The Arduino layer keeps all of its state per device (pins, WiFi, files, preferences, tasks),
// reached through the device of the calling thread. Code that runs on no device thread (a
// sketch's static constructors, before main(); the embedder's own threads) reaches the
// process's default device instead: the standalone device process names its one device with
// setDefaultDevice(), as a board has exactly one. In-process embedders (the addon, several
// devices) set none: there, state-bearing Arduino calls off device threads act on no device.

// The device of the calling thread, else the default device, else null.
Device* contextDevice();
// Names the device that contextDevice() returns on threads of no device (null clears it).
// Call before start() and clear after stop(); not while device threads may read it.
void setDefaultDevice(Device* d);

// Per-device state of a higher layer: one object per (device, key), made by make() on first
// use (under a per-device lock, so two threads asking at once get the same object) and
// destroyed by Device::stop() after the firmware, every firmware task and both device threads
// are gone, in reverse order of creation. The object must be thread-safe itself.
struct DeviceState {
  virtual ~DeviceState() = default;
};
DeviceState* deviceState(Device* d, const void* key, std::unique_ptr<DeviceState> (*make)(Device*));
// Typed form: T derives from DeviceState and has a constructor T(Device*). Null when d is null.
template <class T>
T* deviceState(Device* d) {
  static const char key = 0;
  return static_cast<T*>(deviceState(d, &key, [](Device* dev) -> std::unique_ptr<DeviceState> {
    return std::unique_ptr<DeviceState>(new T(dev));
  }));
}

// The process clock every thread shares (millis()/micros() on the host), from process start.
uint32_t uptimeMs();
uint64_t uptimeUs();

// Blocks the calling task for ms, as vTaskDelay does: a single-core profile gives the CPU to the
// other tasks meanwhile. On a device thread it returns early once the device is stopping.
void sleepMs(uint32_t ms);
// Lets other tasks run (single-core profile: gives the CPU up and takes it back).
void yieldTask();
// Blocking sections of other layers (a FreeRTOS queue or semaphore wait): gives up the
// single-core CPU around the wait. Pairs; no-op when dual-core or off device threads.
void blockBegin();
void blockEnd();
// True once stop() has begun for the calling thread's device (false off device threads).
bool stopping();
// A scheduling jitter point (Profile::schedJitterSeed): with jitter on for the calling thread's
// device, a seeded yield or short sleep; off (or off device threads), one predictable branch.
// For the layers above (the FreeRTOS layer calls it at semaphore and critical-section calls).
void schedJitterPoint();
// A device log line: to the calling thread's device log sink, else stderr.
void log(LogLevel lvl, const std::string& line);

// Firmware tasks (FreeRTOS xTaskCreate): a device thread named `name` (as on the board, shown
// in /proc/<pid>/task/*/comm) that runs fn. It belongs to d and takes part in its core model
// (single-core profile: it runs only while it holds the CPU). Stop: Device::stop() first marks
// the device stopping, which makes every blocking call of a task (sleepMs, and the FreeRTOS
// waits built on waitStopping) throw TaskExit; the task's stack unwinds and the thread ends;
// stop() joins every task before the loop task destroys the firmware. A task that never blocks
// cannot be stopped (as on a board, where it would starve its core): stop() reports it in the
// log and waits. Returns 0 when d is null or stopping, else a task id > 0.
struct TaskExit {};
uint64_t startTask(Device* d, std::function<void()> fn, const std::string& name);
// On a firmware task or the loop task: throws TaskExit when the device is stopping (the loop task
// catches it and goes on to destroy the firmware, where it no longer throws). async_tcp gets
// true instead and carries on to its own stop path. False while the device is not stopping.
bool checkTaskStop();

// ESP.restart(): asks the device's embedder to restart the board. The firmware is destroyed
// and rebuilt, every socket closed (the standalone device process re-executes itself on the
// same ports, so a sketch's globals are constructed anew). On the loop task or a firmware task
// it does not return (it waits for the stop, then unwinds as TaskExit); on async_tcp it
// returns and the restart follows.
void requestRestart();

// Firmware-side helpers (callable on device threads).
bool postToLoop(std::function<void()> fn);
// Heap accounting against the profile's heapBytes; nullptr when over budget or a fault fires.
void* heapAlloc(size_t n);
void heapFree(void* p, size_t n);
// The same, charged to device d (null: counted nowhere, as before a device exists). The user
// firmware's device process routes every C++ new/delete through these (native/device/sketch_main.cpp),
// so the heap budget, the alloc fault and the leak check cover the firmware and its libraries.
void* heapAllocIn(Device* d, size_t n);
// Returns once the async_tcp thread of the calling thread's device (off device threads: of
// every running device) has finished the dispatch it was running. Inline on async_tcp.
void networkBarrier();

// ---------------- network switches (the WiFi layer; the harness) ----------------
//
// Both may be called from any thread, d's own device threads included. Off async_tcp they post
// to it and return once it has done the work (the callbacks they cause have run); on async_tcp
// they work inline. A null d, or a device not running, is ignored (setNetworkUp still records
// the state, applied when the device's servers begin).

// Resets every open connection of d, accepted and client-side (connecting ones too), as if
// each peer had sent a RST: each AsyncClient gets onError(ERR_RST) then onDisconnect, on
// async_tcp, exactly once; each socket is closed with a RST toward its peer. Host-name lookups
// under way are not touched (they fail on their own).
void resetAllConnections(Device* d);
// The device's network (WiFi) up or down. While down, each listening socket is closed, so a
// peer connecting to the device's port is refused at once (ECONNREFUSED: what a peer on
// loopback sees of a host that is not there; a LAN peer would time out instead): AsyncServer
// keeps its port and status() LISTEN, and listens on the same host port again when the network
// is up (if another process took that port meanwhile, an error is logged and the server stays
// deaf). AsyncClient::connect returns false while down. Existing connections keep their state
// (the WiFi layer calls resetAllConnections() to drop them). Devices start with the network up.
void setNetworkUp(Device* d, bool up);
// The state setNetworkUp() last recorded (false for a null d).
bool networkUp(Device* d);

}  // namespace twin
