// AsyncWebSocket.h: the WebSocket server core, in the API shape of ESPAsyncWebServer's
// AsyncWebSocket, written against AsyncTCP and the port seam (tc_port.h) only.
//
// ============================== LIFETIME AND THREADS ==============================
// Locks. One non-recursive port::Mutex per server (_mu) guards the client list, the graveyard,
// the handlers and every client's mutable state (ws_client.h). No user callback, no
// AsyncClient::close() and no AsyncClient::abort() ever runs with it held (close/abort run the
// disconnect callback synchronously, on the calling thread). add()/send()/space() are called
// with it held (they never call back). Pattern everywhere: decide and collect under the lock
// (taking references), unlock, then act.
//
// Who may call what. Every public method of AsyncWebSocket, AsyncWebSocketClient and the
// handle types may be called from any task (the loop task, async_tcp, inside any event
// callback of this server), concurrently with any network event. Event callbacks run on
// async_tcp, except a DISCONNECT caused by a call on another task (close(), closeAll(), end(),
// a full queue with setCloseClientOnQueueFull, ...), which runs on the calling task.
//
// Who owns a client. A client (AsyncWebSocketClient, twincore::heap) is reference-counted
// under _mu. References: the server's list while the client is connected or closing; the
// AsyncClient while it exists and may still be dispatched (its callbacks point at the client;
// a closed AsyncClient moved to a tomb no longer counts, see "Who frees the AsyncClient"); each
// event delivery and each operation in progress; each AsyncWebSocketClientRef. The last
// reference frees it, whoever drops it: the application never has to call cleanupClients().
// Memory: an idle connected client holds its AsyncWebSocketClient only (488 bytes on a 64-bit
// host, 376 on the ESP32); its control frames (ws::CtrlFrames), onMessage's reassembly buffer and
// its queued messages are allocated while in use (core_perf_idle_client_heap).
// Broadcasts take _mu once and touch each client once (ws_send.cpp, _sendLocked).
//  - The AsyncWebSocketClient* passed to an event callback is valid for that callback only.
//  - Keep an AsyncWebSocketClientRef (server.client(id)) to use a client later or from another
//    task: after the disconnect its methods return false / WS_DISCONNECTED. A Ref must be
//    dropped before the AsyncWebSocket is destroyed.
//
// Events. CONNECT first, DISCONNECT exactly once per CONNECT and last. Deliveries for one
// client are serialised and never nest: a disconnect detected while another event of that
// client is being delivered (on any thread, including close() called inside its DATA handler)
// is delivered by the thread finishing that delivery, right after it. Events of different
// clients may nest (textAll() inside a DATA handler may close and disconnect another client).
//
// Messages of any size (ESPAsyncWebServer's model). WS_EVT_DATA delivers each frame in chunks as
// they arrive, with an AwsFrameInfo (index = offset of the chunk in its frame, len = the frame's
// length, final, opcode, message_opcode, num): nothing is buffered, so a firmware can take a
// 1 MiB message with a few KB of heap. Text chunks are NUL-terminated (data[len] == 0 may be read
// and written, as upstream guarantees). Only the reassembling onMessage() has a size cap
// (setMaxMessageSize, checked from each frame header): with an onMessage handler set, a message
// beyond it is refused with 1009 before any of its bytes is delivered. A refused peer receives
// that Close: the core keeps reading and discarding its input until its Close frame arrives (then
// the TCP is closed) or kCloseTimeoutMs passes, instead of closing under an upload still arriving
// (which resets the connection and loses the Close). Other protocol errors (1002/1007, framing no
// longer trusted) discard all input until the peer's FIN or the same timeout.
// Streaming out: AsyncWebSocketClient::sendFragment() queues one frame of a fragmented message;
// its frames are never dropped on a full queue, other data messages for that client are dropped
// while it is open, and while its queued bytes exceed WsDefaults::kStreamHoldBytes the client's
// input is not acknowledged (AsyncClient::ackLater: the peer's TCP window closes), so echoing or
// relaying a message of any size holds bounded memory.
//
// Who frees the AsyncClient. Only async_tcp deletes it, and never while a dispatch of one of
// its callbacks may be on the stack (AsyncTCP reads the AsyncClient after onData returns).
// Whoever first "claims" the TCP side under _mu is responsible for it: the core before it
// calls close()/abort(); the network when its disconnect arrives first. A core-claimed
// AsyncClient goes to the server's graveyard after close() returns; the graveyard is drained
// at the entry and exit of every top-level network callback of this server (except the
// AsyncClient being dispatched). A network-originated disconnect deletes its own AsyncClient
// at the end of its callback. An AsyncClient the core closed inside one of its own network
// callbacks (the close handshake completing in onData, a keepalive or close timeout in onPoll, an
// ack timeout) moves, at the end of that callback, to one of the server's tombs (kTombSlots,
// inside the server object) and its client is released at once: the core heap of the last
// client to leave does not wait for the next network event (core_perf_heap_baseline_after_last_
// client). One closed from another task (close()/closeAll() completing there, cleanupClients(),
// close-on-full in a broadcast) waits with its client in the graveyard, since async_tcp may be
// dispatching to it at that moment. Bound: the graveyard holds at most the AsyncClients the core
// closed since this server's last network event. end() drains it once the network is quiet.
//
// end() / destructor. end() refuses new upgrades, closes every client (each gets its one
// DISCONNECT) and, called from outside this server's callbacks, returns only when no callback
// of this server runs or can still run and every client and AsyncClient is freed (apart from
// clients the application still holds Refs to, which are freed when they are dropped). Called
// from inside one of its own callbacks it closes everything and the teardown completes as the
// callbacks unwind. Methods called after end() are safe and report kNotRunning / false.
// begin() (after end()) accepts upgrades again. The destructor calls end() and removes the
// handler from its AsyncWebServer; it must not run inside one of the server's callbacks.
// Shutdown order inside end() (signal, wake, join, then release; docs/architecture.md L1): (1) signal: _running = false, so no upgrade
// is accepted and every send reports kNotRunning; (2) wake/drain upgrades: wait for the HTTP
// server's callbacks in progress (an upgrade that passed the check finishes and is closed in
// 3); (3) close every client: a connected peer is first sent Close 1001 "server shutting down"
// as far as its send window takes it (best effort: a peer that stopped reading just sees the
// FIN), then the TCP is closed gracefully; (4) join: network barrier and the gate, so every
// callback in flight has returned; only then (5) release: the AsyncClients are deleted.
// Tested (ws_lifecycle_test.cpp) with clients idle, mid-handshake, mid-message, mid-broadcast
// and mid-close, end() from the loop, from a non-device thread during textAll(), from a DATA
// handler (async_tcp), from a DISCONNECT on the loop task and from an HTTP handler, and with
// 100 end()/begin() restarts under load.
// Known limit: a call into this server made from inside ANOTHER server's callback on a task
// other than async_tcp (e.g. server B's DISCONNECT on the loop task calling A.textAll(), which
// closes one of A's clients) runs without A's gate, so A.end() on a third task does not wait
// for the DISCONNECT that call delivers. Do not end or destroy A while B's callbacks may still
// call into it on another task (calls made on async_tcp are covered by the network barrier).
//
// end() on another task is the one place an AsyncClient is deleted off async_tcp: only after
// every client is closed (AsyncTCP starts no dispatch for a closed client) and
// port::networkBarrier() has returned (async_tcp finished the dispatch it was in, including the
// few instructions AsyncTCP's _recv runs after onData returns), and with the gate held.
// ===================================================================================
#pragma once
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include "WString.h"

