// AsyncTCP.h (twin): the ESP32 AsyncTCP 3.x API, implemented over libuv on the desktop.
//
// Code written for the board (ESP32Async/AsyncTCP 3.x) compiles against this header unchanged:
// the class names, members, callback signatures and write flags are the same. Only the
// internals differ: a `twin::Conn` (a libuv TCP handle owned by the device's async_tcp thread)
// stands where AsyncTCP keeps an lwIP `tcp_pcb`.
//
// Threads (the same rules as on the board):
//  - Network events (data, ack, poll, ack timeout, rx timeout, remote FIN/RST, errors, accepted
//    connections) are delivered only on the device's "async_tcp" thread, one at a time.
//  - close() runs the disconnect callback synchronously on the caller's thread, before it
//    returns. abort() runs the error callback (ERR_ABRT) and then the disconnect callback,
//    synchronously. After either, no further callback of that client runs.
//  - add(), send(), write(), ack(), space() and the setters may be called from any device
//    thread; they never run a callback. A write that fails because the peer is gone is
//    reported later, on async_tcp, as onError + onDisconnect.
//  - As in AsyncTCP, the dispatch of onData reads the AsyncClient's members after the
//    callback returns: deleting an AsyncClient inside its own onData (or inside a callback
//    nested in it) is a use-after-free here exactly as on the board. Deleting it inside its
//    onDisconnect is safe when the disconnect came from the network or from close()/abort()
//    called outside its other callbacks.
//
// Lifetime: an AsyncClient handed to AsyncServer::onClient is the application's: it deletes
// it (typically from its onDisconnect). ~AsyncClient on a connected client closes it first
// (running the disconnect callback), as AsyncTCP does. An AsyncServer must be ended (or
// destroyed) before its device stops.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "IPAddress.h"

#ifndef CONFIG_ASYNC_TCP_MAX_ACK_TIME
#define CONFIG_ASYNC_TCP_MAX_ACK_TIME 5000
#endif
#ifndef CONFIG_ASYNC_TCP_RUNNING_CORE
#define CONFIG_ASYNC_TCP_RUNNING_CORE -1
#endif

// lwIP err_t values AsyncTCP reports.
#ifndef ERR_OK
#define ERR_OK 0
#define ERR_MEM -1
#define ERR_BUF -2
#define ERR_TIMEOUT -3
#define ERR_RTE -4
#define ERR_INPROGRESS -5
#define ERR_VAL -6
#define ERR_WOULDBLOCK -7
#define ERR_USE -8
#define ERR_ALREADY -9
#define ERR_ISCONN -10
#define ERR_CONN -11
#define ERR_IF -12
#define ERR_ABRT -13
#define ERR_RST -14
#define ERR_CLSD -15
#define ERR_ARG -16
#endif

// lwIP tcp_state values returned by AsyncClient::state() and AsyncServer::status().
enum tcp_state {
  CLOSED = 0,
  LISTEN = 1,
  SYN_SENT = 2,
  SYN_RCVD = 3,
  ESTABLISHED = 4,
  FIN_WAIT_1 = 5,
  FIN_WAIT_2 = 6,
  CLOSE_WAIT = 7,
  CLOSING = 8,
  LAST_ACK = 9,
  TIME_WAIT = 10
};

class AsyncClient;

#define ASYNC_WRITE_FLAG_COPY 0x01  // copy the data (the twin always copies)
#define ASYNC_WRITE_FLAG_MORE 0x02  // more data follows: do not push yet

typedef std::function<void(void*, AsyncClient*)> AcConnectHandler;
typedef std::function<void(void*, AsyncClient*, size_t len, uint32_t time)> AcAckHandler;
typedef std::function<void(void*, AsyncClient*, int8_t error)> AcErrorHandler;
typedef std::function<void(void*, AsyncClient*, void* data, size_t len)> AcDataHandler;
typedef std::function<void(void*, AsyncClient*, uint32_t time)> AcTimeoutHandler;

namespace twin {
struct Conn;
class Device;
struct Access;  // the twin's own access to AsyncClient/AsyncServer internals
}  // namespace twin

class AsyncClient {
 public:
  // The twin creates clients for accepted connections; AsyncClient() makes an unconnected one
  // (client-side connect() is not part of the twin: it returns false).
  AsyncClient();
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;
  bool operator==(const AsyncClient& other) const { return this == &other; }
  bool operator!=(const AsyncClient& other) const { return this != &other; }

  bool connect(const IPAddress& ip, uint16_t port);
  bool connect(const char* host, uint16_t port);

  // Closes gracefully (FIN after queued data); runs onDisconnect before returning.
  void close(bool now = false);
  void stop() { close(false); }
  // Resets the connection (RST); runs onError(ERR_ABRT) then onDisconnect before returning.
  int8_t abort();
  bool free();

