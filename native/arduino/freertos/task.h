// freertos/task.h (twin): FreeRTOS tasks and task notifications of ESP-IDF 5.1, on the host.
// The model (threads, cores, stop) is described in freertos/FreeRTOS.h.
//
// Tasks:
//  - xTaskCreate* starts a twin::startTask thread of the calling thread's device (contextDevice)
//    and returns pdPASS, or errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY when there is no device, it is
//    stopping, or its heap (Profile::heapBytes, fault failAllocs) cannot hold the stack: the
//    stack size counts against the device heap while the task lives, as on the board. A core
//    other than 0, 1 or tskNO_AFFINITY is refused the same way, with a log line.
//  - The task function must not return (ESP-IDF aborts: "should not return"); here the twin logs
//    that and restarts the device (twin::requestRestart).
//  - vTaskDelete(NULL) ends the calling task at once by unwinding its stack (twin::TaskExit; the
//    C++ destructors of its frames run, which the board skips). On the loop task it ends the
//    loop task (loop() is not called any more). vTaskDelete(other) asks the other task to end at
//    its next FreeRTOS call that blocks or yields (within ~5 ms of a wait it is already in) and
//    waits (up to 1 s, logged) until it has unwound, so the caller may then free what the task
//    used. A task blocked in Arduino delay() sees the request when its delay ends.
//  - vTaskSuspend(NULL) blocks until vTaskResume(); vTaskSuspend(other) takes effect at the
//    other task's next blocking FreeRTOS call (the board suspends it at once).
//  - async_tcp and threads of no device cannot be deleted or suspended (logged, ignored).
// Handles: a TaskHandle_t points to the task's control block, which lives until the task has
// ended (vTaskDelete, or the device's stop), as on the board. Every call taking a handle
// checks it against the live tasks of the process first: a handle of an ended task, of a
// stopped device, or garbage is logged and the call does nothing and fails (pdFAIL, 0, NULL,
// eDeleted). A live handle of another device's task works (the twin does not forbid what two
// boards could not do). The loop task, async_tcp and any other thread get a handle on first use
// of xTaskGetCurrentTaskHandle (or of a call that needs one), valid until that thread ends.
// Priorities are stored (uxTaskPriorityGet) but do not order the CPU (FreeRTOS.h).
#pragma once
#include "freertos/FreeRTOS.h"

#ifndef TWIN_FREERTOS_HOST
#error "twincore: this host header needs the host freertos/FreeRTOS.h (native/arduino/freertos) first on the include path"
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tskTaskControlBlock* TaskHandle_t;
typedef TaskHandle_t xTaskHandle;

typedef enum { eRunning = 0, eReady, eBlocked, eSuspended, eDeleted, eInvalid } eTaskState;
typedef enum {
  eNoAction = 0,
  eSetBits,
  eIncrement,
  eSetValueWithOverwrite,
  eSetValueWithoutOverwrite
} eNotifyAction;

#define tskIDLE_PRIORITY ((UBaseType_t)0U)
#define tskKERNEL_VERSION_NUMBER "V10.4.3"
#define tskKERNEL_VERSION_MAJOR 10
#define tskKERNEL_VERSION_MINOR 4
#define tskKERNEL_VERSION_BUILD 3
#define taskSCHEDULER_SUSPENDED ((BaseType_t)0)
#define taskSCHEDULER_NOT_STARTED ((BaseType_t)1)
#define taskSCHEDULER_RUNNING ((BaseType_t)2)

// ---- creation and deletion ----
BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t usStackDepth,
                                   void* pvParameters, UBaseType_t uxPriority, TaskHandle_t* pxCreatedTask,
                                   const BaseType_t xCoreID);
BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t usStackDepth,
                       void* pvParameters, UBaseType_t uxPriority, TaskHandle_t* pxCreatedTask);
// The Static variants run the task on a host thread: the buffers are not used (the board's
// stack cannot be the host's) but must be valid, as on the board. NULL when creation fails.
TaskHandle_t xTaskCreateStaticPinnedToCore(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t ulStackDepth,
                                           void* pvParameters, UBaseType_t uxPriority, StackType_t* puxStackBuffer,
                                           StaticTask_t* pxTaskBuffer, const BaseType_t xCoreID);