#include "AsyncTCP.h"
#include "AsyncWebServer.h"
#include "tc_net_guard.h"
#include "tc_port.h"
#include "ws_buffer.h"
#include "ws_client.h"

#ifndef DEFAULT_MAX_WS_CLIENTS
// ESPAsyncWebServer's ESP32 default; lwIP's 16 sockets also serve HTTP.
#define DEFAULT_MAX_WS_CLIENTS 8
#endif

// ESPAsyncWebServer's shared payload type (its makeSharedBuffer / message() calls): accepted by
// the overloads below, copied into the core's own framed buffer once per call.
using AsyncWebSocketSharedBuffer = std::shared_ptr<std::vector<uint8_t>>;

namespace twincore {

class AsyncWebSocket;
class AsyncWebSocketClient;

// Numeric values as in ESPAsyncWebServer 3.x (sketches index tables by them).
typedef enum : uint8_t {
  WS_EVT_CONNECT,
  WS_EVT_DISCONNECT,
  WS_EVT_PING,
  WS_EVT_PONG,
  WS_EVT_ERROR,
  WS_EVT_DATA,
} AwsEventType;

typedef enum : uint8_t { WS_DISCONNECTED, WS_CONNECTED, WS_DISCONNECTING } AwsClientStatus;

// Frame opcodes, as ESPAsyncWebServer names them (AwsFrameInfo::opcode / message_opcode).
typedef enum : uint8_t {
  WS_CONTINUATION = 0,
  WS_TEXT = 1,
  WS_BINARY = 2,
  WS_DISCONNECT = 8,
  WS_PING = 9,
  WS_PONG = 10,
} AwsFrameType;

typedef ws::FrameInfo AwsFrameInfo;

// arg/data/len per event: DATA: arg = AwsFrameInfo*, data/len = this chunk (unmasked);
// PING/PONG: data/len = the payload; ERROR: arg = uint16_t* close code, data = reason text;
// CONNECT/DISCONNECT: none.
typedef std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type,
                           void* arg, uint8_t* data, size_t len)>
    AwsEventHandler;
