// twin_internal.h: the twin's private structures (host only; never included by firmware or core).
//
// Locks (innermost last; never call a user callback with one held):
//  1. Impl::cpu        the simulated CPU of a single-core profile (a FIFO ticket lock). Held by
//                      whichever device thread is "running". Given up while blocking (delay,
//                      yield, a contended core mutex, waiting for async_tcp). Unused when dual-core.
//  2. Impl::net        like lwIP's core lock: guards every Conn<->AsyncClient link, Conn tx/rx
//                      accounting and state, the dirty list (Impl::dirty), the listener table,
//                      the port map, the pending host-name lookups (Impl::lookups,
//                      AsyncClient::_lookup). Held for short, callback-free sections only (a
//                      flush holds it across its writev, never across a callback).
//  3. Impl::taskMu     guards the queue of work posted to async_tcp and Impl::netClosed; held
//                      across uv_async_send (so no post can reach a closed wake handle).
//  4. Impl::loopMu     guards the loop task's post queue and wakes the loop task.
//  5. Impl::stopWaitMu with stopCv: wakes sleepMs() waiters when the device starts stopping.
//  6. Impl::tasksMu    guards the firmware task list. Impl::stateMu guards the per-device states.
// Outside a device: Impl::stopMu (start/stop callers) is taken before gDevicesMu (twin.cpp: the
// list of running devices, held by networkBarrier() while it waits on each async_tcp).
// Lock-free: Impl::netUp (atomic; setNetworkUp() writes it, async_tcp applies it).
// Scheduling jitter (Profile::schedJitterSeed): AsyncTCP.cpp takes every lock through JitterLock,
// a jitter point before taking and after releasing, never while holding; per-thread generators
// (tlsJitter), so no lock guards them. The link model's state (Conn::link*, Impl::airFreeUs,
// linkTimer, linkRng) is async_tcp's only.
//
// Threads: "async_tcp" owns the uv loop and every uv handle (Conn::handle, Listener::sock,
// timers); only it touches them. "loop" runs the firmware. Other threads reach async_tcp only
// through Impl::postNet() / Impl::runOnNet() (uv_async_send is the one thread-safe uv call).
//
// Lifetimes: a Conn is created on async_tcp when a connection is accepted or a client connects,
// and freed in its uv_close callback on async_tcp; AsyncClient::_conn points to it only while
// attached (under net). A Listener lives from AsyncServer::begin() to after end(): freed by the
// close callback of its last socket, or on a later turn of async_tcp when it had none (network
// down). Its socket (a separate allocation, freed by its own close callback) is closed and a new
// one opened on the same port when the network goes down and up (setNetworkUp).
#pragma once
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "AsyncTCP.h"
#include "twin.h"

namespace twin {

// Scheduling jitter (Profile::schedJitterSeed; twin.cpp): the calling thread's generator, set by
// setThreadIdentity() on the threads of a device with jitter on, else null. jitterPoint() is the
// inline form of schedJitterPoint(): one predictable branch when off.
struct JitterRng {
  uint64_t state;
};
extern thread_local JitterRng* tlsJitter;
void jitterSlow();
inline void jitterPoint() {
  if (__builtin_expect(tlsJitter != nullptr, 0)) jitterSlow();
}
// A lock of Impl::net (or another twin mutex) with a jitter point before taking it and after
// releasing it.
class JitterLock {
 public:
  explicit JitterLock(std::mutex& m) : _m(m) {
    jitterPoint();
    _m.lock();
  }
  ~JitterLock() {
    _m.unlock();
    jitterPoint();
  }
  JitterLock(const JitterLock&) = delete;
  JitterLock& operator=(const JitterLock&) = delete;

 private:
  std::mutex& _m;
};

// A FIFO that allocates nothing until its first element: libstdc++'s std::deque allocates its
// map and a 512 B node when it is constructed, which made the link model's two queues cost every
// connection about 1.2 KB even with the model off. Only what Conn's link queues use.
template <typename T>
class LazyDeque {
 public:
  using const_iterator = typename std::deque<T>::const_iterator;
  bool empty() const { return !_q || _q->empty(); }
  void push_back(T v) {
    if (!_q) _q.reset(new std::deque<T>());
    _q->push_back(std::move(v));
  }
  T& front() { return _q->front(); }
  void pop_front() { _q->pop_front(); }
  const_iterator begin() const { return _q ? _q->cbegin() : const_iterator(); }
  const_iterator end() const { return _q ? _q->cend() : const_iterator(); }