TaskHandle_t xTaskCreateStatic(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t ulStackDepth,
                               void* pvParameters, UBaseType_t uxPriority, StackType_t* puxStackBuffer,
                               StaticTask_t* pxTaskBuffer);
void vTaskDelete(TaskHandle_t xTaskToDelete);

// ---- time ----
void vTaskDelay(const TickType_t xTicksToDelay);
BaseType_t xTaskDelayUntil(TickType_t* const pxPreviousWakeTime, const TickType_t xTimeIncrement);
#define vTaskDelayUntil(pxPreviousWakeTime, xTimeIncrement) \
  ((void)xTaskDelayUntil((pxPreviousWakeTime), (xTimeIncrement)))
TickType_t xTaskGetTickCount(void);
TickType_t xTaskGetTickCountFromISR(void);

// ---- identity and state ----
TaskHandle_t xTaskGetCurrentTaskHandle(void);
TaskHandle_t xTaskGetCurrentTaskHandleForCore(BaseType_t xCoreID);
#define xTaskGetCurrentTaskHandleForCPU(core) xTaskGetCurrentTaskHandleForCore(core)
// The task's name (NULL: the caller's). "" for an unknown handle.
char* pcTaskGetName(TaskHandle_t xTaskToQuery);
#define pcTaskGetTaskName(x) pcTaskGetName(x)
// A live task of the calling thread's device by name, else NULL.
TaskHandle_t xTaskGetHandle(const char* pcNameToQuery);
// Bytes of stack never used: a plausible figure (the host cannot measure the board's stack):
// the stack size less min(half of it, 1 KB).
UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t xTask);
configSTACK_DEPTH_TYPE uxTaskGetStackHighWaterMark2(TaskHandle_t xTask);
UBaseType_t uxTaskPriorityGet(const TaskHandle_t xTask);
UBaseType_t uxTaskPriorityGetFromISR(const TaskHandle_t xTask);
void vTaskPrioritySet(TaskHandle_t xTask, UBaseType_t uxNewPriority);
eTaskState eTaskGetState(TaskHandle_t xTask);
// The core a task is pinned to, or tskNO_AFFINITY.
BaseType_t xTaskGetAffinity(TaskHandle_t xTask);
#define xTaskGetCoreID(x) xTaskGetAffinity(x)
// The calling device's threads (loop task, async_tcp, its tasks) and its two idle tasks.
UBaseType_t uxTaskGetNumberOfTasks(void);
void vTaskSetThreadLocalStoragePointer(TaskHandle_t xTaskToSet, BaseType_t xIndex, void* pvValue);
void* pvTaskGetThreadLocalStoragePointer(TaskHandle_t xTaskToQuery, BaseType_t xIndex);

// ---- suspension and scheduling ----
void vTaskSuspend(TaskHandle_t xTaskToSuspend);
void vTaskResume(TaskHandle_t xTaskToResume);
BaseType_t xTaskResumeFromISR(TaskHandle_t xTaskToResume);
// Suspending the scheduler keeps the other tasks of the caller's core from running. The host
// never takes the single-core CPU away from a task that does not block, and the other core
// of a dual-core board runs on (ESP-IDF), so these only count the nesting.
void vTaskSuspendAll(void);
BaseType_t xTaskResumeAll(void);
BaseType_t xTaskGetSchedulerState(void);
#define taskYIELD() vTwinTaskYield()
#define taskENTER_CRITICAL(mux) portENTER_CRITICAL(mux)
#define taskEXIT_CRITICAL(mux) portEXIT_CRITICAL(mux)
#define taskENTER_CRITICAL_ISR(mux) portENTER_CRITICAL_ISR(mux)
#define taskEXIT_CRITICAL_ISR(mux) portEXIT_CRITICAL_ISR(mux)
#define taskENTER_CRITICAL_FROM_ISR() portSET_INTERRUPT_MASK_FROM_ISR()
#define taskEXIT_CRITICAL_FROM_ISR(x) portCLEAR_INTERRUPT_MASK_FROM_ISR(x)
#define taskDISABLE_INTERRUPTS() portDISABLE_INTERRUPTS()
#define taskENABLE_INTERRUPTS() portENABLE_INTERRUPTS()

