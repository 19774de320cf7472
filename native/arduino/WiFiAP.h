// WiFiAP.h (twin): the soft-AP part of the WiFi object (arduino-esp32 3.x "old AP API"). The AP
// starts at once (AP_START on the arduino_events task); no station ever joins it in the twin
// (softAPgetStationNum() is 0); the host's clients reach the device on 127.0.0.1 whatever the AP
// address. Threading and lifetimes: WiFi.h.
#pragma once
#include <cstdint>

#include "IPAddress.h"
#include "WString.h"
#include "WiFiGeneric.h"
#include "WiFiType.h"

#define WIFI_AP_DEFAULT_AUTH_MODE WIFI_AUTH_WPA2_PSK
#define WIFI_AP_DEFAULT_CIPHER WIFI_CIPHER_TYPE_CCMP

class WiFiAPClass {
 public:
  // Board checks: SSID 1..32 characters, passphrase empty or 8..63 characters, channel 1..13.
  bool softAP(const char* ssid, const char* passphrase = nullptr, int channel = 1, int ssid_hidden = 0,
              int max_connection = 4, bool ftm_responder = false,
              wifi_auth_mode_t auth_mode = WIFI_AP_DEFAULT_AUTH_MODE,
              wifi_cipher_type_t cipher = WIFI_AP_DEFAULT_CIPHER);
  bool softAP(const String& ssid, const String& passphrase = String(), int channel = 1, int ssid_hidden = 0,
              int max_connection = 4, bool ftm_responder = false,
              wifi_auth_mode_t auth_mode = WIFI_AP_DEFAULT_AUTH_MODE,
              wifi_cipher_type_t cipher = WIFI_AP_DEFAULT_CIPHER) {
    return softAP(ssid.c_str(), passphrase.c_str(), channel, ssid_hidden, max_connection, ftm_responder,
                  auth_mode, cipher);
  }
  bool softAPConfig(IPAddress local_ip, IPAddress gateway, IPAddress subnet,
                    IPAddress dhcp_lease_start = IPAddress(), IPAddress dns = IPAddress());
  bool softAPdisconnect(bool wifioff = false);
  bool softAPbandwidth(wifi_bandwidth_t bandwidth);

  uint8_t softAPgetStationNum();
  String softAPSSID() const;

  IPAddress softAPIP();
  IPAddress softAPBroadcastIP();
  IPAddress softAPNetworkID();
  IPAddress softAPSubnetMask();
  uint8_t softAPSubnetCIDR();

  const char* softAPgetHostname();
  bool softAPsetHostname(const char* hostname);

  uint8_t* softAPmacAddress(uint8_t* mac);
  String softAPmacAddress();
};