 private:
  std::unique_ptr<std::deque<T>> _q;
};

// FIFO ticket lock standing for the one CPU of a single-core ESP32.
class Cpu {
 public:
  void acquire();
  void release();

 private:
  std::mutex _m;
  std::condition_variable _cv;
  uint64_t _next = 0, _serving = 0;
};

struct Conn {
  uv_tcp_t handle;  // first member: handle.data points back to the Conn
  Device::Impl* dev = nullptr;
  AsyncClient* client = nullptr;  // net: the attached AsyncClient (AsyncTCP's tcp_arg)
  // tx (net). `pendingBytes`: bytes add()ed and not yet handed to the kernel, kept as a FIFO of
  // segments, each either a copy in `copyBuf` (ASYNC_WRITE_FLAG_COPY) or a reference to the
  // caller's memory (no COPY flag: lwIP keeps such a reference until the peer acknowledges the
  // bytes, so the caller keeps them valid until onAck; the twin lets go of them earlier, when the
  // kernel took them). `inflight`: bytes the kernel holds that the peer has not acknowledged.
  // space() = window - pendingBytes - inflight, so the live bytes of copyBuf never exceed the
  // window: it is compacted before it would grow past it and emptied whenever it drains.
  struct Seg {
    const uint8_t* ext;  // null: copyBuf[off, off + len)
    uint32_t off, len;
  };
  std::vector<Seg> segs;    // net; segs[segHead..] are live
  size_t segHead = 0;       // net
  std::vector<uint8_t> copyBuf;  // net
  uint32_t pendingBytes = 0;     // net: both stages
  uint32_t stagedBytes = 0;      // net: the bytes of the pending stage (segs/copyBuf)
  // The out stage (async_tcp only): pending bytes taken for writing, ahead of the segments
  // above, written without the lock (add() fills the other stage meanwhile). When it drains,
  // the stages swap under net. Both stages together hold pendingBytes, so each stays within the
  // window; outCapacity mirrors outBuf's capacity under net (for tests).
  std::vector<Seg> outSegs;
  size_t outHead = 0;
  std::vector<uint8_t> outBuf;
  uint32_t outBytes = 0;
  size_t outCapacity = 0;  // net
  uint32_t inflight = 0;         // net
  bool dirty = false;    // net: listed in Impl::dirty (a flush is due at the end of the turn)
  bool starved = false;  // net: add() was cut short or space() returned 0 since the last ack
  // rx (net): bytes delivered with ackLater() and not yet ack()ed.
  uint32_t rxUnacked = 0;
  bool reading = false;     // async_tcp only
  bool noDelay = false;
  // net. Connecting: a client-side connection waiting for its handshake (SYN_SENT).
  enum class State : uint8_t { Connecting, Open, Closing, Aborting, Closed } state = State::Open;
  bool handleClosing = false;  // async_tcp only: uv_close issued
  bool writeFailed = false;    // net: a write failed; reported by a posted task
  // Acknowledgement tracking (async_tcp only): listed in Impl::ackList while bytes are in flight
  // or pending; checked at ackDue (uv_now ms), every ackEvery ms (1 ms while acks flow, backing
  // off to kAckEveryMax while none comes).
  bool ackListed = false;
  size_t ackIdx = 0;
  uint64_t ackDue = 0;
  uint32_t ackEvery = 1;
  size_t connIdx = 0;  // async_tcp only: index in Impl::conns
  IPAddress remoteIp, localIp;
  uint16_t remotePort = 0, localPort = 0;
  uint64_t id = 0;
  // The link model (Profile::linkModel(); async_tcp only; unused and empty when it is off).
  // Outbound, in byte offsets of the connection's stream: linkSent bytes have left (air time
  // taken), linkWritten were handed to the kernel (when they reached the peer), linkAcked were
  // credited with onAck. linkTx: each chunk that left, its end offset, when it reaches the peer
  // (writeAtUs) and when its acknowledgement is due (ackAtUs), both non-decreasing (uptimeUs()).
  struct LinkChunk {
    uint64_t end, writeAtUs, ackAtUs;
  };
  LazyDeque<LinkChunk> linkTx;
  uint64_t linkSent = 0, linkWritten = 0, linkAcked = 0;
  uint64_t linkLastWriteUs = 0, linkLastAckUs = 0;
  // Inbound: what the device read from the kernel, in the air toward the firmware: data, then
  // possibly the end (FIN) or an error, each delivered at deliverAtUs (non-decreasing).
  struct LinkRx {
    std::vector<uint8_t> bytes;
    uint64_t deliverAtUs;
    ssize_t event;  // > 0: data (bytes); UV_EOF: the peer's FIN; another negative: that error
  };
  LazyDeque<LinkRx> linkRx;
  uint32_t linkRxBytes = 0;   // data bytes in linkRx (they count against the receive window)
  uint64_t linkLastRxUs = 0;
  bool linkRxEnded = false;   // an end or error is queued: nothing more is read
  uv_connect_t connectReq;  // async_tcp: the pending connect of a client-side connection
};

struct Listener {
  Device::Impl* dev = nullptr;
  AsyncServer* server = nullptr;  // net: null once end() ran
  uint16_t firmwarePort = 0;
  uint16_t hostPort = 0;          // set once bound; kept across network down/up
  // async_tcp only:
  uv_tcp_t* sock = nullptr;       // the listening socket (data -> this); null: none (network down)
  int socksClosing = 0;           // closed sockets whose uv_close callback is pending
  bool deferred = false;          // a connection waits for a free slot
  bool suspended = false;         // no socket because the network is down; listens again when up
  bool dead = false;              // ended: freed once no socket of it remains
};

struct Device::Impl {
  Impl(Profile p, FirmwareFactory f, LogSink l);

