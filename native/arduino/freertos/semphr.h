// freertos/semphr.h (twin): FreeRTOS semaphores and mutexes of ESP-IDF 5.1, on the host: macros
// over the queue calls of freertos/queue.h, as in FreeRTOS (a semaphore is a queue of empty
// items; uxSemaphoreGetCount is its message count).
//
// Semantics as on the board:
//  - binary semaphores start empty (take blocks until a give); counting ones hold up to
//    uxMaxCount; giving a full one fails (pdFAIL).
//  - a mutex remembers its holder: only the holder may give it (another task's give fails and is
//    logged, where the board's configASSERT aborts); a task taking a plain mutex it already holds
//    blocks, as on the board (logged once: it deadlocks there too). A recursive mutex counts its
//    holder's takes (xSemaphoreTakeRecursive / xSemaphoreGiveRecursive). No priority inheritance
//    (priorities do not order the host CPU).
//  - a blocking take follows FreeRTOS.h: it gives the single-core CPU up while it waits, unwinds
//    a task or the loop task of a stopping device, and returns pdFALSE on async_tcp.
// Threading and lifetimes: as freertos/queue.h (vSemaphoreDelete frees what Create allocated;
// the Static variants live in the caller's StaticSemaphore_t).
#pragma once
#include "freertos/FreeRTOS.h"
#include "freertos/queue.h"
#include "freertos/task.h"

typedef QueueHandle_t SemaphoreHandle_t;
typedef SemaphoreHandle_t xSemaphoreHandle;

#define semBINARY_SEMAPHORE_QUEUE_LENGTH ((uint8_t)1U)
#define semSEMAPHORE_QUEUE_ITEM_LENGTH ((uint8_t)0U)
#define semGIVE_BLOCK_TIME ((TickType_t)0U)

#define xSemaphoreCreateBinary() \
  xQueueGenericCreate((UBaseType_t)1, semSEMAPHORE_QUEUE_ITEM_LENGTH, queueQUEUE_TYPE_BINARY_SEMAPHORE)
#define xSemaphoreCreateBinaryStatic(pxBuffer) \
  xQueueGenericCreateStatic((UBaseType_t)1, semSEMAPHORE_QUEUE_ITEM_LENGTH, NULL, (pxBuffer), queueQUEUE_TYPE_BINARY_SEMAPHORE)
// The old form: created given (available).
#define vSemaphoreCreateBinary(xSemaphore)                                      \
  do {                                                                          \
    (xSemaphore) = xSemaphoreCreateBinary();                                    \
    if ((xSemaphore) != NULL) (void)xSemaphoreGive((xSemaphore));               \
  } while (0)
#define xSemaphoreCreateMutex() xQueueCreateMutex(queueQUEUE_TYPE_MUTEX)
#define xSemaphoreCreateMutexStatic(pxBuffer) xQueueCreateMutexStatic(queueQUEUE_TYPE_MUTEX, (pxBuffer))
#define xSemaphoreCreateRecursiveMutex() xQueueCreateMutex(queueQUEUE_TYPE_RECURSIVE_MUTEX)
#define xSemaphoreCreateRecursiveMutexStatic(pxBuffer) \
  xQueueCreateMutexStatic(queueQUEUE_TYPE_RECURSIVE_MUTEX, (pxBuffer))
#define xSemaphoreCreateCounting(uxMaxCount, uxInitialCount) \
  xQueueCreateCountingSemaphore((uxMaxCount), (uxInitialCount))
#define xSemaphoreCreateCountingStatic(uxMaxCount, uxInitialCount, pxBuffer) \
  xQueueCreateCountingSemaphoreStatic((uxMaxCount), (uxInitialCount), (pxBuffer))

#define xSemaphoreTake(xSemaphore, xBlockTime) xQueueSemaphoreTake((xSemaphore), (xBlockTime))
#define xSemaphoreTakeRecursive(xMutex, xBlockTime) xQueueTakeMutexRecursive((xMutex), (xBlockTime))
#define xSemaphoreGive(xSemaphore) \
  xQueueGenericSend((QueueHandle_t)(xSemaphore), NULL, semGIVE_BLOCK_TIME, queueSEND_TO_BACK)
#define xSemaphoreGiveRecursive(xMutex) xQueueGiveMutexRecursive((xMutex))
#define xSemaphoreGiveFromISR(xSemaphore, pxHigherPriorityTaskWoken) \
  xQueueGiveFromISR((QueueHandle_t)(xSemaphore), (pxHigherPriorityTaskWoken))
#define xSemaphoreTakeFromISR(xSemaphore, pxHigherPriorityTaskWoken) \
  xQueueReceiveFromISR((QueueHandle_t)(xSemaphore), NULL, (pxHigherPriorityTaskWoken))
#define vSemaphoreDelete(xSemaphore) vQueueDelete((QueueHandle_t)(xSemaphore))
#define xSemaphoreGetMutexHolder(xSemaphore) xQueueGetMutexHolder((xSemaphore))
#define xSemaphoreGetMutexHolderFromISR(xSemaphore) xQueueGetMutexHolderFromISR((xSemaphore))
#define uxSemaphoreGetCount(xSemaphore) uxQueueMessagesWaiting((QueueHandle_t)(xSemaphore))
#define uxSemaphoreGetCountFromISR(xSemaphore) uxQueueMessagesWaitingFromISR((QueueHandle_t)(xSemaphore))
