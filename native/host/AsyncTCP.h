// AsyncTCP.h (twin): the ESP32 AsyncTCP 3.x API (ESP32Async/AsyncTCP 3.5.0), implemented over
// libuv on the desktop.
//
// Code written for the board compiles against this header unchanged: every public member of
// AsyncClient and AsyncServer has the board's signature and constness, and the callback types,
// write flags, CONFIG_ASYNC_TCP_* settings, lwIP types (ip_addr_t, struct pbuf, err_t codes,
// tcp_state) and version macros are the same. Only the internals differ: a `twin::Conn` (a libuv
// TCP handle owned by the device's async_tcp thread) stands where AsyncTCP keeps an lwIP `tcp_pcb`.
//
// The network: the twin's network is the host's IPv4 loopback, standing for the LAN.
//  - AsyncServer listens on 127.0.0.1 whatever address it is given; the device maps the
//    firmware's port to a host port (twin::Profile::hostPort; usually ephemeral).
//  - AsyncClient::connect reaches 127.x.y.z addresses only. A port the firmware itself listens
//    on (its own port 80, say) reaches its own listener; other ports reach the host's loopback
//    (a server the test or harness runs). Any other address fails: connect() returns false, as
//    lwIP's tcp_connect does without a route. Host names: "localhost" and dotted IPv4 literals
//    resolve at once (as lwIP's dns_gethostbyname does); every other name is looked up
//    asynchronously and fails, reported on async_tcp as onError(-55) ("DNS failed") then
//    onDisconnect, as AsyncTCP reports a failed lookup. A refused connection reports
//    onError(ERR_RST) then onDisconnect (lwIP's answer to a RST in SYN_SENT); a connect that
//    times out reports ERR_ABRT.
//  - While the device's network is down (twin::setNetworkUp), connect() to an address (and to
//    "localhost" or a literal) returns false; other names still fail later with -55. Listeners
//    refuse new connections meanwhile (twin.h).
//  - IPv6: the twin's network has none. connect(ip_addr_t) of an IPv6 address returns false;
//    getRemoteAddress6()/getLocalAddress6() return the zero address; remoteIP6()/localIP6()
//    return what remoteIP()/localIP() return (the board's from_ip_addr_t of an IPv4 connection),
//    or IPAddress() when not connected. The IPv6Address overloads exist only with an
//    <IPv6Address.h> (Arduino core 2.x), which the twin, like core 3.x, does not have.
//
// Threads (the same rules as on the board):
//  - Network events (connect, data, ack, poll, ack timeout, rx timeout, remote FIN/RST, errors,
//    accepted connections, failed lookups) are delivered only on the device's "async_tcp"
//    thread, one at a time.
//  - close() runs the disconnect callback synchronously on the caller's thread, before it
//    returns. abort() runs the error callback (ERR_ABRT) and then the disconnect callback,
//    synchronously. After either, no further callback of that client runs.
//  - connect(), add(), send(), write(), ack(), ackPacket(), space() and the setters may be called
//    from any device thread; they never run a callback. connect() waits for async_tcp to start
//    the connection (as AsyncTCP waits for lwIP's tcpip thread). A write that fails because the
//    peer is gone is reported later, on async_tcp, as onError + onDisconnect.
//  - As in AsyncTCP, the dispatch of onData reads the AsyncClient's members after the
//    callback returns: deleting an AsyncClient inside its own onData (or inside a callback
//    nested in it) is a use-after-free here exactly as on the board. Deleting it inside its
//    onDisconnect is safe when the disconnect came from the network or from close()/abort()
//    called outside its other callbacks.
//
// Where the twin differs from AsyncTCP 3.5.0 on purpose (each a board bug or an lwIP detail the
// twin cannot have):
//  - A connecting client (SYN sent) is attached to its connection at once: state() is SYN_SENT,
//    connecting() true, connect() again returns false, and close()/abort()/~AsyncClient cancel
//    the attempt (running onDisconnect; abort also onError(ERR_ABRT)). AsyncTCP leaves _pcb null
//    until connected, so there a close() while connecting is lost and onConnect may later run
//    on a deleted client. A pending host-name lookup likewise makes connect() return false and
//    is cancelled by close()/abort()/~AsyncClient.
//  - AsyncClient(tcp_pcb*) with a non-null pcb: the twin has no lwIP pcbs for firmware to own;
//    the client is logged as an error and stays unconnected. pcb() returns an opaque non-null
//    handle while the client has a connection (for comparisons), null otherwise; tcp_pcb stays an
//    incomplete type, so lwIP's raw tcp_* API on it does not compile.
//  - setKeepAlive() on a client without a connection does nothing (AsyncTCP dereferences a null
//    pcb). With one it sets the socket's keepalive (idle = interval = ms, rounded up to whole
//    seconds; cnt probes).
//  - The CONFIG_ASYNC_TCP_* task settings (stack, priority, queue size, watchdog) have no effect:
//    the twin has no event queue (libuv callbacks dispatch directly) and its async_tcp is a
//    thread. Single or dual core comes from twin::Profile::dualCore. The ack timeout of a client
//    made for a device is twin::Profile::ackTimeoutMs; CONFIG_ASYNC_TCP_MAX_ACK_TIME only for a
//    client made where there is no device.
//  - onPacket pbufs are heap copies of the received segment (twin: lwip/pbuf.h).
//
// Lifetime: an AsyncClient handed to AsyncServer::onClient is the application's: it deletes
// it (typically from its onDisconnect). ~AsyncClient on a connected or connecting client closes
// it first (running the disconnect callback), as AsyncTCP does for a connected one. An
// AsyncServer must be ended (or destroyed) before its device stops. AsyncClient and AsyncServer
// belong to the device of the thread that makes them (twin::contextDevice()); a client made
// where there is none (a global of a sketch, before main) joins the device of the thread that
// first calls connect().
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "AsyncTCPVersion.h"
#define ASYNCTCP_FORK_ESP32Async

