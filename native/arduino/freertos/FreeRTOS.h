// freertos/FreeRTOS.h (twin): the FreeRTOS kernel configuration, types and port layer of
// ESP-IDF 5.1 (as Arduino-ESP32 3.0 builds it), on the host. The calls themselves are in
// freertos/task.h, queue.h, semphr.h, timers.h and event_groups.h; all are implemented in
// native/arduino/freertos/*.cpp over the twin's services (native/host/twin.h).
//
// What the host model is:
//  - A task is a host thread of the device that created it (twin::startTask), named as on the
//    board (/proc/<pid>/task/*/comm). The loop task, async_tcp and every task take part in the
//    profile's core model: on a dual-core profile all of them run truly in parallel (whatever
//    core they are pinned to); on a single-core profile they are serialised through one
//    simulated CPU that a task gives up only inside a blocking call (delay, a queue, semaphore,
//    notification or event-group wait, taskYIELD). Priorities are stored and reported but do
//    not order the CPU (it is handed over first come, first served).
//  - Ticks are milliseconds (configTICK_RATE_HZ 1000) of the process clock millis() reads.
//  - Device::stop() makes every blocking call of a task or of the loop task unwind it
//    (twin::TaskExit) within ~5 ms (the twin catches it: a setup() or loop() spinning on a
//    failing wait would otherwise never end); on async_tcp a blocking call returns failure
//    instead (pdFALSE, pdFAIL, 0) once the device is stopping.
//
// Threading: every call may be made from any device thread (the loop task, async_tcp, a task,
// a timer callback) and from threads of no device (which then block as plain threads and own
// no tasks or timers). The FromISR variants are the same calls, never blocking.
//
// Lifetimes: handles are pointers to objects of this layer. The firmware owns what it creates
// and frees it with the matching delete call (vTaskDelete, vQueueDelete, vSemaphoreDelete,
// vEventGroupDelete, xTimerDelete, esp_timer_delete). Objects never deleted stay allocated after
// the device stops (the leak the firmware has on the board), and no thread of the twin touches
// them any more: tasks are joined, timers disarmed. Deleting one then (even after the Device
// object itself is gone) is safe. See each header for the detail.
// Memory: task stacks and queue storage count against the device heap (Profile::heapBytes,
// counters().heapUsed) while they live; the small control blocks are checked against it (and
// its failAllocs fault) when created but do not count.
//
// Critical sections: a portMUX_TYPE is a real recursive spinlock (atomic acquire/release, so
// ThreadSanitizer sees the ordering), one per portMUX object, shared by whatever thread takes it.
// Interrupt masking (portDISABLE_INTERRUPTS, portSET_INTERRUPT_MASK_FROM_ISR) does nothing: the
// host has no interrupts, and masking them never excluded the other core of an ESP32.
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sdkconfig.h"

// Marks this header as the host one, for the sibling headers (see freertos/task.h).
#define TWIN_FREERTOS_HOST 1

