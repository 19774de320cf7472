// WiFi.h (twin): the arduino-esp32 3.x WiFi object on the host. Everything a sketch can ask it is
// answered from the state of the calling thread's device (twin::contextDevice()): two devices in
// one process have separate stations, APs, hostnames, event callbacks and MAC addresses.
//
// The twin's radio (each rule where the board has it, the twin's choices stated):
//  - Modes, statuses, event ids and payloads are the board's (WiFiType.h, WiFiGeneric.h).
//    Before any mode() or begin(), status() is WL_STOPPED, as 3.x reports.
//  - The station joins any SSID at once (WiFiSTA.h): begin() returns WL_CONNECTED and raises
//    WIFI_READY (when the radio was off), STA_START, STA_CONNECTED, STA_GOT_IP. localIP() is
//    127.0.0.1 (gateway and DNS 127.0.0.1, mask 255.0.0.0) unless config() set a static address,
//    which is then reported back. RSSI() -45 dBm; BSSID a fixed locally administered address
//    derived from the SSID (or the bssid given to begin()); channel() the channel given to begin(),
//    else 1.
//  - macAddress() is 24:0A:C4 (Espressif) followed by three bytes hashed from the device's profile
//    name and flash folder: stable across restarts of one device, different between devices. The
//    soft-AP's MAC is the station's plus one, as on the board.
//  - disconnect() raises STA_DISCONNECTED (reason ASSOC_LEAVE) then STA_LOST_IP. The twin does not
//    model ESP-IDF's 120 s lost-IP timer: LOST_IP follows DISCONNECTED at once and localIP() is
//    0.0.0.0 while disconnected.
//  - Harness faults (twin_wifi.h): drop() makes the AP vanish: status() WL_CONNECTION_LOST,
//    STA_DISCONNECTED (reason BEACON_TIMEOUT) and STA_LOST_IP, and every connection of the device is
//    reset. With auto-reconnect on (the default) the station then retries every second, each
//    failure raising STA_DISCONNECTED (reason NO_AP_FOUND) with status() WL_NO_SSID_AVAIL, as a
//    board does while its AP is gone. restore() brings the AP back: a station with auto-reconnect
//    joins again at once (STA_CONNECTED, STA_GOT_IP); without it, it waits for the sketch's
//    reconnect()/begin(). A begin() while dropped fails after one second the same way.
//  - Events are delivered on the device's "arduino_events" task, in order (WiFiGeneric.h). At most
//    32 may wait (the board's queue length); beyond, "Arduino Event Send Failed!" is logged and the
//    event is lost, as on the board. The state (status(), localIP(), ...) changes when the call
//    returns, before the callbacks run: a STA_CONNECTED callback already sees WL_CONNECTED (the
//    board shows WL_IDLE_STATUS until GOT_IP).
//  - The station's network is not kept across restarts (the board keeps it in NVS): begin() with
//    no arguments after a restart has nothing to join.
//  - Not simulated, failing at compile time when used: WiFiClient, WiFiServer, WiFiUDP (and their
//    Network* names) and WiFiClientSecure; use AsyncTCP. The 3.x WiFi.STA / WiFi.AP interface
//    objects, WPS, SmartConfig, provisioning, IPv6 and Ethernet are not declared.
//
// Threading: any member may be called from any device thread (loop task, async_tcp, firmware
// tasks, event callbacks) at any time; one lock per device guards the state, and it is never held
// while a callback runs. On a thread of no device (and no default device), calls do nothing and
// report an absent radio: status() WL_NO_SHIELD, addresses 0.0.0.0, begin() WL_NO_SHIELD,
// onEvent() 0.
// Lifetimes: WiFi is one process-wide object holding no state itself; each device's state is made
// on first use and freed at Device::stop() after its arduino_events task has been joined. Pointers
// returned (getHostname(), BSSID()) stay valid until the next call that changes them or the stop.
#pragma once
#include <cstdint>
#include <type_traits>

#include "IPAddress.h"
#include "WString.h"
#include "WiFiAP.h"
#include "WiFiGeneric.h"
#include "WiFiSTA.h"
#include "WiFiScan.h"
#include "WiFiType.h"

class WiFiClass : public WiFiGenericClass, public WiFiSTAClass, public WiFiScanClass, public WiFiAPClass {
 public:
  using WiFiGenericClass::channel;

  using WiFiSTAClass::BSSID;
  using WiFiSTAClass::BSSIDstr;
  using WiFiSTAClass::RSSI;
  using WiFiSTAClass::SSID;

  using WiFiScanClass::BSSID;
  using WiFiScanClass::BSSIDstr;
  using WiFiScanClass::channel;
  using WiFiScanClass::encryptionType;
  using WiFiScanClass::RSSI;
  using WiFiScanClass::SSID;
};

extern WiFiClass WiFi;

// ---- not simulated: a named error where a sketch uses them ----
namespace twin_detail {
template <class... T>
struct NotSimulated : std::false_type {};
}  // namespace twin_detail

#define TWIN_NOT_SIMULATED_CLASS(Name)                                                              \
  class Name {                                                                                      \
   public:                                                                                          \
    template <class... A>                                                                           \
    Name(A&&...) {                                                                                  \
      static_assert(twin_detail::NotSimulated<A...>::value,                                         \
                    "twincore: " #Name " is not simulated (blocking sockets); use AsyncTCP "         \
                    "(AsyncClient/AsyncServer) or ESPAsyncWebServer");                               \
    }                                                                                               \
  };
TWIN_NOT_SIMULATED_CLASS(WiFiClient)
TWIN_NOT_SIMULATED_CLASS(WiFiServer)
TWIN_NOT_SIMULATED_CLASS(WiFiUDP)
TWIN_NOT_SIMULATED_CLASS(NetworkClient)
TWIN_NOT_SIMULATED_CLASS(NetworkServer)
TWIN_NOT_SIMULATED_CLASS(NetworkUDP)
#undef TWIN_NOT_SIMULATED_CLASS