#include "IPAddress.h"
#include "lwip/err.h"
#include "lwip/ip6_addr.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcpbase.h"
#if __has_include("sdkconfig.h")
#include "sdkconfig.h"
#endif
#if __has_include("freertos/semphr.h")
#include "freertos/semphr.h"
#endif

// Which core async_tcp runs on: -1 any (the twin: twin::Profile::dualCore decides).
#ifndef CONFIG_ASYNC_TCP_RUNNING_CORE
#define CONFIG_ASYNC_TCP_RUNNING_CORE -1
#endif
// Watchdog on the async_tcp task (no effect in the twin).
#ifndef CONFIG_ASYNC_TCP_USE_WDT
#define CONFIG_ASYNC_TCP_USE_WDT 1
#endif
// Stack of the async_tcp task in bytes (no effect in the twin).
#ifndef CONFIG_ASYNC_TCP_STACK_SIZE
#define CONFIG_ASYNC_TCP_STACK_SIZE 8192 * 2
#endif
// Priority of the async_tcp task (no effect in the twin).
#ifndef CONFIG_ASYNC_TCP_PRIORITY
#define CONFIG_ASYNC_TCP_PRIORITY 10
#endif
// Length of AsyncTCP's event queue (the twin has none).
#ifndef CONFIG_ASYNC_TCP_QUEUE_SIZE
#define CONFIG_ASYNC_TCP_QUEUE_SIZE 64
#endif
// Default ack timeout in ms (the twin: twin::Profile::ackTimeoutMs for clients of a device).
#ifndef CONFIG_ASYNC_TCP_MAX_ACK_TIME
#define CONFIG_ASYNC_TCP_MAX_ACK_TIME 5000
#endif

class AsyncClient;

// Copy the data into the connection's buffer. Without it add() keeps a reference, as lwIP's
// tcp_write does: the caller keeps the bytes valid and unchanged until onAck has reported them.
#define ASYNC_WRITE_FLAG_COPY 0x01
#define ASYNC_WRITE_FLAG_MORE 0x02  // more data follows: do not push yet

typedef std::function<void(void*, AsyncClient*)> AcConnectHandler;
typedef std::function<void(void*, AsyncClient*, size_t len, uint32_t time)> AcAckHandler;
typedef std::function<void(void*, AsyncClient*, int8_t error)> AcErrorHandler;
typedef std::function<void(void*, AsyncClient*, void* data, size_t len)> AcDataHandler;
typedef std::function<void(void*, AsyncClient*, struct pbuf* pb)> AcPacketHandler;
typedef std::function<void(void*, AsyncClient*, uint32_t time)> AcTimeoutHandler;

struct tcp_pcb;  // lwIP's connection; incomplete in the twin (see above)

namespace twin {
struct Conn;
class Device;
struct Access;  // the twin's own access to AsyncClient/AsyncServer internals
}  // namespace twin

