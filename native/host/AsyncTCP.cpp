// AsyncTCP.cpp: the AsyncTCP 3.x API over libuv, on the device's async_tcp thread.
// Behaviour contract: AsyncTCP.h. Locks and lifetimes: twin_internal.h.
#include "AsyncTCP.h"

#include <cerrno>
#include <cstring>

#include "Arduino.h"
#include "twin_internal.h"

#include <arpa/inet.h>

#include <cstdlib>

#if defined(__linux__)
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#elif defined(__APPLE__)
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

namespace twin {

// Every lock the twin takes here is a scheduling jitter point (twin_internal.h JitterLock).
using Lock = JitterLock;

namespace {
// Segments one writev hands the kernel at most (Linux's IOV_MAX is 1024).
constexpr unsigned kMaxIov = 64;
// A drained stage keeps its copy buffer up to this size for the next adds (a busy connection
// would otherwise allocate and grow one on every pass); the poll timer releases an idle one.
constexpr size_t kKeepCopyBuf = 256 * 1024;
// Bytes one corked loop pass may pile up for a connection before async_tcp is woken to write.
constexpr uint32_t kCorkMaxBytes = 32 * 1024;
// Ack checks of a connection back off up to these intervals while no ack comes (ms).
constexpr uint32_t kAckEveryMax = 16;
constexpr uint32_t kAckEveryStarved = 4;
}  // namespace

// ---------------- async_tcp thread ----------------

void Device::Impl::netMain() {
  setThreadIdentity(this, Role::Net);
  // threadsAlive was counted by start() before this thread existed (no window where it reads 1).
  uv_timer_start(&pollTimer, [](uv_timer_t* t) { static_cast<Impl*>(t->loop->data)->onPollTimer(); },
                 profile.pollIntervalMs, profile.pollIntervalMs);
  uv_prepare_start(&flushPrepare, [](uv_prepare_t* h) { static_cast<Impl*>(h->loop->data)->flushDirty(); });
  uv_check_start(&flushCheck, [](uv_check_t* h) { static_cast<Impl*>(h->loop->data)->flushDirty(); });
  uv_run(&loop, UV_RUN_DEFAULT);
  // Work posted before shutdownNet() refused further posts and never got a turn: run it now (its
  // connections and listeners are gone), so no runOnNet() caller waits for it forever.
  runNetTasks();
  counters.threadsAlive--;
  setThreadIdentity(nullptr, Role::None);
}

bool Device::Impl::postNet(std::function<void()> fn) {
  Lock lk(taskMu);
  if (netClosed) return false;
  netTasks.push_back(std::move(fn));
  uv_async_send(&wake);  // under taskMu: shutdownNet() closes wake only after setting netClosed
  return true;
}

void Device::Impl::wakeNet() {
  Lock lk(taskMu);
  if (!netClosed) uv_async_send(&wake);  // under taskMu, as postNet
}

void Device::Impl::runNetTasks() {
  CpuScope cpuScope;
  // What was sent before the work was posted goes out first (a close posted after a send
  // follows its data, as lwIP's tcp_output ran in the send).
  flushDirty();
  std::vector<std::function<void()>> tasks;
  {
    Lock lk(taskMu);
    tasks.swap(netTasks);
  }
  for (auto& t : tasks) t();
}

bool Device::Impl::runOnNet(const std::function<void()>& fn) {
  if (onNet()) {
    fn();
    return true;
  }
  if (!running || netStopping) return false;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  bool posted = postNet([&] {
    fn();
    // Notify under the lock: the waiter owns m and cv and destroys them once it sees done.
    Lock lk(m);
    done = true;
    cv.notify_all();
  });
  if (!posted) return false;
  cpuBlockBegin();
  {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return done; });
  }
  cpuBlockEnd();
  return true;
}

static int fdOf(Conn* c) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(&c->handle), &fd) != 0) return -1;
  return int(fd);
}

// Bytes the kernel still holds for this socket that the peer has not acknowledged.
// Linux: SIOCOUTQ. macOS: SO_NWRITE. Elsewhere: unknown (-1): writes count as acknowledged
// once the kernel took them, a documented approximation.
static long unackedInKernel(Conn* c) {
  int fd = fdOf(c);
  if (fd < 0) return -1;
#if defined(__linux__)
  int n = 0;
  if (ioctl(fd, SIOCOUTQ, &n) != 0) return -1;
  return n;
#elif defined(__APPLE__)
  int n = 0;
  socklen_t len = sizeof n;
  if (getsockopt(fd, SOL_SOCKET, SO_NWRITE, &n, &len) != 0) return -1;
  return n;
#else
  return -1;
#endif
}

// Tight (under net): the sender is (nearly) out of window, so the next ack gates its next bytes.
bool Device::Impl::tightLocked(const Conn* c) const {
  return c->starved || (uint64_t(c->pendingBytes) + c->inflight) * 4 >= profile.sendWindow;
}

// Drops the first n bytes of c's out stage (they were written). async_tcp only.
static void consumeOut(Conn* c, size_t n) {
  while (n > 0) {
    Conn::Seg& g = c->outSegs[c->outHead];
    size_t k = n < g.len ? n : g.len;
    g.off += uint32_t(k);
    g.len -= uint32_t(k);
    n -= k;
    c->outBytes -= uint32_t(k);
    if (g.len == 0) c->outHead++;
  }
  if (c->outBytes == 0) {
    // Drained: the stage is reused by the next swap; a large buffer, left by a burst on a big
    // window, is released (an idle connection's small one by the poll timer).
    c->outSegs.clear();
    c->outHead = 0;
    c->outBuf.clear();
    if (c->outBuf.capacity() > kKeepCopyBuf) std::vector<uint8_t>().swap(c->outBuf);
    if (c->outSegs.capacity() > 256) std::vector<Conn::Seg>().swap(c->outSegs);
  }
}

// Writes c's out stage with as few system calls as the kernel allows (a writev of up to kMaxIov
// segments per call, until it would block). async_tcp only, without the lock. The bytes written,
// or a negative libuv error.
static long writeOut(Conn* c, size_t limit = SIZE_MAX) {
  long total = 0;
  while (c->outBytes > 0 && size_t(total) < limit) {
    uv_buf_t bufs[kMaxIov];
    unsigned n = 0;
    size_t room = limit - size_t(total);
    for (size_t i = c->outHead; i < c->outSegs.size() && n < kMaxIov && room > 0; ++i) {
      const Conn::Seg& g = c->outSegs[i];
      const uint8_t* p = (g.ext ? g.ext : c->outBuf.data()) + g.off;
      uint32_t len = g.len < room ? g.len : uint32_t(room);
      room -= len;
      bufs[n++] = uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(p)), len);
    }
    int w = uv_try_write(reinterpret_cast<uv_stream_t*>(&c->handle), bufs, n);
    c->dev->writeCalls.fetch_add(1, std::memory_order_relaxed);
    if (w == UV_EAGAIN) break;
    if (w < 0) return total > 0 ? total : w;
    consumeOut(c, size_t(w));
    total += w;
  }
  return total;
}

// Under net: when the out stage is empty, the pending stage becomes it (O(1) swaps).
static void stageOut(Conn* c) {
  if (c->outBytes != 0 || c->pendingBytes == 0) return;
  std::swap(c->segs, c->outSegs);
  std::swap(c->copyBuf, c->outBuf);
  c->outHead = c->segHead;
  c->segHead = 0;
  c->outBytes = c->pendingBytes;
  c->stagedBytes = 0;
  c->outCapacity = c->outBuf.capacity();
}

long Device::Impl::transmit(Conn* c, bool* failed) { return transmit(c, failed, SIZE_MAX); }

long Device::Impl::transmit(Conn* c, bool* failed, size_t limit) {
  {
    Lock lk(net);
    stageOut(c);
    if (c->outBytes == 0) return 0;
  }
  long total = 0;
  for (;;) {
    if (size_t(total) >= limit) return total;
    long w = writeOut(c, limit - size_t(total));  // the lock is free meanwhile: add() fills the pending stage
    Lock lk(net);
    if (w < 0) {
      c->writeFailed = true;
      *failed = true;
      return total;
    }
    c->pendingBytes -= uint32_t(w);
    c->inflight += uint32_t(w);
    counters.bytesOut += w;
    total += w;
    c->outCapacity = c->outBuf.capacity();
    if (c->outBytes > 0) return total;  // the kernel is full for now
    stageOut(c);
    if (c->outBytes == 0) return total;
  }
}

// Hands pending bytes to the kernel (async_tcp only). A failed write is a connection error,
// reported here on async_tcp, never from add()/send().
void Device::Impl::flush(Conn* c) {
  if (c->handleClosing) return;
  if (linkOn) {
    linkTick();  // the link model decides when bytes go out
    return;
  }
  bool failed = false;
  transmit(c, &failed);
  if (failed) {
    // Reported on a later turn of async_tcp: a write never runs a callback itself.
    uint64_t id = c->id;
    postNet([this, id] {
      if (Conn* fc = findConn(id)) connFailed(fc, ERR_RST);
    });
    return;
  }
  bool tight, busy;
  {
    Lock lk(net);
    tight = tightLocked(c);
    busy = c->inflight > 0 || c->pendingBytes > 0;
  }
  if (!busy) return;
  // Acks: a connection whose window is tight is checked within 1 ms; others at a relaxed pace
  // (see onAckTimer).
  if (!c->ackListed) {
    trackAcks(c, tight ? 1 : kAckEveryMax);
  } else if (tight && c->ackEvery > 1) {
    c->ackEvery = 1;
    c->ackDue = uv_now(&loop) + 1;
    armAckTimer(c->ackDue);
  }
}