  Profile profile;
  FirmwareFactory factory;
  LogSink logSink;
  Counters counters;
  Faults faults;
  Device* owner = nullptr;

  Cpu cpu;
  // On a cache line of its own: the loop task takes it for every add()/send() while async_tcp
  // updates its loop and the counters (false sharing made each lock a cache miss).
  alignas(64) std::mutex net;

  // async_tcp
  alignas(64) uv_loop_t loop;
  uv_async_t wake;
  uv_timer_t pollTimer;
  uv_timer_t ackTimer;
  uint64_t ackTimerDue = 0;          // async_tcp only: when the ack timer fires (0: stopped)
  // End of a turn of async_tcp: everything send() marked dirty during the turn is written, one
  // system call per connection (before the loop blocks in poll, and after the I/O callbacks).
  uv_prepare_t flushPrepare;
  uv_check_t flushCheck;
  std::vector<Conn*> conns;          // async_tcp only (Conn::connIdx: O(1) removal)
  std::unordered_map<uint64_t, Conn*> connById;  // async_tcp only: live Conns by id
  std::vector<Conn*> ackList;        // async_tcp only: Conns with bytes in flight or pending
  // net: Conns with pending bytes and a flush due (Conn::dirty); async_tcp swaps it out.
  std::vector<Conn*> dirty;
  std::vector<Conn*> dirtySpare;     // async_tcp only: the swapped-out list's storage
  std::vector<long> flushWritten;    // async_tcp only: flushDirty's scratch
  std::vector<Conn*> flushFailed;    // async_tcp only: flushDirty's scratch
  // The twin's own cost figures (tests, benchmarks): write system calls, kernel ack queries.
  std::atomic<uint64_t> writeCalls{0}, ackQueries{0};
  // The link model (async_tcp only; Profile::linkModel()): the shared air is free from
  // airFreeUs on (uptimeUs()); linkTimer fires at the earliest due event (linkTimerDue, uv_now
  // ms; 0 stopped); linkRng draws the jitter (seeded from Profile::linkSeed).
  bool linkOn = false;  // set by start(), constant afterwards
  uv_timer_t linkTimer;
  uint64_t linkTimerDue = 0;
  uint64_t airFreeUs = 0;
  uint64_t linkRng = 0;
  std::vector<Listener*> listeners;  // async_tcp only (Listener::server under net)
  std::map<uint16_t, uint16_t> portMap;  // net: firmware port -> host port
  std::vector<uint16_t> boundPorts;      // net
  std::vector<uint8_t> readBuf;          // async_tcp only
  uint64_t nextConnId = 1;

  std::mutex taskMu;
  std::vector<std::function<void()>> netTasks;
  bool netClosed = false;  // taskMu: shutdownNet() began closing the loop; posts are refused
  std::atomic<bool> netStopping{false};

  // The device's network (setNetworkUp): while false, listeners are closed (peers are refused)
  // and client connects fail. Existing connections are not touched.
  std::atomic<bool> netUp{true};
  // Pending host-name lookups (net): lookup id -> client. The posted failure finds its client
  // here; ~AsyncClient/close()/abort() remove it first.
  std::map<uint64_t, AsyncClient*> lookups;
  uint64_t nextLookupId = 1;  // net