// ---- task notifications (one entry per task: index 0) ----
// A notification to an unknown handle fails (pdFAIL) with a log line. Waiting for one blocks
// as every FreeRTOS wait does (FreeRTOS.h).
BaseType_t xTaskGenericNotify(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                              eNotifyAction eAction, uint32_t* pulPreviousNotificationValue);
BaseType_t xTaskGenericNotifyFromISR(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                                     eNotifyAction eAction, uint32_t* pulPreviousNotificationValue,
                                     BaseType_t* pxHigherPriorityTaskWoken);
void vTaskGenericNotifyGiveFromISR(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                                   BaseType_t* pxHigherPriorityTaskWoken);
BaseType_t xTaskGenericNotifyWait(UBaseType_t uxIndexToWaitOn, uint32_t ulBitsToClearOnEntry,
                                  uint32_t ulBitsToClearOnExit, uint32_t* pulNotificationValue,
                                  TickType_t xTicksToWait);
uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit, TickType_t xTicksToWait);
BaseType_t xTaskGenericNotifyStateClear(TaskHandle_t xTask, UBaseType_t uxIndexToClear);
uint32_t ulTaskGenericNotifyValueClear(TaskHandle_t xTask, UBaseType_t uxIndexToClear, uint32_t ulBitsToClear);

#define xTaskNotifyGive(t) xTaskGenericNotify((t), 0, 0, eIncrement, NULL)
#define xTaskNotifyGiveIndexed(t, i) xTaskGenericNotify((t), (i), 0, eIncrement, NULL)
#define xTaskNotify(t, v, a) xTaskGenericNotify((t), 0, (v), (a), NULL)
#define xTaskNotifyIndexed(t, i, v, a) xTaskGenericNotify((t), (i), (v), (a), NULL)
#define xTaskNotifyAndQuery(t, v, a, p) xTaskGenericNotify((t), 0, (v), (a), (p))
#define xTaskNotifyAndQueryIndexed(t, i, v, a, p) xTaskGenericNotify((t), (i), (v), (a), (p))
#define xTaskNotifyFromISR(t, v, a, w) xTaskGenericNotifyFromISR((t), 0, (v), (a), NULL, (w))
#define xTaskNotifyIndexedFromISR(t, i, v, a, w) xTaskGenericNotifyFromISR((t), (i), (v), (a), NULL, (w))
#define xTaskNotifyAndQueryFromISR(t, v, a, p, w) xTaskGenericNotifyFromISR((t), 0, (v), (a), (p), (w))
#define vTaskNotifyGiveFromISR(t, w) vTaskGenericNotifyGiveFromISR((t), 0, (w))
#define vTaskNotifyGiveIndexedFromISR(t, i, w) vTaskGenericNotifyGiveFromISR((t), (i), (w))
#define xTaskNotifyWait(e, x, p, w) xTaskGenericNotifyWait(0, (e), (x), (p), (w))
#define xTaskNotifyWaitIndexed(i, e, x, p, w) xTaskGenericNotifyWait((i), (e), (x), (p), (w))
#define ulTaskNotifyTake(c, w) ulTaskGenericNotifyTake(0, (c), (w))
#define ulTaskNotifyTakeIndexed(i, c, w) ulTaskGenericNotifyTake((i), (c), (w))
#define xTaskNotifyStateClear(t) xTaskGenericNotifyStateClear((t), 0)
#define xTaskNotifyStateClearIndexed(t, i) xTaskGenericNotifyStateClear((t), (i))
#define ulTaskNotifyValueClear(t, b) ulTaskGenericNotifyValueClear((t), 0, (b))
#define ulTaskNotifyValueClearIndexed(t, i, b) ulTaskGenericNotifyValueClear((t), (i), (b))

#ifdef __cplusplus
}
#endif