void Device::Impl::flushDirty() {
  // Three phases, so the lock is taken twice per turn, not per connection (the loop task adds
  // to other connections meanwhile): stage every dirty connection's pending bytes under the lock,
  // write each without it, account for all under it.
  if (linkOn) {
    // The link model: bytes leave at the air's pace (linkTick), not at the end of the turn.
    {
      Lock lk(net);
      if (dirty.empty()) return;
      for (Conn* c : dirty) c->dirty = false;
      dirty.clear();
    }
    linkTick();
    return;
  }
  std::vector<Conn*>& list = dirtySpare;
  {
    Lock lk(net);
    if (dirty.empty()) return;
    list.swap(dirty);
    for (Conn* c : list) {
      c->dirty = false;
      if (!c->handleClosing) stageOut(c);
    }
  }
  // No callback runs in here (a failed write is posted), so no Conn of the list is freed.
  std::vector<long>& written = flushWritten;
  written.resize(list.size());
  for (size_t i = 0; i < list.size(); ++i) written[i] = list[i]->handleClosing ? 0 : writeOut(list[i]);
  std::vector<Conn*>& failed = flushFailed;
  {
    Lock lk(net);
    for (size_t i = 0; i < list.size(); ++i) {
      Conn* c = list[i];
      long w = written[i];
      if (w < 0) {
        c->writeFailed = true;
        failed.push_back(c);
        written[i] = 0;
        continue;
      }
      c->pendingBytes -= uint32_t(w);
      c->inflight += uint32_t(w);
      counters.bytesOut += w;
      c->outCapacity = c->outBuf.capacity();
      // Ack tracking below needs: busy (1), tight (2).
      bool busy = c->inflight > 0 || c->pendingBytes > 0;
      written[i] = busy ? 1 + (tightLocked(c) ? 2 : 0) : 0;
    }
  }
  for (Conn* c : failed) {
    uint64_t id = c->id;
    postNet([this, id] {
      if (Conn* fc = findConn(id)) connFailed(fc, ERR_RST);
    });
  }
  failed.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    Conn* c = list[i];
    if (!written[i] || c->handleClosing) continue;
    if (!c->ackListed) {
      trackAcks(c, (written[i] & 2) ? 1 : kAckEveryMax);
    } else if ((written[i] & 2) && c->ackEvery > 1) {
      c->ackEvery = 1;
      c->ackDue = uv_now(&loop) + 1;
      armAckTimer(c->ackDue);
    }
  }
  list.clear();
}

bool Device::Impl::markDirtyLocked(Conn* c) {
  if (c->dirty || c->pendingBytes == 0) return false;
  c->dirty = true;
  bool first = dirty.empty();
  dirty.push_back(c);
  if (!first || onNet()) return false;  // async_tcp flushes at the end of its turn
  if (corkedOn(this)) {
    corkNote();  // the loop pass wakes async_tcp when it ends
    return false;
  }
  return true;
}

Conn* Device::Impl::findConn(uint64_t id) {
  auto it = connById.find(id);
  if (it == connById.end() || it->second->handleClosing) return nullptr;
  return it->second;
}

void Device::Impl::forgetConn(Conn* c) {
  // swap-and-pop: conns is walked by index only inside single callbacks (onPollTimer), and a
  // Conn is forgotten only in its own close callback.
  size_t i = c->connIdx;
  if (i < conns.size() && conns[i] == c) {
    conns[i] = conns.back();
    conns[i]->connIdx = i;
    conns.pop_back();
  }
  connById.erase(c->id);
  untrackAcks(c);
  Lock lk(net);
  if (c->dirty) {
    eraseOne(dirty, c);
    c->dirty = false;
  }
}

// ---- acknowledgements ----
//
// The kernel knows how many written bytes the peer has not acknowledged (SIOCOUTQ); the twin
// asks it only for connections with bytes in flight (ackList), each on its own adaptive pace.
// A connection whose window is tight (its sender found space() at 0 or add() cut short, or a
// quarter of the window is in use) is checked 1 ms after a write and every 1 ms while acks
// flow, backing off to kAckEveryStarved while none come: there the next ack gates the next
// bytes, as on the board. Otherwise (plenty of window left) it is checked every kAckEveryMax
// ms: onAck then reports up to that much later than lwIP would, which changes nothing for a
// sender that is not waiting for room (a peer's delayed ACK takes 40 ms anyway). One timer fires at the
// earliest due check; acks found are delivered at once, one onAck per check.

void Device::Impl::armAckTimer(uint64_t due) {
  uint64_t now = uv_now(&loop);
  if (due < now + 1) due = now + 1;
  if (ackTimerDue != 0 && ackTimerDue <= due) return;
  ackTimerDue = due;
  uv_timer_start(&ackTimer, [](uv_timer_t* t) { static_cast<Impl*>(t->loop->data)->onAckTimer(); }, due - now, 0);
}

void Device::Impl::trackAcks(Conn* c, uint32_t inMs) {
  if (c->ackListed || netStopping) return;
  c->ackListed = true;
  c->ackIdx = ackList.size();
  ackList.push_back(c);
  c->ackEvery = inMs;
  c->ackDue = uv_now(&loop) + inMs;
  armAckTimer(c->ackDue);
}

void Device::Impl::untrackAcks(Conn* c) {
  if (!c->ackListed) return;
  size_t i = c->ackIdx;
  ackList[i] = ackList.back();
  ackList[i]->ackIdx = i;
  ackList.pop_back();
  c->ackListed = false;
  if (ackList.empty() && ackTimerDue) {
    uv_timer_stop(&ackTimer);
    ackTimerDue = 0;
  }
}

void Device::Impl::onAckTimer() {
  CpuScope cpuScope;
  ackTimerDue = 0;
  uint64_t now = uv_now(&loop);
  uint64_t next = UINT64_MAX;
  // By index: onAck may close connections (their Conns stay until their close callbacks, later)
  // and write (flushed at the end of the turn); nothing else changes ackList meanwhile, except
  // trackAcks appending (a write from the callback: checked next time) and untrackAcks of a
  // closing connection (below).
  for (size_t i = 0; i < ackList.size();) {
    Conn* c = ackList[i];
    if (c->handleClosing) {
      untrackAcks(c);  // swaps the last one into i
      continue;
    }
    if (c->ackDue > now) {
      if (c->ackDue < next) next = c->ackDue;
      ++i;
      continue;
    }
    AsyncClient* client = nullptr;
    uint32_t acked = 0;
    bool idle = false, tight = false, pending = false;
    {
      Lock lk(net);
      pending = c->pendingBytes > 0;
    }
    if (pending) flush(c);  // the kernel took no more last time: try again
    {
      Lock lk(net);
      if (c->inflight > 0) {
        long q = unackedInKernel(c);
        ackQueries.fetch_add(1, std::memory_order_relaxed);
        uint32_t still = q < 0 ? 0 : uint32_t(q);
        if (still < c->inflight) {
          acked = c->inflight - still;
          c->inflight = still;
          client = c->client;
          c->starved = false;
        }
      }
      idle = c->inflight == 0 && c->pendingBytes == 0;
      tight = tightLocked(c);
    }
    if (acked && tight) {
      c->ackEvery = 1;
    } else {
      uint32_t cap = tight ? kAckEveryStarved : kAckEveryMax;
      c->ackEvery = c->ackEvery * 2 > cap ? cap : c->ackEvery * 2;
    }
    if (client && acked) {
      counters.acks++;
      Access::sent(client, acked);
    }
    if (i < ackList.size() && ackList[i] == c) {
      if (idle) {
        untrackAcks(c);
        continue;
      }
      c->ackDue = now + c->ackEvery;
      if (c->ackDue < next) next = c->ackDue;
      ++i;
    }
  }
  if (next != UINT64_MAX) armAckTimer(next);
}

void Device::Impl::onPollTimer() {
  CpuScope cpuScope;
  for (size_t i = 0; i < conns.size(); ++i) {  // no copy: as in onAckTimer
    Conn* c = conns[i];
    if (c->handleClosing) continue;
    AsyncClient* client;
    {
      Lock lk(net);
      client = c->state == Conn::State::Open ? c->client : nullptr;  // no poll while connecting
      // An idle connection gives its buffers back (bounded memory per idle client).
      if (c->pendingBytes == 0) {
        if (c->copyBuf.capacity() > 0) std::vector<uint8_t>().swap(c->copyBuf);
        if (c->outBuf.capacity() > 0) std::vector<uint8_t>().swap(c->outBuf);
        c->outCapacity = 0;
      }
    }
    if (client) {
      counters.polls++;
      Access::poll(client);
    }
  }
}

// The lwIP error a socket error stands for: lwIP reports a reset (a refused connect is a RST in
// SYN_SENT) as ERR_RST and gives up on a retransmission or keepalive timeout with ERR_ABRT.
static int8_t lwipErrOf(int uvErr) {
  switch (uvErr) {
    case UV_ETIMEDOUT: return ERR_ABRT;
    case UV_ENETUNREACH:
    case UV_EHOSTUNREACH: return ERR_RTE;
    default: return ERR_RST;
  }
}

