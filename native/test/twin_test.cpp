// The twin's faithful behaviours, each pinned by a test over real loopback sockets.
// A probe firmware records every AsyncTCP callback with the thread it ran on; the test drives
// it with plain POSIX client sockets. Each test fails if the behaviour it names is removed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "Arduino.h"
#include "AsyncTCP.h"
#include "tc_loop.h"
#include "tc_peer.h"
#include "tc_test.h"
#include "twin.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Event {
  std::string what;  // connect, data, ack, poll, timeout, error, disconnect
  std::thread::id thread;
  long value = 0;
  AsyncClient* client = nullptr;
};

// Shared between a test and its probe firmware. Every field under mu.
struct Probe {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Event> events;
  std::vector<AsyncClient*> clients;  // every client ever accepted (freed by the firmware)
  std::thread::id loopThread;
  std::function<void(AsyncClient*)> onClientHook;      // async_tcp, in onClient
  std::function<void(AsyncClient*, size_t)> onDataHook;  // async_tcp, in onData
  std::function<void()> loopHook;                      // loop task, every loop()
  bool closeOnTimeout = true;

  void add(const char* what, AsyncClient* c, long v = 0) {
    {
      std::lock_guard<std::mutex> lk(mu);
      events.push_back({what, std::this_thread::get_id(), v, c});
    }
    cv.notify_all();
  }
  size_t count(const std::string& what, AsyncClient* c = nullptr) {
    std::lock_guard<std::mutex> lk(mu);
    size_t n = 0;
    for (auto& e : events) n += (e.what == what && (!c || e.client == c)) ? 1 : 0;
    return n;
  }
  long sum(const std::string& what) {
    std::lock_guard<std::mutex> lk(mu);
    long n = 0;
    for (auto& e : events) n += e.what == what ? e.value : 0;
    return n;
  }
  // Waits (bounded) until pred() holds; pred runs under mu.
  bool waitFor(std::function<bool()> pred, int ms) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, milliseconds(ms), pred);
  }
  AsyncClient* client(size_t i) {
    std::lock_guard<std::mutex> lk(mu);
    return i < clients.size() ? clients[i] : nullptr;
  }
};

class ProbeFirmware : public twin::Firmware {
 public:
  explicit ProbeFirmware(Probe* p) : _p(p), _server(80) {}
  ~ProbeFirmware() override {
    // Close what is still open from the loop task, stop listening (a barrier: async_tcp has
    // finished every callback that was running), then free every client.
    std::vector<AsyncClient*> all;
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      all = _p->clients;
    }
    for (AsyncClient* c : all) c->close();
    _server.end();
    for (AsyncClient* c : all) delete c;
    std::lock_guard<std::mutex> lk(_p->mu);
    _p->clients.clear();
  }
  void setup() override {
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      _p->loopThread = std::this_thread::get_id();
    }
    _server.onClient([this](void*, AsyncClient* c) { accept(c); }, nullptr);
    _server.begin();
  }
  void loop() override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lk(_p->mu);
      hook = _p->loopHook;
    }
    if (hook) hook();
  }

 private:
  void accept(AsyncClient* c) {
    Probe* p = _p;
    {
      std::lock_guard<std::mutex> lk(p->mu);
      p->clients.push_back(c);
    }
    c->onData([p](void*, AsyncClient* cl, void*, size_t len) {
      p->add("data", cl, long(len));
      std::function<void(AsyncClient*, size_t)> h;
      {
        std::lock_guard<std::mutex> lk(p->mu);
        h = p->onDataHook;
      }
      if (h) h(cl, len);
    });
    c->onAck([p](void*, AsyncClient* cl, size_t len, uint32_t) { p->add("ack", cl, long(len)); });
    c->onPoll([p](void*, AsyncClient* cl) { p->add("poll", cl); });
    c->onTimeout([p](void*, AsyncClient* cl, uint32_t t) {
      p->add("timeout", cl, long(t));
      bool close;
      {
        std::lock_guard<std::mutex> lk(p->mu);
        close = p->closeOnTimeout;
      }
      if (close) cl->close();
    });
    c->onError([p](void*, AsyncClient* cl, int8_t err) { p->add("error", cl, err); });
    c->onDisconnect([p](void*, AsyncClient* cl) { p->add("disconnect", cl); });
    p->add("connect", c);
    std::function<void(AsyncClient*)> h;
    {
      std::lock_guard<std::mutex> lk(p->mu);
      h = p->onClientHook;
    }
    if (h) h(c);
  }

  Probe* _p;
  AsyncServer _server;
};

