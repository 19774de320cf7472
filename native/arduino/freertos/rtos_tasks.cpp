// rtos_tasks.cpp: FreeRTOS tasks, notifications, critical sections and the blocking-wait
// machinery on the host. Rules: freertos/FreeRTOS.h, freertos/task.h; locks: rtos_internal.h.
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "rtos_internal.h"
#include "twin_internal.h"  // twin::currentRole(): which device thread is calling

namespace twinrtos {

namespace {

// The live control blocks of the process, by handle. Leaked on purpose: thread-local control
// blocks of threads ending after main() returns still unregister here.
struct Registry {
  std::mutex mu;  // guards map
  std::unordered_map<const Tcb*, std::shared_ptr<Tcb>> map;
};
Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

void registerTcb(const std::shared_ptr<Tcb>& t) {
  std::lock_guard<std::mutex> lk(registry().mu);
  registry().map[t.get()] = t;
}
void unregisterTcb(const Tcb* t) {
  std::shared_ptr<Tcb> keep;  // freed after the lock is released
  std::lock_guard<std::mutex> lk(registry().mu);
  auto it = registry().map.find(t);
  if (it == registry().map.end()) return;
  keep = std::move(it->second);
  registry().map.erase(it);
}
std::shared_ptr<Tcb> lookup(const void* h) {
  std::lock_guard<std::mutex> lk(registry().mu);
  auto it = registry().map.find(static_cast<const Tcb*>(h));
  return it == registry().map.end() ? nullptr : it->second;
}

// The calling thread's control block. Tasks started by createTask set it for their lifetime;
// other threads get one on first use, unregistered when the thread ends.
struct Slot {
  std::shared_ptr<Tcb> tcb;
  ~Slot() {
    if (!tcb) return;
    {
      std::lock_guard<std::mutex> lk(tcb->mu);
      tcb->ended = true;
    }
    tcb->cv.notify_all();
    unregisterTcb(tcb.get());
  }
};
thread_local Slot tlsSlot;
thread_local int tlsCriticalDepth = 0;   // portENTER_CRITICAL nesting of this thread
thread_local int tlsSchedulerSuspended = 0;

void setName(Tcb* t, const char* name) {
  std::snprintf(t->name, sizeof t->name, "%s", name ? name : "");
}

std::shared_ptr<Tcb> makeForeign() {
  auto t = std::make_shared<Tcb>();
  t->dev = twin::currentDevice();
  switch (twin::currentRole()) {
    case twin::Role::Loop:
      t->kind = Kind::Loop;
      setName(t.get(), "loopTask");
      t->priority = 1;
      t->core = CONFIG_ARDUINO_RUNNING_CORE;
      t->stackBytes = CONFIG_ARDUINO_LOOP_STACK_SIZE;
      break;
    case twin::Role::Net:
      t->kind = Kind::Net;
      setName(t.get(), "async_tcp");
      t->priority = 10;  // AsyncTCP's CONFIG_ASYNC_TCP_PRIORITY default
      t->core = tskNO_AFFINITY;
      t->stackBytes = 16384;  // AsyncTCP's CONFIG_ASYNC_TCP_STACK_SIZE default
      break;
    case twin::Role::Task:
    case twin::Role::None: {
      t->kind = twin::currentRole() == twin::Role::Task ? Kind::Task : Kind::Other;
      char buf[32] = {};
      if (pthread_getname_np(pthread_self(), buf, sizeof buf) != 0) buf[0] = 0;
      setName(t.get(), buf);
      t->priority = 1;
      t->core = tskNO_AFFINITY;
      t->stackBytes = 8192;
      break;
    }
  }
  return t;
}

bool canExit(const Tcb* t) { return t->kind == Kind::Task || t->kind == Kind::Loop; }

// The board's control block and its bookkeeping take about this much heap besides the stack.
constexpr size_t kTcbHeapBytes = 352;

void runTask(const std::shared_ptr<Tcb>& t, const std::function<void()>& body) {
  tlsSlot.tcb = t;
  struct End {
    std::shared_ptr<Tcb> t;
    ~End() {
      void* blk;
      size_t n;
      {
        std::lock_guard<std::mutex> lk(t->mu);
        blk = t->heapBlock;
        n = t->heapBytes;
        t->heapBlock = nullptr;
        t->ended = true;
      }
      t->cv.notify_all();
      twin::heapFree(blk, n);
      unregisterTcb(t.get());
      tlsSlot.tcb.reset();
    }
  } end{t};
  body();
}

void suspendSelf(Tcb* me) {
  std::unique_lock<std::mutex> lk(me->mu);
  me->suspended = true;
  me->suspendRequested = false;
  waitFor(lk, me->cv, Deadline::ticks(portMAX_DELAY), [me] { return !me->suspended; });
  me->suspended = false;
}

void deleteSelf(Tcb* me) {
  switch (me->kind) {
    case Kind::Task:
    case Kind::Loop:
      if (std::uncaught_exceptions() > 0) {
        error(std::string("vTaskDelete(NULL) in '") + me->name + "' while it is already unwinding: ignored");
        return;
      }
      if (me->kind == Kind::Loop && twin::stopping()) return;  // the loop task is ending anyway
      throw twin::TaskExit{};
    case Kind::Net:
      error("vTaskDelete(NULL) on async_tcp: the network task cannot end; ignored");
      return;
    case Kind::Other:
      error("vTaskDelete(NULL) on a thread of no device: ignored");
      return;
  }
}

}  // namespace

// ---------------- memory ----------------

// Whether a device can still take its bytes back (rtos_internal.h, ChargedBlock). One per
// device, shared with every block charged to it; the device's stop marks it gone.
struct HeapLink {
  std::mutex mu;  // guards alive; held across a heapFree so the device cannot go meanwhile
  bool alive = true;
};

namespace {
struct HeapLinkState : twin::DeviceState {
  std::shared_ptr<HeapLink> link = std::make_shared<HeapLink>();
  explicit HeapLinkState(twin::Device*) {}
  ~HeapLinkState() override {
    std::lock_guard<std::mutex> lk(link->mu);
    link->alive = false;
  }
};
// Blocks released after their device stopped: kept reachable for the process's life.
std::mutex gOrphansMu;  // guards gOrphans
std::vector<void*>* gOrphans = new std::vector<void*>;
}  // namespace

bool heapProbe(size_t n) {
  void* p = twin::heapAlloc(n);
  if (!p) return false;
  twin::heapFree(p, n);
  return true;
}

bool ChargedBlock::alloc(size_t bytes) {
  twin::Device* dev = twin::currentDevice();  // the device twin::heapAlloc charges
  link = dev ? twin::deviceState<HeapLinkState>(dev)->link : nullptr;
  p = twin::heapAlloc(bytes);
  n = bytes;
  return p != nullptr;
}

void ChargedBlock::release() {
  if (!p) return;
  if (!link) {
    twin::heapFree(p, n);
  } else {
    std::lock_guard<std::mutex> lk(link->mu);
    if (link->alive) {
      twin::heapFree(p, n);
    } else {
      std::lock_guard<std::mutex> g(gOrphansMu);
      gOrphans->push_back(p);
    }
  }
  p = nullptr;
  link.reset();
}

Tcb* self() {
  if (!tlsSlot.tcb) {
    tlsSlot.tcb = makeForeign();
    registerTcb(tlsSlot.tcb);
  }
  return tlsSlot.tcb.get();
}

std::shared_ptr<Tcb> find(TaskHandle_t h, const char* what) {
  if (!h) {
    self();
    return tlsSlot.tcb;
  }
  auto t = lookup(h);
  if (!t && what) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s: unknown task handle %p (ended, of a stopped device, or invalid): ignored",
                  what, static_cast<void*>(h));
    warn(buf);
  }
  return t;
}