static void allocCb(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  Conn* c = static_cast<Conn*>(h->data);
  Device::Impl* d = c->dev;
  uint32_t room;
  {
    Lock lk(d->net);
    uint64_t held = uint64_t(c->rxUnacked) + c->linkRxBytes;  // linkRxBytes: 0 without the link model
    room = d->profile.recvWindow > held ? uint32_t(d->profile.recvWindow - held) : 0;
  }
  if (room == 0) room = 1;  // libuv needs a buffer; reading stops right after
  size_t n = room < d->readBuf.size() ? room : d->readBuf.size();
  *buf = uv_buf_init(reinterpret_cast<char*>(d->readBuf.data()), unsigned(n));
}

// What a read brought (data, the peer's FIN, an error), delivered to the firmware (async_tcp).
static void dispatchRead(Conn* c, ssize_t nread, uint8_t* data);

static void readCb(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  CpuScope cpuScope;
  Conn* c = static_cast<Conn*>(s->data);
  Device::Impl* d = c->dev;
  if (nread == 0) return;
  if (d->linkOn) {
    d->linkQueueRead(c, nread, reinterpret_cast<const uint8_t*>(buf->base));
    return;
  }
  dispatchRead(c, nread, reinterpret_cast<uint8_t*>(buf->base));
}

static void dispatchRead(Conn* c, ssize_t nread, uint8_t* data) {
  Device::Impl* d = c->dev;
  uv_stream_t* s = reinterpret_cast<uv_stream_t*>(&c->handle);
  d->kickLoop();  // the firmware may act on this in loop()
  if (nread == UV_EOF) {
    // Remote FIN: AsyncTCP's _fin closes our side, running onDisconnect here on async_tcp.
    AsyncClient* client;
    {
      Lock lk(d->net);
      client = c->client;
    }
    if (client) {
      Access::fin(client);
    } else {
      d->closeConnHandle(c, false);
    }
    return;
  }
  if (nread < 0) {
    d->connFailed(c, lwipErrOf(int(nread)));
    return;
  }
  d->counters.bytesIn += nread;
  // Deliver in pbuf-sized pieces (one MSS at most), as lwIP hands AsyncTCP a pbuf chain.
  size_t off = 0;
  const size_t mss = d->profile.mss ? d->profile.mss : 1436;
  while (off < size_t(nread)) {
    size_t n = size_t(nread) - off;
    if (n > mss) n = mss;
    AsyncClient* client;
    {
      Lock lk(d->net);
      client = c->client;
    }
    if (!client) break;  // closed meanwhile: the rest is dropped, as lwIP drops it
    Access::recv(client, data + off, n);
    off += n;
    if (c->handleClosing) break;
  }
  // Flow control: data held back with ackLater() shrinks the receive window.
  bool stop = false;
  {
    Lock lk(d->net);
    stop = uint64_t(c->rxUnacked) + c->linkRxBytes >= d->profile.recvWindow;
  }
  if (stop && c->reading && !c->handleClosing) {
    uv_read_stop(s);
    c->reading = false;
  }
}

void Device::Impl::startReading(Conn* c) {
  if (c->reading || c->handleClosing || c->linkRxEnded) return;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), allocCb, readCb) == 0) c->reading = true;
}

// ---- the link model (Profile::linkModel(); twin.h Profile explains the model) ----
//
// Outbound: what add()/send() queued stays in the connection's pending stage (space() counts it)
// until the air carries it: linkTick() gives the air to the connections in turn, one MSS each,
// at the link's bandwidth, scheduling each chunk's arrival at the peer (a one-way delay after it
// left, when it is handed to the kernel) and its acknowledgement (a round trip + jitter after it
// left). onAck credits a chunk once its acknowledgement is due AND the peer's kernel has taken
// it (SIOCOUTQ), so a slow reader still holds the window. Inbound: readCb queues what it read
// (linkQueueRead), delivered a one-way delay (+ jitter) later, after its air time; the queued
// bytes count against the receive window. A graceful close writes what is left at once.

namespace {
uint64_t linkDraw(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
// The air is scheduled this far ahead of now (us): a tick carries about one ms of bytes.
constexpr uint64_t kAirHorizonUs = 1000;
// A due acknowledgement the peer's kernel has not confirmed yet is checked again this much later.
constexpr uint64_t kLinkKernelRetryUs = 2000;
}  // namespace

uint32_t Device::Impl::linkJitterUs() {
  if (profile.linkJitterMs == 0) return 0;
  return uint32_t(linkDraw(linkRng) % (uint64_t(profile.linkJitterMs) * 1000 + 1));
}

void Device::Impl::armLinkTimer(uint64_t dueUs) {
  if (netStopping) return;
  uint64_t nowUs = uptimeUs();
  uint64_t delay = dueUs > nowUs ? (dueUs - nowUs + 999) / 1000 : 0;
  uint64_t due = uv_now(&loop) + delay;
  if (linkTimerDue != 0 && linkTimerDue <= due) return;
  linkTimerDue = due;
  uv_timer_start(&linkTimer, [](uv_timer_t* t) {
    CpuScope cpuScope;
    auto* d = static_cast<Impl*>(t->loop->data);
    d->linkTimerDue = 0;
    d->linkTick();
  }, delay, 0);
}

void Device::Impl::linkQueueRead(Conn* c, ssize_t nread, const uint8_t* data) {
  if (c->linkRxEnded || c->handleClosing) return;
  uint64_t now = uptimeUs();
  const uint64_t owdUs = uint64_t(profile.linkRttMs) * 500;
  Conn::LinkRx item;
  item.event = nread;
  uint64_t at;
  if (nread > 0) {
    item.bytes.assign(data, data + nread);
    uint64_t tx = profile.linkBandwidthKbps ? uint64_t(nread) * 8000 / profile.linkBandwidthKbps : 0;
    uint64_t start = airFreeUs > now ? airFreeUs : now;
    airFreeUs = start + tx;
    at = start + tx + owdUs + linkJitterUs() / 2;
    c->linkRxBytes += uint32_t(nread);  // counted in bytesIn when delivered
  } else {
    at = now + owdUs;  // the FIN or the error follows the data before it
    c->linkRxEnded = true;
  }
  if (at < c->linkLastRxUs) at = c->linkLastRxUs;
  c->linkLastRxUs = at;
  item.deliverAtUs = at;
  c->linkRx.push_back(std::move(item));
  bool full;
  {
    Lock lk(net);
    full = uint64_t(c->rxUnacked) + c->linkRxBytes >= profile.recvWindow;
  }
  if ((full || c->linkRxEnded) && c->reading) {
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->handle));
    c->reading = false;
  }
  armLinkTimer(at);
}

