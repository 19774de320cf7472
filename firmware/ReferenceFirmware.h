// ReferenceFirmware: the WebSocket reference firmware. The same source runs on a real ESP32
// (PlatformIO, firmware/main.cpp, over the real AsyncTCP) and on the desktop twin (registered as
// "reference" in firmware/host/registry.cpp). It uses only the core (AsyncWebServer,
// AsyncWebSocket), the port seam (twincore::port::Mutex) and millis(): no host-only include,
// no exceptions, no RTTI.
//
// HTTP:
//   GET /        the dashboard (firmware/dashboard_html.h, in flash)
//   GET /stats   JSON counters (statsJson() below), Content-Type application/json
//   other        404 text/plain
// WebSocket (cfg.wsPath, default /ws). Text messages starting with '{' are commands (a flat JSON
// object; bad JSON or a bad command gets {"t":"error","error":"..."}):
//   {"cmd":"start","rate":R,"size":S,"count":N}  -> {"t":"started","rate":R,"size":S,"count":N};
//        loop() then broadcasts {"t":"tm","seq":K,"ts":<millis>,"pad":"xx.."} with textAll(),
//        R per second, each exactly S bytes, K = 1, 2, ... per run; after N messages (0: until
//        stopped) {"t":"done","sent":N} to all. A start during a run begins a new run.
//        Defaults: rate 10, size 64, count 0. Ranges: rate 1..1000, size kMinTelemetry..
//        kMaxTelemetry, count 0..1e9.
//   {"cmd":"start","unpaced":true,"size":S,"count":N}  -> {"t":"started","rate":0,"size":S,"count":N,
//        "unpaced":true}: the same telemetry with no schedule, for saturation benchmarks: each
//        loop() broadcasts messages back to back while every client's queue has room
//        (availableForWriteAll()), at most kMaxUnpacedBurst per call, so nothing is dropped.
//   {"cmd":"stop"}                 -> {"t":"stopped","sent":N}  (no telemetry of that run follows)
//   {"cmd":"relay","on":true|false} -> {"t":"relay","on":B}: while on, every other text message
//        (not a command) is broadcast to all clients with textAll() from the message handler
//        instead of echoed (the closed-loop benchmark). Off at boot.
//   {"cmd":"echo","data":"..."}    -> {"t":"echo","data":"..."}
//   {"cmd":"close","code":C,"from":"callback"|"loop"}  -> this client is closed with C (default
//        1000; 1000..1003, 1007..1014 or 3000..4999), right inside the message handler
//        ("callback", the default) or by the loop task (posted; at most kMaxPendingCloses).
//   {"cmd":"stats"}                -> {"t":"stats", ...the /stats fields...}
// Any other text message is echoed back unchanged as text, every binary message as binary, of
// any size: a message that arrives in one piece is echoed whole; a longer one is streamed back as
// it arrives, one fragment per DATA chunk (AsyncWebSocketClient::sendFragment, whose receive hold
// bounds the memory an echo takes, whatever the message size). A command longer than maxMessage
// closes the client with 1009 (the core keeps reading until the peer's Close, so it receives it).
//
// Threads and locks:
//  - Callbacks (onEvent, HTTP handlers) run on async_tcp; a DISCONNECT caused by a
//    call on the loop task (textAll closing a client on a full queue, close from loop) runs on
//    the loop task. loop() runs on the loop task.
//  - _bcMu guards the broadcast state and the pending closes. It may be held while calling the
//    core's send methods (textAll, client->text): those never wait for a callback, and the only
//    callback they can run synchronously is a DISCONNECT, whose handler (onEvent) never takes
//    _bcMu. Holding it across "allocate seq + textAll" orders telemetry against start/stop
//    replies: after {"t":"stopped","sent":N} no telemetry of that run arrives.
//  - _statsMu guards the event counters and the connected-client ids; never held while calling
//    the core. Lock order: _bcMu before _statsMu.
// Lifetime: the destructor (loop task) ends ws, then server; both return only when none of their
// callbacks runs or can run, so the callbacks' `this` stays valid for as long as they can run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <string>

#include "AsyncWebServer.h"
#include "AsyncWebSocket.h"
#include "tc_port.h"

// Every default in one place, each with its reason.
struct ReferenceConfig {
  // The HTTP port a browser assumes; the twin maps it to a host port (Profile::hostPort).
  uint16_t port = 80;
  // The path ESPAsyncWebServer examples and the harness (src/defaults.ts WS_PATH) use.
  std::string wsPath = "/ws";
  // Largest command (a text message starting with '{', reassembled to be parsed): 16 KiB fits
  // any command and still leaves heap for 8 clients on a board with ~200 KB free. Echoed
  // messages have no limit (they are streamed back, never reassembled).
  uint32_t maxMessage = 16 * 1024;
  // ESPAsyncWebServer's ESP32 default: 8 WebSocket clients leave lwIP's 16 sockets room for HTTP.
  uint32_t maxClients = 8;
  // 0 = no server pings, the core's default (WsDefaults::kKeepAliveSec): a peer that stops
  // acknowledging data is closed by AsyncTCP's ack timeout anyway; set e.g. 20 to also detect
  // idle peers that vanished (a phone leaving WiFi).
  uint32_t keepAliveSec = 0;
  // false = drop a message for a client whose queue is full (the telemetry is lossy by nature,
  // a slow dashboard should stay connected); true = close that client instead.
  bool closeOnQueueFull = false;
  // One Serial line per connect and disconnect (the device log; `twincore serve` shows it).
  // Off by default: on a board under load, Serial at 115200 baud would throttle the tasks.
  bool logEvents = false;
  // Autostart telemetry at boot: rate 0 = off (the default; a client sends "start").
  uint32_t rate = 0;
  uint32_t size = 64;
  uint32_t count = 0;
};