struct Rig {
  Probe probe;
  std::unique_ptr<twin::Device> device;
  uint16_t port = 0;
  explicit Rig(twin::Profile profile = twin::Profile()) {
    Probe* p = &probe;
    device = std::make_unique<twin::Device>(
        profile, [p] { return std::unique_ptr<twin::Firmware>(new ProbeFirmware(p)); },
        [](twin::LogLevel, const std::string&) {});
    if (device->start() && !device->ports().empty()) port = device->ports()[0];
  }
  ~Rig() { device->stop(); }
  // Runs fn on the loop task and waits for it.
  void onLoop(std::function<void()> fn) { tcloop::runOnLoop(*device, std::move(fn), 5000); }
};

using tcpeer::closedWithin;
using tcpeer::connectTo;
using tcpeer::readFor;
using tcpeer::resetClose;

}  // namespace

TEST(twin_network_events_run_only_on_async_tcp) {
  Rig rig;
  REQUIRE(rig.port != 0);
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  CHECK(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  rig.onLoop([&] {
    c->write("x", 1);
  });
  CHECK(::send(fd, "hello", 5, 0) == 5);
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.what == "poll") return true; return false; }, 2000));
  resetClose(fd);  // remote RST: error + disconnect on async_tcp
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.what == "disconnect") return true; return false; }, 2000));
  std::lock_guard<std::mutex> lk(rig.probe.mu);
  std::thread::id net = rig.probe.events.front().thread;  // "connect" (onClient)
  CHECK(net != rig.probe.loopThread);
  std::vector<std::string> kinds;
  for (auto& e : rig.probe.events) {
    CHECK_MSG(e.thread == net, ("event off async_tcp: " + e.what).c_str());
    kinds.push_back(e.what);
  }
  auto has = [&](const char* k) { for (auto& s : kinds) if (s == k) return true; return false; };
  CHECK(has("connect") && has("data") && has("ack") && has("poll") && has("error") && has("disconnect"));
}

TEST(twin_close_runs_disconnect_synchronously_on_caller) {
  Rig rig;
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  size_t before = 0, after = 0;
  std::thread::id loopId, discardThread;
  rig.onLoop([&] {
    loopId = std::this_thread::get_id();
    before = rig.probe.count("disconnect", c);
    c->close();
    after = rig.probe.count("disconnect", c);
  });
  CHECK_EQ(before, size_t(0));
  CHECK_EQ(after, size_t(1));  // ran inside close(), before it returned
  {
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    for (auto& e : rig.probe.events)
      if (e.what == "disconnect") discardThread = e.thread;
  }
  CHECK(discardThread == loopId);
  CHECK(closedWithin(fd, 2000));  // the peer sees the close
  // No second disconnect, nothing else for this client afterwards.
  std::this_thread::sleep_for(milliseconds(700));
  CHECK_EQ(rig.probe.count("disconnect", c), size_t(1));
  CHECK_EQ(rig.probe.count("poll", c), size_t(0));
  ::close(fd);
}

TEST(twin_abort_runs_error_then_disconnect_synchronously) {
  Rig rig;
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  int8_t rc = 0;
  std::vector<std::string> seen;
  rig.onLoop([&] {
    rc = c->abort();
    std::lock_guard<std::mutex> lk(rig.probe.mu);
    for (auto& e : rig.probe.events)
      if (e.client == c && (e.what == "error" || e.what == "disconnect"))
        seen.push_back(e.what + ":" + std::to_string(e.value));
  });
  CHECK_EQ(int(rc), int(ERR_ABRT));
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "error:" + std::to_string(ERR_ABRT));
  CHECK(seen[1] == "disconnect:0");
  // The peer sees a reset.
  char b;
  bool reset = false;
  auto end = Clock::now() + milliseconds(2000);
  while (Clock::now() < end) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, &b, 1, 0);
    reset = n < 0 && errno == ECONNRESET;
    break;
  }
  CHECK(reset);
  ::close(fd);
}