void Device::Impl::linkTick() {
  if (netStopping) return;
  const uint64_t now = uptimeUs();
  const uint64_t owdUs = uint64_t(profile.linkRttMs) * 500;
  const uint64_t rttUs = uint64_t(profile.linkRttMs) * 1000;
  const uint32_t kbps = profile.linkBandwidthKbps;
  const uint32_t mss = profile.mss ? profile.mss : 1436;
  uint64_t next = UINT64_MAX;
  auto due = [&](uint64_t t) {
    if (t < next) next = t;
  };

  // 1. The air, in turns: one MSS per connection per round while it is free within the horizon.
  std::vector<std::pair<Conn*, uint64_t>> waiting;  // connections with bytes not yet on the air
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn* c = conns[i];
    if (c->handleClosing) continue;
    uint64_t queued;
    {
      Lock lk(net);
      if (c->state != Conn::State::Open && c->state != Conn::State::Connecting) continue;
      queued = c->linkWritten + c->pendingBytes;
    }
    if (queued > c->linkSent) waiting.emplace_back(c, queued - c->linkSent);
  }
  bool airFull = false;
  while (!waiting.empty() && !airFull) {
    size_t kept = 0;
    for (size_t i = 0; i < waiting.size(); ++i) {
      Conn* c = waiting[i].first;
      uint64_t& left = waiting[i].second;
      uint64_t start = airFreeUs > now ? airFreeUs : now;
      if (start > now + kAirHorizonUs) {
        airFull = true;
        break;
      }
      uint64_t n = left < mss ? left : mss;
      uint64_t tx = kbps ? n * 8000 / kbps : 0;
      airFreeUs = start + tx;
      uint64_t j = linkJitterUs();
      uint64_t writeAt = start + tx + owdUs + j / 2;
      uint64_t ackAt = start + tx + rttUs + j;
      if (writeAt < c->linkLastWriteUs) writeAt = c->linkLastWriteUs;
      if (ackAt < c->linkLastAckUs) ackAt = c->linkLastAckUs;
      c->linkLastWriteUs = writeAt;
      c->linkLastAckUs = ackAt;
      c->linkSent += n;
      c->linkTx.push_back(Conn::LinkChunk{c->linkSent, writeAt, ackAt});
      left -= n;
      if (left > 0) waiting[kept++] = waiting[i];
    }
    if (!airFull) waiting.resize(kept);
  }
  if (!waiting.empty()) due(airFreeUs > kAirHorizonUs ? airFreeUs - kAirHorizonUs : airFreeUs);

  // 2. Per connection: hand what reached the peer to the kernel, credit the acknowledgements that
  //    are due, deliver the inbound bytes that are due. By index: callbacks may open connections
  //    (appended) or close them (their Conns stay until their close callbacks, a later turn).
  for (size_t i = 0; i < conns.size(); ++i) {
    Conn* c = conns[i];
    if (c->handleClosing) continue;
    if (!c->linkTx.empty()) {
      uint64_t releasable = c->linkWritten;
      for (const Conn::LinkChunk& k : c->linkTx) {
        if (k.writeAtUs > now) break;
        releasable = k.end;
      }
      if (releasable > c->linkWritten) {
        bool failed = false;
        long w = transmit(c, &failed, size_t(releasable - c->linkWritten));
        if (w > 0) c->linkWritten += uint64_t(w);
        if (failed) {
          uint64_t id = c->id;
          postNet([this, id] {
            if (Conn* fc = findConn(id)) connFailed(fc, ERR_RST);
          });
          continue;
        }
        if (c->linkWritten < releasable) due(now + 1000);  // the kernel is full: try again
      }
      uint64_t ackable = c->linkAcked;
      for (const Conn::LinkChunk& k : c->linkTx) {
        if (k.ackAtUs > now) break;
        ackable = k.end;
      }
      if (ackable > c->linkWritten) ackable = c->linkWritten;
      if (ackable > c->linkAcked) {
        long q = unackedInKernel(c);
        ackQueries.fetch_add(1, std::memory_order_relaxed);
        uint64_t kernelAcked = c->linkWritten - (q < 0 ? 0 : uint64_t(q) > c->linkWritten ? c->linkWritten : uint64_t(q));
        if (ackable > kernelAcked) {
          ackable = kernelAcked;
          due(now + kLinkKernelRetryUs);  // the peer has not taken it all yet
        }
      }
      if (ackable > c->linkAcked) {
        uint32_t acked = uint32_t(ackable - c->linkAcked);
        c->linkAcked = ackable;
        while (!c->linkTx.empty() && c->linkTx.front().end <= c->linkAcked) c->linkTx.pop_front();
        AsyncClient* client;
        {
          Lock lk(net);
          c->inflight = c->inflight > acked ? c->inflight - acked : 0;
          c->starved = false;
          client = c->client;
        }
        if (client) {
          counters.acks++;
          Access::sent(client, acked);
        }
        if (c->handleClosing) continue;
      }
      for (const Conn::LinkChunk& k : c->linkTx) {
        if (k.end > c->linkWritten) {
          due(k.writeAtUs);
          break;
        }
      }
      for (const Conn::LinkChunk& k : c->linkTx) {
        if (k.end > c->linkAcked) {
          if (k.ackAtUs > now) due(k.ackAtUs);
          break;
        }
      }
    }
    while (!c->linkRx.empty() && !c->handleClosing) {
      if (c->linkRx.front().deliverAtUs > now) {
        due(c->linkRx.front().deliverAtUs);
        break;
      }
      Conn::LinkRx item = std::move(c->linkRx.front());
      c->linkRx.pop_front();
      if (item.event > 0) {
        c->linkRxBytes -= uint32_t(item.event);
        dispatchRead(c, item.event, item.bytes.data());
        if (c->handleClosing) break;
        bool room;
        {
          Lock lk(net);
          room = uint64_t(c->rxUnacked) + c->linkRxBytes < profile.recvWindow;
        }
        if (room) startReading(c);
      } else {
        dispatchRead(c, item.event, nullptr);
      }
    }
  }
  if (next != UINT64_MAX) armLinkTimer(next);
}

// A network error: detach the client, then (like AsyncTCP's _error) run onError and
// onDisconnect on async_tcp, then reset the socket.
void Device::Impl::connFailed(Conn* c, int8_t err) {
  AsyncClient* client;
  {
    Lock lk(net);
    client = c->client;
    if (client) {
      Access::detach(client);
      c->client = nullptr;
    }
    c->state = Conn::State::Closed;
  }
  closeConnHandle(c, true);
  if (client) {
    counters.errors++;
    kickLoop();
    Access::error(client, err);
  }
}

// The uv_close callback of a connection: the Conn's memory is released here and only here.
static void connClosed(uv_handle_t* h) {
  CpuScope cpuScope;
  Conn* c = static_cast<Conn*>(h->data);
  Device::Impl* d = c->dev;
  d->forgetConn(c);
  d->counters.connectionsOpen--;
  delete c;
  if (!d->netStopping) d->maybeResumeAccepts();
}

void Device::Impl::closeConnHandle(Conn* c, bool reset) {
  if (c->handleClosing) return;
  c->handleClosing = true;
  if (!reset) {
    // Graceful: what was added goes out before the FIN, as lwIP's tcp_close sends its queue.
    bool failed = false;
    transmit(c, &failed);
  }
  int fd = fdOf(c);
  if (!reset && fd >= 0) {
#if defined(__linux__) || defined(__APPLE__)
    ::shutdown(fd, SHUT_WR);
#endif
  }
  (void)fd;
  auto* h = reinterpret_cast<uv_handle_t*>(&c->handle);
  if (!reset || uv_tcp_close_reset(&c->handle, connClosed) != 0) uv_close(h, connClosed);
}

void Device::Impl::acceptOne(Listener* l) {
  if (!l->sock) return;
  int64_t open = counters.connectionsOpen.load();
  if (open >= int64_t(profile.maxConnections)) {
    // No pcb for it: leave it unanswered until a slot frees (libuv keeps it and stops
    // accepting; later ones wait in the kernel's backlog).
    if (!l->deferred) counters.connectionsDeferred++;
    l->deferred = true;
    return;
  }
  l->deferred = false;
  Conn* c = new Conn();
  c->dev = this;
  c->id = nextConnId++;
  uv_tcp_init(&loop, &c->handle);
  c->handle.data = c;
  if (uv_accept(reinterpret_cast<uv_stream_t*>(l->sock), reinterpret_cast<uv_stream_t*>(&c->handle)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    return;
  }
  counters.connectionsOpen++;
  counters.connectionsTotal++;
  c->connIdx = conns.size();
  conns.push_back(c);  // async_tcp only: no lock
  connById[c->id] = c;
  sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    c->remoteIp = IPAddress(uint32_t(in->sin_addr.s_addr));
    c->remotePort = ntohs(in->sin_port);
  }
  len = sizeof ss;
  if (uv_tcp_getsockname(&c->handle, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    c->localIp = IPAddress(uint32_t(in->sin_addr.s_addr));
    c->localPort = ntohs(in->sin_port);
  }

  AsyncServer* server;
  {
    Lock lk(net);
    server = l->server;
  }
  // Fault injection: the AsyncClient allocation fails. AsyncTCP then aborts the pcb; the
  // server keeps listening.
  if (faults.failAccepts.load() > 0 && faults.failAccepts.fetch_sub(1) > 0) {
    counters.allocFailures++;
    closeConnHandle(c, true);
    return;
  }
  if (!server) {
    closeConnHandle(c, true);
    return;
  }
  AsyncClient* client = new AsyncClient();
  {
    Lock lk(net);
    Access::attach(client, c);
    Access::setRxLast(client, millis());
    Access::setAckTimeout(client, profile.ackTimeoutMs);  // the profile's AsyncTCP build setting
    c->client = client;
    c->noDelay = server->getNoDelay();
  }
  if (c->noDelay) uv_tcp_nodelay(&c->handle, 1);
  startReading(c);
  AcConnectHandler cb;
  void* arg;
  {
    Lock lk(net);
    cb = l->server ? Access::connectCb(l->server) : nullptr;
    arg = l->server ? Access::connectArg(l->server) : nullptr;
  }
  if (cb) {
    kickLoop();
    jitterPoint();
    cb(arg, client);
    jitterPoint();
  } else {
    client->abort();
    delete client;
  }
}

void Device::Impl::maybeResumeAccepts() {
  // A snapshot: an onClient callback may end a server; its Listener stays allocated until a
  // later turn of async_tcp (retireListener), so the snapshot stays valid.
  std::vector<Listener*> snap = listeners;
  for (Listener* l : snap) {
    if (l->deferred && l->sock && !l->dead) acceptOne(l);
  }
}

// ---- listening sockets ----

static void listenerSockClosed(uv_handle_t* h) {
  auto* l = static_cast<Listener*>(h->data);
  delete reinterpret_cast<uv_tcp_t*>(h);
  --l->socksClosing;
  if (l->dead && !l->sock && l->socksClosing == 0) delete l;
}

bool Device::Impl::listenOn(Listener* l, uint16_t port, std::string& error) {
  auto* h = new uv_tcp_t;
  uv_tcp_init(&loop, h);
  h->data = l;
  l->sock = h;
  l->deferred = false;
  sockaddr_in sa;
  uv_ip4_addr("127.0.0.1", port, &sa);
  int rc = uv_tcp_bind(h, reinterpret_cast<const sockaddr*>(&sa), 0);
#if defined(__linux__) || defined(__APPLE__)
  if (rc == 0 && profile.mss) {
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<uv_handle_t*>(h), &fd) == 0) {
      int mss = int(profile.mss);
      setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof mss);
    }
  }
