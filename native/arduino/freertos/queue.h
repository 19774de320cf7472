// freertos/queue.h (twin): FreeRTOS queues of ESP-IDF 5.1, on the host. Semaphores and mutexes
// are queues too (freertos/semphr.h maps onto these calls, as FreeRTOS does).
//
// Semantics as on the board: items are copied in and out by value (uxItemSize bytes); a full
// queue blocks senders and an empty one receivers up to xTicksToWait (portMAX_DELAY: no limit);
// xQueueOverwrite is for queues of length 1. Every blocking call follows FreeRTOS.h (gives the
// single-core CPU up; on a stopping device unwinds a task or the loop task, and returns pdFALSE on async_tcp).
// Bad input (a zero length, NULL item for a non-zero item size, overwrite on a longer queue,
// NULL handle) is logged and fails (NULL / pdFAIL), where the board's configASSERT would abort.
//
// Threading: any thread; the FromISR variants never block.
// Lifetimes: xQueueCreate allocates the queue; its item storage counts against the calling
// device's heap while it lives (NULL when the heap cannot hold it, or the failAllocs fault
// fires); vQueueDelete frees both. The Static variants build the queue inside
// the caller's StaticQueue_t and use its storage buffer; vQueueDelete only dismantles them.
// Deleting a queue that tasks are blocked on (undefined on the board) wakes them with a failure
// first. A queue is not tied to a device: one the firmware never deleted stays usable (and
// allocated) after its device stopped, and works from any device's threads.
#pragma once
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#ifndef TWIN_FREERTOS_HOST
#error "twincore: this host header needs the host freertos/FreeRTOS.h (native/arduino/freertos) first on the include path"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct QueueDefinition* QueueHandle_t;
typedef QueueHandle_t xQueueHandle;

#define queueSEND_TO_BACK ((BaseType_t)0)
#define queueSEND_TO_FRONT ((BaseType_t)1)
#define queueOVERWRITE ((BaseType_t)2)

#define queueQUEUE_TYPE_BASE ((uint8_t)0U)
#define queueQUEUE_TYPE_SET ((uint8_t)0U)
#define queueQUEUE_TYPE_MUTEX ((uint8_t)1U)
#define queueQUEUE_TYPE_COUNTING_SEMAPHORE ((uint8_t)2U)
#define queueQUEUE_TYPE_BINARY_SEMAPHORE ((uint8_t)3U)
#define queueQUEUE_TYPE_RECURSIVE_MUTEX ((uint8_t)4U)

QueueHandle_t xQueueGenericCreate(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                  const uint8_t ucQueueType);
QueueHandle_t xQueueGenericCreateStatic(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                        uint8_t* pucQueueStorage, StaticQueue_t* pxStaticQueue,
                                        const uint8_t ucQueueType);
#define xQueueCreate(uxQueueLength, uxItemSize) \
  xQueueGenericCreate((uxQueueLength), (uxItemSize), queueQUEUE_TYPE_BASE)
#define xQueueCreateStatic(uxQueueLength, uxItemSize, pucQueueStorage, pxQueueBuffer) \
  xQueueGenericCreateStatic((uxQueueLength), (uxItemSize), (pucQueueStorage), (pxQueueBuffer), queueQUEUE_TYPE_BASE)
void vQueueDelete(QueueHandle_t xQueue);

BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void* const pvItemToQueue, TickType_t xTicksToWait,
                             const BaseType_t xCopyPosition);
#define xQueueSend(q, item, ticks) xQueueGenericSend((q), (item), (ticks), queueSEND_TO_BACK)
#define xQueueSendToBack(q, item, ticks) xQueueGenericSend((q), (item), (ticks), queueSEND_TO_BACK)
#define xQueueSendToFront(q, item, ticks) xQueueGenericSend((q), (item), (ticks), queueSEND_TO_FRONT)
#define xQueueOverwrite(q, item) xQueueGenericSend((q), (item), 0, queueOVERWRITE)
BaseType_t xQueueReceive(QueueHandle_t xQueue, void* const pvBuffer, TickType_t xTicksToWait);
BaseType_t xQueuePeek(QueueHandle_t xQueue, void* const pvBuffer, TickType_t xTicksToWait);

BaseType_t xQueueGenericSendFromISR(QueueHandle_t xQueue, const void* const pvItemToQueue,
                                    BaseType_t* const pxHigherPriorityTaskWoken, const BaseType_t xCopyPosition);
#define xQueueSendFromISR(q, item, w) xQueueGenericSendFromISR((q), (item), (w), queueSEND_TO_BACK)
#define xQueueSendToBackFromISR(q, item, w) xQueueGenericSendFromISR((q), (item), (w), queueSEND_TO_BACK)
#define xQueueSendToFrontFromISR(q, item, w) xQueueGenericSendFromISR((q), (item), (w), queueSEND_TO_FRONT)
#define xQueueOverwriteFromISR(q, item, w) xQueueGenericSendFromISR((q), (item), (w), queueOVERWRITE)
BaseType_t xQueueGiveFromISR(QueueHandle_t xQueue, BaseType_t* const pxHigherPriorityTaskWoken);
BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void* const pvBuffer, BaseType_t* const pxHigherPriorityTaskWoken);
BaseType_t xQueuePeekFromISR(QueueHandle_t xQueue, void* const pvBuffer);

UBaseType_t uxQueueMessagesWaiting(const QueueHandle_t xQueue);
UBaseType_t uxQueueMessagesWaitingFromISR(const QueueHandle_t xQueue);
UBaseType_t uxQueueSpacesAvailable(const QueueHandle_t xQueue);
BaseType_t xQueueIsQueueEmptyFromISR(const QueueHandle_t xQueue);
BaseType_t xQueueIsQueueFullFromISR(const QueueHandle_t xQueue);
// Empties the queue (always pdPASS); blocked senders get room.
BaseType_t xQueueGenericReset(QueueHandle_t xQueue, BaseType_t xNewQueue);
#define xQueueReset(q) xQueueGenericReset((q), pdFALSE)

// A name for debugging (the pointer is kept, as FreeRTOS does).
void vQueueAddToRegistry(QueueHandle_t xQueue, const char* pcQueueName);
void vQueueUnregisterQueue(QueueHandle_t xQueue);
const char* pcQueueGetName(QueueHandle_t xQueue);

// The semaphore side of queues (freertos/semphr.h).
QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType);
QueueHandle_t xQueueCreateMutexStatic(const uint8_t ucQueueType, StaticQueue_t* pxStaticQueue);
QueueHandle_t xQueueCreateCountingSemaphore(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount);
QueueHandle_t xQueueCreateCountingSemaphoreStatic(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount,
                                                  StaticQueue_t* pxStaticQueue);
BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait);
BaseType_t xQueueTakeMutexRecursive(QueueHandle_t xMutex, TickType_t xTicksToWait);
BaseType_t xQueueGiveMutexRecursive(QueueHandle_t xMutex);
TaskHandle_t xQueueGetMutexHolder(QueueHandle_t xSemaphore);
TaskHandle_t xQueueGetMutexHolderFromISR(QueueHandle_t xSemaphore);

#ifdef __cplusplus
}
#endif