void warn(const std::string& line) { twin::log(twin::LogLevel::Warn, line); }
void error(const std::string& line) { twin::log(twin::LogLevel::Error, line); }

bool abortPending() {
  if (twin::stopping()) return true;
  Tcb* me = tlsSlot.tcb.get();
  return me && me->deleteRequested.load() && canExit(me);
}

void honourAbort() {
  if (std::uncaught_exceptions() > 0) return;  // a destructor waiting during unwinding: fail
  if (twin::stopping()) {
    twin::checkTaskStop();  // throws on a task; the loop task and async_tcp carry on
    return;
  }
  Tcb* me = tlsSlot.tcb.get();
  if (me && me->deleteRequested.load() && canExit(me)) throw twin::TaskExit{};
}

void beforeBlocking() {
  Tcb* me = self();
  if (me->suspendRequested.load()) suspendSelf(me);
}

void noteBlocking(Tcb* me) {
  me->blocked = true;
  if (tlsCriticalDepth > 0) {
    error(std::string("task '") + me->name +
          "' blocks inside a critical section (portENTER_CRITICAL): the board aborts; other tasks may spin on it");
  }
}

BaseType_t createTask(twin::Device* dev, std::function<void()> body, const char* name, uint32_t stackBytes,
                      UBaseType_t priority, BaseType_t core, TaskHandle_t* out) {
  if (out) *out = nullptr;
  std::string label = name ? name : "";
  if (!dev) {
    error("xTaskCreate('" + label + "'): no device owns the calling thread: no task started");
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  if (core != 0 && core != 1 && core != tskNO_AFFINITY) {
    error("xTaskCreatePinnedToCore('" + label + "'): core " + std::to_string(core) +
          " does not exist (0, 1 or tskNO_AFFINITY): no task started");
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  if (priority >= configMAX_PRIORITIES) {
    warn("xTaskCreate('" + label + "'): priority " + std::to_string(priority) + " capped to " +
         std::to_string(configMAX_PRIORITIES - 1));
    priority = configMAX_PRIORITIES - 1;
  }
  auto t = std::make_shared<Tcb>();
  setName(t.get(), name);
  t->dev = dev;
  t->kind = Kind::Task;
  t->core = core;
  t->stackBytes = stackBytes;
  t->priority = priority;
  size_t bytes = size_t(stackBytes) + kTcbHeapBytes;
  t->heapBlock = twin::heapAlloc(bytes);
  if (!t->heapBlock) {
    warn("xTaskCreate('" + label + "'): heap exhausted (" + std::to_string(bytes) + " bytes): no task started");
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  t->heapBytes = bytes;
  registerTcb(t);
  if (out) *out = t.get();
  uint64_t id = twin::startTask(dev, [t, body = std::move(body)] { runTask(t, body); }, t->name);
  if (id == 0) {
    unregisterTcb(t.get());
    twin::heapFree(t->heapBlock, t->heapBytes);
    t->heapBlock = nullptr;
    if (out) *out = nullptr;
    warn("xTaskCreate('" + label + "'): the device is stopping: no task started");
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  return pdPASS;
}

}  // namespace twinrtos

using namespace twinrtos;

// ---------------- port ----------------

extern "C" {

void vTwinAssertFailed(const char* file, int line, const char* expr) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "assert failed: %s:%d (%s): the board aborts and resets", file ? file : "?", line,
                expr ? expr : "?");
  error(buf);
  twin::requestRestart();
}

BaseType_t xPortGetCoreID(void) {
  Tcb* me = self();
  if (me->dev && !me->dev->profile().dualCore) return 0;
  return (me->core == 0 || me->core == 1) ? me->core : 0;
}

BaseType_t xPortInIsrContext(void) { return pdFALSE; }

void vTwinTaskYield(void) {
  beforeBlocking();
  if (abortPending()) honourAbort();
  twin::yieldTask();
}

// ---------------- critical sections ----------------

namespace {
uint32_t threadToken() {
  static std::atomic<uint32_t> next{1};
  thread_local uint32_t token = 0;
  while (token == 0) token = next.fetch_add(1);
  return token;
}
}  // namespace

void vPortCPUInitializeMutex(portMUX_TYPE* mux) {
  if (!mux) return;
  __atomic_store_n(&mux->owner, 0u, __ATOMIC_RELEASE);
  mux->count = 0;
}

static bool tryTake(portMUX_TYPE* mux, uint32_t me) {
  uint32_t expected = 0;
  return __atomic_compare_exchange_n(&mux->owner, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void vPortEnterCritical(portMUX_TYPE* mux) { (void)xPortEnterCriticalTimeout(mux, portMUX_NO_TIMEOUT); }

BaseType_t xPortEnterCriticalTimeout(portMUX_TYPE* mux, BaseType_t timeout) {
  if (!mux) {
    error("portENTER_CRITICAL(NULL): ignored");
    return pdFAIL;
  }
  twin::jitterPoint();  // scheduling jitter (Profile::schedJitterSeed): before entering
  uint32_t me = threadToken();
  if (__atomic_load_n(&mux->owner, __ATOMIC_RELAXED) == me) {
    ++mux->count;
    ++tlsCriticalDepth;
    return pdPASS;
  }
  for (long spins = 0;; ++spins) {
    if (tryTake(mux, me)) break;
    if (timeout != portMUX_NO_TIMEOUT && spins >= timeout) return pdFAIL;
    if (spins > 64) std::this_thread::yield();
  }
  mux->count = 1;
  ++tlsCriticalDepth;
  return pdPASS;
}

void vPortExitCritical(portMUX_TYPE* mux) {
  if (!mux) {
    error("portEXIT_CRITICAL(NULL): ignored");
    return;
  }
  if (__atomic_load_n(&mux->owner, __ATOMIC_RELAXED) != threadToken()) {
    error("portEXIT_CRITICAL on a portMUX the calling thread does not hold: ignored");
    return;
  }
  --tlsCriticalDepth;
  if (--mux->count == 0) {
    __atomic_store_n(&mux->owner, 0u, __ATOMIC_RELEASE);
    twin::jitterPoint();  // after leaving (not inside: a critical section on the board never sleeps)
  }
}

// ---------------- tasks ----------------

BaseType_t xTaskCreatePinnedToCore(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t usStackDepth,
                                   void* pvParameters, UBaseType_t uxPriority, TaskHandle_t* pxCreatedTask,
                                   const BaseType_t xCoreID) {
  if (!pxTaskCode) {
    if (pxCreatedTask) *pxCreatedTask = nullptr;
    error("xTaskCreate: NULL task function: no task started");
    return errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY;
  }
  std::string name = pcName ? pcName : "";
  auto body = [pxTaskCode, pvParameters, name] {
    pxTaskCode(pvParameters);
    // ESP-IDF's task wrapper aborts the board when a task function returns.
    error("FreeRTOS Task \"" + name + "\" should not return, Aborting now!");
    twin::requestRestart();
  };
  return createTask(twin::contextDevice(), body, pcName, usStackDepth, uxPriority, xCoreID, pxCreatedTask);
}

BaseType_t xTaskCreate(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t usStackDepth,
                       void* pvParameters, UBaseType_t uxPriority, TaskHandle_t* pxCreatedTask) {
  return xTaskCreatePinnedToCore(pxTaskCode, pcName, usStackDepth, pvParameters, uxPriority, pxCreatedTask,
                                 tskNO_AFFINITY);
}

TaskHandle_t xTaskCreateStaticPinnedToCore(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t ulStackDepth,
                                           void* pvParameters, UBaseType_t uxPriority, StackType_t* puxStackBuffer,
                                           StaticTask_t* pxTaskBuffer, const BaseType_t xCoreID) {
  if (!puxStackBuffer || !pxTaskBuffer) {
    error("xTaskCreateStatic: NULL stack or task buffer: no task started");
    return nullptr;
  }
  TaskHandle_t h = nullptr;
  xTaskCreatePinnedToCore(pxTaskCode, pcName, ulStackDepth, pvParameters, uxPriority, &h, xCoreID);
  return h;
}

TaskHandle_t xTaskCreateStatic(TaskFunction_t pxTaskCode, const char* pcName, const uint32_t ulStackDepth,
                               void* pvParameters, UBaseType_t uxPriority, StackType_t* puxStackBuffer,
                               StaticTask_t* pxTaskBuffer) {
  return xTaskCreateStaticPinnedToCore(pxTaskCode, pcName, ulStackDepth, pvParameters, uxPriority, puxStackBuffer,
                                       pxTaskBuffer, tskNO_AFFINITY);
}

void vTaskDelete(TaskHandle_t xTaskToDelete) {
  Tcb* me = self();
  if (!xTaskToDelete || xTaskToDelete == me) {
    deleteSelf(me);
    return;
  }
  auto t = find(xTaskToDelete, "vTaskDelete");
  if (!t) return;
  if (!canExit(t.get())) {
    error(std::string("vTaskDelete: '") + t->name + "' is " +
          (t->kind == Kind::Net ? "async_tcp" : "a thread of no device") + ", which cannot be deleted: ignored");
    return;
  }
  t->deleteRequested = true;
  {
    std::lock_guard<std::mutex> lk(t->mu);
  }
  t->cv.notify_all();
  if (t->kind == Kind::Loop) return;  // it stops calling loop() at its next blocking call
  // As on the board, the caller may free what the task used once this returns: wait for the
  // task to unwind (it does at its next blocking call).
  beforeBlocking();
  std::unique_lock<std::mutex> lk(t->mu);
  bool done = waitFor(lk, t->cv, Deadline::ticks(1000), [&] { return t->ended; });
  if (!done && !abortPending()) {
    warn(std::string("vTaskDelete: task '") + t->name +
         "' has not reached a blocking call within 1 s; it ends when it does");
  }
}

void vTaskDelay(const TickType_t xTicksToDelay) {
  if (xTicksToDelay == 0) {
    vTwinTaskYield();
    return;
  }
  beforeBlocking();
  Tcb* me = self();
  std::unique_lock<std::mutex> lk(me->mu);
  waitFor(lk, me->cv, Deadline::ticks(xTicksToDelay), [] { return false; });
}

BaseType_t xTaskDelayUntil(TickType_t* const pxPreviousWakeTime, const TickType_t xTimeIncrement) {
  if (!pxPreviousWakeTime) {
    error("xTaskDelayUntil: NULL pxPreviousWakeTime");
    return pdFALSE;
  }
  TickType_t now = xTaskGetTickCount();
  TickType_t prev = *pxPreviousWakeTime;
  TickType_t wake = prev + xTimeIncrement;
  bool shouldDelay;
  if (now < prev) {  // the tick count wrapped since prev
    shouldDelay = wake < prev && wake > now;
  } else {
    shouldDelay = wake < prev || wake > now;
  }
  *pxPreviousWakeTime = wake;
  if (shouldDelay) {
    vTaskDelay(wake - now);
  } else {
    vTwinTaskYield();
  }
  return shouldDelay ? pdTRUE : pdFALSE;
}

TickType_t xTaskGetTickCount(void) { return TickType_t(twin::uptimeMs()); }
TickType_t xTaskGetTickCountFromISR(void) { return xTaskGetTickCount(); }

TaskHandle_t xTaskGetCurrentTaskHandle(void) { return self(); }

TaskHandle_t xTaskGetCurrentTaskHandleForCore(BaseType_t xCoreID) {
  return xPortGetCoreID() == xCoreID ? self() : nullptr;
}

char* pcTaskGetName(TaskHandle_t xTaskToQuery) {
  static char unknown[1] = {0};
  auto t = find(xTaskToQuery, "pcTaskGetName");
  return t ? t->name : unknown;  // the control block outlives the call while the task lives
}

TaskHandle_t xTaskGetHandle(const char* pcNameToQuery) {
  if (!pcNameToQuery) return nullptr;
  twin::Device* dev = twin::contextDevice();
  std::lock_guard<std::mutex> lk(registry().mu);
  for (auto& kv : registry().map) {
    if (kv.second->dev == dev && std::strncmp(kv.second->name, pcNameToQuery, configMAX_TASK_NAME_LEN - 1) == 0)
      return kv.second.get();
  }
  return nullptr;
}

UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t xTask) {
  auto t = find(xTask, "uxTaskGetStackHighWaterMark");
  if (!t) return 0;
  uint32_t used = std::min<uint32_t>(t->stackBytes / 2, 1024);
  return UBaseType_t(t->stackBytes - used);
}

configSTACK_DEPTH_TYPE uxTaskGetStackHighWaterMark2(TaskHandle_t xTask) {
  return configSTACK_DEPTH_TYPE(uxTaskGetStackHighWaterMark(xTask));
}

UBaseType_t uxTaskPriorityGet(const TaskHandle_t xTask) {
  auto t = find(xTask, "uxTaskPriorityGet");
  return t ? t->priority.load() : 0;
}
UBaseType_t uxTaskPriorityGetFromISR(const TaskHandle_t xTask) { return uxTaskPriorityGet(xTask); }

void vTaskPrioritySet(TaskHandle_t xTask, UBaseType_t uxNewPriority) {
  auto t = find(xTask, "vTaskPrioritySet");
  if (!t) return;
  if (uxNewPriority >= configMAX_PRIORITIES) uxNewPriority = configMAX_PRIORITIES - 1;
  t->priority = uxNewPriority;
}

eTaskState eTaskGetState(TaskHandle_t xTask) {
  auto t = xTask ? lookup(xTask) : find(nullptr, nullptr);
  if (!t) return eDeleted;
  if (t.get() == self()) return eRunning;
  std::lock_guard<std::mutex> lk(t->mu);
  if (t->ended) return eDeleted;
  if (t->suspended) return eSuspended;
  return t->blocked.load() ? eBlocked : eReady;
}

BaseType_t xTaskGetAffinity(TaskHandle_t xTask) {
  auto t = find(xTask, "xTaskGetAffinity");
  return t ? t->core : tskNO_AFFINITY;
}

UBaseType_t uxTaskGetNumberOfTasks(void) {
  twin::Device* dev = twin::contextDevice();
  if (!dev) return 0;
  // The device's threads (loop task, async_tcp, its tasks) and the two idle tasks.
  return UBaseType_t(dev->counters().threadsAlive.load() + 2);
}

void vTaskSetThreadLocalStoragePointer(TaskHandle_t xTaskToSet, BaseType_t xIndex, void* pvValue) {
  auto t = find(xTaskToSet, "vTaskSetThreadLocalStoragePointer");
  if (!t) return;
  if (xIndex < 0 || xIndex >= configNUM_THREAD_LOCAL_STORAGE_POINTERS) {
    error("vTaskSetThreadLocalStoragePointer: index " + std::to_string(xIndex) + " out of range: ignored");
    return;
  }
  std::lock_guard<std::mutex> lk(t->mu);
  t->tls[xIndex] = pvValue;
}

void* pvTaskGetThreadLocalStoragePointer(TaskHandle_t xTaskToQuery, BaseType_t xIndex) {
  auto t = find(xTaskToQuery, "pvTaskGetThreadLocalStoragePointer");
  if (!t || xIndex < 0 || xIndex >= configNUM_THREAD_LOCAL_STORAGE_POINTERS) return nullptr;
  std::lock_guard<std::mutex> lk(t->mu);
  return t->tls[xIndex];
}

void vTaskSuspend(TaskHandle_t xTaskToSuspend) {
  Tcb* me = self();
  if (!xTaskToSuspend || xTaskToSuspend == me) {
    suspendSelf(me);
    return;
  }
  auto t = find(xTaskToSuspend, "vTaskSuspend");
  if (!t) return;
  if (!canExit(t.get())) {
    error(std::string("vTaskSuspend: '") + t->name + "' cannot be suspended by another thread: ignored");
    return;
  }
  t->suspendRequested = true;
}

void vTaskResume(TaskHandle_t xTaskToResume) {
  if (!xTaskToResume) {
    error("vTaskResume(NULL): ignored");
    return;
  }
  auto t = find(xTaskToResume, "vTaskResume");
  if (!t) return;
  {
    std::lock_guard<std::mutex> lk(t->mu);
    t->suspended = false;
    t->suspendRequested = false;
  }
  t->cv.notify_all();
}

BaseType_t xTaskResumeFromISR(TaskHandle_t xTaskToResume) {
  vTaskResume(xTaskToResume);
  return pdFALSE;
}

void vTaskSuspendAll(void) { ++tlsSchedulerSuspended; }

BaseType_t xTaskResumeAll(void) {
  if (tlsSchedulerSuspended > 0) {
    --tlsSchedulerSuspended;
  } else {
    error("xTaskResumeAll without vTaskSuspendAll: ignored");
  }
  return pdFALSE;
}

BaseType_t xTaskGetSchedulerState(void) {
  return tlsSchedulerSuspended > 0 ? taskSCHEDULER_SUSPENDED : taskSCHEDULER_RUNNING;
}

// ---------------- notifications ----------------

static bool badIndex(UBaseType_t index, const char* what) {
  if (index < configTASK_NOTIFICATION_ARRAY_ENTRIES) return false;
  error(std::string(what) + ": notification index " + std::to_string(index) + " out of range (" +
        std::to_string(configTASK_NOTIFICATION_ARRAY_ENTRIES) + " entry): ignored");
  return true;
}

BaseType_t xTaskGenericNotify(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                              eNotifyAction eAction, uint32_t* pulPreviousNotificationValue) {
  if (badIndex(uxIndexToNotify, "xTaskNotify")) return pdFAIL;
  if (!xTaskToNotify) {
    error("xTaskNotify(NULL): no task to notify");
    return pdFAIL;
  }
  auto t = find(xTaskToNotify, "xTaskNotify");
  if (!t) return pdFAIL;
  BaseType_t ret = pdPASS;
  {
    std::lock_guard<std::mutex> lk(t->mu);
    if (pulPreviousNotificationValue) *pulPreviousNotificationValue = t->notifyValue;
    uint8_t was = t->notifyState;
    t->notifyState = 2;
    switch (eAction) {
      case eNoAction:
        break;
      case eSetBits:
        t->notifyValue |= ulValue;
        break;
      case eIncrement:
        t->notifyValue++;
        break;
      case eSetValueWithOverwrite:
        t->notifyValue = ulValue;
        break;
      case eSetValueWithoutOverwrite:
        if (was != 2) {
          t->notifyValue = ulValue;
        } else {
          ret = pdFAIL;
        }
        break;
      default:
        t->notifyState = was;
        error("xTaskNotify: invalid eNotifyAction " + std::to_string(int(eAction)));
        return pdFAIL;
    }
  }
  t->cv.notify_all();
  return ret;
}

BaseType_t xTaskGenericNotifyFromISR(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify, uint32_t ulValue,
                                     eNotifyAction eAction, uint32_t* pulPreviousNotificationValue,
                                     BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTaskGenericNotify(xTaskToNotify, uxIndexToNotify, ulValue, eAction, pulPreviousNotificationValue);
}

void vTaskGenericNotifyGiveFromISR(TaskHandle_t xTaskToNotify, UBaseType_t uxIndexToNotify,
                                   BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  xTaskGenericNotify(xTaskToNotify, uxIndexToNotify, 0, eIncrement, nullptr);
}

BaseType_t xTaskGenericNotifyWait(UBaseType_t uxIndexToWaitOn, uint32_t ulBitsToClearOnEntry,
                                  uint32_t ulBitsToClearOnExit, uint32_t* pulNotificationValue,
                                  TickType_t xTicksToWait) {
  if (badIndex(uxIndexToWaitOn, "xTaskNotifyWait")) return pdFAIL;
  if (xTicksToWait) beforeBlocking();
  Tcb* me = self();
  std::unique_lock<std::mutex> lk(me->mu);
  if (me->notifyState != 2) {
    me->notifyValue &= ~ulBitsToClearOnEntry;
    me->notifyState = 1;
    if (xTicksToWait) waitFor(lk, me->cv, Deadline::ticks(xTicksToWait), [me] { return me->notifyState == 2; });
  }
  if (pulNotificationValue) *pulNotificationValue = me->notifyValue;
  BaseType_t ret = pdFALSE;
  if (me->notifyState == 2) {
    me->notifyValue &= ~ulBitsToClearOnExit;
    ret = pdTRUE;
  }
  me->notifyState = 0;
  return ret;
}

uint32_t ulTaskGenericNotifyTake(UBaseType_t uxIndexToWaitOn, BaseType_t xClearCountOnExit, TickType_t xTicksToWait) {
  if (badIndex(uxIndexToWaitOn, "ulTaskNotifyTake")) return 0;
  if (xTicksToWait) beforeBlocking();
  Tcb* me = self();
  std::unique_lock<std::mutex> lk(me->mu);
  if (me->notifyValue == 0 && xTicksToWait) {
    me->notifyState = 1;
    waitFor(lk, me->cv, Deadline::ticks(xTicksToWait), [me] { return me->notifyValue != 0; });
  }
  uint32_t v = me->notifyValue;
  if (v != 0) me->notifyValue = xClearCountOnExit ? 0 : v - 1;
  me->notifyState = 0;
  return v;
}

BaseType_t xTaskGenericNotifyStateClear(TaskHandle_t xTask, UBaseType_t uxIndexToClear) {
  if (badIndex(uxIndexToClear, "xTaskNotifyStateClear")) return pdFAIL;
  auto t = find(xTask, "xTaskNotifyStateClear");
  if (!t) return pdFAIL;
  std::lock_guard<std::mutex> lk(t->mu);
  if (t->notifyState != 2) return pdFAIL;
  t->notifyState = 0;
  return pdPASS;
}

uint32_t ulTaskGenericNotifyValueClear(TaskHandle_t xTask, UBaseType_t uxIndexToClear, uint32_t ulBitsToClear) {
  if (badIndex(uxIndexToClear, "ulTaskNotifyValueClear")) return 0;
  auto t = find(xTask, "ulTaskNotifyValueClear");
  if (!t) return 0;
  std::lock_guard<std::mutex> lk(t->mu);
  uint32_t v = t->notifyValue;
  t->notifyValue &= ~ulBitsToClear;
  return v;
}

}  // extern "C"
