// The twin's cost model, pinned over real loopback sockets: corking (what one loop() pass or one
// async_tcp callback adds to a connection goes out in one write system call), references for
// adds without ASYNC_WRITE_FLAG_COPY, the pending buffer bounded by the send window and given
// back when idle, acknowledgement queries only for connections with bytes in flight, and the
// loop task paced down while idle yet prompt after a network event. Each test fails when the
// behaviour it names is removed (the write and query counts are the twin's own, Impl::writeCalls
// and Impl::ackQueries).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "Arduino.h"
#include "AsyncTCP.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_port.h"
#include "tc_test.h"
#include "twin.h"
#include "twin_internal.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Shared by a test and its firmware; every field under mu.
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<AsyncClient*> clients;
  size_t acked = 0;
  std::function<void(AsyncClient*, size_t)> onData;  // async_tcp
  std::function<void()> onLoop;                      // loop task, every pass

  bool waitFor(const std::function<bool()>& pred, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), pred);
  }
  AsyncClient* client(size_t i) {
    std::lock_guard<std::mutex> lk(mu);
    return i < clients.size() ? clients[i] : nullptr;
  }
};

class PerfFirmware : public twin::Firmware {
 public:
  explicit PerfFirmware(Shared* s) : _s(s), _server(80) {}
  ~PerfFirmware() override {
    std::vector<AsyncClient*> all;
    {
      std::lock_guard<std::mutex> lk(_s->mu);
      all.swap(_s->clients);
    }
    for (AsyncClient* c : all) c->close();
    _server.end();
    for (AsyncClient* c : all) delete c;
  }
  void setup() override {
    Shared* s = _s;
    _server.onClient(
        [s](void*, AsyncClient* c) {
          c->onData([s](void*, AsyncClient* cl, void*, size_t len) {
            std::function<void(AsyncClient*, size_t)> h;
            {
              std::lock_guard<std::mutex> lk(s->mu);
              h = s->onData;
            }
            if (h) h(cl, len);
          });
          c->onAck([s](void*, AsyncClient*, size_t len, uint32_t) {
            {
              std::lock_guard<std::mutex> lk(s->mu);
              s->acked += len;
            }
            s->cv.notify_all();
          });
          {
            std::lock_guard<std::mutex> lk(s->mu);
            s->clients.push_back(c);
          }
          s->cv.notify_all();
        },
        nullptr);
    _server.begin();
  }
  void loop() override {
    std::function<void()> h;
    {
      std::lock_guard<std::mutex> lk(_s->mu);
      h = _s->onLoop;
    }
    if (h) h();
  }

 private:
  Shared* _s;
  AsyncServer _server;
};

struct Rig {
  Shared s;
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  explicit Rig(twin::Profile profile = twin::Profile()) {
    Shared* p = &s;
    device = std::make_unique<twin::Device>(
        profile, [p] { return std::unique_ptr<twin::Firmware>(new PerfFirmware(p)); },
        [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() { device->stop(); }
  twin::Device::Impl* impl() { return device->impl(); }
  uint64_t writes() { return impl()->writeCalls.load(); }
  uint64_t queries() { return impl()->ackQueries.load(); }
  twin::Access::TxState tx(AsyncClient* c) { return twin::Access::txState(c, impl()->net); }
  // Connects n peers and waits until the firmware has accepted them all.
  std::vector<int> connect(size_t n, int rcvbuf = 0) {
    std::vector<int> fds;
    for (size_t i = 0; i < n; ++i) fds.push_back(tcpeer::connectTo(port, rcvbuf));
    s.waitFor([&] { return s.clients.size() >= n; }, 5000);
    return fds;
  }
};

// Reads from fd until `want` bytes came (or ms passed); returns them.
std::string readBytes(int fd, size_t want, int ms) {
  std::string got;
  char buf[65536];
  auto end = Clock::now() + milliseconds(ms);
  while (got.size() < want && Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, size_t(n));
  }
  return got;
}

// Waits until the device's write count stops changing (its last flush is done).
uint64_t settledWrites(Rig& rig) {
  uint64_t w = rig.writes();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    uint64_t now = rig.writes();
    if (now == w) return w;
    w = now;
  }
  return w;
}

}  // namespace

