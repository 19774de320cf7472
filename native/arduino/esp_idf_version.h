// esp_idf_version.h (twin): the ESP-IDF version the twin's API follows: 5.1.4, the one
// Arduino-ESP32 3.0 is built on. Threading: any thread. Lifetimes: a static string.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

#define ESP_IDF_VERSION_MAJOR 5
#define ESP_IDF_VERSION_MINOR 1
#define ESP_IDF_VERSION_PATCH 4
#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ESP_IDF_VERSION ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, ESP_IDF_VERSION_PATCH)

// "v5.1.4"
const char* esp_get_idf_version(void);

#ifdef __cplusplus
}
#endif