// A complete message (reassembled, at most maxMessageSize bytes; data is valid during the call).
typedef std::function<void(AsyncWebSocketClient* client, bool isText, const uint8_t* data, size_t len)>
    AwsMessageHandler;
typedef std::function<bool(AsyncWebServerRequest* request)> AwsHandshakeHandler;

// All WebSocket defaults in one place, each with its reason.
struct WsDefaults {
  // Largest reassembled message onMessage delivers and the parser accepts (1009 beyond).
  static constexpr size_t kMaxMessageSize = 8 * 1024;
  // After our Close frame, the peer has this long to answer before the TCP is closed.
  static constexpr uint32_t kCloseTimeoutMs = 2000;
  // Keepalive (seconds, 0 = off) for new clients; a pong (or any data) must follow a ping
  // within one period.
  static constexpr uint16_t kKeepAliveSec = 0;
  // sendFragment(): while more than this many bytes of an open fragmented message are queued to
  // a client, its input is not acknowledged (the peer pauses); acknowledged again once they
  // drain below kStreamResumeBytes. Four MSS: about one TCP window in flight either way.
  static constexpr size_t kStreamHoldBytes = 4 * 1436;
  static constexpr size_t kStreamResumeBytes = 2 * 1436;
};

// Result of a send. Broadcasts count only the clients they could reach (connected ones).
// ESPAsyncWebServer compatibility: converts to bool (true: queued to at least one client) as its
// per-client calls return, and compares with AsyncWebSocket::DISCARDED / ENQUEUED /
// PARTIALLY_ENQUEUED as its broadcasts' AsyncWebSocket::SendStatus does (result()).
struct SendStatus {
  enum Error : uint8_t { kOk = 0, kNotRunning, kNoMemory, kTooBig, kBadArgument };
  enum Result : uint8_t { DISCARDED = 0, ENQUEUED = 1, PARTIALLY_ENQUEUED = 2 };
  uint16_t queued = 0;        // clients the message was queued to
  uint16_t dropped = 0;       // clients whose queue was full: dropped for them
  uint16_t closed = 0;        // clients closed because their queue was full
  uint16_t notConnected = 0;  // targeted client unknown, closing or gone
  Error error = kOk;
  operator bool() const { return error == kOk && queued > 0; }
  Result result() const {
    if (!*this) return DISCARDED;
    return dropped + closed + notConnected ? PARTIALLY_ENQUEUED : ENQUEUED;
  }
  friend bool operator==(const SendStatus& s, Result r) { return s.result() == r; }
  friend bool operator!=(const SendStatus& s, Result r) { return s.result() != r; }
};

// A refcounted message buffer (makeBuffer()): write the payload, then send it to any number of
// clients with text()/binary()/textAll()/binaryAll(). Copyable handle; thread-safe refcount.
// Do not write to it after the first send.
class AsyncWebSocketMessageBuffer {
 public:
  AsyncWebSocketMessageBuffer() = default;
  explicit AsyncWebSocketMessageBuffer(ws::SharedBuffer* adopt) : _b(adopt) {}
  AsyncWebSocketMessageBuffer(const AsyncWebSocketMessageBuffer& o) : _b(o._b) {
    if (_b) _b->ref();
  }
  AsyncWebSocketMessageBuffer(AsyncWebSocketMessageBuffer&& o) noexcept : _b(o._b) { o._b = nullptr; }
  AsyncWebSocketMessageBuffer& operator=(AsyncWebSocketMessageBuffer o) {
    ws::SharedBuffer* t = _b;
    _b = o._b;
    o._b = t;
    return *this;
  }
  ~AsyncWebSocketMessageBuffer() {
    if (_b) _b->unref();
  }
  explicit operator bool() const { return _b != nullptr; }
  uint8_t* data() { return _b ? _b->payload() : nullptr; }
  uint8_t* get() { return data(); }
  size_t length() const { return _b ? _b->length() : 0; }
  ws::SharedBuffer* _buffer() const { return _b; }
  // ESPAsyncWebServer compatibility: `AsyncWebSocketMessageBuffer* b = ws.makeBuffer(n);` moves
  // the buffer to a heap handle (new; nullptr when out of memory) that text(b) / textAll(b) /
  // binary(b) / binaryAll(b) delete, sent or not, as upstream's do.
  operator AsyncWebSocketMessageBuffer*() && {
    AsyncWebSocketMessageBuffer* h = _b ? new (std::nothrow) AsyncWebSocketMessageBuffer() : nullptr;
    if (h) {
      h->_b = _b;
      _b = nullptr;
    }
    return h;
  }