TEST(twin_close_racing_remote_close_calls_back_once) {
  Rig rig;
  REQUIRE(rig.port != 0);
  const int rounds = 60;
  for (int i = 0; i < rounds; ++i) {
    int fd = connectTo(rig.port);
    REQUIRE(fd >= 0);
    REQUIRE(rig.probe.waitFor([&] { return rig.probe.clients.size() == size_t(i + 1); }, 2000));
    AsyncClient* c = rig.probe.client(size_t(i));
    // The loop task closes while the peer closes (alternately FIN and RST).
    auto go = std::make_shared<std::atomic<int>>(0);
    rig.device->postToLoop([go, c] {
      while (go->load() == 0) std::this_thread::yield();
      c->close();
      go->store(2);
    });
    go->store(1);
    if (i % 2) resetClose(fd); else ::close(fd);
    for (int spin = 0; spin < 2000 && go->load() != 2; ++spin) std::this_thread::sleep_for(milliseconds(1));
    REQUIRE(rig.probe.waitFor([&] {
      for (auto& e : rig.probe.events) if (e.client == c && e.what == "disconnect") return true;
      return false; }, 2000));
  }
  std::this_thread::sleep_for(milliseconds(100));
  for (int i = 0; i < rounds; ++i) CHECK_EQ(rig.probe.count("disconnect", rig.probe.client(size_t(i))), size_t(1));
}

TEST(twin_space_is_the_send_window_and_falls_to_zero_when_peer_stops_reading) {
  twin::Profile prof;
  Rig rig(prof);
  int fd = connectTo(rig.port, 4096);  // a small receive buffer: the peer's window fills fast
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  size_t fresh = 0, took = 0, afterAdd = 0;
  std::vector<char> big(20000, 'a');
  rig.onLoop([&] {
    fresh = c->space();
    took = c->add(big.data(), big.size());
    afterAdd = c->space();
    c->send();
  });
  CHECK_EQ(fresh, size_t(5760));
  CHECK_EQ(took, size_t(5760));  // add() takes at most space()
  CHECK_EQ(afterAdd, size_t(0));
  // Keep writing whatever space() allows for a while: the peer never reads, so the window
  // must end at 0 with acks stopped.
  size_t total = took;
  auto end = Clock::now() + milliseconds(3000);
  size_t lastSpace = 1;
  while (Clock::now() < end) {
    rig.onLoop([&] {
      size_t n = c->add(big.data(), big.size());
      if (n) c->send();
      total += n;
      lastSpace = c->space();
    });
    if (lastSpace == 0 && total > 5760 * 3) {
      std::this_thread::sleep_for(milliseconds(200));
      rig.onLoop([&] { lastSpace = c->space(); });
      if (lastSpace == 0) break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  CHECK_EQ(lastSpace, size_t(0));
  long acked = rig.probe.sum("ack");
  CHECK(acked > 0);
  CHECK(size_t(acked) < total);  // the rest is unacknowledged
  // The peer reads everything: the remaining bytes are acknowledged, space() recovers.
  size_t got = 0;
  auto end2 = Clock::now() + milliseconds(3000);
  char buf[65536];
  while (got < total && Clock::now() < end2) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got += size_t(n);
  }
  CHECK_EQ(got, total);
  CHECK(rig.probe.waitFor([&] { long s = 0; for (auto& e : rig.probe.events) if (e.what == "ack") s += e.value; return size_t(s) == total; }, 2000));
  rig.onLoop([&] { lastSpace = c->space(); });
  CHECK_EQ(lastSpace, size_t(5760));
  ::close(fd);
}

TEST(twin_poll_every_500ms_not_busy) {
  Rig rig;
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  auto t0 = Clock::now();  // at or after the accept
  auto msSince = [&] { return long(std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count()); };
  // Polls do come: three within a bound that leaves room for a starved async_tcp ...
  // (waitFor runs its predicate under the probe's mutex: count the events directly.)
  REQUIRE(rig.probe.waitFor([&] { size_t n = 0; for (auto& e : rig.probe.events) n += e.what == "poll"; return n >= 3; }, 10000));
  // ... but no faster than one per 500 ms, never a busy loop: three ticks of the device's 500 ms
  // poll timer span at least 1 s (t0 may lag the accept: the bounds leave 300 ms / a tick).
  long ms = msSince();
  CHECK_MSG(ms >= 700, ("3 polls after ms: " + std::to_string(ms)).c_str());
  std::this_thread::sleep_for(milliseconds(1000));
  ms = msSince();
  size_t polls = rig.probe.count("poll");
  CHECK_MSG(polls <= size_t(ms / 500 + 2), ("polls in " + std::to_string(ms) + " ms: " + std::to_string(polls)).c_str());
  ::close(fd);
}

TEST(twin_ack_timeout_runs_on_timeout_for_unacknowledged_data) {
  twin::Profile prof;
  prof.ackTimeoutMs = 5000;
  Rig rig(prof);
  int fd = connectTo(rig.port, 2048);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  std::vector<char> big(6000, 'b');
  auto t0 = Clock::now();
  // Fill the window repeatedly until nothing more is acknowledged; then wait for onTimeout.
  for (int i = 0; i < 200; ++i) {
    size_t n = 0;
    rig.onLoop([&] {
      c->setAckTimeout(600);
      n = c->add(big.data(), big.size());
      if (n) c->send();
    });
    if (n == 0 && i > 10) break;
    std::this_thread::sleep_for(milliseconds(10));
  }
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.what == "timeout") return true; return false; }, 4000));
  // Our onTimeout handler closes it.
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.client == c && e.what == "disconnect") return true; return false; }, 2000));
  CHECK(closedWithin(fd, 3000));
  CHECK_EQ(rig.probe.count("disconnect", c), size_t(1));
  CHECK(Clock::now() - t0 < std::chrono::seconds(30));  // no hang; the timing bound is the 4 s wait above
  ::close(fd);
}

