// Host implementation of the core's port seam (see native/core/tc_port.h).
// Mutex::lock() cooperates with the twin's single-core profile: a task that must wait for the
// lock gives up the simulated CPU while it waits, as a FreeRTOS task blocked on a mutex does.
#pragma once
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace twincore {
namespace port {

class Mutex {
 public:
  void lock();
  void unlock() { _m.unlock(); }
  bool try_lock() { return _m.try_lock(); }

 private:
  std::mutex _m;
};

// Holds the network stack's lock across a run of AsyncClient space()/add()/send()/state()
// calls (a broadcast) instead of taking it per call; nothing else may be called meanwhile (the
// twin aborts with the name of what was). Scoped, one function; a nested one is a no-op.
// next() marks the start of the next connection's calls: every kPerHold connections the lock is
// let go for a moment, so async_tcp's writes are never held up for a whole broadcast to a
// thousand clients (it waits for one hold, as it waited for one call before).
class NetBatch {
 public:
  NetBatch();
  ~NetBatch();
  void next() {
    if (++_n == kPerHold) renew();
  }
  NetBatch(const NetBatch&) = delete;
  NetBatch& operator=(const NetBatch&) = delete;

 private:
  static constexpr unsigned kPerHold = 32;
  void renew();
  void* _dev;
  unsigned _n = 0;
};

uint32_t millis();
void* rawAlloc(size_t n);
void rawFree(void* p, size_t n);
// Exact on the host: runs a no-op on the async_tcp thread of the calling device (or of every
// running device, off device threads) and waits for it.
void networkBarrier();

}  // namespace port
}  // namespace twincore
