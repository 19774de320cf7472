// tc_port.h: the core's only view of the platform (a lock, a clock, a counted heap).
//
// The build file picks the implementation by include path, never an #ifdef here:
//   native/port/std/       host (the twin, the addon, the sanitizer executables)
//   native/port/freertos/  ESP32 (PlatformIO) and the arm-none-eabi cross-check
// Each provides tc_port_impl.h defining, in namespace twincore::port:
//   class Mutex      non-recursive; lock()/unlock(); no allocation; usable as a member.
//                    Blocking in lock() lets other tasks run (FreeRTOS semantics).
//   uint32_t millis()
//   void* rawAlloc(size_t) / void rawFree(void*, size_t)   may return nullptr (never throws)
//   class NetBatch   scoped: the AsyncClient calls of one broadcast (space/add/send/state)
//                    share few acquisitions of the network stack's lock where the platform
//                    has one to share (the twin: one per 32 connections, next() before each
//                    connection); an empty class on the board.
//   void networkBarrier()   returns once the network task (async_tcp) has finished whatever
//                    callback dispatch was in progress when it was called. The core calls it
//                    after closing AsyncClients and before deleting them off async_tcp:
//                    AsyncTCP starts no dispatch for a closed client but reads the AsyncClient
//                    for a few instructions after a callback returns. Must be called with no
//                    lock that a network callback may take. On async_tcp itself it returns
//                    at once.
#pragma once
#include <cstddef>
#include <cstdint>

#include "tc_port_impl.h"

namespace twincore {
namespace port {

// Scoped lock over port::Mutex (std::lock_guard is not on every target).
class Lock {
 public:
  explicit Lock(Mutex& m) : _m(m) { _m.lock(); }
  ~Lock() { _m.unlock(); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  Mutex& _m;
};

}  // namespace port
}  // namespace twincore