TEST(perf_one_loop_pass_of_sends_is_one_write_per_connection) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(3);
  REQUIRE(rig.s.clients.size() == 3);
  uint64_t before = settledWrites(rig);
  // 50 messages to each of 3 connections, each with its own add() + send(), in one pass.
  tcloop::runOnLoop(*rig.device, [&] {
    for (int m = 0; m < 50; ++m) {
      char msg[16];
      std::snprintf(msg, sizeof msg, "m%03d;", m);
      for (size_t k = 0; k < 3; ++k) {
        AsyncClient* c = rig.s.client(k);
        CHECK_EQ(c->add(msg, 5), size_t(5));
        CHECK(c->send());
      }
    }
  });
  std::string expect;
  for (int m = 0; m < 50; ++m) {
    char msg[16];
    std::snprintf(msg, sizeof msg, "m%03d;", m);
    expect += msg;
  }
  for (int fd : fds) CHECK(readBytes(fd, expect.size(), 3000) == expect);
  uint64_t writes = settledWrites(rig) - before;
  CHECK_MSG(writes == 3, "writes for 150 sends to 3 connections in one pass: " << writes);
  for (int fd : fds) ::close(fd);
}

TEST(perf_sends_inside_one_network_callback_are_one_write) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(1);
  REQUIRE(rig.s.clients.size() == 1);
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onData = [](AsyncClient* c, size_t) {
      for (int i = 0; i < 40; ++i) {
        c->add("0123456789", 10);
        c->send();
      }
    };
  }
  uint64_t before = settledWrites(rig);
  CHECK(::send(fds[0], "x", 1, 0) == 1);
  CHECK_EQ(readBytes(fds[0], 400, 3000).size(), size_t(400));
  uint64_t writes = settledWrites(rig) - before;
  CHECK_MSG(writes == 1, "writes for 40 sends in one onData: " << writes);
  ::close(fds[0]);
}

TEST(perf_a_task_that_blocks_after_sending_has_its_bytes_written) {
  // A corked pass that then waits (delay()) must not hold its bytes back for the wait.
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(1);
  AsyncClient* c = rig.s.client(0);
  REQUIRE(c != nullptr);
  std::atomic<bool> inDelay{false};
  rig.device->postToLoop([&] {
    c->add("early", 5);
    c->send();
    inDelay = true;
    delay(800);
    inDelay = false;
  });
  std::string got = readBytes(fds[0], 5, 600);
  CHECK(got == "early");
  CHECK(inDelay.load());  // it arrived while the pass was still waiting
  tcloop::runOnLoop(*rig.device, [] {});
  ::close(fds[0]);
}

TEST(perf_add_without_copy_references_the_callers_bytes) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(1);
  AsyncClient* c = rig.s.client(0);
  REQUIRE(c != nullptr);
  static const char kFrame[] = "shared-frame-bytes;";
  twin::Access::TxState during;
  tcloop::runOnLoop(*rig.device, [&] {
    for (int i = 0; i < 4; ++i) CHECK_EQ(c->add(kFrame, sizeof kFrame - 1, 0), sizeof kFrame - 1);
    c->add("+copy", 5);  // a copied tail
    during = rig.tx(c);
    c->send();
  });
  CHECK_EQ(during.pending, 4 * (sizeof kFrame - 1) + 5);
  CHECK_EQ(during.segments, size_t(5));
  CHECK(during.copyCapacity >= 5 && during.copyCapacity < 64);  // only the copied tail
  std::string expect;
  for (int i = 0; i < 4; ++i) expect += kFrame;
  expect += "+copy";
  CHECK(readBytes(fds[0], expect.size(), 3000) == expect);
  ::close(fds[0]);
}

TEST(perf_pending_bytes_stay_within_the_window_and_are_released_when_idle) {
  twin::Profile prof;
  prof.sendWindow = 256 * 1024;  // a large window: the kernel fills before it does
  Rig rig(prof);
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(1, 8192);
  AsyncClient* c = rig.s.client(0);
  REQUIRE(c != nullptr);
  std::vector<char> chunk(3000, 'z');
  size_t total = 0, maxCap = 0, maxUsed = 0;
  auto end = Clock::now() + milliseconds(1500);
  size_t drained = 0;
  char buf[4096];
  // Keep the window full while the peer reads slowly: the copy buffer must never grow past the
  // window however many adds and partial writes happen (it used to grow until fully drained).
  while (Clock::now() < end) {
    tcloop::runOnLoop(*rig.device, [&] {
      for (int i = 0; i < 8; ++i) {
        size_t n = c->add(chunk.data(), chunk.size());
        total += n;
        if (n) c->send();
      }
      twin::Access::TxState t = rig.tx(c);
      maxCap = std::max(maxCap, t.copyCapacity);
      maxUsed = std::max(maxUsed, t.pending + t.inflight);
    });
    ssize_t n = ::recv(fds[0], buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) drained += size_t(n);
  }
  CHECK(total > prof.sendWindow);  // the window turned over
  // Two stages (one being written, one being filled), each within the window.
  CHECK_MSG(maxCap <= 2 * prof.sendWindow + chunk.size(), "copy buffer capacity " << maxCap);
  CHECK(maxUsed <= prof.sendWindow);
  // The peer reads everything; the connection goes idle: its buffer is given back by the next
  // poll (500 ms).
  CHECK_EQ(drained + readBytes(fds[0], total - drained, 10000).size(), total);
  CHECK(rig.s.waitFor([&] { return rig.s.acked == total; }, 3000));
  std::this_thread::sleep_for(milliseconds(1200));
  twin::Access::TxState idle;
  tcloop::runOnLoop(*rig.device, [&] { idle = rig.tx(c); });
  CHECK_EQ(idle.pending, size_t(0));
  CHECK_EQ(idle.inflight, size_t(0));
  CHECK_EQ(idle.copyCapacity, size_t(0));
  ::close(fds[0]);
}