class ReferenceFirmware {
 public:
  // Telemetry message bounds. The smallest size that holds the largest unpadded message
  // ({"t":"tm","seq":<10 digits>,"ts":<10 digits>,"pad":""} = 52 bytes) so every message is
  // exactly `size` bytes; the largest keeps one shared frame well inside a board's heap.
  static constexpr uint32_t kMinTelemetry = 52;
  static constexpr uint32_t kMaxTelemetry = 64 * 1024;
  static constexpr uint32_t kMaxRate = 1000;           // msgs/s: millis() resolution
  static constexpr uint32_t kMaxCount = 1000000000;
  static constexpr uint32_t kDefaultRate = 10;
  static constexpr uint32_t kDefaultSize = 64;
  // Telemetry messages one loop() call sends at most (the loop task must stay responsive); a
  // backlog over one second is forgotten (the schedule restarts from now, seq continues).
  static constexpr uint32_t kMaxBurst = 32;
  // Unpaced telemetry: messages one loop() call sends at most (the loop task stays responsive).
  static constexpr uint32_t kMaxUnpacedBurst = 256;
  static constexpr size_t kMaxPendingCloses = 16;
  static constexpr size_t kMaxTrackedClients = 64;   // ids listed in stats

  explicit ReferenceFirmware(const ReferenceConfig& cfg);
  ~ReferenceFirmware();
  ReferenceFirmware(const ReferenceFirmware&) = delete;
  ReferenceFirmware& operator=(const ReferenceFirmware&) = delete;

  void setup();
  void loop();

  // The /stats document (any task; takes the locks briefly).
  std::string statsJson();

 private:
  struct PendingClose {
    uint32_t id;
    uint16_t code;
  };
  // Per-client receive state, in AsyncWebSocketClient::_tempObject from CONNECT to DISCONNECT:
  // touched only by that client's events, which the core serialises (no lock).
  struct ClientRx {
    enum Mode : uint8_t { kIdle, kCommand, kEcho, kSkip };
    Mode mode = kIdle;
    std::string cmd;  // a command being reassembled (at most maxMessage bytes)
  };
  void onEvent(AsyncWebSocketClient* c, AwsEventType type, void* arg, uint8_t* data, size_t len);
  void onData(AsyncWebSocketClient* c, const AwsFrameInfo& info, const uint8_t* data, size_t len);
  void countMessage(bool isCommand);
  void command(AsyncWebSocketClient* c, const char* json, size_t len);
  // _bcMu held.
  void startLocked(uint32_t rate, uint32_t size, uint32_t count);
  void sendTelemetryLocked(uint32_t now);
  // Formats and broadcasts telemetry message _seq + 1.
  void broadcastOneLocked(uint32_t now);

  const ReferenceConfig _cfg;

  twincore::port::Mutex _bcMu;
  // --- _bcMu ---
  bool _running = false;
  bool _unpaced = false;
  uint32_t _rate = 0, _size = 0, _count = 0;
  uint32_t _seq = 0;         // last seq sent in this run
  uint32_t _runStartMs = 0;  // schedule origin: message k is due at start + (k-1)*1000/rate
  uint32_t _runs = 0;
  uint32_t _totalSent = 0;   // telemetry messages broadcast since boot
  uint32_t _reached = 0;     // sum of clients each telemetry message was queued to
  uint32_t _bcDropped = 0;   // sum of clients a telemetry message was dropped for
  PendingClose _pending[kMaxPendingCloses];
  size_t _nPending = 0;
  std::string _tm;           // telemetry scratch (capacity kept between messages)

  twincore::port::Mutex _statsMu;
  // --- _statsMu ---
  uint32_t _events[6] = {0, 0, 0, 0, 0, 0};  // by AwsEventType
  uint32_t _messages = 0, _commands = 0, _badCommands = 0;
  uint32_t _ids[kMaxTrackedClients];
  size_t _nIds = 0;

  uint32_t _bootMs = 0;  // written in setup() before any callback can run
  std::atomic<bool> _relay{false};  // relay mode (any thread)

 public:
  // The sketch's globals, as in an ESPAsyncWebServer sketch. Declared last: destroyed first
  // (after the destructor has ended them).
  AsyncWebServer server;
  AsyncWebSocket ws;
};