#endif
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(h), 16, [](uv_stream_t* s, int status) {
      auto* l = static_cast<Listener*>(s->data);
      CpuScope cpuScope;
      if (status == 0 && l->sock == reinterpret_cast<uv_tcp_t*>(s) && !l->dead) l->dev->acceptOne(l);
    });
  }
  if (rc != 0) {
    error = std::string("listen on 127.0.0.1:") + std::to_string(port) + " failed: " + uv_strerror(rc);
    closeListenerSock(l);
    return false;
  }
  sockaddr_storage ss;
  int len = sizeof ss;
  uv_tcp_getsockname(h, reinterpret_cast<sockaddr*>(&ss), &len);
  l->hostPort = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return true;
}

void Device::Impl::closeListenerSock(Listener* l) {
  if (!l->sock) return;
  uv_tcp_t* h = l->sock;
  l->sock = nullptr;
  l->socksClosing++;
  l->deferred = false;
  // uv_close closes the socket now (the port is free when this returns: a new socket may bind
  // it at once); the handle's memory goes in the callback, on a later turn.
  uv_close(reinterpret_cast<uv_handle_t*>(h), listenerSockClosed);
}

void Device::Impl::suspendListener(Listener* l) {
  if (l->dead) return;
  l->suspended = true;
  closeListenerSock(l);
}

void Device::Impl::resumeListener(Listener* l) {
  if (l->dead || !l->suspended) return;
  l->suspended = false;
  if (l->sock) return;
  std::string error;
  if (!listenOn(l, l->hostPort, error)) log(LogLevel::Error, "network up: " + error);
}

void Device::Impl::retireListener(Listener* l) {
  l->dead = true;
  closeListenerSock(l);
  if (l->socksClosing == 0) {
    // No socket (the network is down): free it on a later turn, as a close callback would, so
    // a snapshot taken by a running dispatch (maybeResumeAccepts) stays valid. Once async_tcp
    // is closing no later turn comes: then now.
    if (!postNet([l] { delete l; })) delete l;
  }
}

// ---- client side ----

static void connectCb(uv_connect_t* req, int status) {
  CpuScope cpuScope;
  Conn* c = static_cast<Conn*>(req->data);
  Device::Impl* d = c->dev;
  // Closed before the handshake finished (close()/abort()/reset/stop): nothing more to report.
  if (c->handleClosing) return;
  if (status != 0) {
    // Refused (RST in SYN_SENT) or timed out: onError + onDisconnect, as lwIP's tcp_err.
    d->connFailed(c, lwipErrOf(status));
    return;
  }
  sockaddr_storage ss;
  int len = sizeof ss;
  if (uv_tcp_getsockname(&c->handle, reinterpret_cast<sockaddr*>(&ss), &len) == 0 && ss.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    Lock lk(d->net);
    c->localIp = IPAddress(uint32_t(in->sin_addr.s_addr));
    c->localPort = ntohs(in->sin_port);
  }
  AsyncClient* client;
  {
    Lock lk(d->net);
    client = c->client;
    if (client) c->state = Conn::State::Open;
  }
  // Detached meanwhile by a close() from another thread: its posted close follows.
  if (!client) return;
  d->startReading(c);
  d->kickLoop();
  Access::connected(client);
}

bool Device::Impl::connectOut(AsyncClient* client, uint32_t addr, uint16_t port) {
  if (!netUp.load()) return false;       // no route while the network is down (lwIP: ERR_RTE)
  if ((addr & 0xff) != 127) return false;  // only the loopback network exists here
  if (counters.connectionsOpen.load() >= int64_t(profile.maxConnections)) return false;  // no pcb
  uint16_t hostPort = port;
  {
    Lock lk(net);
    if (Access::attached(client)) return false;
    // The firmware's own listening port reaches its own listener (the board's loopback).
    auto it = portMap.find(port);
    if (it != portMap.end()) hostPort = it->second;
  }
  Conn* c = new Conn();
  c->dev = this;
  c->id = nextConnId++;
  c->state = Conn::State::Connecting;
  uv_tcp_init(&loop, &c->handle);
  c->handle.data = c;
  c->connectReq.data = c;
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(hostPort);
  sa.sin_addr.s_addr = addr;
  if (hostPort == 0 ||
      uv_tcp_connect(&c->connectReq, &c->handle, reinterpret_cast<const sockaddr*>(&sa), connectCb) != 0) {
    // Nothing started (a refusal is reported later, through connectCb).
    uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), [](uv_handle_t* h) { delete static_cast<Conn*>(h->data); });
    return false;
  }
  counters.connectionsOpen++;
  c->connIdx = conns.size();
  conns.push_back(c);  // async_tcp only: no lock
  connById[c->id] = c;
  {
    Lock lk(net);
    c->remoteIp = IPAddress(addr);
    c->remotePort = port;  // the firmware's view: the port it asked for
    c->client = client;
    Access::attach(client, c);
  }
  return true;
}

// ---- network switches ----

void Device::Impl::resetConnections() {
  // By id: a callback may open or close connections while this runs.
  std::vector<uint64_t> ids;
  ids.reserve(conns.size());
  for (Conn* c : conns) {
    if (!c->handleClosing) ids.push_back(c->id);
  }
  for (uint64_t id : ids) {
    if (Conn* c = findConn(id)) connFailed(c, ERR_RST);
  }
}

void Device::Impl::applyNetworkState() {
  bool up = netUp.load();
  for (Listener* l : listeners) {  // no callbacks run here: no snapshot needed
    if (up) {
      resumeListener(l);
    } else {
      suspendListener(l);
    }
  }
}

void Device::Impl::shutdownNet() {
  // The firmware is gone. Whatever it left open is reset without callbacks (its handlers may
  // point into the destroyed firmware); leaked AsyncClients stay counted in clientsAlive.
  std::vector<Conn*> snap = conns;
  for (Conn* c : snap) {
    {
      Lock lk(net);
      if (c->client) {
        Access::detach(c->client);
        c->client = nullptr;
      }
    }
    closeConnHandle(c, true);
  }
  {
    // No more posts from here on (postNet refuses them), so wake can be closed below; what was
    // posted and not yet run, netMain runs after the loop ends.
    Lock lk(taskMu);
    netClosed = true;
  }
  {
    Lock lk(net);
    for (auto& kv : lookups) Access::clearLookup(kv.second);
    lookups.clear();
  }
  for (Listener* l : listeners) {
    l->dead = true;
    closeListenerSock(l);
    if (l->socksClosing == 0) delete l;  // else its last close callback frees it
  }
  listeners.clear();
  uv_timer_stop(&pollTimer);
  uv_timer_stop(&ackTimer);
  ackTimerDue = 0;
  uv_timer_stop(&linkTimer);
  linkTimerDue = 0;
  uv_prepare_stop(&flushPrepare);
  uv_check_stop(&flushCheck);
  uv_close(reinterpret_cast<uv_handle_t*>(&pollTimer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&ackTimer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&linkTimer), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flushPrepare), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&flushCheck), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
  // uv_run returns once these close callbacks ran.
}

void resetAllConnections(Device* dev) {
  if (!dev) return;
  Device::Impl* d = dev->impl();
  d->runOnNet([d] { d->resetConnections(); });
}

void setNetworkUp(Device* dev, bool up) {
  if (!dev) return;
  Device::Impl* d = dev->impl();
  d->netUp = up;
  // The posted work applies the flag as it is when it runs, so racing calls end in the state of
  // the last one to store it.
  d->runOnNet([d] { d->applyNetworkState(); });
}

bool networkUp(Device* dev) { return dev && dev->impl()->netUp.load(); }

}  // namespace twin

// ---------------- lwIP pbufs (onPacket) ----------------

namespace {
constexpr u8_t kPbufTwinHeap = 0x80;  // lwIP's PBUF_RAM type bits: one block, heap

// One heap block: the struct, then the payload. Null when the host is out of memory.
pbuf* pbufCopy(const uint8_t* data, size_t len) {
  auto* p = static_cast<pbuf*>(std::malloc(sizeof(pbuf) + len));
  if (!p) return nullptr;
  p->next = nullptr;
  p->payload = reinterpret_cast<uint8_t*>(p) + sizeof(pbuf);
  p->tot_len = u16_t(len);
  p->len = u16_t(len);
  p->type_internal = kPbufTwinHeap;
  p->flags = 0;
  p->ref = 1;
  p->if_idx = 0;
  if (len) std::memcpy(p->payload, data, len);
  return p;
}
}  // namespace

extern "C" u8_t pbuf_free(struct pbuf* p) {
  u8_t freed = 0;
  while (p) {
    if (p->ref > 1) {
      --p->ref;
      break;
    }
    pbuf* next = p->next;
    std::free(p);
    ++freed;
    p = next;
  }
  return freed;
}

extern "C" void pbuf_ref(struct pbuf* p) {
  if (p) ++p->ref;
}

extern "C" u16_t pbuf_copy_partial(const struct pbuf* p, void* dataptr, u16_t len, u16_t offset) {
  if (!p || !dataptr) return 0;
  u16_t copied = 0;
  for (; p && len; p = p->next) {
    if (offset >= p->len) {
      offset = u16_t(offset - p->len);
      continue;
    }
    u16_t n = u16_t(p->len - offset);
    if (n > len) n = len;
    std::memcpy(static_cast<uint8_t*>(dataptr) + copied, static_cast<const uint8_t*>(p->payload) + offset, n);
    copied = u16_t(copied + n);
    len = u16_t(len - n);
    offset = 0;
  }
  return copied;
}

