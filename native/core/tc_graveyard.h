// tc_graveyard.h: the graveyard both servers keep: closed AsyncClients waiting to be deleted at
// a safe point (AsyncWebSocket.h, "Who frees the AsyncClient"). An entry T is a server's
// per-connection state with members `AsyncClient* tcp`, `T* graveNext`, `bool inGrave`,
// linked into the server's `T* grave` list under the server's mutex.
//
// Threads: call both with the server's gate held (a top-level network callback, or end() after
// port::networkBarrier()), never with the server's mutex held.
#pragma once
#include "AsyncTCP.h"
#include "tc_net_guard.h"
#include "tc_port.h"

namespace twincore {

// Under the server's mutex: links c into the grave, once, if it still has its AsyncClient.
template <class T>
void pushGrave(T*& grave, T* c) {
  if (c->inGrave || !c->tcp) return;
  c->inGrave = true;
  c->graveNext = grave;
  grave = c;
}

// Unlinks under `mu` every entry for which keep(entry) is false and returns them as a list
// (through graveNext). Entries kept stay in the grave in their order.
template <class T, class Keep>
T* detachGrave(port::Mutex& mu, T*& grave, Keep keep) {
  T* dead = nullptr;
  port::Lock lk(mu);
  T** pp = &grave;
  while (*pp) {
    T* c = *pp;
    if (keep(c)) {
      pp = &c->graveNext;
      continue;
    }
    *pp = c->graveNext;
    c->graveNext = dead;
    dead = c;
  }
  return dead;
}

// Deletes each detached entry's AsyncClient (no lock held: ~AsyncClient of a closed client runs
// no callback), then under `mu` clears the entry and calls release(entry), which drops the
// reference the network side held.
template <class T, class Release>
void buryGrave(port::Mutex& mu, T* dead, Release release) {
  while (dead) {
    T* c = dead;
    dead = c->graveNext;
    delete c->tcp;
    port::Lock lk(mu);
    c->tcp = nullptr;
    c->inGrave = false;
    c->graveNext = nullptr;
    release(c);
  }
}

// end() off async_tcp, after every client is closed: buries the grave until no entry is left
// whose onData dispatch is still in the server's code (entries have `bool rxActive`, under `mu`).
// Each round, grave or not, first waits out network work in flight: the barrier covers a
// dispatch AsyncTCP already started (it reads the AsyncClient for a few instructions after
// onData returns; a closed AsyncClient gets no new one) and is taken without the gate, since a
// network callback may be waiting for the gate right now; the gate then waits out any callback
// of this server still running (a disconnect holding a reference).
template <class T, class Release>
void drainGraveOffNet(NetGuard& guard, port::Mutex& mu, T*& grave, Release release) {
  for (;;) {
    port::networkBarrier();
    port::Lock gate(guard.gate());
    bool inFlight = false;
    T* dead = detachGrave(mu, grave, [&inFlight](T* c) {
      if (c->rxActive) inFlight = true;  // its onData is still in our code: next round
      return c->rxActive;
    });
    buryGrave(mu, dead, release);
    if (!inFlight) return;
  }
}

}  // namespace twincore