TEST(perf_acks_are_queried_only_for_connections_with_bytes_in_flight) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(12);
  REQUIRE(rig.s.clients.size() == 12);
  std::this_thread::sleep_for(milliseconds(100));
  uint64_t q0 = rig.queries();
  std::this_thread::sleep_for(milliseconds(400));
  CHECK_EQ(rig.queries() - q0, uint64_t(0));  // 12 idle connections: no query at all
  // One connection sends; its peer reads: acks come, and only that connection was asked.
  AsyncClient* c = rig.s.client(5);
  tcloop::runOnLoop(*rig.device, [&] {
    c->add("ping", 4);
    c->send();
  });
  // Which fd is client 5 is not known; read all.
  size_t got = 0;
  auto end = Clock::now() + milliseconds(2000);
  while (got < 4 && Clock::now() < end) {
    for (int fd : fds) {
      char b[16];
      ssize_t n = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
      if (n > 0) got += size_t(n);
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  CHECK_EQ(got, size_t(4));
  CHECK(rig.s.waitFor([&] { return rig.s.acked == 4; }, 2000));
  std::this_thread::sleep_for(milliseconds(100));
  uint64_t q = rig.queries() - q0;
  // At most a handful of queries for that one connection (1 ms, then backing off until the ack);
  // polling every connection each millisecond would have made over 1000.
  CHECK_MSG(q >= 1 && q <= 40, "ack queries: " << q);
  uint64_t q1 = rig.queries();
  std::this_thread::sleep_for(milliseconds(300));
  CHECK_EQ(rig.queries(), q1);  // acked: no more queries
  for (int fd : fds) ::close(fd);
}

TEST(perf_idle_loop_is_paced_down_and_network_events_wake_it) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(1);
  // Idle: passes come every idlePaceCapMs() once backed off (a board's loop task would spin; the
  // twin used to wake every 1 ms). With one device the cap is 2 ms; with 200 it is 20 ms.
  CHECK_EQ(twin::idlePaceCapMs(), 2u);
  std::this_thread::sleep_for(milliseconds(200));
  int64_t it0 = rig.device->counters().loopIterations.load();
  std::this_thread::sleep_for(milliseconds(1000));
  int64_t idlePasses = rig.device->counters().loopIterations.load() - it0;
  CHECK_MSG(idlePasses >= 100 && idlePasses <= 520, "idle passes in 1 s, one device: " << idlePasses);
  {
    // 49 more devices (empty firmware): the cap grows to 5 ms, and this idle loop task wakes
    // about 200 times a second.
    struct Idle : twin::Firmware {
      void setup() override {}
      void loop() override {}
    };
    std::vector<std::unique_ptr<twin::Device>> more;
    for (int i = 0; i < 49; ++i) {
      more.push_back(std::make_unique<twin::Device>(
          twin::Profile(), [] { return std::unique_ptr<twin::Firmware>(new Idle()); },
          [](twin::LogLevel, const std::string&) {}));
      REQUIRE(more.back()->start());
    }
    CHECK_EQ(twin::idlePaceCapMs(), 5u);
    std::this_thread::sleep_for(milliseconds(200));
    int64_t i0 = rig.device->counters().loopIterations.load();
    std::this_thread::sleep_for(milliseconds(1000));
    int64_t passes = rig.device->counters().loopIterations.load() - i0;
    CHECK_MSG(passes >= 40 && passes <= 230, "idle passes in 1 s among 50 devices: " << passes);
    for (auto& d : more) d->stop();
  }
  CHECK_EQ(twin::idlePaceCapMs(), 2u);
  // Data from the network: the next pass follows at once, not a backed-off wait later. The best
  // of several trials is taken (the machine may be busy).
  struct Probe {
    std::mutex m;
    Clock::time_point dataAt{}, passAt{};
    bool armed = false;
  };
  auto p = std::make_shared<Probe>();
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onData = [p](AsyncClient*, size_t) {
      std::lock_guard<std::mutex> g(p->m);
      p->dataAt = Clock::now();
      p->armed = true;
    };
    rig.s.onLoop = [p] {
      std::lock_guard<std::mutex> g(p->m);
      if (p->armed && p->passAt == Clock::time_point{}) p->passAt = Clock::now();
    };
  }
  long best = 1000000;
  for (int trial = 0; trial < 6; ++trial) {
    std::this_thread::sleep_for(milliseconds(150));  // backed off again
    {
      std::lock_guard<std::mutex> g(p->m);
      p->armed = false;
      p->passAt = Clock::time_point{};
    }
    ::send(fds[0], "d", 1, 0);
    for (int i = 0; i < 200; ++i) {
      std::this_thread::sleep_for(milliseconds(2));
      std::lock_guard<std::mutex> g(p->m);
      if (p->passAt != Clock::time_point{}) break;
    }
    std::lock_guard<std::mutex> g(p->m);
    if (p->passAt != Clock::time_point{}) {
      best = std::min(best, long(std::chrono::duration_cast<std::chrono::microseconds>(p->passAt - p->dataAt).count()));
    }
  }
  CHECK_MSG(best < 5000, "best latency from onData to the next loop pass (us): " << best);
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onData = nullptr;
    rig.s.onLoop = nullptr;
  }
  ::close(fds[0]);
}