#ifdef __cplusplus
extern "C" {
#endif

// ---------------- port types (portmacro.h of the Xtensa port) ----------------
#define portCHAR int8_t
#define portFLOAT float
#define portDOUBLE double
#define portLONG int32_t
#define portSHORT int16_t
#define portSTACK_TYPE uint8_t
#define portBASE_TYPE int
typedef portSTACK_TYPE StackType_t;
typedef portBASE_TYPE BaseType_t;
typedef unsigned portBASE_TYPE UBaseType_t;
typedef uint32_t TickType_t;
#define portMAX_DELAY ((TickType_t)0xffffffffUL)
#define portTICK_TYPE_IS_ATOMIC 1
#define portBYTE_ALIGNMENT 4
#define portSTACK_GROWTH (-1)
#define portNUM_PROCESSORS 2
#define portPRIVILEGE_BIT ((UBaseType_t)0x00)

// ---------------- projdefs.h ----------------
typedef void (*TaskFunction_t)(void*);
#define pdFALSE ((BaseType_t)0)
#define pdTRUE ((BaseType_t)1)
#define pdPASS (pdTRUE)
#define pdFAIL (pdFALSE)
#define errQUEUE_EMPTY ((BaseType_t)0)
#define errQUEUE_FULL ((BaseType_t)0)
#define errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY (-1)
#define errQUEUE_BLOCKED (-4)
#define errQUEUE_YIELD (-5)

// ---------------- FreeRTOSConfig.h (ESP-IDF defaults) ----------------
#define configTICK_RATE_HZ CONFIG_FREERTOS_HZ
#define configMAX_PRIORITIES 25
#define configMINIMAL_STACK_SIZE 768
#define configMAX_TASK_NAME_LEN CONFIG_FREERTOS_MAX_TASK_NAME_LEN
#define configNUMBER_OF_CORES 2
#define configUSE_16_BIT_TICKS 0
#define configUSE_PREEMPTION 1
#define configUSE_MUTEXES 1
#define configUSE_RECURSIVE_MUTEXES 1
#define configUSE_COUNTING_SEMAPHORES 1
#define configUSE_TIMERS 1
#define configUSE_TASK_NOTIFICATIONS 1
#define configTASK_NOTIFICATION_ARRAY_ENTRIES 1
#define configNUM_THREAD_LOCAL_STORAGE_POINTERS 1
#define configSUPPORT_STATIC_ALLOCATION 1
#define configSUPPORT_DYNAMIC_ALLOCATION 1
#define configQUEUE_REGISTRY_SIZE 0
#define configTIMER_TASK_PRIORITY CONFIG_FREERTOS_TIMER_TASK_PRIORITY
#define configTIMER_TASK_STACK_DEPTH CONFIG_FREERTOS_TIMER_TASK_STACK_DEPTH
#define configTIMER_QUEUE_LENGTH CONFIG_FREERTOS_TIMER_QUEUE_LENGTH
#define configSTACK_DEPTH_TYPE uint32_t
#define INCLUDE_vTaskDelete 1
#define INCLUDE_vTaskSuspend 1
#define INCLUDE_vTaskDelay 1
#define INCLUDE_xTaskDelayUntil 1
#define INCLUDE_vTaskDelayUntil 1
#define INCLUDE_uxTaskPriorityGet 1
#define INCLUDE_vTaskPrioritySet 1
#define INCLUDE_uxTaskGetStackHighWaterMark 1
#define INCLUDE_uxTaskGetStackHighWaterMark2 1
#define INCLUDE_xTaskGetCurrentTaskHandle 1
#define INCLUDE_xTaskGetHandle 1
#define INCLUDE_eTaskGetState 1
#define INCLUDE_xTaskGetSchedulerState 1
#define INCLUDE_xTimerPendFunctionCall 1
#define INCLUDE_xSemaphoreGetMutexHolder 1
#define INCLUDE_xTaskResumeFromISR 1

// configASSERT: on the board a failed assertion aborts and the board resets. Here it logs the
// assertion to the device log and restarts the device (twin::requestRestart).
void vTwinAssertFailed(const char* file, int line, const char* expr);
#define configASSERT(x)                                       \
  do {                                                        \
    if (!(x)) vTwinAssertFailed(__FILE__, __LINE__, #x);      \
  } while (0)

// ---------------- ticks ----------------
#define portTICK_PERIOD_MS ((TickType_t)1000 / configTICK_RATE_HZ)
#define portTICK_RATE_MS portTICK_PERIOD_MS
#define pdMS_TO_TICKS(xTimeInMs) \
  ((TickType_t)(((uint64_t)(xTimeInMs) * (uint64_t)configTICK_RATE_HZ) / (uint64_t)1000U))
#define pdTICKS_TO_MS(xTicks) ((TickType_t)(((uint64_t)(xTicks) * (uint64_t)1000U) / configTICK_RATE_HZ))

// ---------------- cores ----------------
// Any core (xTaskCreatePinnedToCore). ESP-IDF 5's value.
#define tskNO_AFFINITY ((BaseType_t)0x7FFFFFFF)
// The core the calling task runs on: 0 on a single-core profile; otherwise the core the task is
// pinned to (the loop task: CONFIG_ARDUINO_RUNNING_CORE), 0 for unpinned tasks.
BaseType_t xPortGetCoreID(void);
// Never in an interrupt on the host.
BaseType_t xPortInIsrContext(void);
#define xPortInterruptedFromISRContext() xPortInIsrContext()

// ---------------- critical sections (a spinlock per portMUX) ----------------
// The fields are the lock's: owner 0 = free, else the owning thread's token; count = nesting
// (the owner may enter again, as on ESP-IDF). Initialise with portMUX_INITIALIZER_UNLOCKED or
// portMUX_INITIALIZE(); a zero-filled portMUX_TYPE (a static one) is unlocked too.
typedef struct {
  uint32_t owner;
  uint32_t count;
} portMUX_TYPE;
typedef portMUX_TYPE spinlock_t;
#define portMUX_FREE_VAL 0
#define portMUX_NO_TIMEOUT (-1)
#define portMUX_TRY_LOCK 0
#define portMUX_INITIALIZER_UNLOCKED \
  { 0, 0 }
void vPortCPUInitializeMutex(portMUX_TYPE* mux);
// Takes mux, spinning while another thread holds it (re-entrant for its owner).
void vPortEnterCritical(portMUX_TYPE* mux);
// Takes mux within timeout spins-of-a-microsecond (portMUX_NO_TIMEOUT: no limit); pdFAIL if not.
BaseType_t xPortEnterCriticalTimeout(portMUX_TYPE* mux, BaseType_t timeout);
// Releases one level of mux. Releasing a mux the caller does not hold is logged and ignored.
void vPortExitCritical(portMUX_TYPE* mux);
#define portMUX_INITIALIZE(mux) vPortCPUInitializeMutex(mux)
#define portENTER_CRITICAL(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_ISR(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_ISR(mux) vPortExitCritical(mux)
#define portENTER_CRITICAL_SAFE(mux) vPortEnterCritical(mux)
#define portEXIT_CRITICAL_SAFE(mux) vPortExitCritical(mux)
#define portTRY_ENTER_CRITICAL(mux, timeout) xPortEnterCriticalTimeout((mux), (timeout))
#define portTRY_ENTER_CRITICAL_ISR(mux, timeout) xPortEnterCriticalTimeout((mux), (timeout))

// No interrupts on the host (see above): masking is accepted and changes nothing.
#define portDISABLE_INTERRUPTS() ((void)0)
#define portENABLE_INTERRUPTS() ((void)0)
#define portSET_INTERRUPT_MASK_FROM_ISR() ((UBaseType_t)0)
#define portCLEAR_INTERRUPT_MASK_FROM_ISR(x) ((void)(x))
#define portASSERT_IF_IN_ISR() ((void)0)
#define portCHECK_IF_IN_ISR() xPortInIsrContext()

// Lets the other tasks run (single-core profile: gives the CPU up and takes it back). On a task
// of a stopping device it unwinds the task.
void vTwinTaskYield(void);
#define portYIELD() vTwinTaskYield()
#define portYIELD_WITHIN_API() vTwinTaskYield()
// After a FromISR call: nothing to switch on the host (the woken task already runs).
#define portYIELD_FROM_ISR(...) ((void)(__VA_ARGS__ + 0))
#define portEND_SWITCHING_ISR(x) ((void)(x))
#define portNOP() ((void)0)

// ---------------- static buffers ----------------
// Storage for the Static variants. The host objects are built inside them (their size is the
// host's, not the board's); the caller keeps the buffer alive until the matching delete.
typedef struct xSTATIC_QUEUE {
  void* pvDummy[48];
} StaticQueue_t;
typedef StaticQueue_t StaticSemaphore_t;
typedef struct xSTATIC_EVENT_GROUP {
  void* pvDummy[24];
} StaticEventGroup_t;
typedef struct xSTATIC_TIMER {
  void* pvDummy[24];
} StaticTimer_t;
typedef struct xSTATIC_TCB {
  void* pvDummy[48];
} StaticTask_t;

#ifdef __cplusplus
}
#endif
