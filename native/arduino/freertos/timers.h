// freertos/timers.h (twin): FreeRTOS software timers of ESP-IDF 5.1, on the host.
//
// Callbacks run on the device's "Tmr Svc" task (priority 1, started with the device's first
// timer), one after the other, as on the board; a callback must not block for long (it delays
// every other timer, as on the board). A timer fires xTimerPeriodInTicks ms after it was started
// (reset, or its period changed); an auto-reload timer then every period, on a fixed grid (a
// late callback does not shift the next ones; periods missed while a callback ran are caught up
// at once, as FreeRTOS does). Commands (start, stop, reset, change period, delete) take effect
// at once and never block (the board's timer queue cannot fill up here); xTicksToWait is unused.
//
// Threading: any thread. A timer belongs to the device of the thread that created it
// (contextDevice): its callbacks run on that device's Tmr Svc task. xTimerCreate returns NULL
// (logged) on a thread of no device, when the device is stopping or its heap is exhausted, and
// for a zero period or a NULL callback (configASSERT on the board).
// Lifetimes: xTimerCreate allocates the timer (refused as the device heap or its failAllocs fault
// says; it does not count on that heap while it lives); xTimerDelete frees the timer (at once,
// or right after its callback returns when called while that callback runs, for example from
// it). xTimerCreateStatic builds the timer in the caller's StaticTimer_t. When the device
// stops, its timers are disarmed and never fire again; a timer the firmware never deleted stays
// allocated. Commands on it then fail (pdFAIL) and xTimerDelete still frees it.
#pragma once
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#ifndef TWIN_FREERTOS_HOST
#error "twincore: this host header needs the host freertos/FreeRTOS.h (native/arduino/freertos) first on the include path"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tmrTimerControl* TimerHandle_t;
typedef TimerHandle_t xTimerHandle;
typedef void (*TimerCallbackFunction_t)(TimerHandle_t xTimer);
typedef void (*PendedFunction_t)(void* pvParameter1, uint32_t ulParameter2);

TimerHandle_t xTimerCreate(const char* const pcTimerName, const TickType_t xTimerPeriodInTicks,
                           const UBaseType_t uxAutoReload, void* const pvTimerID,
                           TimerCallbackFunction_t pxCallbackFunction);
TimerHandle_t xTimerCreateStatic(const char* const pcTimerName, const TickType_t xTimerPeriodInTicks,
                                 const UBaseType_t uxAutoReload, void* const pvTimerID,
                                 TimerCallbackFunction_t pxCallbackFunction, StaticTimer_t* pxTimerBuffer);

BaseType_t xTimerStart(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerStop(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerReset(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerChangePeriod(TimerHandle_t xTimer, TickType_t xNewPeriod, TickType_t xTicksToWait);
BaseType_t xTimerDelete(TimerHandle_t xTimer, TickType_t xTicksToWait);
BaseType_t xTimerStartFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken);
BaseType_t xTimerStopFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken);
BaseType_t xTimerResetFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken);
BaseType_t xTimerChangePeriodFromISR(TimerHandle_t xTimer, TickType_t xNewPeriod,
                                     BaseType_t* pxHigherPriorityTaskWoken);

BaseType_t xTimerIsTimerActive(TimerHandle_t xTimer);
void* pvTimerGetTimerID(const TimerHandle_t xTimer);
void vTimerSetTimerID(TimerHandle_t xTimer, void* pvNewID);
const char* pcTimerGetName(TimerHandle_t xTimer);
TickType_t xTimerGetPeriod(TimerHandle_t xTimer);
// The tick count at which an active timer fires next (undefined for a dormant one: 0 here).
TickType_t xTimerGetExpiryTime(TimerHandle_t xTimer);
void vTimerSetReloadMode(TimerHandle_t xTimer, const UBaseType_t uxAutoReload);
UBaseType_t uxTimerGetReloadMode(TimerHandle_t xTimer);
#define xTimerGetReloadMode(t) ((BaseType_t)uxTimerGetReloadMode(t))

// Runs xFunctionToPend(pvParameter1, ulParameter2) on the calling device's Tmr Svc task.
BaseType_t xTimerPendFunctionCall(PendedFunction_t xFunctionToPend, void* pvParameter1, uint32_t ulParameter2,
                                  TickType_t xTicksToWait);
BaseType_t xTimerPendFunctionCallFromISR(PendedFunction_t xFunctionToPend, void* pvParameter1,
                                         uint32_t ulParameter2, BaseType_t* pxHigherPriorityTaskWoken);
// The calling device's Tmr Svc task (NULL before its first timer).
TaskHandle_t xTimerGetTimerDaemonTaskHandle(void);

#ifdef __cplusplus
}
#endif
