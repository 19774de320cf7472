// twin_network_up.cpp: a MINIMAL stand-in for the device network switch (twin.h:
// resetAllConnections, setNetworkUp) that the AsyncTCP owner is adding; the WiFi layer's harness
// faults (twin_wifi.h) call it. To be replaced when that lands (same signatures):
//  - resetAllConnections() is complete: on async_tcp, every connection of the device fails as a
//    peer reset would (the AsyncClient is detached, onError(ERR_RST) and onDisconnect run, the
//    socket is closed with RST).
//  - setNetworkUp() only records the state (per device); refusing new connections and failing
//    client connect() while down needs the accept and connect paths of AsyncTCP.cpp.
// Threading: both may be called from any thread; resetAllConnections() waits for async_tcp (it
// gives up a single-core CPU meanwhile) and does nothing once the device is stopping.
#include <atomic>

#include "twin_internal.h"

namespace twin {

namespace {
struct NetworkUp : DeviceState {
  explicit NetworkUp(Device*) {}
  std::atomic<bool> up{true};
};
}  // namespace

void resetAllConnections(Device* dev) {
  if (!dev) return;
  Device::Impl* d = dev->impl();
  d->runOnNet([d] {
    std::vector<Conn*> all = d->conns;  // connFailed() closes handles; Conns are freed later
    for (Conn* c : all)
      if (!c->handleClosing) d->connFailed(c, ERR_RST);
  });
}

void setNetworkUp(Device* dev, bool up) {
  if (NetworkUp* s = deviceState<NetworkUp>(dev)) s->up = up;
}

}  // namespace twin
