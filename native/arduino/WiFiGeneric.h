// WiFiGeneric.h (twin): arduino-esp32 3.x network events (arduino_event_id_t with the board's
// numbers, arduino_event_info_t with the ESP-IDF event payloads sketches read) and the generic
// part of the WiFi object: event callbacks, mode, sleep, hostname, channel, TX power.
//
// Events run as on the board: on the device's "arduino_events" task (a firmware task started on
// first use), one at a time, in the order they were raised, callbacks in registration order.
// Callbacks may call WiFi functions and delay(); they should not block for long, as on the board,
// since later events wait for them. Threading and lifetimes: WiFi.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "IPAddress.h"
#include "WString.h"
#include "WiFiType.h"

typedef enum {
  ARDUINO_EVENT_NONE = 0,
  ARDUINO_EVENT_ETH_START,
  ARDUINO_EVENT_ETH_STOP,
  ARDUINO_EVENT_ETH_CONNECTED,
  ARDUINO_EVENT_ETH_DISCONNECTED,
  ARDUINO_EVENT_ETH_GOT_IP,
  ARDUINO_EVENT_ETH_LOST_IP,
  ARDUINO_EVENT_ETH_GOT_IP6,
  ARDUINO_EVENT_WIFI_OFF = 100,
  ARDUINO_EVENT_WIFI_READY,
  ARDUINO_EVENT_WIFI_SCAN_DONE,
  ARDUINO_EVENT_WIFI_FTM_REPORT,
  ARDUINO_EVENT_WIFI_STA_START = 110,
  ARDUINO_EVENT_WIFI_STA_STOP,
  ARDUINO_EVENT_WIFI_STA_CONNECTED,
  ARDUINO_EVENT_WIFI_STA_DISCONNECTED,
  ARDUINO_EVENT_WIFI_STA_AUTHMODE_CHANGE,
  ARDUINO_EVENT_WIFI_STA_GOT_IP,
  ARDUINO_EVENT_WIFI_STA_GOT_IP6,
  ARDUINO_EVENT_WIFI_STA_LOST_IP,
  ARDUINO_EVENT_WIFI_AP_START = 130,
  ARDUINO_EVENT_WIFI_AP_STOP,
  ARDUINO_EVENT_WIFI_AP_STACONNECTED,
  ARDUINO_EVENT_WIFI_AP_STADISCONNECTED,
  ARDUINO_EVENT_WIFI_AP_STAIPASSIGNED,
  ARDUINO_EVENT_WIFI_AP_PROBEREQRECVED,
  ARDUINO_EVENT_WIFI_AP_GOT_IP6,
  ARDUINO_EVENT_WPS_ER_SUCCESS = 140,
  ARDUINO_EVENT_WPS_ER_FAILED,
  ARDUINO_EVENT_WPS_ER_TIMEOUT,
  ARDUINO_EVENT_WPS_ER_PIN,
  ARDUINO_EVENT_WPS_ER_PBC_OVERLAP,
  ARDUINO_EVENT_SC_SCAN_DONE = 150,
  ARDUINO_EVENT_SC_FOUND_CHANNEL,
  ARDUINO_EVENT_SC_GOT_SSID_PSWD,
  ARDUINO_EVENT_SC_SEND_ACK_DONE,
  ARDUINO_EVENT_PROV_INIT = 160,
  ARDUINO_EVENT_PROV_DEINIT,
  ARDUINO_EVENT_PROV_START,
  ARDUINO_EVENT_PROV_END,
  ARDUINO_EVENT_PROV_CRED_RECV,
  ARDUINO_EVENT_PROV_CRED_FAIL,
  ARDUINO_EVENT_PROV_CRED_SUCCESS,
  ARDUINO_EVENT_PPP_START = 200,
  ARDUINO_EVENT_PPP_STOP,
  ARDUINO_EVENT_PPP_CONNECTED,
  ARDUINO_EVENT_PPP_DISCONNECTED,
  ARDUINO_EVENT_PPP_GOT_IP,
  ARDUINO_EVENT_PPP_LOST_IP,
  ARDUINO_EVENT_PPP_GOT_IP6,
  ARDUINO_EVENT_MAX
} arduino_event_id_t;

