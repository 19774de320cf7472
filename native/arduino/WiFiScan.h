// WiFiScan.h (twin): network scans. The twin's air holds a fixed, documented set of networks:
// the SSID the station was given by begin() (if any, -45 dBm, WPA2 or open by its passphrase),
// "twincore-lab" (WPA2, -62 dBm, channel 6) and "twincore-guest" (open, -78 dBm, channel 11).
// While the harness has dropped the network (twin_wifi.h) the air is empty: scans find 0.
// A scan completes at once (async: scanComplete() has the count as soon as scanNetworks returns,
// and SCAN_DONE is raised). Threading and lifetimes: WiFi.h.
#pragma once
#include <cstdint>

#include "WString.h"
#include "WiFiGeneric.h"
#include "WiFiType.h"

class WiFiScanClass {
 public:
  int16_t scanNetworks(bool async = false, bool show_hidden = false, bool passive = false,
                       uint32_t max_ms_per_chan = 300, uint8_t channel = 0, const char* ssid = nullptr,
                       const uint8_t* bssid = nullptr);
  // Count of the last scan, WIFI_SCAN_FAILED (-2) when none was made or it was deleted.
  int16_t scanComplete();
  void scanDelete();

  bool getNetworkInfo(uint8_t networkItem, String& ssid, uint8_t& encryptionType, int32_t& RSSI,
                      uint8_t*& BSSID, int32_t& channel);
  String SSID(uint8_t networkItem);
  wifi_auth_mode_t encryptionType(uint8_t networkItem);
  int32_t RSSI(uint8_t networkItem);
  uint8_t* BSSID(uint8_t networkItem, uint8_t* bssid = nullptr);
  String BSSIDstr(uint8_t networkItem);
  int32_t channel(uint8_t networkItem);
};
