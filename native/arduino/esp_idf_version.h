// esp_idf_version.h (twin): the ESP-IDF version the twin's API follows (see
// esp_arduino_version.h). Header only, C and C++.
#pragma once

#define ESP_IDF_VERSION_MAJOR 5
#define ESP_IDF_VERSION_MINOR 5
#define ESP_IDF_VERSION_PATCH 0
#define ESP_IDF_VERSION_VAL(major, minor, patch) (((major) << 16) | ((minor) << 8) | (patch))
#define ESP_IDF_VERSION ESP_IDF_VERSION_VAL(ESP_IDF_VERSION_MAJOR, ESP_IDF_VERSION_MINOR, ESP_IDF_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif
// "v5.5.0-twincore"
const char* esp_get_idf_version(void);
#ifdef __cplusplus
}
#endif
