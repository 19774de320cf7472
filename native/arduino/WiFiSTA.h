// WiFiSTA.h (twin): the station part of the WiFi object (arduino-esp32 3.x "old STA API").
// The twin's station joins any SSID at once: begin() connects before it returns (status()
// WL_CONNECTED, localIP() 127.0.0.1, the address the host's clients reach the device on) and
// raises STA_CONNECTED then STA_GOT_IP on the arduino_events task. Threading and lifetimes: WiFi.h.
#pragma once
#include <cstdint>

#include "IPAddress.h"
#include "WString.h"
#include "WiFiGeneric.h"
#include "WiFiType.h"

class WiFiSTAClass {
 public:
  // Board checks: SSID 1..32 characters, passphrase empty or 8..64 characters, else
  // WL_CONNECT_FAILED with an error line. connect=false stores the network without joining.
  wl_status_t begin(const char* ssid, const char* passphrase = nullptr, int32_t channel = 0,
                    const uint8_t* bssid = nullptr, bool connect = true);
  wl_status_t begin(const String& ssid, const String& passphrase = String(), int32_t channel = 0,
                    const uint8_t* bssid = nullptr, bool connect = true) {
    return begin(ssid.c_str(), passphrase.c_str(), channel, bssid, connect);
  }
  // Joins the network given to an earlier begin() (the twin does not keep it across restarts).
  wl_status_t begin();

  // Static address: reported back by localIP()/gatewayIP()/subnetMask()/dnsIP() while connected
  // (the sockets still live on the host's loopback). local_ip 0.0.0.0 returns to DHCP.
  bool config(IPAddress local_ip, IPAddress gateway, IPAddress subnet, IPAddress dns1 = IPAddress(),
              IPAddress dns2 = IPAddress());
  bool config(IPAddress local_ip, IPAddress dns = IPAddress());
  bool setDNS(IPAddress dns1, IPAddress dns2 = IPAddress());

  bool reconnect();
  bool disconnectAsync(bool wifioff = false, bool eraseap = false);
  bool disconnect(bool wifioff = false, bool eraseap = false, unsigned long timeoutLength = 100);
  bool eraseAP();

  bool isConnected();
  bool setAutoReconnect(bool autoReconnect);
  bool getAutoReconnect();
  uint8_t waitForConnectResult(unsigned long timeoutLength = 60000);

  void setMinSecurity(wifi_auth_mode_t minSecurity);
  void setScanMethod(wifi_scan_method_t scanMethod);
  void setSortMethod(wifi_sort_method_t sortMethod);

  wl_status_t status();
  String SSID() const;
  String psk() const;
  // Null when not connected; else a per-device buffer (or `bssid` filled and returned).
  uint8_t* BSSID(uint8_t* bssid = nullptr);
  String BSSIDstr();
  int8_t RSSI();

  IPAddress localIP();
  uint8_t* macAddress(uint8_t* mac);
  String macAddress();
  IPAddress subnetMask();
  IPAddress gatewayIP();
  IPAddress dnsIP(uint8_t dns_no = 0);
  IPAddress broadcastIP();
  IPAddress networkID();
  uint8_t subnetCIDR();
};
