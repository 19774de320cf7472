// freertos/event_groups.h (twin): FreeRTOS event groups of ESP-IDF 5.1, on the host.
//
// Semantics as on the board: 24 usable bits (the top 8 of EventBits_t are the kernel's: setting
// or waiting on them is logged and they are ignored, where configASSERT aborts the board). A set
// unblocks, at that moment, every waiter whose condition it meets (any / all of its bits); the
// bits of those with xClearOnExit are cleared after all were served, so two tasks waiting on the
// same bit are both released by one set. xEventGroupWaitBits returns the bits as they were when
// the condition was met (before the clear), or the current bits at the timeout. xEventGroupSync
// sets bits and waits for all of another set (a rendezvous). Blocking follows FreeRTOS.h.
//
// Threading: any thread; the FromISR variants act at once (never deferred to the timer task).
// Lifetimes: xEventGroupCreate allocates the group (NULL when the calling device's heap could
// not hold it, or its failAllocs fault fires; a group does not count on that heap while it lives);
// vEventGroupDelete frees it, first releasing any waiter with 0 (as FreeRTOS does). The Static
// variant lives in the caller's StaticEventGroup_t. Not tied to a device (as queues).
#pragma once
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#ifndef TWIN_FREERTOS_HOST
#error "twincore: this host header needs the host freertos/FreeRTOS.h (native/arduino/freertos) first on the include path"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct EventGroupDef_t* EventGroupHandle_t;
typedef TickType_t EventBits_t;

EventGroupHandle_t xEventGroupCreate(void);
EventGroupHandle_t xEventGroupCreateStatic(StaticEventGroup_t* pxEventGroupBuffer);
void vEventGroupDelete(EventGroupHandle_t xEventGroup);
// Returns the bits after the set (those cleared by released waiters already gone).
EventBits_t xEventGroupSetBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet);
// Returns the bits before the clear.
EventBits_t xEventGroupClearBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear);
#define xEventGroupGetBits(xEventGroup) xEventGroupClearBits((xEventGroup), 0)
EventBits_t xEventGroupWaitBits(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToWaitFor,
                                const BaseType_t xClearOnExit, const BaseType_t xWaitForAllBits,
                                TickType_t xTicksToWait);
EventBits_t xEventGroupSync(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet,
                            const EventBits_t uxBitsToWaitFor, TickType_t xTicksToWait);
BaseType_t xEventGroupSetBitsFromISR(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToSet,
                                     BaseType_t* pxHigherPriorityTaskWoken);
BaseType_t xEventGroupClearBitsFromISR(EventGroupHandle_t xEventGroup, const EventBits_t uxBitsToClear);
EventBits_t xEventGroupGetBitsFromISR(EventGroupHandle_t xEventGroup);

#ifdef __cplusplus
}
#endif