// ---------------- AsyncClient ----------------

using twin::Conn;
using twin::Lock;

static twin::Device::Impl* implOf(twin::Device* d) { return d ? d->impl() : nullptr; }

AsyncClient::AsyncClient(tcp_pcb* pcb) {
  _device = twin::contextDevice();
  twin::Device::Impl* d = implOf(_device);
  if (d) {
    d->counters.clientsAlive++;
    _ack_timeout = d->profile.ackTimeoutMs;  // the profile's CONFIG_ASYNC_TCP_MAX_ACK_TIME
  }
  if (pcb) {
    twin::log(twin::LogLevel::Error,
              "AsyncClient(tcp_pcb*): the twin has no lwIP pcbs; the client stays unconnected");
  }
}

AsyncClient::~AsyncClient() {
  _close();
  if (twin::Device::Impl* d = implOf(_device)) d->counters.clientsAlive--;
}

bool AsyncClient::operator==(const AsyncClient& other) const {
  auto connOf = [](const AsyncClient& c) -> const void* {
    twin::Device::Impl* d = implOf(c._device);
    if (!d) return nullptr;
    Lock lk(d->net);
    return c._conn;
  };
  return connOf(*this) == connOf(other);
}

void AsyncClient::_adoptDevice() {
  if (_device) return;
  _device = twin::contextDevice();
  if (twin::Device::Impl* d = implOf(_device)) d->counters.clientsAlive++;
}

bool AsyncClient::_connectTo(uint32_t addr, uint16_t port) {
  _adoptDevice();
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  {
    twin::NetLock lk(d, "AsyncClient::_connectTo");
    if (_conn || _lookup) return false;
  }
  bool ok = false;
  if (!d->runOnNet([&] { ok = d->connectOut(this, addr, port); })) return false;
  return ok;
}

bool AsyncClient::connect(ip_addr_t addr, uint16_t port) {
  if (addr.type == IPADDR_TYPE_V6) return false;  // the twin's network is IPv4 only
  return _connectTo(addr.u_addr.ip4.addr, port);
}

bool AsyncClient::connect(const IPAddress& ip, uint16_t port) { return _connectTo(uint32_t(ip), port); }

bool AsyncClient::connect(const char* host, uint16_t port) {
  // lwIP's dns_gethostbyname: ERR_ARG for no name or one longer than DNS_MAX_NAME_LENGTH.
  if (!host || !*host || std::strlen(host) > 255) return false;
  if (std::strcmp(host, "localhost") == 0) return _connectTo(htonl(INADDR_LOOPBACK), port);
  in_addr a;
  if (inet_aton(host, &a) != 0) return _connectTo(uint32_t(a.s_addr), port);  // an IPv4 literal
  if (std::strchr(host, ':')) return false;  // an IPv6 literal: no IPv6 here
  // Any other name: the lookup is under way (connect() returns true) and fails on async_tcp.
  _adoptDevice();
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  uint64_t id;
  {
    twin::NetLock lk(d, "AsyncClient::connect");
    if (_conn || _lookup) return false;
    id = d->nextLookupId++;
    _lookup = id;
    d->lookups[id] = this;
  }
  bool posted = d->running && !d->netStopping && d->postNet([d, id] {
    if (d->netStopping) return;
    AsyncClient* client;
    {
      twin::NetLock lk(d, "AsyncClient::connect");
      auto it = d->lookups.find(id);
      if (it == d->lookups.end()) return;  // cancelled (close, abort, destroyed)
      client = it->second;
      d->lookups.erase(it);
      twin::Access::clearLookup(client);
    }
    d->counters.errors++;
    client->_error(twin::kErrDnsFailed);
  });
  if (!posted) _cancelLookup();
  return posted;
}

bool AsyncClient::_cancelLookup() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  twin::NetLock lk(d, "AsyncClient::_cancelLookup");
  if (!_lookup) return false;
  d->lookups.erase(_lookup);
  _lookup = 0;
  return true;
}

bool AsyncClient::_detachAndClose(bool reset) {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  Conn* c;
  uint64_t id = 0;
  {
    twin::NetLock lk(d, "AsyncClient::_detachAndClose");
    c = _conn;
    if (c) {
      c->client = nullptr;
      _conn = nullptr;
      c->state = reset ? Conn::State::Aborting : Conn::State::Closing;
      id = c->id;
    }
  }
  if (!c) return false;
  d->withConn(c, id, [d, reset](Conn* fc) { d->closeConnHandle(fc, reset); });
  return true;
}

int8_t AsyncClient::_close() {
  bool had = _detachAndClose(false);
  had = _cancelLookup() || had;
  if (!had) return ERR_CONN;
  // As AsyncTCP: the disconnect callback runs now, on this thread; nothing touches `this`
  // after it returns (the jitter points around it touch nothing of it).
  if (_discard_cb) {
    twin::jitterPoint();
    _discard_cb(_discard_cb_arg, this);
    twin::jitterPoint();
  }
  return ERR_OK;
}

void AsyncClient::close() { _close(); }

int8_t AsyncClient::abort() {
  bool had = _detachAndClose(true);
  had = _cancelLookup() || had;
  if (!had) return ERR_CONN;
  implOf(_device)->counters.errors++;
  _error(ERR_ABRT);
  return ERR_ABRT;
}

bool AsyncClient::free() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return true;
  twin::NetLock lk(d, "AsyncClient::free");
  return !_conn || (_conn->state != Conn::State::Open && _conn->state != Conn::State::Connecting);
}

size_t AsyncClient::space() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return 0;
  size_t room;
  bool flushNow = false;
  {
    twin::NetLock lk(d);
    Conn* c = _conn;
    if (!c || c->state != Conn::State::Open || c->writeFailed) return 0;
    size_t used = size_t(c->pendingBytes) + c->inflight;
    size_t window = d->profile.sendWindow;
    room = used >= window ? 0 : window - used;
    if (room == 0) {
      c->starved = true;  // the sender waits for acks: check them promptly
      // A corked loop pass that finds the window full gets its bytes written now (it may spin
      // on canSend() waiting for room that only the flush and its acks can make).
      flushNow = c->pendingBytes > 0 && twin::corkedOn(d);
    }
  }
  if (flushNow) {
    if (twin::netBatchedOn(d)) twin::netBatchDeferCorkFlush();
    else twin::corkFlush();
  }
  return room;
}

bool AsyncClient::canSend() const { return space() > 0; }

size_t AsyncClient::add(const char* data, size_t size, uint8_t apiflags) {
  twin::Device::Impl* d = implOf(_device);
  if (!d || !data || size == 0) return 0;
  twin::NetLock lk(d);
  Conn* c = _conn;
  if (!c || c->state != Conn::State::Open || c->writeFailed) return 0;
  size_t used = size_t(c->pendingBytes) + c->inflight;
  size_t window = d->profile.sendWindow;
  size_t room = used >= window ? 0 : window - used;
  size_t n = size < room ? size : room;
  if (n < size) c->starved = true;
  if (n == 0) return 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data);
  if (!(apiflags & ASYNC_WRITE_FLAG_COPY)) {
    // lwIP's tcp_write without TCP_WRITE_FLAG_COPY: a reference; the caller keeps the bytes
    // valid until they are acknowledged.
    c->segs.push_back(Conn::Seg{p, 0, uint32_t(n)});
  } else {
    std::vector<uint8_t>& b = c->copyBuf;
    if (b.size() + n > b.capacity() && c->pendingBytes > 0) {
      // Compact: move the live copied bytes to the front instead of growing past the window.
      size_t live = b.size();
      for (size_t i = c->segHead; i < c->segs.size(); ++i) {
        if (!c->segs[i].ext) {
          live = c->segs[i].off;
          break;
        }
      }
      if (live > 0) {
        b.erase(b.begin(), b.begin() + ptrdiff_t(live));
        for (size_t i = c->segHead; i < c->segs.size(); ++i)
          if (!c->segs[i].ext) c->segs[i].off -= uint32_t(live);
      }
    }
    if (b.size() + n > b.capacity()) {
      // Grow by doubling, never past the window (pending bytes never exceed it).
      size_t want = b.capacity() * 2 > b.size() + n ? b.capacity() * 2 : b.size() + n;
      if (want > window && b.size() + n <= window) want = window;
      b.reserve(want);
    }
    uint32_t off = uint32_t(b.size());
    b.insert(b.end(), p, p + n);
    Conn::Seg* last = c->segs.size() > c->segHead ? &c->segs.back() : nullptr;
    if (last && !last->ext && last->off + last->len == off) {
      last->len += uint32_t(n);  // contiguous with the previous copy: one segment
    } else {
      c->segs.push_back(Conn::Seg{nullptr, off, uint32_t(n)});
    }
  }
  c->pendingBytes += uint32_t(n);
  c->stagedBytes += uint32_t(n);
  return n;
}

