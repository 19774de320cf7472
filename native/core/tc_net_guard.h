// tc_net_guard.h: which callbacks of one server are on which thread's stack, and the "gate"
// that lets end() wait for them. Shared by AsyncWebServer and AsyncWebSocket.
//
// Why: AsyncTCP runs network callbacks on its async_tcp task, but AsyncClient::close()/abort()
// run the disconnect callback synchronously on the *caller's* thread. A server must therefore
// know, inside a callback, whether
//   - it is a top-level network callback (delivered by AsyncTCP on async_tcp): it then holds
//     the server's gate for its whole duration, so end() on another task can wait for it by
//     taking the gate, and it may delete AsyncClients waiting in the server's graveyard (no
//     other dispatch of this server can be on the stack: async_tcp delivers one event at a
//     time);
//   - or nested: inside a close()/abort() the core itself called (marked with a kCore Scope)
//     or inside another callback of the same server on this thread. Nested callbacks never
//     take the gate (that would self-deadlock) and never delete AsyncClients.
// A kCore scope opened on a thread that is in no callback of any server takes the gate too,
// so end() also waits for a close() (and the DISCONNECT it delivers) running on another task.
//
// Lock order: a thread takes a gate either holding no gate, or from a top-level network
// callback on async_tcp (never the reverse), so gates cannot deadlock among themselves.
//
// Threads: a Scope lives on one thread's stack (a thread-local chain). gate() may be taken by
// end() on a thread that has no Scope of this guard on its stack (check inScope()).
#pragma once
#include "tc_port.h"

namespace twincore {

class NetGuard {
 public:
  enum Mode : uint8_t { kNetwork, kCore };

  class Scope {
   public:
    Scope(NetGuard& g, Mode mode);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    // A top-level network callback: it took the gate and may drain the graveyard.
    bool topLevel() const { return _ownsGate && _mode == kNetwork; }

   private:
    friend class NetGuard;
    NetGuard& _g;
    Scope* _prev;
    Mode _mode;
    bool _ownsGate;
  };

  NetGuard() = default;
  NetGuard(const NetGuard&) = delete;
  NetGuard& operator=(const NetGuard&) = delete;

  // A Scope of this guard is on the calling thread's stack.
  bool inScope() const;
  port::Mutex& gate() { return _gate; }

 private:
  port::Mutex _gate;
};

}  // namespace twincore
