// twin_wifi.h: harness faults of a device's WiFi (host only; no board has this header, sketches
// never include it). What the sketch sees is described in WiFi.h.
//
//   drop(dev)     the AP vanishes: the station loses its link (status() WL_CONNECTION_LOST,
//                 STA_DISCONNECTED with reason BEACON_TIMEOUT, STA_LOST_IP), the device's network
//                 goes down (twin::setNetworkUp(dev, false): new connections are refused, client
//                 connects fail) and every connection of the device is reset
//                 (twin::resetAllConnections(dev): each AsyncClient sees a peer reset on async_tcp).
//                 With auto-reconnect the station keeps retrying every second and failing with
//                 NO_AP_FOUND (status() WL_NO_SSID_AVAIL) until restore().
//   restore(dev)  the AP is back and the network up; a station that wants its network and has
//                 auto-reconnect joins again at once (STA_CONNECTED, STA_GOT_IP).
//   dropped(dev)  whether the device's network is dropped now.
//
// Threading: callable from any thread (typically the harness's), concurrently with the firmware.
// They return once the state has changed and the events are queued; the WiFi callbacks run later
// on the device's arduino_events task. drop() returns once async_tcp has reset the connections
// (their onError/onDisconnect have run). Idempotent: a second drop() or restore() changes nothing.
// A null device is ignored.
#pragma once

namespace twin {
class Device;
namespace wifi {

void drop(Device* dev);
void restore(Device* dev);
bool dropped(Device* dev);

}  // namespace wifi
}  // namespace twin
