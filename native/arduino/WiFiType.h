// WiFiType.h (twin): the WiFi value types of arduino-esp32 3.x and the ESP-IDF types they are
// made of (wifi_mode_t, wifi_auth_mode_t, wl_status_t, ...), with the board's names and numeric
// values, so sketches that switch on them or print them behave as on the board.
// Plain types: no state, no threading rules.
#pragma once
#include <cstdint>

// ---- ESP-IDF esp_wifi_types.h ----
typedef enum {
  WIFI_MODE_NULL = 0,
  WIFI_MODE_STA,
  WIFI_MODE_AP,
  WIFI_MODE_APSTA,
  WIFI_MODE_MAX
} wifi_mode_t;

typedef enum {
  WIFI_IF_STA = 0,
  WIFI_IF_AP = 1,
} wifi_interface_t;

typedef enum {
  WIFI_AUTH_OPEN = 0,
  WIFI_AUTH_WEP,
  WIFI_AUTH_WPA_PSK,
  WIFI_AUTH_WPA2_PSK,
  WIFI_AUTH_WPA_WPA2_PSK,
  WIFI_AUTH_ENTERPRISE,
  WIFI_AUTH_WPA2_ENTERPRISE = WIFI_AUTH_ENTERPRISE,
  WIFI_AUTH_WPA3_PSK,
  WIFI_AUTH_WPA2_WPA3_PSK,
  WIFI_AUTH_WAPI_PSK,
  WIFI_AUTH_OWE,
  WIFI_AUTH_MAX
} wifi_auth_mode_t;

typedef enum {
  WIFI_CIPHER_TYPE_NONE = 0,
  WIFI_CIPHER_TYPE_WEP40,
  WIFI_CIPHER_TYPE_WEP104,
  WIFI_CIPHER_TYPE_TKIP,
  WIFI_CIPHER_TYPE_CCMP,
  WIFI_CIPHER_TYPE_TKIP_CCMP,
  WIFI_CIPHER_TYPE_AES_CMAC128,
  WIFI_CIPHER_TYPE_SMS4,
  WIFI_CIPHER_TYPE_GCMP,
  WIFI_CIPHER_TYPE_GCMP256,
  WIFI_CIPHER_TYPE_AES_GMAC128,
  WIFI_CIPHER_TYPE_AES_GMAC256,
  WIFI_CIPHER_TYPE_UNKNOWN,
} wifi_cipher_type_t;

typedef enum {
  WIFI_PS_NONE,
  WIFI_PS_MIN_MODEM,
  WIFI_PS_MAX_MODEM,
} wifi_ps_type_t;

typedef enum {
  WIFI_FAST_SCAN = 0,
  WIFI_ALL_CHANNEL_SCAN,
} wifi_scan_method_t;

typedef enum {
  WIFI_CONNECT_AP_BY_SIGNAL = 0,
  WIFI_CONNECT_AP_BY_SECURITY,
} wifi_sort_method_t;

typedef enum {
  WIFI_BW_HT20 = 1,
  WIFI_BW_HT40,
} wifi_bandwidth_t;

// Disconnect reasons (IEEE 802.11 reason codes, and Espressif's own from 200).
typedef enum {
  WIFI_REASON_UNSPECIFIED = 1,
  WIFI_REASON_AUTH_EXPIRE = 2,
  WIFI_REASON_AUTH_LEAVE = 3,
  WIFI_REASON_ASSOC_EXPIRE = 4,
  WIFI_REASON_ASSOC_TOOMANY = 5,
  WIFI_REASON_NOT_AUTHED = 6,
  WIFI_REASON_NOT_ASSOCED = 7,
  WIFI_REASON_ASSOC_LEAVE = 8,
  WIFI_REASON_ASSOC_NOT_AUTHED = 9,
  WIFI_REASON_DISASSOC_PWRCAP_BAD = 10,
  WIFI_REASON_DISASSOC_SUPCHAN_BAD = 11,
  WIFI_REASON_BSS_TRANSITION_DISASSOC = 12,
  WIFI_REASON_IE_INVALID = 13,
  WIFI_REASON_MIC_FAILURE = 14,
  WIFI_REASON_4WAY_HANDSHAKE_TIMEOUT = 15,
  WIFI_REASON_GROUP_KEY_UPDATE_TIMEOUT = 16,
  WIFI_REASON_IE_IN_4WAY_DIFFERS = 17,
  WIFI_REASON_GROUP_CIPHER_INVALID = 18,
  WIFI_REASON_PAIRWISE_CIPHER_INVALID = 19,
  WIFI_REASON_AKMP_INVALID = 20,
  WIFI_REASON_UNSUPP_RSN_IE_VERSION = 21,
  WIFI_REASON_INVALID_RSN_IE_CAP = 22,
  WIFI_REASON_802_1X_AUTH_FAILED = 23,
  WIFI_REASON_CIPHER_SUITE_REJECTED = 24,
  WIFI_REASON_BEACON_TIMEOUT = 200,
  WIFI_REASON_NO_AP_FOUND = 201,
  WIFI_REASON_AUTH_FAIL = 202,
  WIFI_REASON_ASSOC_FAIL = 203,
  WIFI_REASON_HANDSHAKE_TIMEOUT = 204,
  WIFI_REASON_CONNECTION_FAIL = 205,
  WIFI_REASON_AP_TSF_RESET = 206,
  WIFI_REASON_ROAMING = 207,
} wifi_err_reason_t;

// ---- arduino-esp32 WiFiType.h ----
#define WIFI_SCAN_RUNNING (-1)
#define WIFI_SCAN_FAILED (-2)

#define WiFiMode_t wifi_mode_t
#define WIFI_OFF WIFI_MODE_NULL
#define WIFI_STA WIFI_MODE_STA
#define WIFI_AP WIFI_MODE_AP
#define WIFI_AP_STA WIFI_MODE_APSTA

#define WiFiEvent_t arduino_event_id_t
#define WiFiEventInfo_t arduino_event_info_t
#define WiFiEventId_t wifi_event_id_t

typedef enum {
  WL_NO_SHIELD = 255,  // for compatibility with WiFi Shield library
  WL_STOPPED = 254,
  WL_IDLE_STATUS = 0,
  WL_NO_SSID_AVAIL = 1,
  WL_SCAN_COMPLETED = 2,
  WL_CONNECTED = 3,
  WL_CONNECT_FAILED = 4,
  WL_CONNECTION_LOST = 5,
  WL_DISCONNECTED = 6
} wl_status_t;
