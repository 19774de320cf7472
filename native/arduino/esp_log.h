// esp_log.h (twin): ESP-IDF's logging API. ESP_LOGE/W/I/D/V(tag, fmt, ...) print
//   E (<ms>) tag: message
// as one device log line when the message's level is at or below the tag's level: set per tag
// (or for "*", every tag without its own) with esp_log_level_set; the default is
// ESP_LOG_ERROR, the arduino-esp32 build's CONFIG_LOG_DEFAULT_LEVEL. Levels are per device.
// ESP_EARLY_LOGx and ESP_DRAM_LOGx are the same. ESP_LOG_BUFFER_HEX(tag, buf, len) dumps bytes
// at Info level.
// Threading: any thread; acts on the calling thread's device (process-wide levels off device
// threads). C and C++.
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  ESP_LOG_NONE = 0,
  ESP_LOG_ERROR = 1,
  ESP_LOG_WARN = 2,
  ESP_LOG_INFO = 3,
  ESP_LOG_DEBUG = 4,
  ESP_LOG_VERBOSE = 5
} esp_log_level_t;

#ifdef __cplusplus
extern "C" {
#endif
void esp_log_level_set(const char* tag, esp_log_level_t level);
esp_log_level_t esp_log_level_get(const char* tag);
// Prints when `level` passes the tag's level; fmt is the whole line (no prefix is added).
void esp_log_write(esp_log_level_t level, const char* tag, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
void esp_log_writev(esp_log_level_t level, const char* tag, const char* fmt, va_list args);
uint32_t esp_log_timestamp(void);
void esp_log_buffer_hex_internal(const char* tag, const void* buffer, uint16_t len, esp_log_level_t level);
#ifdef __cplusplus
}
#endif

#define TWIN_ESP_LOG(level, letter, tag, format, ...) \
  esp_log_write(level, tag, letter " (%u) %s: " format, (unsigned)esp_log_timestamp(), tag, ##__VA_ARGS__)

#define ESP_LOGE(tag, format, ...) TWIN_ESP_LOG(ESP_LOG_ERROR, "E", tag, format, ##__VA_ARGS__)
#define ESP_LOGW(tag, format, ...) TWIN_ESP_LOG(ESP_LOG_WARN, "W", tag, format, ##__VA_ARGS__)
#define ESP_LOGI(tag, format, ...) TWIN_ESP_LOG(ESP_LOG_INFO, "I", tag, format, ##__VA_ARGS__)
#define ESP_LOGD(tag, format, ...) TWIN_ESP_LOG(ESP_LOG_DEBUG, "D", tag, format, ##__VA_ARGS__)
#define ESP_LOGV(tag, format, ...) TWIN_ESP_LOG(ESP_LOG_VERBOSE, "V", tag, format, ##__VA_ARGS__)
#define ESP_EARLY_LOGE ESP_LOGE
#define ESP_EARLY_LOGW ESP_LOGW
#define ESP_EARLY_LOGI ESP_LOGI
#define ESP_EARLY_LOGD ESP_LOGD
#define ESP_EARLY_LOGV ESP_LOGV
#define ESP_DRAM_LOGE ESP_LOGE
#define ESP_DRAM_LOGW ESP_LOGW
#define ESP_DRAM_LOGI ESP_LOGI
#define ESP_DRAM_LOGD ESP_LOGD
#define ESP_DRAM_LOGV ESP_LOGV
#define ESP_LOG_LEVEL(level, tag, format, ...) \
  esp_log_write(level, tag, "%s: " format, tag, ##__VA_ARGS__)
#define ESP_LOG_BUFFER_HEX_LEVEL(tag, buffer, len, level) esp_log_buffer_hex_internal(tag, buffer, len, level)
#define ESP_LOG_BUFFER_HEX(tag, buffer, len) esp_log_buffer_hex_internal(tag, buffer, len, ESP_LOG_INFO)