 private:
  ws::SharedBuffer* _b = nullptr;
};

class AsyncWebSocketClient {
 public:
  uint32_t id() const { return _s.id; }
  AwsClientStatus status() const;
  IPAddress remoteIP() const { return IPAddress(_s.remoteIp); }
  uint16_t remotePort() const { return _s.remotePort; }
  AsyncWebSocket* server() const { return _s.server; }

  // Queue a message; false when not connected, the queue is full (dropped, or the client is
  // closed with setCloseClientOnQueueFull(true)) or the heap is exhausted.
  bool text(const char* message);
  bool text(const char* message, size_t len);
  bool text(const uint8_t* message, size_t len) { return text(reinterpret_cast<const char*>(message), len); }
  bool text(const std::string& message) { return text(message.data(), message.size()); }
  bool text(const AsyncWebSocketMessageBuffer& buffer);
  bool binary(const void* data, size_t len);
  bool binary(const char* message) { return binary(message, message ? std::strlen(message) : 0); }
  bool binary(const std::string& message) { return binary(message.data(), message.size()); }
  bool binary(const AsyncWebSocketMessageBuffer& buffer);
  bool ping(const uint8_t* data = nullptr, size_t len = 0);
  size_t printf(const char* format, ...) __attribute__((format(printf, 2, 3)));
  // ESPAsyncWebServer's overloads (String, flash strings, heap buffers it deletes).
  bool text(const String& message) { return text(message.c_str(), message.length()); }
  bool text(const __FlashStringHelper* message) { return text(reinterpret_cast<const char*>(message)); }
  bool text(AsyncWebSocketMessageBuffer* buffer);
  bool binary(const String& message) { return binary(message.c_str(), message.length()); }
  bool binary(const char* message, size_t len) { return binary(static_cast<const void*>(message), len); }
  bool binary(const uint8_t* message, size_t len) { return binary(static_cast<const void*>(message), len); }
  bool binary(const __FlashStringHelper* message, size_t len) { return binary(static_cast<const void*>(message), len); }
  bool binary(AsyncWebSocketMessageBuffer* buffer);
  bool text(const AsyncWebSocketSharedBuffer& buffer) {
    return buffer && text(reinterpret_cast<const char*>(buffer->data()), buffer->size());
  }
  bool binary(const AsyncWebSocketSharedBuffer& buffer) {
    return buffer && binary(static_cast<const void*>(buffer->data()), buffer->size());
  }
  // ESPAsyncWebServer's message(buffer, opcode, mask): WS_TEXT or WS_BINARY. A server never masks
  // its frames (RFC 6455 5.1): mask = true is refused (false).
  bool message(const AsyncWebSocketSharedBuffer& buffer, uint8_t opcode = WS_TEXT, bool mask = false) {
    if (mask) return false;
    return opcode == WS_TEXT ? text(buffer) : opcode == WS_BINARY ? binary(buffer) : false;
  }

  // twincore extension: one frame of a fragmented message (streaming a message of any size out,
  // e.g. echoing DATA chunks as they arrive). The first frame has opcode WS_TEXT or WS_BINARY,
  // the next ones WS_CONTINUATION; fin ends the message. Once its first frame is queued, the
  // message's frames are never dropped on a full queue; other data messages for this client are
  // dropped until it ends; while more than WsDefaults::kStreamHoldBytes of it are queued, this
  // client's input is not acknowledged (TCP flow control), which bounds the memory of an echo.
  // False: not connected, out of sequence (a continuation with no message open, or a new
  // message while one is open), the queue full at a first frame, or out of memory (the client
  // is then closed with 1011: its message cannot be completed).
  bool sendFragment(uint8_t opcode, bool fin, const uint8_t* data, size_t len);

  // Starts the close handshake (code 0: 1000). The TCP closes when the peer answers, or after
  // WsDefaults::kCloseTimeoutMs.
  void close(uint16_t code = 0, const char* message = nullptr);

  size_t queueLen() const;
  bool queueIsFull() const;
  // True when a data message can be queued and the TCP window has room.
  bool canSend() const;
  void keepAlivePeriod(uint16_t seconds);
  uint16_t keepAlivePeriod() const;
  void setCloseClientOnQueueFull(bool close);
  bool willCloseClientOnQueueFull() const;

  // ESPAsyncWebServer's per-client user pointer: the application's (never freed by the core).
  void* _tempObject = nullptr;

  // twincore: the plain per-client state (sizeof is measured by the tests).
  ws::ClientState _s;

 private:
  friend class AsyncWebSocket;
  explicit AsyncWebSocketClient(const ws::ParserLimits& limits) : _s(limits) {}
  ~AsyncWebSocketClient() = default;
};