TEST(twin_no_ack_timeout_when_peer_reads) {
  Rig rig;
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  for (int i = 0; i < 20; ++i) {
    rig.onLoop([&] {
      c->setAckTimeout(300);
      if (c->add("hello\n", 6)) c->send();
    });
    readFor(fd, 60);
  }
  std::this_thread::sleep_for(milliseconds(800));
  CHECK_EQ(rig.probe.count("timeout"), size_t(0));
  CHECK_EQ(rig.probe.count("disconnect"), size_t(0));
  ::close(fd);
}

TEST(twin_rx_timeout_closes_idle_connection) {
  Rig rig;
  auto t0 = Clock::now();  // the idle time counts from the accept
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  rig.onLoop([&] { c->setRxTimeout(1); });
  CHECK(closedWithin(fd, 3000));
  auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count();
  // Checked at the 500 ms polls: closed between 1 s and 1 s + one poll (+ scheduling slack).
  CHECK_MSG(ms >= 950 && ms <= 2500, ("rx timeout after ms: " + std::to_string(ms)).c_str());
  // The FIN can reach the peer before onDisconnect has run on async_tcp: wait for it.
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.client == c && e.what == "disconnect") return true; return false; }, 2000));
  CHECK_EQ(rig.probe.count("disconnect", c), size_t(1));
  CHECK(rig.device->counters().rxTimeouts.load() == 1);
  ::close(fd);
}

TEST(twin_connection_limit_leaves_extra_connections_unanswered) {
  twin::Profile prof;
  prof.maxConnections = 2;
  Rig rig(prof);
  int a = connectTo(rig.port), b = connectTo(rig.port), c = connectTo(rig.port);
  REQUIRE(a >= 0 && b >= 0 && c >= 0);  // the kernel completes the handshake (backlog)
  REQUIRE(rig.probe.waitFor([&] { return rig.probe.clients.size() == 2; }, 2000));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK_EQ(rig.probe.clients.size(), size_t(2));  // the third is not accepted
  CHECK_EQ(rig.device->counters().connectionsOpen.load(), 2);
  CHECK(rig.device->counters().connectionsDeferred.load() >= 1);
  ::close(a);  // a slot frees: the third is accepted now
  CHECK(rig.probe.waitFor([&] { return rig.probe.clients.size() == 3; }, 2000));
  ::close(b);
  ::close(c);
}