bool AsyncClient::send() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  bool wake;
  {
    twin::NetLock lk(d);
    Conn* c = _conn;
    if (!c || c->state != Conn::State::Open) return false;
    // As AsyncTCP's send(), the ack timeout counts from here; the twin stamps the first send()
    // of a batch (the batch goes out at once, within one turn or pass).
    if (!c->dirty) _tx_last_packet = millis();
    // Written at the end of this turn of async_tcp, or of this loop() pass, or now (woken).
    wake = d->markDirtyLocked(c);
    // A corked pass that has piled up kCorkMaxBytes for one connection lets async_tcp write
    // them now (as Linux's autocork sends once a segment is full): a stream of large messages
    // stays in cache and both cores work.
    if (!wake && c->stagedBytes >= twin::kCorkMaxBytes && twin::corkedOn(d)) wake = true;
  }
  if (wake) {
    if (twin::netBatchedOn(d)) twin::netBatchDeferWake();
    else d->wakeNet();
  }
  return true;
}

size_t AsyncClient::write(const char* data, size_t size, uint8_t apiflags) {
  size_t n = add(data, size, apiflags);
  if (!n || !send()) return 0;
  return n;
}

uint8_t AsyncClient::state() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return CLOSED;
  twin::NetLock lk(d);
  if (!_conn) return CLOSED;
  switch (_conn->state) {
    case Conn::State::Connecting: return SYN_SENT;
    case Conn::State::Open: return ESTABLISHED;
    default: return FIN_WAIT_1;
  }
}
bool AsyncClient::connecting() const { uint8_t s = state(); return s > CLOSED && s < ESTABLISHED; }
bool AsyncClient::connected() const { return state() == ESTABLISHED; }
bool AsyncClient::disconnecting() const { uint8_t s = state(); return s > ESTABLISHED && s < TIME_WAIT; }
bool AsyncClient::disconnected() const { uint8_t s = state(); return s == CLOSED || s == TIME_WAIT; }
bool AsyncClient::freeable() const { uint8_t s = state(); return s == CLOSED || s > ESTABLISHED; }

uint16_t AsyncClient::getMss() const {
  twin::Device::Impl* d = implOf(_device);
  return d && connected() ? uint16_t(d->profile.mss) : 0;
}

uint32_t AsyncClient::getRxTimeout() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return _rx_timeout;
  twin::NetLock lk(d);
  return _rx_timeout;
}
void AsyncClient::setRxTimeout(uint32_t timeout) {
  twin::Device::Impl* d = implOf(_device);
  if (!d) { _rx_timeout = timeout; return; }
  twin::NetLock lk(d, "AsyncClient::setRxTimeout");
  _rx_timeout = timeout;
}
uint32_t AsyncClient::getAckTimeout() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return _ack_timeout;
  twin::NetLock lk(d);
  return _ack_timeout;
}
void AsyncClient::setAckTimeout(uint32_t timeout) {
  twin::Device::Impl* d = implOf(_device);
  if (!d) { _ack_timeout = timeout; return; }
  twin::NetLock lk(d, "AsyncClient::setAckTimeout");
  _ack_timeout = timeout;
}

void AsyncClient::setNoDelay(bool nodelay) const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return;
  Conn* c;
  uint64_t id;
  {
    twin::NetLock lk(d, "AsyncClient::setNoDelay");
    c = _conn;
    if (!c) return;
    c->noDelay = nodelay;
    id = c->id;
  }
  d->withConn(c, id, [nodelay](Conn* fc) { uv_tcp_nodelay(&fc->handle, nodelay ? 1 : 0); });
}

bool AsyncClient::getNoDelay() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return false;
  twin::NetLock lk(d);
  return _conn && _conn->noDelay;
}

void AsyncClient::setKeepAlive(uint32_t ms, uint8_t cnt) {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return;
  Conn* c;
  uint64_t id;
  {
    twin::NetLock lk(d, "AsyncClient::setKeepAlive");
    c = _conn;
    if (!c) return;  // AsyncTCP dereferences its null pcb here; the twin does nothing
    id = c->id;
  }
  d->withConn(c, id, [ms, cnt](Conn* fc) {
    if (ms == 0) {
      uv_tcp_keepalive(&fc->handle, 0, 0);
      return;
    }
    unsigned secs = unsigned((ms + 999) / 1000);
    uv_tcp_keepalive(&fc->handle, 1, secs);
#if defined(__linux__)
    int fd = twin::fdOf(fc);
    if (fd >= 0) {
      int intvl = int(secs), probes = cnt ? int(cnt) : 1;
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
      setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    }
#endif
  });
}

// A field of the connection (read-only: allowed inside a net batch).
#define TWIN_CONN_FIELD(expr, dflt)        \
  twin::Device::Impl* d = implOf(_device); \
  if (!d) return dflt;                     \
  twin::NetLock lk(d);                     \
  return _conn ? (expr) : dflt;

uint32_t AsyncClient::getRemoteAddress() const { TWIN_CONN_FIELD(uint32_t(_conn->remoteIp), 0u) }
uint16_t AsyncClient::getRemotePort() const { TWIN_CONN_FIELD(_conn->remotePort, uint16_t(0)) }
uint32_t AsyncClient::getLocalAddress() const { TWIN_CONN_FIELD(uint32_t(_conn->localIp), 0u) }
uint16_t AsyncClient::getLocalPort() const { TWIN_CONN_FIELD(_conn->localPort, uint16_t(0)) }
ip4_addr_t AsyncClient::getRemoteAddress4() const { return ip4_addr_t{getRemoteAddress()}; }
ip4_addr_t AsyncClient::getLocalAddress4() const { return ip4_addr_t{getLocalAddress()}; }
ip6_addr_t AsyncClient::getRemoteAddress6() const {
  ip6_addr_t zero;
  ip6_addr_set_zero(&zero);
  return zero;
}
ip6_addr_t AsyncClient::getLocalAddress6() const { return getRemoteAddress6(); }
IPAddress AsyncClient::remoteIP6() const { return remoteIP(); }
IPAddress AsyncClient::localIP6() const { return localIP(); }
IPAddress AsyncClient::remoteIP() const { return IPAddress(getRemoteAddress()); }
IPAddress AsyncClient::localIP() const { return IPAddress(getLocalAddress()); }

tcp_pcb* AsyncClient::pcb() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return nullptr;
  twin::NetLock lk(d, "AsyncClient::pcb");
  return reinterpret_cast<tcp_pcb*>(_conn);  // opaque: never dereferenced
}

void AsyncClient::onConnect(AcConnectHandler cb, void* arg) { _connect_cb = std::move(cb); _connect_cb_arg = arg; }
void AsyncClient::onDisconnect(AcConnectHandler cb, void* arg) { _discard_cb = std::move(cb); _discard_cb_arg = arg; }
void AsyncClient::onAck(AcAckHandler cb, void* arg) { _sent_cb = std::move(cb); _sent_cb_arg = arg; }
void AsyncClient::onError(AcErrorHandler cb, void* arg) { _error_cb = std::move(cb); _error_cb_arg = arg; }
void AsyncClient::onData(AcDataHandler cb, void* arg) { _recv_cb = std::move(cb); _recv_cb_arg = arg; }
void AsyncClient::onPacket(AcPacketHandler cb, void* arg) { _pb_cb = std::move(cb); _pb_cb_arg = arg; }
void AsyncClient::onTimeout(AcTimeoutHandler cb, void* arg) { _timeout_cb = std::move(cb); _timeout_cb_arg = arg; }
void AsyncClient::onPoll(AcConnectHandler cb, void* arg) { _poll_cb = std::move(cb); _poll_cb_arg = arg; }

// Gives len bytes back to the receive window of this client's connection (ack, ackPacket).
static void reopenWindow(twin::Device::Impl* d, Conn*& cOut, uint64_t& idOut, bool& resume, size_t len, Conn* c) {
  cOut = c;
  if (!c) return;
  c->rxUnacked = c->rxUnacked > len ? c->rxUnacked - uint32_t(len) : 0;
  resume = c->rxUnacked < d->profile.recvWindow;
  idOut = c->id;
}

size_t AsyncClient::ack(size_t len) {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return 0;
  Conn* c = nullptr;
  uint64_t id = 0;
  bool resume = false;
  {
    twin::NetLock lk(d, "AsyncClient::ack");
    if (len > _rx_ack_len) len = _rx_ack_len;
    _rx_ack_len -= uint32_t(len);
    reopenWindow(d, c, id, resume, len, _conn);
  }
  if (resume && len) d->withConn(c, id, [d](Conn* fc) { d->startReading(fc); });
  return len;
}

void AsyncClient::ackPacket(struct pbuf* pb) {
  if (!pb) return;
  size_t len = pb->len;
  if (twin::Device::Impl* d = implOf(_device)) {
    Conn* c = nullptr;
    uint64_t id = 0;
    bool resume = false;
    {
      twin::NetLock lk(d, "AsyncClient::ackPacket");
      reopenWindow(d, c, id, resume, len, _conn);
    }
    if (resume && len) d->withConn(c, id, [d](Conn* fc) { d->startReading(fc); });
  }
  pbuf_free(pb);
}

const char* AsyncClient::errorToString(int8_t error) {
  switch (error) {
    case ERR_OK: return "OK";
    case ERR_MEM: return "Out of memory error";
    case ERR_BUF: return "Buffer error";
    case ERR_TIMEOUT: return "Timeout";
    case ERR_RTE: return "Routing problem";
    case ERR_INPROGRESS: return "Operation in progress";
    case ERR_VAL: return "Illegal value";
    case ERR_WOULDBLOCK: return "Operation would block";
    case ERR_USE: return "Address in use";
    case ERR_ALREADY: return "Already connected";
    case ERR_CONN: return "Not connected";
    case ERR_IF: return "Low-level netif error";
    case ERR_ABRT: return "Connection aborted";
    case ERR_RST: return "Connection reset";
    case ERR_CLSD: return "Connection closed";
    case ERR_ARG: return "Illegal argument";
    case twin::kErrDnsFailed: return "DNS failed";
    default: return "UNKNOWN";
  }
}

