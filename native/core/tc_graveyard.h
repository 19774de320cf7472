// tc_graveyard.h: the graveyard both servers keep: closed AsyncClients waiting to be deleted at
// a safe point (AsyncWebSocket.h, "Who frees the AsyncClient"). An entry T is a server's
// per-connection state with members `AsyncClient* tcp`, `T* graveNext`, `bool inGrave`,
// linked into the server's `T* grave` list under the server's mutex.
//
// Threads: call both with the server's gate held (a top-level network callback, or end() after
// port::networkBarrier()), never with the server's mutex held.
#pragma once
#include "AsyncTCP.h"
#include "tc_port.h"

namespace twincore {

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

}  // namespace twincore
