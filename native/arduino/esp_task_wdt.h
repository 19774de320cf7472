// esp_task_wdt.h (twin): the ESP-IDF 5.1 task watchdog (TWDT), on the host.
//
// What is simulated: the watchdog of subscribed tasks and users. As Arduino-ESP32 configures it,
// it is initialised at boot (CONFIG_ESP_TASK_WDT_TIMEOUT_S = 5 s, no panic). When a subscribed
// task or user has not called its reset within the timeout, the device log gets ESP-IDF's
// "Task watchdog got triggered" error naming them (again every timeout while it lasts); with
// trigger_panic the device then restarts (twin::requestRestart), as the board panics and resets.
// The check runs on the device's esp_timer task (esp_timer.h), started by the first subscription.
// What is not: the idle-task watch (idle_core_mask; CONFIG_ESP_TASK_WDT_CHECK_IDLE_TASK_CPU0),
// which reports a task that starves a core: the host has no idle tasks, and a task that never
// blocks stalls a single-core profile's esp_timer task with everything else. The mask is
// accepted and has no effect.
//
// Errors as ESP-IDF: ESP_ERR_INVALID_STATE when not initialised (or init when initialised),
// ESP_ERR_INVALID_ARG for a task or user subscribed twice or unknown, ESP_ERR_NOT_FOUND when the
// caller resets without being subscribed, ESP_ERR_NO_MEM when the device heap is exhausted.
// Threading: any thread; the state is the calling thread's device's (off any device every call
// gives ESP_ERR_INVALID_STATE). A task handle is recognised by identity; a task that ends while
// subscribed stays subscribed (and triggers the watchdog), as on the board.
// Lifetimes: user handles are the device's and die with it: a handle used after its device
// stopped, or on another device, is ESP_ERR_INVALID_ARG.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "esp_err.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#ifndef TWIN_FREERTOS_HOST
#error "twincore: this host header needs the host freertos/FreeRTOS.h (native/arduino/freertos) first on the include path"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  uint32_t timeout_ms;
  uint32_t idle_core_mask;
  bool trigger_panic;
} esp_task_wdt_config_t;

typedef struct esp_task_wdt_user_handle_s* esp_task_wdt_user_handle_t;

esp_err_t esp_task_wdt_init(const esp_task_wdt_config_t* config);
esp_err_t esp_task_wdt_reconfigure(const esp_task_wdt_config_t* config);
esp_err_t esp_task_wdt_deinit(void);
esp_err_t esp_task_wdt_add(TaskHandle_t task_handle);
esp_err_t esp_task_wdt_add_user(const char* user_name, esp_task_wdt_user_handle_t* user_handle_ret);
esp_err_t esp_task_wdt_reset(void);
esp_err_t esp_task_wdt_reset_user(esp_task_wdt_user_handle_t user_handle);
esp_err_t esp_task_wdt_delete(TaskHandle_t task_handle);
esp_err_t esp_task_wdt_delete_user(esp_task_wdt_user_handle_t user_handle);
esp_err_t esp_task_wdt_status(TaskHandle_t task_handle);

#ifdef __cplusplus
}
#endif