// A counted handle on a client: safe to keep past its disconnect and to use from any task.
class AsyncWebSocketClientRef {
 public:
  AsyncWebSocketClientRef() = default;
  AsyncWebSocketClientRef(const AsyncWebSocketClientRef& o);
  AsyncWebSocketClientRef(AsyncWebSocketClientRef&& o) noexcept : _c(o._c) { o._c = nullptr; }
  AsyncWebSocketClientRef& operator=(AsyncWebSocketClientRef o) {
    AsyncWebSocketClient* t = _c;
    _c = o._c;
    o._c = t;
    return *this;
  }
  ~AsyncWebSocketClientRef() { reset(); }
  void reset();
  AsyncWebSocketClient* get() const { return _c; }
  AsyncWebSocketClient* operator->() const { return _c; }
  AsyncWebSocketClient& operator*() const { return *_c; }
  explicit operator bool() const { return _c != nullptr; }
  friend bool operator==(const AsyncWebSocketClientRef& r, std::nullptr_t) { return r._c == nullptr; }
  friend bool operator!=(const AsyncWebSocketClientRef& r, std::nullptr_t) { return r._c != nullptr; }
  // Upstream's client(id) returns a raw AsyncWebSocketClient*; keeping one is the lifetime bug
  // this core exists to prevent, so the conversion is refused with a message instead.
  template <class T, class = typename std::enable_if<std::is_same<T, AsyncWebSocketClient*>::value>::type>
  operator T() const {
    static_assert(!std::is_same<T, T>::value,
                  "twincore: ws.client(id) returns an AsyncWebSocketClientRef (a counted handle, safe "
                  "after the client disconnects): write `auto c = ws.client(id); if (c) c->text(...);` "
                  "(README, Moving from ESPAsyncWebServer)");
    return nullptr;
  }

 private:
  friend class AsyncWebSocket;
  explicit AsyncWebSocketClientRef(AsyncWebSocketClient* adoptRef) : _c(adoptRef) {}
  AsyncWebSocketClient* _c = nullptr;
};

// getClients(): the clients in the list when it was called (connected and closing), each held
// by a reference, in connect order. Iterating gives AsyncWebSocketClient& (as upstream's
// std::list<AsyncWebSocketClient>& does), valid as long as the snapshot lives, also after a
// client disconnects (its sends then return false). A client that connects later is not in it.
// `for (auto& c : ws.getClients()) c.text("x");` works unchanged; the snapshot cannot be used to
// erase or keep clients (upstream's list could, and that is where its lifetime bugs came from).
class AsyncWebSocketClientList {
 public:
  class iterator {
   public:
    explicit iterator(const AsyncWebSocketClientRef* p) : _p(p) {}
    AsyncWebSocketClient& operator*() const { return **_p; }
    AsyncWebSocketClient* operator->() const { return _p->get(); }
    iterator& operator++() {
      ++_p;
      return *this;
    }
    bool operator==(const iterator& o) const { return _p == o._p; }
    bool operator!=(const iterator& o) const { return _p != o._p; }

   private:
    const AsyncWebSocketClientRef* _p;
  };
  iterator begin() const { return iterator(_refs.data()); }
  iterator end() const { return iterator(_refs.data() + _refs.size()); }
  size_t size() const { return _refs.size(); }
  bool empty() const { return _refs.empty(); }
  AsyncWebSocketClient& front() const { return *_refs.front(); }
  AsyncWebSocketClient& back() const { return *_refs.back(); }

 private:
  friend class AsyncWebSocket;
  std::vector<AsyncWebSocketClientRef> _refs;
};

class AsyncWebSocket : public AsyncWebHandler {
 public:
  // ESPAsyncWebServer's nested AsyncWebSocket::SendStatus is this core's SendStatus (see there).
  typedef twincore::SendStatus SendStatus;
  static constexpr SendStatus::Result DISCARDED = SendStatus::DISCARDED;
  static constexpr SendStatus::Result ENQUEUED = SendStatus::ENQUEUED;
  static constexpr SendStatus::Result PARTIALLY_ENQUEUED = SendStatus::PARTIALLY_ENQUEUED;

  // handler: as onEvent(handler) (ESPAsyncWebServer's constructor).
  explicit AsyncWebSocket(const char* url, AwsEventHandler handler = nullptr);
  explicit AsyncWebSocket(const String& url, AwsEventHandler handler = nullptr)
      : AsyncWebSocket(url.c_str(), std::move(handler)) {}
  ~AsyncWebSocket() override;
  AsyncWebSocket(const AsyncWebSocket&) = delete;
  AsyncWebSocket& operator=(const AsyncWebSocket&) = delete;