class AsyncClient {
 public:
  // An unconnected client (a non-null pcb: see the header comment).
  AsyncClient(tcp_pcb* pcb = 0);
  ~AsyncClient();

  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;
  AsyncClient(AsyncClient&&) = delete;
  AsyncClient& operator=(AsyncClient&&) = delete;

  // As AsyncTCP: equal when both have the same connection (two unconnected clients are equal).
  bool operator==(const AsyncClient& other) const;
  bool operator!=(const AsyncClient& other) const { return !(*this == other); }

  // Starts connecting; onConnect (or onError + onDisconnect) follows on async_tcp. False, with no
  // callback, when the client already has a connection or a lookup, the address is not reachable
  // (see the header comment), the network is down, or the device has no free connection
  // (twin::Profile::maxConnections counts client connections too, as each needs an lwIP pcb).
  bool connect(ip_addr_t addr, uint16_t port);
  bool connect(const IPAddress& ip, uint16_t port);
  // "localhost" and IPv4 literals connect as connect(IPAddress); other names return true and
  // fail on async_tcp with onError(-55) + onDisconnect. False for a null, empty or over-long
  // (> 255) name, an IPv6 literal, or when connect(IPAddress) would return false.
  bool connect(const char* host, uint16_t port);

  [[deprecated("Use AsyncClient::close() instead")]] void close(bool now) {
    (void)now;  // ignored, as in AsyncTCP
    close();
  }
  [[deprecated("Use AsyncClient::close() instead")]] void stop() { close(); }

  // Closes gracefully (FIN after queued data), or cancels a connect/lookup; runs onDisconnect
  // before returning. Nothing when the client has no connection.
  void close();
  // Resets the connection (RST); runs onError(ERR_ABRT) then onDisconnect before returning and
  // returns ERR_ABRT. ERR_CONN (no callback) when the client has no connection.
  int8_t abort();
  // True when the client has no connection or it is closing.
  bool free();