// The core's broadcast holds the network lock once for all its connections (port::NetBatch):
// inside, space()/add()/send()/state() do not take it again (another thread cannot get it), the
// wakes they would give async_tcp wait for the batch's end, and everything still goes out in one
// write per connection. A nested batch is nothing; off a device thread a batch is nothing.
TEST(perf_net_batch_holds_the_lock_once_across_a_broadcast) {
  Rig rig;
  REQUIRE(rig.port != 0);
  const size_t n = 12;  // within the esp32 profile's 16 sockets
  std::vector<int> fds = rig.connect(n);
  REQUIRE(rig.s.clients.size() == n);
  uint64_t before = settledWrites(rig);
  bool heldInside = false, nestedOk = false;
  tcloop::runOnLoop(*rig.device, [&] {
    twincore::port::NetBatch batch;
    {
      twincore::port::NetBatch nested;  // a no-op: the lock is already ours
      nestedOk = true;
    }
    for (int m = 0; m < 10; ++m) {
      for (size_t k = 0; k < n; ++k) {
        batch.next();  // 120 calls: renewed every 32, so held again at the end
        AsyncClient* c = rig.s.client(k);
        CHECK(c->connected());
        CHECK(c->space() >= 4);
        CHECK_EQ(c->add("abc;", 4), size_t(4));
        CHECK(c->send());
      }
    }
    std::thread other([&] {
      bool got = rig.impl()->net.try_lock();
      if (got) rig.impl()->net.unlock();
      heldInside = !got;
    });
    other.join();
  });
  CHECK(nestedOk);
  CHECK_MSG(heldInside, "the net lock is held through the batch");
  std::string expect;
  for (int m = 0; m < 10; ++m) expect += "abc;";
  for (int fd : fds) CHECK(readBytes(fd, expect.size(), 3000) == expect);
  uint64_t writes = settledWrites(rig) - before;
  CHECK_MSG(writes == n, "writes for 10 batched sends to each of " << n << " connections: " << writes);
  for (int fd : fds) ::close(fd);
}

TEST(perf_net_batch_inside_a_network_callback_and_off_device_threads) {
  Rig rig;
  REQUIRE(rig.port != 0);
  std::vector<int> fds = rig.connect(3);
  REQUIRE(rig.s.clients.size() == 3);
  {
    // The test thread belongs to no device: the batch takes nothing and calls lock as usual.
    twincore::port::NetBatch none;
    CHECK(rig.s.client(0)->space() > 0);
    CHECK(rig.impl()->net.try_lock());
    rig.impl()->net.unlock();
  }
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onData = [&rig](AsyncClient*, size_t) {
      twincore::port::NetBatch batch;  // on async_tcp: a relay from onData
      for (size_t k = 0; k < 3; ++k) {
        AsyncClient* c = rig.s.client(k);
        if (c && c->space() >= 6) {
          c->add("relay;", 6);
          c->send();
        }
      }
    };
  }
  CHECK(::send(fds[0], "x", 1, 0) == 1);
  for (int fd : fds) CHECK(readBytes(fd, 6, 3000) == "relay;");
  {
    std::lock_guard<std::mutex> lk(rig.s.mu);
    rig.s.onData = nullptr;
  }
  for (int fd : fds) ::close(fd);
}
