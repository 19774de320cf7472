// esp_timer.h (twin): ESP-IDF 5.1 high-resolution timers, on the host.
//
// esp_timer_get_time() is the process clock in microseconds (micros() reads the same clock; the
// board counts from boot, the host from process start). Callbacks run on the device's
// "esp_timer" task (priority 22, started with the device's first timer), one after the other,
// never in an interrupt: ESP_TIMER_ISR dispatch is accepted and dispatched from the task too. A
// periodic timer fires on a fixed grid (period at least 50 us, as on the board); periods missed
// while callbacks ran are caught up at once unless skip_unhandled_events is set, which skips to
// the next period after now.
//
// Errors as on the board: ESP_ERR_INVALID_ARG for NULL arguments, ESP_ERR_INVALID_STATE to
// start a running timer, stop a stopped one, restart a stopped one or delete a running one,
// ESP_ERR_NO_MEM when the device heap is exhausted. esp_timer_create on a thread of no device,
// or of a stopping one, gives ESP_ERR_INVALID_STATE.
//
// Threading: any thread. A timer belongs to the device of the thread that created it; its
// callbacks run on that device's esp_timer task.
// Lifetimes: esp_timer_create allocates the timer (ESP_ERR_NO_MEM as the device heap or its
// failAllocs fault says; it does not count on that heap while it lives); esp_timer_delete frees it
// (at once, or right after its callback returns when called while that callback runs, for
// example by a one-shot timer deleting itself). When the device stops, its timers are disarmed
// and never fire again; one the firmware never deleted stays allocated: starting it then gives
// ESP_ERR_INVALID_STATE, stopping and deleting it work.
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "esp_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct esp_timer* esp_timer_handle_t;
typedef void (*esp_timer_cb_t)(void* arg);

typedef enum {
  ESP_TIMER_TASK,
  ESP_TIMER_ISR,
  ESP_TIMER_MAX,
} esp_timer_dispatch_t;

typedef struct {
  esp_timer_cb_t callback;
  void* arg;
  esp_timer_dispatch_t dispatch_method;
  const char* name;
  bool skip_unhandled_events;
} esp_timer_create_args_t;

esp_err_t esp_timer_create(const esp_timer_create_args_t* create_args, esp_timer_handle_t* out_handle);
esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us);
esp_err_t esp_timer_start_periodic(esp_timer_handle_t timer, uint64_t period_us);
// A running timer starts over: a one-shot fires timeout_us from now, a periodic one takes
// timeout_us as its new period.
esp_err_t esp_timer_restart(esp_timer_handle_t timer, uint64_t timeout_us);
esp_err_t esp_timer_stop(esp_timer_handle_t timer);
esp_err_t esp_timer_delete(esp_timer_handle_t timer);
int64_t esp_timer_get_time(void);
// The time (esp_timer_get_time) at which the calling device's next timer fires, or INT64_MAX.
int64_t esp_timer_get_next_alarm(void);
int64_t esp_timer_get_next_alarm_for_wake_up(void);
esp_err_t esp_timer_get_period(esp_timer_handle_t timer, uint64_t* period);
esp_err_t esp_timer_get_expiry_time(esp_timer_handle_t timer, uint64_t* expiry);
bool esp_timer_is_active(esp_timer_handle_t timer);
// One line per timer of the calling device: name, period, next alarm.
esp_err_t esp_timer_dump(FILE* stream);

#ifdef __cplusplus
}
#endif