  // loop task
  std::mutex loopMu;
  std::condition_variable loopCv;
  std::deque<std::function<void()>> loopPosts;
  bool loopStopping = false;   // loopMu
  bool setupDone = false;      // loopMu
  bool setupOk = false;        // loopMu
  std::unique_ptr<Firmware> firmware;  // loop task only

  std::thread netThread, loopThread;

  // Stopping: set first by stop(); every blocking wait of a device thread watches it.
  std::atomic<bool> stoppingFlag{false};
  std::mutex stopWaitMu;
  std::condition_variable stopCv;
  std::atomic<bool> restartWanted{false};

  // Firmware tasks (startTask): started from any thread, joined by stop() before the loop task
  // destroys the firmware.
  struct Task {
    std::string name;
    std::thread thread;
  };
  std::mutex tasksMu;
  std::vector<Task> tasks;  // tasksMu
  std::set<std::thread::id> finishedTasks;  // tasksMu: tasks whose body has returned
  void stopTasks();

  // Per-device states of the layers above (deviceState()), destroyed last, newest first.
  std::mutex stateMu;
  std::vector<std::pair<const void*, std::unique_ptr<DeviceState>>> states;  // stateMu

  // The flash folder (Profile::dataDir or a temporary one of ours, removed at stop).
  std::string dataDir;
  bool ownDataDir = false;
  std::atomic<bool> running{false};
  std::mutex stopMu;           // serialises start()/stop() callers
  bool stopped = false;        // stopMu
  std::string lastError;       // stopMu

  // --- async_tcp side ---
  void netMain();
  // Queues fn for async_tcp. False (fn dropped) once shutdownNet() has begun.
  bool postNet(std::function<void()> fn);
  // Runs fn on async_tcp and waits for it (inline when already there). Gives up the CPU
  // while waiting. False if async_tcp is gone.
  bool runOnNet(const std::function<void()>& fn);
  void runNetTasks();
  void onPollTimer();
  void onAckTimer();
  // True when c's window is tight (its next ack gates its sender). Under net.
  bool tightLocked(const Conn* c) const;
  // Lists c for acknowledgement tracking (async_tcp), checked within `inMs`, then every inMs.
  void trackAcks(Conn* c, uint32_t inMs);
  void untrackAcks(Conn* c);
  // (Re)arms the ack timer for `due` (uv_now ms) when that is earlier than it is set for.
  void armAckTimer(uint64_t due);
  // Writes c's pending bytes (async_tcp only): one writev of its segments per call (more only
  // when there are more than kMaxIov segments), then notes it for acknowledgement tracking.
  void flush(Conn* c);
  // The writing itself: the bytes written; *failed on a write error (async_tcp only).
  long transmit(Conn* c, bool* failed);
  long transmit(Conn* c, bool* failed, size_t limit);
  // Writes every dirty connection (async_tcp only): the end of a turn.
  void flushDirty();
  // The link model (async_tcp only; AsyncTCP.cpp "link model"): schedules air time, hands the
  // bytes that reached the peer to the kernel, credits acks that are due, delivers inbound
  // bytes that are due, and re-arms linkTimer for the next due event.
  void linkTick();
  void armLinkTimer(uint64_t dueUs);
  uint32_t linkJitterUs();
  // readCb with the link model: queues what was read for delivery a one-way delay later.
  void linkQueueRead(Conn* c, ssize_t nread, const uint8_t* data);
  // A stall (stallTask): blocks the calling device thread ms milliseconds, or until stop.
  void stallFor(uint32_t ms);
  // Called (under net) when c got pending bytes and is not yet dirty: lists it and, unless the
  // caller is async_tcp (its turn ends with a flush) or a corked loop pass (it wakes async_tcp
  // when it ends), wakes async_tcp. Returns true when the caller must wake async_tcp after
  // unlocking (wakeNet()).
  bool markDirtyLocked(Conn* c);
  // Wakes async_tcp to flush (any thread; no-op once shutdownNet() began).
  void wakeNet();
  // Removes c from conns/connById/dirty/ackList (async_tcp, its close callback).
  void forgetConn(Conn* c);
  // Finds a live Conn by id (async_tcp only): posted work refers to connections by id, since
  // a Conn may be freed before the work runs.
  Conn* findConn(uint64_t id);
  // True on this device's async_tcp thread.
  bool onNet() const;
  // Runs fn(c) on async_tcp: now when called there (c stays valid for the whole network callback:
  // a Conn is freed only by a later libuv close callback), else posted and found again by id,
  // since by then it may be gone. Nothing runs for a connection whose handle is closing.
  template <class F>
  void withConn(Conn* c, uint64_t id, F fn) {
    if (onNet()) {
      if (!c->handleClosing) fn(c);
      return;
    }
    postNet([this, id, fn] {
      if (Conn* fc = findConn(id)) fn(fc);
    });
  }
  void startReading(Conn* c);
  void closeConnHandle(Conn* c, bool reset);
  void connFailed(Conn* c, int8_t err);
  void acceptOne(Listener* l);
  void maybeResumeAccepts();
  void shutdownNet();
  // Listening sockets (async_tcp): open one for l on port (0: ephemeral), close it, and the
  // network down/up transitions of a listener.
  bool listenOn(Listener* l, uint16_t port, std::string& error);
  void closeListenerSock(Listener* l);
  void suspendListener(Listener* l);
  void resumeListener(Listener* l);
  // A listener that end() or shutdownNet() removed: freed now or once its socket is closed.
  void retireListener(Listener* l);
  // Client side (async_tcp): starts connecting `client` to addr:port (IPv4, network order).
  bool connectOut(AsyncClient* client, uint32_t addr, uint16_t port);
  // Network switches (async_tcp): every connection reset; listeners follow netUp.
  void resetConnections();
  void applyNetworkState();