TEST(twin_single_core_serialises_tasks_dual_core_runs_them_in_parallel) {
  for (int dual = 0; dual < 2; ++dual) {
    twin::Profile prof;
    prof.dualCore = dual == 1;
    Rig rig(prof);
    std::atomic<bool> inLoop{false};
    std::atomic<int> overlaps{0}, datas{0};
    {
      std::lock_guard<std::mutex> lk(rig.probe.mu);
      rig.probe.loopHook = [&] {
        inLoop = true;
        auto until = Clock::now() + milliseconds(3);
        while (Clock::now() < until) {
        }  // busy work inside loop()
        inLoop = false;
      };
      rig.probe.onDataHook = [&](AsyncClient*, size_t) {
        datas++;
        if (inLoop.load()) overlaps++;
      };
    }
    int fd = connectTo(rig.port);
    REQUIRE(fd >= 0);
    for (int i = 0; i < 150; ++i) {
      ::send(fd, "x", 1, 0);
      std::this_thread::sleep_for(milliseconds(2));
    }
    rig.probe.waitFor([&] { return datas.load() >= 100; }, 3000);
    {
      std::lock_guard<std::mutex> lk(rig.probe.mu);
      rig.probe.loopHook = nullptr;
      rig.probe.onDataHook = nullptr;
    }
    CHECK(datas.load() >= 50);
    if (dual) {
      CHECK_MSG(overlaps.load() > 0, "dual-core: async_tcp never ran while loop() was running");
    } else {
      CHECK_EQ(overlaps.load(), 0);
    }
    ::close(fd);
  }
}

TEST(twin_add_and_send_never_call_back_failure_reported_later_on_async_tcp) {
  Rig rig;
  int fd = connectTo(rig.port);
  REQUIRE(fd >= 0);
  REQUIRE(rig.probe.waitFor([&] { return !rig.probe.clients.empty(); }, 2000));
  AsyncClient* c = rig.probe.client(0);
  resetClose(fd);  // the peer is gone (RST) ...
  std::this_thread::sleep_for(milliseconds(0));
  size_t during = 99;
  std::thread::id loopId;
  rig.onLoop([&] {
    loopId = std::this_thread::get_id();
    size_t before = rig.probe.count("error") + rig.probe.count("disconnect");
    bool calledBack = false;
    for (int i = 0; i < 50; ++i) {
      size_t b = rig.probe.count("error") + rig.probe.count("disconnect");
      c->add("data", 4);
      c->send();
      // Another thread may report the failure meanwhile; none of it may run on this thread.
      std::lock_guard<std::mutex> lk(rig.probe.mu);
      for (auto& e : rig.probe.events)
        if ((e.what == "error" || e.what == "disconnect") && e.thread == loopId) calledBack = true;
      (void)b;
    }
    during = calledBack ? 1 : 0;
    (void)before;
  });
  CHECK(rig.probe.waitFor([&] { for (auto& e : rig.probe.events) if (e.what == "disconnect") return true; return false; }, 2000));
  std::lock_guard<std::mutex> lk(rig.probe.mu);
  for (auto& e : rig.probe.events) {
    if (e.what == "error" || e.what == "disconnect") CHECK(e.thread != loopId);
  }
  CHECK_EQ(during, size_t(0));
}

TEST(twin_loop_task_runs_setup_then_loop_and_posted_work) {
  Rig rig;
  std::thread::id ran;
  rig.onLoop([&] { ran = std::this_thread::get_id(); });
  CHECK(ran == rig.probe.loopThread);
  uint32_t m0 = 0, m1 = 0;
  rig.onLoop([&] {
    m0 = millis();
    delay(50);
    m1 = millis();
  });
  CHECK(m1 - m0 >= 49 && m1 - m0 < 500);
  CHECK(rig.device->counters().loopIterations.load() > 0);
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 2);
}

TEST(twin_stop_joins_threads_and_closes_everything) {
  auto rig = std::make_unique<Rig>();
  int fds[4];
  for (int& fd : fds) fd = connectTo(rig->port);
  REQUIRE(rig->probe.waitFor([&] { return rig->probe.clients.size() == 4; }, 2000));
  rig->device->stop();
  const twin::Counters& c = rig->device->counters();
  CHECK_EQ(c.threadsAlive.load(), 0);
  CHECK_EQ(c.connectionsOpen.load(), 0);
  CHECK_EQ(c.clientsAlive.load(), 0);
  CHECK_EQ(c.serversListening.load(), 0);
  for (int fd : fds) {
    CHECK(closedWithin(fd, 1000));
    ::close(fd);
  }
  rig->device->stop();  // twice is fine
}