// arduino-esp32 1.x names, still found in sketches.
#define SYSTEM_EVENT_WIFI_READY ARDUINO_EVENT_WIFI_READY
#define SYSTEM_EVENT_SCAN_DONE ARDUINO_EVENT_WIFI_SCAN_DONE
#define SYSTEM_EVENT_STA_START ARDUINO_EVENT_WIFI_STA_START
#define SYSTEM_EVENT_STA_STOP ARDUINO_EVENT_WIFI_STA_STOP
#define SYSTEM_EVENT_STA_CONNECTED ARDUINO_EVENT_WIFI_STA_CONNECTED
#define SYSTEM_EVENT_STA_DISCONNECTED ARDUINO_EVENT_WIFI_STA_DISCONNECTED
#define SYSTEM_EVENT_STA_AUTHMODE_CHANGE ARDUINO_EVENT_WIFI_STA_AUTHMODE_CHANGE
#define SYSTEM_EVENT_STA_GOT_IP ARDUINO_EVENT_WIFI_STA_GOT_IP
#define SYSTEM_EVENT_STA_LOST_IP ARDUINO_EVENT_WIFI_STA_LOST_IP
#define SYSTEM_EVENT_AP_START ARDUINO_EVENT_WIFI_AP_START
#define SYSTEM_EVENT_AP_STOP ARDUINO_EVENT_WIFI_AP_STOP
#define SYSTEM_EVENT_AP_STACONNECTED ARDUINO_EVENT_WIFI_AP_STACONNECTED
#define SYSTEM_EVENT_AP_STADISCONNECTED ARDUINO_EVENT_WIFI_AP_STADISCONNECTED
#define SYSTEM_EVENT_AP_STAIPASSIGNED ARDUINO_EVENT_WIFI_AP_STAIPASSIGNED

// ---- ESP-IDF event payloads (esp_wifi_types.h, esp_netif_types.h), the fields sketches read ----
struct esp_netif_obj;
typedef struct esp_netif_obj esp_netif_t;
typedef struct {
  uint32_t addr;  // network byte order, as IPAddress(uint32_t) takes it
} esp_ip4_addr_t;
typedef struct {
  esp_ip4_addr_t ip;
  esp_ip4_addr_t netmask;
  esp_ip4_addr_t gw;
} esp_netif_ip_info_t;
typedef struct {
  esp_netif_t* esp_netif;
  esp_netif_ip_info_t ip_info;
  bool ip_changed;
} ip_event_got_ip_t;
typedef struct {
  esp_netif_t* esp_netif;
  esp_ip4_addr_t ip;
  uint8_t mac[6];
} ip_event_ap_staipassigned_t;
typedef struct {
  uint32_t status;
  uint8_t number;
  uint8_t scan_id;
} wifi_event_sta_scan_done_t;
typedef struct {
  uint8_t ssid[32];
  uint8_t ssid_len;
  uint8_t bssid[6];
  uint8_t channel;
  wifi_auth_mode_t authmode;
  uint16_t aid;
} wifi_event_sta_connected_t;
typedef struct {
  uint8_t ssid[32];
  uint8_t ssid_len;
  uint8_t bssid[6];
  uint8_t reason;  // wifi_err_reason_t
  int8_t rssi;
} wifi_event_sta_disconnected_t;
typedef struct {
  wifi_auth_mode_t old_mode;
  wifi_auth_mode_t new_mode;
} wifi_event_sta_authmode_change_t;
typedef struct {
  uint8_t mac[6];
  uint8_t aid;
  bool is_mesh_child;
} wifi_event_ap_staconnected_t;
typedef struct {
  uint8_t mac[6];
  uint8_t aid;
  bool is_mesh_child;
  uint16_t reason;
} wifi_event_ap_stadisconnected_t;

