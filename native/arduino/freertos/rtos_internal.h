// rtos_internal.h: the host FreeRTOS layer's private structures (native/arduino/freertos/*.cpp
// only; firmware never includes it). Public rules: freertos/FreeRTOS.h and the headers next to it.
//
// Locks (innermost last; none is held while a firmware callback runs, and none while taking the
// single-core CPU back, since a thread holding the CPU may be waiting for any of them):
//  1. the twin's simulated CPU (twin.h blockBegin/blockEnd).
//  2. one mutex per object: QueueDefinition::mu, EventGroupDef_t::mu, Tcb::mu, TimerEngine::mu.
//     The task watchdog's Wdt::mu (rtos_timers.cpp) is taken before its engine's TimerEngine::mu.
//  3. the task registry's mutex (rtos_tasks.cpp), then the twin's own (startTask).
// Every blocking wait goes through waitFor() below, which gives the CPU up around the wait, wakes
// at least every kSliceMs to notice a stop or a vTaskDelete, and then unwinds a task
// (twin::TaskExit) or fails on the loop task and async_tcp.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "twin.h"

namespace twinrtos {

using Clock = std::chrono::steady_clock;
constexpr int kSliceMs = 5;

// What a thread is, for the calls whose meaning depends on it (vTaskDelete(NULL) and defaults).
enum class Kind : uint8_t { Task, Loop, Net, Other };

}  // namespace twinrtos

// A task's control block (TaskHandle_t points here). Made by xTaskCreate for the tasks it starts,
// or on first need for any other thread (the loop task, async_tcp, a thread of no device). Owned
// by shared_ptr: the registry (rtos_tasks.cpp) holds one while the task lives, callers that
// found it hold one for the duration of their call.
struct tskTaskControlBlock {
  char name[configMAX_TASK_NAME_LEN] = {};  // const after registration
  twin::Device* dev = nullptr;                // const: the device it belongs to (null: none)
  twinrtos::Kind kind = twinrtos::Kind::Other;  // const
  BaseType_t core = tskNO_AFFINITY;           // const: pinned core or tskNO_AFFINITY
  uint32_t stackBytes = 0;                    // const
  std::atomic<UBaseType_t> priority{0};
  std::atomic<bool> deleteRequested{false};   // vTaskDelete(other): unwind at the next wait
  std::atomic<bool> suspendRequested{false};  // vTaskSuspend(other): suspend at the next wait
  std::atomic<bool> blocked{false};           // inside a FreeRTOS wait (eTaskGetState)

  std::mutex mu;               // guards the fields below
  std::condition_variable cv;  // notified on every change of them
  uint32_t notifyValue = 0;
  uint8_t notifyState = 0;     // 0 not waiting, 1 waiting, 2 notification pending
  bool suspended = false;
  bool ended = false;          // the task's thread has unwound (vTaskDelete(other) waits for it)
  void* tls[configNUM_THREAD_LOCAL_STORAGE_POINTERS] = {};

  // The heap the task's stack and control block take on the board (task thread / creator only).
  void* heapBlock = nullptr;
  size_t heapBytes = 0;
};