const char* AsyncClient::stateToString() const {
  switch (state()) {
    case CLOSED: return "Closed";
    case LISTEN: return "Listen";
    case SYN_SENT: return "SYN Sent";
    case SYN_RCVD: return "SYN Received";
    case ESTABLISHED: return "Established";
    case FIN_WAIT_1: return "FIN Wait 1";
    case FIN_WAIT_2: return "FIN Wait 2";
    case CLOSE_WAIT: return "Close Wait";
    case CLOSING: return "Closing";
    case LAST_ACK: return "Last ACK";
    case TIME_WAIT: return "Time Wait";
    default: return "UNKNOWN";
  }
}

int8_t AsyncClient::_recv(tcp_pcb*, pbuf* pb, int8_t) {
  if (!implOf(_device)) {
    pbuf_free(pb);
    return ERR_CONN;
  }
  while (pb) {
    pbuf* b = pb;
    pb = b->next;
    b->next = nullptr;
    _twinRecv(static_cast<uint8_t*>(b->payload), b->len);  // onPacket gets its own copy
    pbuf_free(b);
  }
  return ERR_OK;
}

// -- dispatch (async_tcp only), in the shape of AsyncTCP's private callbacks --

void AsyncClient::_twinRecv(uint8_t* data, size_t len) {
  _rx_last_packet = millis();
  _ack_pcb = true;
  twin::Device::Impl* d = implOf(_device);
  if (_pb_cb) {
    // onPacket: the handler owns a copy; its bytes stay out of the receive window until
    // ackPacket(). Counted before the call, which may ackPacket() at once.
    pbuf* p = pbufCopy(data, len);
    if (!p) {
      d->log(twin::LogLevel::Error, "AsyncClient: out of host memory for a pbuf; connection aborted");
      abort();
      return;
    }
    {
      twin::NetLock lk(d, "AsyncClient::_twinRecv");
      if (_conn) _conn->rxUnacked += uint32_t(len);
    }
    _pb_cb(_pb_cb_arg, this, p);
    return;
  }
  if (_recv_cb) _recv_cb(_recv_cb_arg, this, data, len);
  // Like AsyncTCP's _recv, this reads the client after the callback: deleting the client
  // inside its own onData is a use-after-free on the board, and so it is here.
  if (!_ack_pcb) {
    twin::NetLock lk(d, "AsyncClient::_twinRecv");
    _rx_ack_len += uint32_t(len);
    if (_conn) _conn->rxUnacked += uint32_t(len);
  }
}

void AsyncClient::_twinSent(size_t len) {
  uint32_t now = millis();
  uint32_t tx;
  {
    twin::Device::Impl* d = implOf(_device);
    twin::NetLock lk(d, "AsyncClient::_twinSent");
    _rx_last_ack = now;
    tx = _tx_last_packet;
  }
  _rx_last_packet = now;
  if (_sent_cb) _sent_cb(_sent_cb_arg, this, len, now - tx);
}

void AsyncClient::_twinPoll() {
  uint32_t now = millis();
  uint32_t tx, lastAck, ackTimeout, rxTimeout;
  twin::Device::Impl* d = implOf(_device);
  {
    twin::NetLock lk(d, "AsyncClient::_twinPoll");
    if (!_conn || _conn->state != Conn::State::Open) return;  // no poll before the handshake
    tx = _tx_last_packet;
    lastAck = _rx_last_ack;
    ackTimeout = _ack_timeout;
    rxTimeout = _rx_timeout;
  }
  // Ack timeout (AsyncTCP semantics): data sent after the last ack and unacknowledged for
  // ackTimeout ms runs onTimeout; AsyncTCP itself does not close (the handler does).
  if (ackTimeout && int32_t(tx - lastAck) > 0 && now - tx >= ackTimeout) {
    d->counters.ackTimeouts++;
    if (_timeout_cb) _timeout_cb(_timeout_cb_arg, this, now - tx);
    return;
  }
  // Rx timeout: no data for rxTimeout seconds closes the connection.
  if (rxTimeout && now - _rx_last_packet >= rxTimeout * 1000) {
    d->counters.rxTimeouts++;
    _close();
    return;
  }
  if (_poll_cb) _poll_cb(_poll_cb_arg, this);
}

void AsyncClient::_twinConnected() {
  // AsyncTCP's _connected: the idle and ack clocks start now.
  twin::Device::Impl* d = implOf(_device);
  {
    twin::NetLock lk(d, "AsyncClient::_twinConnected");
    _tx_last_packet = 0;
    _rx_last_ack = 0;
  }
  _rx_last_packet = millis();
  if (_connect_cb) _connect_cb(_connect_cb_arg, this);
}

void AsyncClient::_error(int8_t err) {
  if (_error_cb) _error_cb(_error_cb_arg, this, err);
  if (_discard_cb) _discard_cb(_discard_cb_arg, this);
}

// ---------------- AsyncServer ----------------

static IPAddress ipOf(const ip_addr_t& a) {
  return a.type == IPADDR_TYPE_V6 ? IPAddress() : IPAddress(a.u_addr.ip4.addr);
}

AsyncServer::AsyncServer(ip_addr_t addr, uint16_t port) : _port(port), _addr(ipOf(addr)) {
  _device = twin::contextDevice();
}
AsyncServer::AsyncServer(IPAddress addr, uint16_t port) : _port(port), _addr(addr) {
  _device = twin::contextDevice();
}
AsyncServer::AsyncServer(uint16_t port) : AsyncServer(IPAddress(), port) {}
AsyncServer::~AsyncServer() { end(); }

void AsyncServer::onClient(AcConnectHandler cb, void* arg) {
  twin::Device::Impl* d = implOf(_device ? _device : twin::contextDevice());
  if (d) {
    twin::NetLock lk(d, "AsyncServer::onClient");
    _connect_cb = std::move(cb);
    _connect_cb_arg = arg;
  } else {
    _connect_cb = std::move(cb);
    _connect_cb_arg = arg;
  }
}

void AsyncServer::begin() {
  if (!_device) _device = twin::contextDevice();
  twin::Device::Impl* d = implOf(_device);
  if (!d) return;
  {
    twin::NetLock lk(d, "AsyncServer::begin");
    if (_listener) return;
  }
  std::string error;
  d->runOnNet([&] {
    {
      // Checked again here: two begin() calls racing both passed the check above, and only
      // async_tcp (where this runs) serialises them.
      twin::NetLock lk(d, "AsyncServer::begin");
      if (_listener) return;
    }
    if (d->faults.failListen.load() > 0 && d->faults.failListen.fetch_sub(1) > 0) {
      error = "injected listen failure";
      return;
    }
    auto* l = new twin::Listener();
    l->dev = d;
    l->firmwarePort = _port;
    uint16_t hostPort;
    {
      twin::NetLock lk(d, "AsyncServer::begin");
      auto it = d->portMap.find(_port);
      hostPort = it != d->portMap.end() ? it->second : (d->portMap.empty() ? d->profile.hostPort : 0);
    }
    if (!d->listenOn(l, hostPort, error)) {
      l->dead = true;  // its socket is closing: the close callback frees it
      return;
    }
    d->listeners.push_back(l);
    {
      twin::NetLock lk(d, "AsyncServer::begin");
      l->server = this;
      _listener = l;
      d->portMap[_port] = l->hostPort;
      d->boundPorts.push_back(l->hostPort);
    }
    d->counters.serversListening++;
    // Network down: the port is bound and known, and refuses until the network is up.
    if (!d->netUp.load()) d->suspendListener(l);
  });
  if (!error.empty()) d->log(twin::LogLevel::Error, "AsyncServer::begin: " + error);
}

void AsyncServer::end() {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return;
  {
    twin::NetLock lk(d, "AsyncServer::end");
    if (!_listener) return;
  }
  d->runOnNet([&] {
    twin::Listener* l;
    {
      twin::NetLock lk(d, "AsyncServer::end");
      l = _listener;
      if (!l) return;
      l->server = nullptr;
      _listener = nullptr;
      twin::eraseOne(d->boundPorts, l->hostPort);
    }
    twin::eraseOne(d->listeners, l);
    // The socket closes now (the port is free when end() returns); the Listener's memory goes
    // in the close callback (or on a later turn when the network was down).
    d->retireListener(l);
    d->counters.serversListening--;
  });
}

void AsyncServer::setNoDelay(bool nodelay) { _noDelay = nodelay; }
bool AsyncServer::getNoDelay() const { return _noDelay; }

uint8_t AsyncServer::status() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return CLOSED;
  twin::NetLock lk(d, "AsyncServer::status");
  return _listener ? LISTEN : CLOSED;
}

uint16_t AsyncServer::boundPort() const {
  twin::Device::Impl* d = implOf(_device);
  if (!d) return 0;
  twin::NetLock lk(d, "AsyncServer::boundPort");
  return _listener ? _listener->hostPort : 0;
}