  // --- loop task side ---
  void loopMain();
  // Loop pacing (twin.cpp): a network event the firmware may act on in loop() (data, connect,
  // disconnect, error) sets netActivity; when the loop task sleeps longer than a tick it is woken.
  std::atomic<bool> netActivity{false};
  std::atomic<bool> loopSleepingLong{false};
  bool loopKick = false;  // loopMu: a network event woke the paced-down loop task
  void kickLoop();

  void log(LogLevel lvl, const std::string& line);
};

// The twin's access to AsyncClient/AsyncServer internals (callers hold Impl::net).
// The dispatch calls (recv ... error) run on async_tcp without the lock.
struct Access {
  static void attach(AsyncClient* c, Conn* conn) { c->_conn = conn; }
  static void detach(AsyncClient* c) { c->_conn = nullptr; }
  static bool attached(AsyncClient* c) { return c->_conn != nullptr || c->_lookup != 0; }
  static void clearLookup(AsyncClient* c) { c->_lookup = 0; }
  static void setRxLast(AsyncClient* c, uint32_t t) { c->_rx_last_packet = t; }
  static void setAckTimeout(AsyncClient* c, uint32_t ms) { c->_ack_timeout = ms; }
  static AcConnectHandler connectCb(AsyncServer* s) { return s->_connect_cb; }
  static void* connectArg(AsyncServer* s) { return s->_connect_cb_arg; }
  // Dispatch: each is a scheduling jitter point before and after (schedJitterPoint()).
  static void recv(AsyncClient* c, uint8_t* data, size_t len) {
    jitterPoint();
    c->_twinRecv(data, len);
    jitterPoint();
  }
  static void sent(AsyncClient* c, size_t len) {
    jitterPoint();
    c->_twinSent(len);
    jitterPoint();
  }
  static void poll(AsyncClient* c) {
    jitterPoint();
    c->_twinPoll();
    jitterPoint();
  }
  static void fin(AsyncClient* c) { c->close(); }  // AsyncTCP's _fin: close our side
  static void connected(AsyncClient* c) {
    jitterPoint();
    c->_twinConnected();
    jitterPoint();
  }
  // A client's transmit state (tests): pending and in-flight bytes, and the bytes its connection
  // holds allocated for copies. All 0 without a connection.
  struct TxState {
    size_t pending = 0, inflight = 0, copyCapacity = 0, segments = 0;
  };
  static TxState txState(AsyncClient* c, std::mutex& net) {
    std::lock_guard<std::mutex> lk(net);
    TxState t;
    if (Conn* k = c->_conn) {
      t.pending = k->pendingBytes;
      t.inflight = k->inflight;
      t.copyCapacity = k->copyBuf.capacity() + k->outCapacity;
      t.segments = k->segs.size() - k->segHead;
    }
    return t;
  }
  static void error(AsyncClient* c, int8_t err) {
    jitterPoint();
    c->_error(err);
    jitterPoint();
  }
};

// AsyncTCP's code for a failed host-name lookup (errorToString: "DNS failed").
constexpr int8_t kErrDnsFailed = -55;

// Removes the first element equal to x, if any.
template <class T>
void eraseOne(std::vector<T>& v, const T& x) {
  auto it = std::find(v.begin(), v.end(), x);
  if (it != v.end()) v.erase(it);
}

// Thread identity: which device and role the calling thread has.
enum class Role : uint8_t { None, Net, Loop, Task };
Device::Impl* currentImpl();
Role currentRole();
// The single-core CPU: give it up around a blocking wait (no-op when dual-core or not held).
void cpuBlockBegin();
void cpuBlockEnd();
// Take / give the CPU at task boundaries (no-op when dual-core).
void cpuTake();
void cpuGive();
void setThreadIdentity(Device::Impl* dev, Role role, const char* taskName = nullptr);

// Corking (the loop task): during one pass (posted work + loop()) sends only mark their
// connections dirty; async_tcp is woken once, when the pass ends or the task blocks (sleepMs,
// yieldTask, blockBegin, a wait for async_tcp) or finds a window full (space() == 0), so what a
// pass added to a connection goes out in one system call.
bool corkedOn(Device::Impl* d);  // true on d's loop task inside a pass
void corkNote();                 // a corked send left work for async_tcp
void corkFlush();                // wakes async_tcp when a corked send is waiting
// Net batches (the core's broadcast, through port::NetBatch): the calling thread takes its
// device's net lock once and keeps it across a run of AsyncClient::space()/add()/send()/state()
// calls on many connections, instead of once per call (at 1000 clients async_tcp's writes made
// every one of those acquisitions a contended cache-line transfer). What it may call inside:
// those four (and canSend()/connected() & co. over state()); any other AsyncClient/AsyncServer
// method inside a batch is a programming error and aborts with its name (it would deadlock).
// The wakes those calls would give async_tcp are deferred to netBatchEnd(). The interleaving
// this allows (async_tcp makes no progress during one broadcast) is one the board allows too.
// Off when scheduling jitter is on (netBatchBegin returns null), so every lock point stays a
// jitter point; NetLock is a jitter point like JitterLock when it takes the lock.
// Owner: the calling thread, strictly nested in one function; nested batches are no-ops.
Device::Impl* netBatchBegin();        // null: no batch (no device on this thread, or nested)
void netBatchEnd(Device::Impl* d);    // d from netBatchBegin (null: nothing)
// The device whose net the calling thread holds through a batch (its owner: that thread only).
extern thread_local Device::Impl* tlsNetBatch;
inline bool netBatchedOn(Device::Impl* d) { return d && tlsNetBatch == d; }  // inline: every AsyncClient call asks
void netBatchDeferWake();             // a call inside the batch wanted async_tcp woken now
void netBatchDeferCorkFlush();        // a call inside the batch wanted corkFlush()
void netBatchMisuse(const char* fn);  // aborts: fn is not allowed inside a batch

// net, unless the calling thread already holds it through a batch. `batchSafe` false: the
// caller may not run inside a batch (netBatchMisuse).
class NetLock {
 public:
  explicit NetLock(Device::Impl* d, const char* fn = nullptr) : _d(d), _own(!netBatchedOn(d)) {
    if (!_own && fn) netBatchMisuse(fn);
    if (_own) {
      jitterPoint();  // scheduling jitter: before taking (none inside a batch, which holds net)
      d->net.lock();
    }
  }
  ~NetLock() {
    if (_own) {
      _d->net.unlock();
      jitterPoint();  // and after releasing
    }
  }
  bool batched() const { return !_own; }
  NetLock(const NetLock&) = delete;
  NetLock& operator=(const NetLock&) = delete;

 private:
  Device::Impl* _d;
  bool _own;
};

// The longest wait between two idle passes of a loop task (twin.cpp loopMain), by the number of
// devices running in the process.
uint32_t idlePaceCapMs();

// Holds the CPU for the duration of a libuv callback on async_tcp (single-core profiles):
// libuv dispatches I/O callbacks inside its poll phase, so every entry from libuv into twin
// code takes the CPU, and async_tcp never holds it while it waits for the network.
class CpuScope {
 public:
  CpuScope() { cpuTake(); }
  ~CpuScope() { cpuGive(); }
  CpuScope(const CpuScope&) = delete;
  CpuScope& operator=(const CpuScope&) = delete;
};

}  // namespace twin