  // True when no sent data waits for an acknowledgement.
  bool canSend();
  // The TCP send window left: the profile's window minus bytes added and not yet acknowledged
  // by the peer. 0 when not connected.
  size_t space();
  // Queues up to space() bytes; returns how many were taken. Never runs a callback.
  size_t add(const char* data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  // Pushes what add() queued. Never runs a callback. False when not connected.
  bool send();
  size_t write(const char* data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  size_t write(const char* data) { return data == nullptr ? 0 : write(data, std::strlen(data)); }

  uint8_t state();
  bool connecting();
  bool connected();
  bool disconnecting();
  bool disconnected();
  bool freeable();

  uint16_t getMss();
  uint32_t getRxTimeout();
  // No received data for this many seconds closes the connection (0: never).
  void setRxTimeout(uint32_t timeout);
  uint32_t getAckTimeout();
  // Sent data unacknowledged for this many milliseconds runs onTimeout (0: never).
  void setAckTimeout(uint32_t timeout);
  void setNoDelay(bool nodelay);
  bool getNoDelay();
  void setKeepAlive(uint32_t ms, uint8_t cnt);

  uint32_t getRemoteAddress();
  uint16_t getRemotePort();
  uint32_t getLocalAddress();
  uint16_t getLocalPort();
  IPAddress remoteIP();
  uint16_t remotePort();
  IPAddress localIP();
  uint16_t localPort();

  void onConnect(AcConnectHandler cb, void* arg = nullptr);
  void onDisconnect(AcConnectHandler cb, void* arg = nullptr);
  void onAck(AcAckHandler cb, void* arg = nullptr);
  void onError(AcErrorHandler cb, void* arg = nullptr);
  void onData(AcDataHandler cb, void* arg = nullptr);
  void onTimeout(AcTimeoutHandler cb, void* arg = nullptr);
  void onPoll(AcConnectHandler cb, void* arg = nullptr);

  // Acknowledges received bytes held back with ackLater(); reopens the receive window.
  size_t ack(size_t len);
  // Call from onData: do not acknowledge the current data now (the receive window shrinks).
  void ackLater() { _ack_pcb = false; }

  static const char* errorToString(int8_t error);
  const char* stateToString();

  // Twin internals (the counterpart of AsyncTCP's private callbacks). Not for user code.
  // All run on the async_tcp thread.
  void _recv(uint8_t* data, size_t len);
  void _sent(size_t len);
  void _poll();
  void _fin();
  void _error(int8_t err);

 protected:
  friend class AsyncServer;
  friend struct twin::Access;
  int8_t _close();
  // Detaches this client from its connection (under the net mutex) and closes the socket (FIN,
  // or RST when `reset`) on async_tcp: now when called there, else posted. False when it had none.
  bool _detachAndClose(bool reset);

  // Guarded by the device's net mutex; null once closed (like AsyncTCP's _pcb).
  twin::Conn* _conn = nullptr;
  twin::Device* _device = nullptr;

  AcConnectHandler _connect_cb;
  void* _connect_cb_arg = nullptr;
  AcConnectHandler _discard_cb;
  void* _discard_cb_arg = nullptr;
  AcAckHandler _sent_cb;
  void* _sent_cb_arg = nullptr;
  AcErrorHandler _error_cb;
  void* _error_cb_arg = nullptr;
  AcDataHandler _recv_cb;
  void* _recv_cb_arg = nullptr;
  AcTimeoutHandler _timeout_cb;
  void* _timeout_cb_arg = nullptr;
  AcConnectHandler _poll_cb;
  void* _poll_cb_arg = nullptr;

  bool _ack_pcb = true;
  uint32_t _tx_last_packet = 0;
  uint32_t _rx_ack_len = 0;
  uint32_t _rx_last_packet = 0;
  uint32_t _rx_timeout = 0;
  uint32_t _rx_last_ack = 0;
  uint32_t _ack_timeout = CONFIG_ASYNC_TCP_MAX_ACK_TIME;

 public:
  AsyncClient* prev = nullptr;
  AsyncClient* next = nullptr;
};

namespace twin {
struct Listener;
}

class AsyncServer {
 public:
  // The twin binds 127.0.0.1. The device maps the firmware's port to a host port (see
  // twin::Profile::portMap): the board's port 80 is usually an ephemeral port on the desktop.
  AsyncServer(IPAddress addr, uint16_t port);
  explicit AsyncServer(uint16_t port);
  ~AsyncServer();
  AsyncServer(const AsyncServer&) = delete;
  AsyncServer& operator=(const AsyncServer&) = delete;

  // The handler runs on async_tcp for each accepted connection and owns the AsyncClient.
  void onClient(AcConnectHandler cb, void* arg);
  // Starts listening. Call from a device thread. On failure status() stays CLOSED.
  void begin();
  // Stops listening; returns once the listening socket is closed and no onClient callback is
  // running or can still run. Accepted clients are not affected (as in AsyncTCP).
  void end();
  void setNoDelay(bool nodelay);
  bool getNoDelay();
  // LISTEN while listening, CLOSED otherwise.
  uint8_t status();
  // Twin extension: the host port actually bound (0 when not listening).
  uint16_t boundPort();

 protected:
  uint16_t _port;
  IPAddress _addr;
  bool _noDelay = false;
  twin::Listener* _listener = nullptr;  // owned by the device; guarded by its net mutex
  twin::Device* _device = nullptr;
  AcConnectHandler _connect_cb;
  void* _connect_cb_arg = nullptr;
  friend struct twin::Access;
};