namespace twinrtos {

using Tcb = tskTaskControlBlock;

// The calling thread's control block, made and registered on first use.
Tcb* self();
// The live control block h points to (h null: the caller's), else null (logged as `what`).
std::shared_ptr<Tcb> find(TaskHandle_t h, const char* what);
// Starts a task of dev running body (the FreeRTOS task machinery of xTaskCreate, also used for
// the timer service tasks). pdPASS or errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY.
BaseType_t createTask(twin::Device* dev, std::function<void()> body, const char* name, uint32_t stackBytes,
                      UBaseType_t priority, BaseType_t core, TaskHandle_t* out);

// A wait's end: never (portMAX_DELAY) or a point in time.
struct Deadline {
  bool forever = false;
  Clock::time_point at{};
  static Deadline ticks(TickType_t t) {
    Deadline d;
    if (t == portMAX_DELAY) {
      d.forever = true;
    } else {
      d.at = Clock::now() + std::chrono::milliseconds(t);
    }
    return d;
  }
  bool passed() const { return !forever && Clock::now() >= at; }
  Clock::time_point sliceEnd() const {
    auto slice = Clock::now() + std::chrono::milliseconds(kSliceMs);
    return forever ? slice : std::min(at, slice);
  }
};

// True when the calling thread must stop waiting: its device is stopping, or it was deleted.
bool abortPending();
// Acts on abortPending(): throws twin::TaskExit on a task (and on a deleted loop task), returns
// on the loop task and async_tcp of a stopping device (the wait then fails). Never throws while
// an exception is already unwinding the thread (a destructor waiting), to avoid terminate().
void honourAbort();
// At the start of a blocking call: a pending vTaskSuspend(other) suspends the caller here.
void beforeBlocking();
// Just before the calling thread blocks inside waitFor (logs a wait inside a critical section).
void noteBlocking(Tcb* me);
// A short wait that ignores a stop, for a condition bound to come true promptly (the waiters of a
// deleted object leaving it): gives the CPU up around it. lk held on entry and return.
template <class Pred>
void waitQuiet(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, Pred pred) {
  while (!pred()) {
    lk.unlock();
    twin::blockBegin();
    lk.lock();
    cv.wait_for(lk, std::chrono::milliseconds(kSliceMs), pred);
    lk.unlock();
    twin::blockEnd();
    lk.lock();
  }
}

// The one blocking wait: returns true once ready() (evaluated under lk), false at the deadline or
// when the device stops (loop task, async_tcp); unwinds a task being stopped or deleted. Called
// and returns with lk held; holds the CPU whenever it evaluates ready() true and returns, so the
// caller may consume what it waited for. The CPU is given up (and lk released) while waiting.
template <class Ready>
bool waitFor(std::unique_lock<std::mutex>& lk, std::condition_variable& cv, const Deadline& dl, Ready ready) {
  Tcb* me = self();
  for (;;) {
    if (ready()) return true;
    if (dl.passed()) return false;
    if (abortPending()) {
      honourAbort();  // throws on tasks (lk held: the caller's guards run, then lk unlocks)
      return false;
    }
    noteBlocking(me);
    lk.unlock();
    twin::blockBegin();
    lk.lock();
    while (!ready() && !dl.passed() && !abortPending()) cv.wait_until(lk, dl.sliceEnd());
    lk.unlock();
    me->blocked = false;
    twin::blockEnd();
    lk.lock();
  }
}

// Memory. The layer's control blocks (tasks, queues, semaphores, event groups, timers) are host
// objects made with new: creating one first asks the calling device's heap (twin::heapAlloc:
// budget and failAllocs fault) whether it could hold it, but it does not count while it lives,
// so deleting one late (after its device was stopped and destroyed) touches no device. The bulk
// memory counts while it lives: task stacks (freed when the task ends, always before its device
// finishes stopping) and queue storage (a ChargedBlock).
bool heapProbe(size_t n);
struct HeapLink;
// Bytes charged to the calling thread's device. Released after that device stopped, the bytes
// are kept (reachable, never reused) instead of being handed back to a device that may be gone.
struct ChargedBlock {
  void* p = nullptr;
  size_t n = 0;
  std::shared_ptr<HeapLink> link;
  bool alloc(size_t bytes);  // false when the device heap refuses
  void release();
};

// A log line about a misuse (the board would assert or misbehave), to the caller's device log.
void warn(const std::string& line);
void error(const std::string& line);

// ---------------- timers (FreeRTOS software timers, esp_timer, the task watchdog) ----------------

class TimerEngine;

// One timer of an engine. Fields after `eng` are guarded by eng->mu.
struct TimerBase {
  std::shared_ptr<TimerEngine> eng;  // const
  bool armed = false;
  uint64_t dueUs = 0;     // twin::uptimeUs() at which it fires
  uint64_t periodUs = 0;  // 0: one-shot
  bool skipMissed = false;
  bool deletePending = false;  // deleted while its callback ran: the engine frees it after
  virtual ~TimerBase() = default;
  virtual void fire() = 0;     // the callback, on the engine's task, without eng->mu
  virtual void destroy() = 0;  // frees the object (never with eng->mu held)
  virtual const char* label() const = 0;
};

// A service task running timer callbacks of one device ("Tmr Svc" or "esp_timer"), started on
// first need. Owned by shared_ptr: the device's state object (until the device stops: kill())
// and every timer of it.
class TimerEngine : public std::enable_shared_from_this<TimerEngine> {
 public:
  TimerEngine(twin::Device* dev, const char* taskName, UBaseType_t priority, uint32_t stackBytes, BaseType_t core);
  // Starts the task if needed. False when the device is gone or stopping.
  bool ensureTask();
  // Arms t to fire at dueUs (periodUs 0: once). False when the engine is dead (device stopped).
  bool arm(TimerBase* t, uint64_t dueUs, uint64_t periodUs);
  // Disarms t; returns whether it was armed.
  bool disarm(TimerBase* t);
  // The same with mu held by the caller.
  bool armLocked(TimerBase* t, uint64_t dueUs, uint64_t periodUs);
  bool disarmLocked(TimerBase* t);
  bool deadLocked() const { return _dead; }
  // Disarms t and frees it, now or after its running callback.
  void release(TimerBase* t);
  // Runs fn on the task. False when dead or the task is not running.
  bool pend(std::function<void()> fn);
  // The device stopped: disarm everything, accept nothing more.
  void kill();
  TaskHandle_t task();
  // The earliest armed due time, or UINT64_MAX.
  uint64_t nextDue();
  // For esp_timer_dump.
  void forEachArmed(const std::function<void(TimerBase*)>& fn);

  // Guards every TimerBase field of this engine's timers and the engine's state below.
  std::mutex mu;
  std::condition_variable cv;  // wakes the task: armed set or pended calls changed, or killed

 private:
  void run();
  TimerBase* earliestLocked() const;
  twin::Device* _dev;
  const char* _taskName;
  UBaseType_t _priority;
  uint32_t _stackBytes;
  BaseType_t _core;
  std::vector<TimerBase*> _armed;                // mu
  std::vector<std::function<void()>> _pended;    // mu
  TimerBase* _running = nullptr;                 // mu: the timer whose callback runs
  bool _dead = false;                            // mu
  bool _started = false;                         // mu
  TaskHandle_t _task = nullptr;                  // mu
};

// The calling device's engines (null off any device).
std::shared_ptr<TimerEngine> tmrSvc(twin::Device* dev);
std::shared_ptr<TimerEngine> espTimerSvc(twin::Device* dev);

}  // namespace twinrtos