  // True when space() > 0.
  bool canSend() const;
  // The TCP send window left: the profile's window minus bytes added and not yet acknowledged
  // by the peer. 0 when not connected.
  size_t space() const;
  // Queues up to space() bytes (copied with ASYNC_WRITE_FLAG_COPY, else referenced: see the
  // flag); returns how many were taken. Never runs a callback.
  size_t add(const char* data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  // Pushes what add() queued. Never runs a callback. False when not connected. The twin writes
  // everything added to a connection during one turn of async_tcp (a callback) or one pass of
  // the loop task with one system call, at the end of that turn or pass (or when the loop task
  // blocks, or finds the window full), as lwIP's tcp_output coalesces queued segments.
  bool send();
  size_t write(const char* data, size_t size, uint8_t apiflags = ASYNC_WRITE_FLAG_COPY);
  size_t write(const char* data) { return data == NULL ? 0 : write(data, strlen(data)); }

  // CLOSED without a connection, SYN_SENT while connecting, ESTABLISHED when connected.
  uint8_t state() const;
  bool connecting() const;
  bool connected() const;
  bool disconnecting() const;
  bool disconnected() const;
  // Disconnected or disconnecting.
  bool freeable() const;

  // The profile's MSS when connected, else 0.
  uint16_t getMss() const;

  uint32_t getRxTimeout() const;
  // No received data for this many seconds closes the connection (0: never).
  void setRxTimeout(uint32_t timeout);
  uint32_t getAckTimeout() const;
  // Sent data unacknowledged for this many milliseconds runs onTimeout (0: never).
  void setAckTimeout(uint32_t timeout);
  void setNoDelay(bool nodelay) const;
  bool getNoDelay();
  // TCP keepalive: idle time and probe interval ms (0: off), cnt unanswered probes reset it.
  void setKeepAlive(uint32_t ms, uint8_t cnt);

  // Addresses of the connection (0 / zero / IPAddress() without one); IPv4 in network byte order.
  uint32_t getRemoteAddress() const;
  uint16_t getRemotePort() const;
  uint16_t remotePort() const { return getRemotePort(); }
  uint32_t getLocalAddress() const;
  uint16_t getLocalPort() const;
  uint16_t localPort() const { return getLocalPort(); }
  ip4_addr_t getRemoteAddress4() const;
  ip4_addr_t getLocalAddress4() const;
#if LWIP_IPV6
  ip6_addr_t getRemoteAddress6() const;
  ip6_addr_t getLocalAddress6() const;
  IPAddress remoteIP6() const;
  IPAddress localIP6() const;
#endif
  IPAddress remoteIP() const;
  IPAddress localIP() const;

  // Callback setters. Call them before connect() or, for accepted clients, in onClient; the
  // callbacks run on async_tcp (onDisconnect also inside close(), onError inside abort()).
  void onConnect(AcConnectHandler cb, void* arg = 0);
  void onDisconnect(AcConnectHandler cb, void* arg = 0);
  void onAck(AcAckHandler cb, void* arg = 0);
  void onError(AcErrorHandler cb, void* arg = 0);
  // Received data, when no onPacket handler is set.
  void onData(AcDataHandler cb, void* arg = 0);
  // Received data as a pbuf the handler owns: it must ackPacket() it (or pbuf_free() it, which
  // leaves its bytes out of the receive window for good).
  void onPacket(AcPacketHandler cb, void* arg = 0);
  void onTimeout(AcTimeoutHandler cb, void* arg = 0);
  // Every poll interval (twin::Profile::pollIntervalMs, 500 ms) while connected.
  void onPoll(AcConnectHandler cb, void* arg = 0);

  // Acknowledges a pbuf from onPacket (reopens the receive window by its length) and frees it.
  void ackPacket(struct pbuf* pb);
  // Acknowledges received bytes held back with ackLater(); reopens the receive window.
  size_t ack(size_t len);
  // Call from onData: do not acknowledge the current data now (the receive window shrinks).
  void ackLater() { _ack_pcb = false; }

  static const char* errorToString(int8_t error);
  const char* stateToString() const;

  // AsyncTCP's receive dispatch, public as there: delivers the pbuf chain pb to onPacket or
  // onData as received data of this client and frees what it does not hand over. async_tcp only;
  // the twin's own receive path does not go through it (it delivers without a pbuf copy).
  int8_t _recv(tcp_pcb* pcb, pbuf* pb, int8_t err);
  tcp_pcb* pcb();

 protected:
  friend class AsyncServer;
  friend struct twin::Access;
  int8_t _close();
  // Detaches this client from its connection (under the net mutex) and closes the socket (FIN,
  // or RST when `reset`) on async_tcp: now when called there, else posted. False when it had none.
  bool _detachAndClose(bool reset);
  // Forgets a pending host-name lookup (under the net mutex). False when there was none.
  bool _cancelLookup();
  // Joins the device of the calling thread when the client has none yet (connect()).
  void _adoptDevice();
  // Starts a connection to an IPv4 address (network byte order).
  bool _connectTo(uint32_t addr, uint16_t port);

  // The twin's dispatch, in the shape of AsyncTCP's private callbacks. async_tcp only.
  void _twinRecv(uint8_t* data, size_t len);
  void _twinSent(size_t len);
  void _twinPoll();
  void _twinConnected();
  void _error(int8_t err);

  // Guarded by the device's net mutex; null once closed (like AsyncTCP's _pcb).
  twin::Conn* _conn = nullptr;
  // Guarded by the device's net mutex: the id of a pending host-name lookup (0: none).
  uint64_t _lookup = 0;
  // The device this client belongs to; set once (constructor or first connect()).
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
  AcPacketHandler _pb_cb;
  void* _pb_cb_arg = nullptr;
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
};

namespace twin {
struct Listener;
}

class AsyncServer {
 public:
  // The twin binds 127.0.0.1 whatever the address. The device maps the firmware's port to a host
  // port (see twin::Profile::hostPort): the board's port 80 is usually an ephemeral port on the
  // desktop, reported by twin::Device::ports() and boundPort().
  AsyncServer(ip_addr_t addr, uint16_t port);
  AsyncServer(IPAddress addr, uint16_t port);
  AsyncServer(uint16_t port);
  ~AsyncServer();
  // AsyncTCP leaves these implicit (copying one there shares its pcb); a bug either way.
  AsyncServer(const AsyncServer&) = delete;
  AsyncServer& operator=(const AsyncServer&) = delete;

  // The handler runs on async_tcp for each accepted connection and owns the AsyncClient.
  void onClient(AcConnectHandler cb, void* arg);
  // Starts listening. Call from a device thread. On failure status() stays CLOSED. While the
  // device's network is down it listens from when the network comes up (status() is LISTEN).
  void begin();
  // Stops listening; returns once the listening socket is closed and no onClient callback is
  // running or can still run. Accepted clients are not affected (as in AsyncTCP).
  void end();
  void setNoDelay(bool nodelay);
  bool getNoDelay() const;
  // LISTEN between a successful begin() and end(), CLOSED otherwise.
  uint8_t status() const;
  // Twin extension: the host port bound (0 when not listening).
  uint16_t boundPort() const;

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