typedef union {
  ip_event_ap_staipassigned_t wifi_ap_staipassigned;
  ip_event_got_ip_t got_ip;
  wifi_event_sta_scan_done_t wifi_scan_done;
  wifi_event_sta_authmode_change_t wifi_sta_authmode_change;
  wifi_event_sta_connected_t wifi_sta_connected;
  wifi_event_sta_disconnected_t wifi_sta_disconnected;
  wifi_event_ap_staconnected_t wifi_ap_staconnected;
  wifi_event_ap_stadisconnected_t wifi_ap_stadisconnected;
} arduino_event_info_t;

struct arduino_event_t {
  arduino_event_id_t event_id;
  arduino_event_info_t event_info;
};

typedef void (*WiFiEventCb)(arduino_event_id_t event);
typedef std::function<void(arduino_event_id_t event, arduino_event_info_t info)> WiFiEventFuncCb;
typedef void (*WiFiEventSysCb)(arduino_event_t* event);
typedef size_t wifi_event_id_t;

typedef enum {
  WIFI_POWER_21dBm = 84,
  WIFI_POWER_20_5dBm = 82,
  WIFI_POWER_20dBm = 80,
  WIFI_POWER_19_5dBm = 78,
  WIFI_POWER_19dBm = 76,
  WIFI_POWER_18_5dBm = 74,
  WIFI_POWER_17dBm = 68,
  WIFI_POWER_15dBm = 60,
  WIFI_POWER_13dBm = 52,
  WIFI_POWER_11dBm = 44,
  WIFI_POWER_8_5dBm = 34,
  WIFI_POWER_7dBm = 28,
  WIFI_POWER_5dBm = 20,
  WIFI_POWER_2dBm = 8,
  WIFI_POWER_MINUS_1dBm = -4
} wifi_power_t;

class WiFiGenericClass {
 public:
  // Callbacks for one event, or for every event (ARDUINO_EVENT_MAX). Returns an id > 0 for
  // removeEvent(id); 0 when called on a thread of no device.
  wifi_event_id_t onEvent(WiFiEventCb cbEvent, arduino_event_id_t event = ARDUINO_EVENT_MAX);
  wifi_event_id_t onEvent(WiFiEventFuncCb cbEvent, arduino_event_id_t event = ARDUINO_EVENT_MAX);
  wifi_event_id_t onEvent(WiFiEventSysCb cbEvent, arduino_event_id_t event = ARDUINO_EVENT_MAX);
  void removeEvent(WiFiEventCb cbEvent, arduino_event_id_t event = ARDUINO_EVENT_MAX);
  void removeEvent(WiFiEventSysCb cbEvent, arduino_event_id_t event = ARDUINO_EVENT_MAX);
  void removeEvent(wifi_event_id_t id);
  static const char* eventName(arduino_event_id_t id);

  int32_t channel();
  void persistent(bool persistent);
  void enableLongRange(bool enable);

  bool mode(wifi_mode_t m);
  wifi_mode_t getMode();
  bool enableSTA(bool enable);
  bool enableAP(bool enable);

  bool setSleep(bool enabled);
  bool setSleep(wifi_ps_type_t sleepType);
  wifi_ps_type_t getSleep();

  bool setTxPower(wifi_power_t power);
  wifi_power_t getTxPower();

  // The hostname the station reports (3.x default "esp32-XXXXXX" from the MAC). The pointer stays
  // valid until the next setHostname() on the device.
  const char* getHostname();
  bool setHostname(const char* hostname);
  bool hostname(const String& aHostname) { return setHostname(aHostname.c_str()); }

  // Dotted IPv4 text and "localhost" resolve; any other name fails (0) with a log line: the twin
  // has no DNS.
  int hostByName(const char* aHostname, IPAddress& aResult);

  static IPAddress calculateNetworkID(IPAddress ip, IPAddress subnet);
  static IPAddress calculateBroadcast(IPAddress ip, IPAddress subnet);
  static uint8_t calculateSubnetCIDR(IPAddress subnetMask);
};