  const char* url() const { return _url.c_str(); }
  // Handlers: may be replaced at any time; a delivery in progress finishes with the old one.
  void onEvent(AwsEventHandler handler);
  void onMessage(AwsMessageHandler handler);
  // Called during the upgrade; false answers 401.
  void handleHandshake(AwsHandshakeHandler handler);
  // Subprotocols the server speaks, in order of preference (the first the client offers wins).
  void addProtocol(const char* name);

  void setMaxMessageSize(size_t bytes);
  size_t maxMessageSize() const;
  // Upgrades beyond this many clients (connected or closing) are answered 503.
  void setMaxClients(size_t n);
  // Defaults for clients connecting afterwards.
  void setKeepAlivePeriod(uint16_t seconds);
  void setCloseClientOnQueueFull(bool close);

  void begin();  // after end(): accept upgrades again (a new server is running from the start)
  void end();
  bool running() const;
  // ESPAsyncWebServer: a disabled server does not take upgrades (the request goes to the next
  // handler, or 404); connected clients are unaffected.
  void enable(bool e);
  bool enabled() const;

  size_t count() const;  // connected clients (not counting closing ones)
  AsyncWebSocketClientRef client(uint32_t id);
  bool hasClient(uint32_t id) const;

  SendStatus text(uint32_t id, const char* message);
  SendStatus text(uint32_t id, const char* message, size_t len);
  SendStatus text(uint32_t id, const std::string& message) { return text(id, message.data(), message.size()); }
  SendStatus text(uint32_t id, const AsyncWebSocketMessageBuffer& buffer);
  SendStatus binary(uint32_t id, const void* data, size_t len);
  SendStatus binary(uint32_t id, const AsyncWebSocketMessageBuffer& buffer);
  SendStatus ping(uint32_t id, const uint8_t* data = nullptr, size_t len = 0);
  SendStatus close(uint32_t id, uint16_t code = 0, const char* message = nullptr);
  size_t printf(uint32_t id, const char* format, ...) __attribute__((format(printf, 3, 4)));

  SendStatus textAll(const char* message);
  SendStatus textAll(const char* message, size_t len);
  SendStatus textAll(const std::string& message) { return textAll(message.data(), message.size()); }
  SendStatus textAll(const AsyncWebSocketMessageBuffer& buffer);
  SendStatus binaryAll(const void* data, size_t len);
  SendStatus binaryAll(const AsyncWebSocketMessageBuffer& buffer);
  SendStatus pingAll(const uint8_t* data = nullptr, size_t len = 0);
  SendStatus closeAll(uint16_t code = 0, const char* message = nullptr);
  size_t printfAll(const char* format, ...) __attribute__((format(printf, 2, 3)));

