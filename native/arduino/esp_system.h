// esp_system.h (twin): ESP-IDF 5.1 system calls, on the host.
//
//  - esp_restart() runs the registered shutdown handlers (newest first, on the caller) and
//    restarts the device (twin::requestRestart): on the loop task or a task it does not return
//    (the task unwinds when the device stops); on async_tcp it returns and the restart follows.
//  - The heap figures are the device's: Profile::heapBytes less what the firmware holds through
//    the twin heap (counters().heapUsed; task stacks and queue storage count there too), or
//    320 KB less that when the profile sets no budget. Off any device: 320 KB.
//  - esp_reset_reason() is ESP_RST_POWERON: every start of a twin device is a fresh boot (the
//    embedder restarts a device by building a new one).
// Threading: any thread; the calls act on the calling thread's device (contextDevice).
// Lifetimes: shutdown handlers are kept per device until it stops (at most 5, as ESP-IDF).
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_err.h"
#include "esp_idf_version.h"
#include "esp_random.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  ESP_RST_UNKNOWN,
  ESP_RST_POWERON,
  ESP_RST_EXT,
  ESP_RST_SW,
  ESP_RST_PANIC,
  ESP_RST_INT_WDT,
  ESP_RST_TASK_WDT,
  ESP_RST_WDT,
  ESP_RST_DEEPSLEEP,
  ESP_RST_BROWNOUT,
  ESP_RST_SDIO,
  ESP_RST_USB,
  ESP_RST_JTAG,
} esp_reset_reason_t;

typedef void (*shutdown_handler_t)(void);

// ESP_ERR_INVALID_STATE when handle is already registered, ESP_ERR_NO_MEM past 5 handlers,
// ESP_ERR_INVALID_ARG for NULL or off any device.
esp_err_t esp_register_shutdown_handler(shutdown_handler_t handle);
esp_err_t esp_unregister_shutdown_handler(shutdown_handler_t handle);

void esp_restart(void);
esp_reset_reason_t esp_reset_reason(void);
uint32_t esp_get_free_heap_size(void);
uint32_t esp_get_free_internal_heap_size(void);
uint32_t esp_get_minimum_free_heap_size(void);
// Logs details and restarts the device, as the board's abort does.
void esp_system_abort(const char* details);

#ifdef __cplusplus
}
#endif