  // ESPAsyncWebServer's overloads (String, uint8_t*, flash strings, heap buffers they delete).
  SendStatus text(uint32_t id, const uint8_t* message, size_t len) {
    return text(id, reinterpret_cast<const char*>(message), len);
  }
  SendStatus text(uint32_t id, const String& message) { return text(id, message.c_str(), message.length()); }
  SendStatus text(uint32_t id, const __FlashStringHelper* message) {
    return text(id, reinterpret_cast<const char*>(message));
  }
  SendStatus text(uint32_t id, AsyncWebSocketMessageBuffer* buffer);
  SendStatus binary(uint32_t id, const char* message) {
    return binary(id, message, message ? std::strlen(message) : 0);
  }
  SendStatus binary(uint32_t id, const String& message) { return binary(id, message.c_str(), message.length()); }
  SendStatus binary(uint32_t id, AsyncWebSocketMessageBuffer* buffer);
  SendStatus textAll(const uint8_t* message, size_t len) {
    return textAll(reinterpret_cast<const char*>(message), len);
  }
  SendStatus textAll(const String& message) { return textAll(message.c_str(), message.length()); }
  SendStatus textAll(const __FlashStringHelper* message) { return textAll(reinterpret_cast<const char*>(message)); }
  SendStatus textAll(AsyncWebSocketMessageBuffer* buffer);
  SendStatus binaryAll(const char* message) { return binaryAll(message, message ? std::strlen(message) : 0); }
  SendStatus binaryAll(const String& message) { return binaryAll(message.c_str(), message.length()); }
  SendStatus binaryAll(const __FlashStringHelper* message, size_t len) {
    return binaryAll(static_cast<const void*>(message), len);
  }
  SendStatus binaryAll(AsyncWebSocketMessageBuffer* buffer);
  SendStatus text(uint32_t id, const AsyncWebSocketSharedBuffer& buffer) {
    return buffer ? text(id, reinterpret_cast<const char*>(buffer->data()), buffer->size()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  }
  SendStatus binary(uint32_t id, const AsyncWebSocketSharedBuffer& buffer) {
    return buffer ? binary(id, buffer->data(), buffer->size()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  }
  SendStatus textAll(const AsyncWebSocketSharedBuffer& buffer) {
    return buffer ? textAll(reinterpret_cast<const char*>(buffer->data()), buffer->size()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  }
  SendStatus binaryAll(const AsyncWebSocketSharedBuffer& buffer) {
    return buffer ? binaryAll(buffer->data(), buffer->size()) : SendStatus{0, 0, 0, 0, SendStatus::kBadArgument};
  }
  // The clients now, each held by a reference (see AsyncWebSocketClientList).
  AsyncWebSocketClientList getClients() const;

  // Closes the oldest connected clients while more than maxClients are connected; clients
  // stuck closing past their timeout are reset.
  void cleanupClients(uint16_t maxClients = DEFAULT_MAX_WS_CLIENTS);
  bool availableForWrite(uint32_t id) const;
  bool availableForWriteAll() const;

  // A buffer of len bytes (one more, zeroed, follows them: `serializeJson(doc, (char*)b->get(),
  // len + 1)` as upstream examples write stays in bounds). ESPAsyncWebServer's default len is 0.
  AsyncWebSocketMessageBuffer makeBuffer(size_t len = 0);
  AsyncWebSocketMessageBuffer makeBuffer(const uint8_t* data, size_t len);

  struct Stats {
    uint32_t clients;          // in the list (connected + closing)
    uint32_t connected;
    uint32_t liveObjects;      // client objects not yet freed (incl. user-held refs)
    uint32_t graveyard;        // AsyncClients awaiting deletion
    uint32_t queuedMessages;   // sum of data queue depths
    uint32_t maxQueueDepth;    // deepest data queue now
    uint32_t events[6];        // delivered, by AwsEventType
    uint32_t dropped;          // messages dropped on a full queue
    uint32_t closedOnFull;     // clients closed on a full queue
    uint32_t protocolErrors;   // peers closed with 1002/1007/1009
    uint32_t rejected;         // upgrades refused (400/401/503)
    uint32_t allocFailures;
    size_t heapHeld;           // twincore::heap::held() (all servers of the process)
  };
  Stats stats() const;

  // AsyncWebHandler
  bool canHandle(AsyncWebServerRequest* request) const override;
  void handleRequest(AsyncWebServerRequest* request) override;
  void _attached(AsyncWebServer* s) override;
  void _detached(AsyncWebServer* s) override;
  bool _ownedByServer() const override { return false; }  // the application's (a global)

  // --- internals (public for the trampolines and handle types; not for user code) ---
  typedef ws::ClientState Client;
  static void _acData(void* arg, AsyncClient* ac, void* data, size_t len);
  static void _acAck(void* arg, AsyncClient* ac, size_t len, uint32_t time);
  static void _acPoll(void* arg, AsyncClient* ac);
  static void _acTimeout(void* arg, AsyncClient* ac, uint32_t time);
  static void _acError(void* arg, AsyncClient* ac, int8_t error);
  static void _acDisconnect(void* arg, AsyncClient* ac);
  void _ref(Client* c);
  void _unref(Client* c);
  bool _clientSend(Client* c, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf);
  bool _clientFragment(Client* c, uint8_t opcode, bool fin, const void* data, size_t len);
  bool _clientPing(Client* c, const uint8_t* data, size_t len);
  void _clientClose(Client* c, uint16_t code, const char* message);

  struct Receiver;
  struct RxMark;

 private:
  friend class AsyncWebSocketClient;
  friend class AsyncWebSocketClientRef;
  // A handler shared with the callbacks running it: the slot (_onEvent, ...) holds one reference
  // and each running callback one (_takeBox), so replacing a handler never frees it under a
  // callback; the last reference frees it.
  template <class F>
  struct Box {
    uint32_t refs;  // _mu
    F fn;
  };
  typedef Box<AwsEventHandler> EventBox;
  typedef Box<AwsMessageHandler> MessageBox;
  typedef Box<AwsHandshakeHandler> HandshakeBox;
  template <class B>
  void _setBox(B*& slot, B* fresh);
  template <class B>
  B* _takeBox(B* slot);  // under _mu
  template <class B>
  void _dropBox(B* b);   // takes _mu

  static AsyncWebSocketClient* _wrap(Client* c) {
    return reinterpret_cast<AsyncWebSocketClient*>(reinterpret_cast<char*>(c) - offsetof(AsyncWebSocketClient, _s));
  }
  void _unrefLocked(Client* c);
  void _destroy(Client* c);
  Client* _findLocked(uint32_t id) const;
  // The per-id calls' entry: under _mu, the connected client `id` with a reference taken (the
  // caller drops it with _unref), or null with st.error = kNotRunning / st.notConnected = 1 set.
  Client* _refById(uint32_t id, SendStatus& st);
  void _drain(AsyncClient* except, bool exiting = false);
  bool _entombLocked(Client* c);
  void _buryTombs(AsyncClient* except);
  void _closeTcp(Client* c, bool abort);
  void _tcpDown(Client* c);
  bool _beginEvent(Client* c);
  void _endEvent(Client* c);
  void _emit(Client* c, AwsEventType t, void* arg, uint8_t* data, size_t len);
  bool _enqueueLocked(Client* c, ws::SharedBuffer* buf, SendStatus& st);
  bool _flushLocked(Client* c);  // true: the TCP should now be closed
  bool _sendLocked(Client* c, ws::SharedBuffer* b, SendStatus& st);  // true: close the TCP
  bool _queueCloseLocked(Client* c, uint16_t code, const char* reason, size_t reasonLen);
  void _clearQueuesLocked(Client* c);
  void _rx(Client* c, uint8_t* data, size_t len);
  void _afterOp(Client* c, bool closeTcp);
  SendStatus _sendTo(uint32_t id, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf);
  SendStatus _send(Client* c, uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf);
  SendStatus _broadcast(uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf);
  ws::SharedBuffer* _framed(uint8_t opcode, const void* data, size_t len, ws::SharedBuffer* buf);
  size_t _vprintf(uint32_t id, bool all, const char* format, va_list ap);
  void _upgradeFail(AsyncWebServerRequest* r, int code, const char* version);  // version: Sec-WebSocket-Version
  void _closeBatch(Client** list, size_t n);

  const std::string _url;
  mutable port::Mutex _mu;
  NetGuard _guard;
  // --- _mu ---
  bool _running = true;
  // A broadcast is inside a port::NetBatch (only add/send/space/state may reach AsyncTCP): a
  // stream's read resume (ack) found due meanwhile waits for the batch's end (_ackDeferred).
  bool _inNetBatch = false, _ackDeferred = false;
  bool _enabled = true;
  Client* _head = nullptr;  // list, connect order
  Client* _tail = nullptr;
  Client* _grave = nullptr;
  // Tombs: closed AsyncClients awaiting deletion whose client is already released (_entombLocked),
  // so a server whose last client has left holds no core heap while its AsyncClient waits for the
  // next safe point. Deleted where the graveyard is (_drain, end()). When all are taken, the
  // client itself waits in the graveyard, as before.
  static constexpr uint8_t kTombSlots = 8;
  AsyncClient* _tombs[kTombSlots] = {};
  uint8_t _tombCount = 0;
  uint32_t _inList = 0;
  uint32_t _reserved = 0;  // upgrades holding a slot, not yet in the list
  uint32_t _nextId = 1;
  uint32_t _live = 0;
  EventBox* _onEvent = nullptr;
  MessageBox* _onMessage = nullptr;
  HandshakeBox* _onHandshake = nullptr;
  std::string _protocols;  // comma-separated
  size_t _maxMessage = WsDefaults::kMaxMessageSize;
  size_t _maxClients = DEFAULT_MAX_WS_CLIENTS;
  uint16_t _keepAlive = WsDefaults::kKeepAliveSec;
  bool _closeOnFull = false;
  AsyncWebServer* _httpServer = nullptr;
  uint32_t _events[6] = {0, 0, 0, 0, 0, 0};
  uint32_t _dropped = 0, _closedOnFull = 0, _protocolErrors = 0, _rejected = 0, _allocFailures = 0;
};

}  // namespace twincore

using twincore::AsyncWebSocket;
using twincore::AsyncWebSocketClient;
using twincore::AsyncWebSocketClientRef;
using twincore::AsyncWebSocketMessageBuffer;
using twincore::AsyncWebSocketClientList;
using twincore::AwsClientStatus;
using twincore::AwsFrameType;
using twincore::WS_BINARY;
using twincore::WS_CONTINUATION;
using twincore::WS_DISCONNECT;
using twincore::WS_PING;
using twincore::WS_PONG;
using twincore::WS_TEXT;
using twincore::AwsEventHandler;
using twincore::AwsEventType;
using twincore::AwsFrameInfo;
using twincore::AwsHandshakeHandler;
using twincore::AwsMessageHandler;
using twincore::SendStatus;
using twincore::WS_CONNECTED;
using twincore::WS_DISCONNECTED;
using twincore::WS_DISCONNECTING;
using twincore::WS_EVT_CONNECT;
using twincore::WS_EVT_DATA;
using twincore::WS_EVT_DISCONNECT;
using twincore::WS_EVT_ERROR;
using twincore::WS_EVT_PING;
using twincore::WS_EVT_PONG;
