// rtos_queue.cpp: FreeRTOS queues, semaphores, mutexes and event groups on the host.
// Rules: freertos/queue.h, semphr.h, event_groups.h; locks and waits: rtos_internal.h.
#include <cstring>

#include "freertos/event_groups.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "rtos_internal.h"

using namespace twinrtos;

// A queue, semaphore or mutex (QueueHandle_t points here).
struct QueueDefinition {
  enum class Type : uint8_t { Base, Mutex, Counting, Binary, Recursive };
  Type type = Type::Base;          // const
  bool isStatic = false;           // const: built in the caller's StaticQueue_t
  UBaseType_t length = 0;          // const
  UBaseType_t itemSize = 0;        // const
  uint8_t* storage = nullptr;      // const pointer; the bytes are guarded by mu
  ChargedBlock block;              // the storage of a dynamic queue (counts on the device heap)

  std::mutex mu;                   // guards everything below and the storage bytes
  std::condition_variable cvData;  // receivers and mutex takers wait here
  std::condition_variable cvSpace; // senders and a deleter wait here
  UBaseType_t head = 0;            // index of the oldest item
  UBaseType_t count = 0;           // items (semaphores: the count; mutex: 1 free, 0 held)
  Tcb* holder = nullptr;           // mutex holder (identity only)
  UBaseType_t recursion = 0;       // recursive mutex: takes by the holder
  int waiters = 0;                 // threads blocked in a wait on this queue
  bool deleting = false;           // vQueueDelete in progress: waits fail
  bool warnedSelfTake = false;
  const char* regName = nullptr;   // vQueueAddToRegistry

  bool isMutex() const { return type == Type::Mutex || type == Type::Recursive; }
};

static_assert(sizeof(QueueDefinition) <= sizeof(StaticQueue_t), "StaticQueue_t too small for the host queue");
static_assert(alignof(QueueDefinition) <= alignof(StaticQueue_t), "StaticQueue_t alignment");

namespace {

using Q = QueueDefinition;

bool nullHandle(const void* h, const char* what) {
  if (h) return false;
  error(std::string(what) + "(NULL): ignored");
  return true;
}

// Counts a blocked thread for the duration of its wait (constructed and destroyed with q->mu
// held, which waitFor guarantees on return and on unwinding).
struct WaitMark {
  Q* q;
  explicit WaitMark(Q* q_) : q(q_) { ++q->waiters; }
  ~WaitMark() {
    if (--q->waiters == 0 && q->deleting) q->cvSpace.notify_all();
  }
};

QueueHandle_t create(UBaseType_t length, UBaseType_t itemSize, Q::Type type, uint8_t* storage, StaticQueue_t* buf,
                     const char* what) {
  if (length == 0) {
    error(std::string(what) + ": length 0: not created");
    return nullptr;
  }
  if (itemSize && length > SIZE_MAX / 2 / itemSize) {
    error(std::string(what) + ": length x item size overflows: not created");
    return nullptr;
  }
  size_t bytes = size_t(length) * itemSize;
  Q* q;
  if (buf) {
    if (bytes && !storage) {
      error(std::string(what) + ": NULL storage buffer: not created");
      return nullptr;
    }
    q = new (buf) Q();
    q->isStatic = true;
    q->storage = bytes ? storage : nullptr;
  } else {
    if (!heapProbe(sizeof(Q))) {
      warn(std::string(what) + ": heap exhausted: not created");
      return nullptr;
    }
    q = new Q();
    if (bytes) {
      if (!q->block.alloc(bytes)) {
        delete q;
        warn(std::string(what) + ": heap exhausted (" + std::to_string(bytes) + " bytes of items): not created");
        return nullptr;
      }
      q->storage = static_cast<uint8_t*>(q->block.p);
    }
  }
  q->type = type;
  q->length = length;
  q->itemSize = itemSize;
  return q;
}

Q::Type typeOf(uint8_t t) {
  switch (t) {
    case queueQUEUE_TYPE_MUTEX:
      return Q::Type::Mutex;
    case queueQUEUE_TYPE_COUNTING_SEMAPHORE:
      return Q::Type::Counting;
    case queueQUEUE_TYPE_BINARY_SEMAPHORE:
      return Q::Type::Binary;
    case queueQUEUE_TYPE_RECURSIVE_MUTEX:
      return Q::Type::Recursive;
    default:
      return Q::Type::Base;
  }
}

QueueHandle_t makeMutex(uint8_t type, StaticQueue_t* buf, const char* what) {
  Q::Type t = typeOf(type);
  if (t != Q::Type::Mutex && t != Q::Type::Recursive) {
    error(std::string(what) + ": not a mutex type: not created");
    return nullptr;
  }
  QueueHandle_t q = create(1, 0, t, nullptr, buf, what);
  if (q) q->count = 1;  // available
  return q;
}

QueueHandle_t makeCounting(UBaseType_t max, UBaseType_t initial, StaticQueue_t* buf, const char* what) {
  if (max == 0 || initial > max) {
    error(std::string(what) + ": max " + std::to_string(max) + ", initial " + std::to_string(initial) +
          ": not created");
    return nullptr;
  }
  QueueHandle_t q = create(max, 0, Q::Type::Counting, nullptr, buf, what);
  if (q) q->count = initial;
  return q;
}

BaseType_t mutexTake(Q* q, TickType_t ticks, bool recursive, const char* what) {
  twin::schedJitterPoint();  // scheduling jitter (Profile::schedJitterSeed): before a take
  if (recursive && q->type != Q::Type::Recursive) {
    error(std::string(what) + " on a semaphore that is not a recursive mutex: fails");
    return pdFAIL;
  }
  if (ticks) beforeBlocking();
  Tcb* me = self();
  std::unique_lock<std::mutex> lk(q->mu);
  if (q->deleting) return pdFAIL;
  if (recursive && q->holder == me) {
    ++q->recursion;
    return pdPASS;
  }
  auto available = [q] { return q->deleting || q->holder == nullptr; };
  if (!available()) {
    if (q->holder == me && !q->warnedSelfTake) {
      q->warnedSelfTake = true;
      warn(std::string(what) + ": task '" + me->name +
           "' takes a mutex it already holds: it blocks (a deadlock on the board too)");
    }
    if (ticks == 0) return pdFALSE;
    WaitMark mark(q);
    if (!waitFor(lk, q->cvData, Deadline::ticks(ticks), available)) return pdFALSE;
  }
  if (q->deleting) return pdFAIL;
  q->holder = me;
  q->recursion = 1;
  q->count = 0;
  return pdPASS;
}

BaseType_t mutexGive(Q* q, bool recursive, const char* what) {
  if (recursive && q->type != Q::Type::Recursive) {
    error(std::string(what) + " on a semaphore that is not a recursive mutex: fails");
    return pdFAIL;
  }
  Tcb* me = self();
  {
    std::lock_guard<std::mutex> lk(q->mu);
    if (q->holder != me) {
      error(std::string(what) + ": task '" + me->name + "' gives a mutex it does not hold: fails");
      return pdFAIL;
    }
    if (recursive && --q->recursion > 0) return pdPASS;
    q->holder = nullptr;
    q->recursion = 0;
    q->count = 1;
    q->cvData.notify_all();
  }
  twin::schedJitterPoint();  // after a give
  return pdPASS;
}

BaseType_t send(Q* q, const void* item, TickType_t ticks, BaseType_t pos, const char* what) {
  if (nullHandle(q, what)) return pdFAIL;
  if (q->isMutex()) return mutexGive(q, false, what);
  twin::schedJitterPoint();  // a give of a counting/binary semaphore or a queue send
  if (pos == queueOVERWRITE && q->length != 1) {
    error(std::string(what) + ": xQueueOverwrite is for queues of length 1: fails");
    return pdFAIL;
  }
  if (pos != queueSEND_TO_BACK && pos != queueSEND_TO_FRONT && pos != queueOVERWRITE) {
    error(std::string(what) + ": invalid copy position: fails");
    return pdFAIL;
  }
  if (q->itemSize && !item) {
    error(std::string(what) + ": NULL item for a queue of " + std::to_string(q->itemSize) + "-byte items: fails");
    return pdFAIL;
  }
  if (ticks) beforeBlocking();
  std::unique_lock<std::mutex> lk(q->mu);
  auto room = [q, pos] { return q->deleting || q->count < q->length || pos == queueOVERWRITE; };
  if (!room()) {
    if (ticks == 0) return errQUEUE_FULL;
    WaitMark mark(q);
    if (!waitFor(lk, q->cvSpace, Deadline::ticks(ticks), room)) return errQUEUE_FULL;
  }
  if (q->deleting) return pdFAIL;
  UBaseType_t slot;
  if (pos == queueOVERWRITE) {
    slot = q->head;
    q->count = 1;
  } else if (pos == queueSEND_TO_FRONT) {
    q->head = (q->head + q->length - 1) % q->length;
    slot = q->head;
    q->count++;
  } else {
    slot = (q->head + q->count) % q->length;
    q->count++;
  }
  if (q->itemSize) std::memcpy(q->storage + size_t(slot) * q->itemSize, item, q->itemSize);
  q->cvData.notify_all();
  return pdPASS;
}

BaseType_t receive(Q* q, void* buf, TickType_t ticks, bool peek, const char* what) {
  if (nullHandle(q, what)) return pdFAIL;
  twin::schedJitterPoint();  // a take of a counting/binary semaphore or a queue receive
  if (q->isMutex()) {
    if (peek) {
      error(std::string(what) + " on a mutex: fails");
      return pdFAIL;
    }
    return mutexTake(q, ticks, false, what);
  }
  if (q->itemSize && !buf) {
    error(std::string(what) + ": NULL buffer for a queue of " + std::to_string(q->itemSize) + "-byte items: fails");
    return pdFAIL;
  }
  if (ticks) beforeBlocking();
  std::unique_lock<std::mutex> lk(q->mu);
  auto data = [q] { return q->deleting || q->count > 0; };
  if (!data()) {
    if (ticks == 0) return errQUEUE_EMPTY;
    WaitMark mark(q);
    if (!waitFor(lk, q->cvData, Deadline::ticks(ticks), data)) return errQUEUE_EMPTY;
  }
  if (q->deleting) return pdFAIL;
  if (q->itemSize) std::memcpy(buf, q->storage + size_t(q->head) * q->itemSize, q->itemSize);
  if (!peek) {
    q->head = (q->head + 1) % q->length;
    q->count--;
    q->cvSpace.notify_all();
  }
  return pdPASS;
}

}  // namespace

extern "C" {

QueueHandle_t xQueueGenericCreate(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                  const uint8_t ucQueueType) {
  return create(uxQueueLength, uxItemSize, typeOf(ucQueueType), nullptr, nullptr, "xQueueCreate");
}

QueueHandle_t xQueueGenericCreateStatic(const UBaseType_t uxQueueLength, const UBaseType_t uxItemSize,
                                        uint8_t* pucQueueStorage, StaticQueue_t* pxStaticQueue,
                                        const uint8_t ucQueueType) {
  if (!pxStaticQueue) {
    error("xQueueCreateStatic: NULL StaticQueue_t: not created");
    return nullptr;
  }
  return create(uxQueueLength, uxItemSize, typeOf(ucQueueType), pucQueueStorage, pxStaticQueue, "xQueueCreateStatic");
}

void vQueueDelete(QueueHandle_t q) {
  if (nullHandle(q, "vQueueDelete")) return;
  {
    std::unique_lock<std::mutex> lk(q->mu);
    if (q->deleting) {
      error("vQueueDelete: the queue is already being deleted: ignored");
      return;
    }
    q->deleting = true;
    if (q->waiters > 0) {
      warn("vQueueDelete: " + std::to_string(q->waiters) +
           " thread(s) blocked on the queue (undefined on the board): their waits fail first");
      q->cvData.notify_all();
      q->cvSpace.notify_all();
      waitQuiet(lk, q->cvSpace, [q] { return q->waiters == 0; });
    }
  }
  if (q->isStatic) {
    q->~QueueDefinition();
  } else {
    q->block.release();
    delete q;
  }
}

BaseType_t xQueueGenericSend(QueueHandle_t xQueue, const void* const pvItemToQueue, TickType_t xTicksToWait,
                             const BaseType_t xCopyPosition) {
  return send(xQueue, pvItemToQueue, xTicksToWait, xCopyPosition, "xQueueSend");
}

BaseType_t xQueueReceive(QueueHandle_t xQueue, void* const pvBuffer, TickType_t xTicksToWait) {
  return receive(xQueue, pvBuffer, xTicksToWait, false, "xQueueReceive");
}

BaseType_t xQueuePeek(QueueHandle_t xQueue, void* const pvBuffer, TickType_t xTicksToWait) {
  return receive(xQueue, pvBuffer, xTicksToWait, true, "xQueuePeek");
}

BaseType_t xQueueGenericSendFromISR(QueueHandle_t xQueue, const void* const pvItemToQueue,
                                    BaseType_t* const pxHigherPriorityTaskWoken, const BaseType_t xCopyPosition) {
  (void)pxHigherPriorityTaskWoken;
  if (xQueue && xQueue->isMutex()) {
    error("xQueueSendFromISR / xSemaphoreGiveFromISR on a mutex (not allowed from an ISR): fails");
    return pdFAIL;
  }
  return send(xQueue, pvItemToQueue, 0, xCopyPosition, "xQueueSendFromISR");
}

BaseType_t xQueueGiveFromISR(QueueHandle_t xQueue, BaseType_t* const pxHigherPriorityTaskWoken) {
  return xQueueGenericSendFromISR(xQueue, nullptr, pxHigherPriorityTaskWoken, queueSEND_TO_BACK);
}

BaseType_t xQueueReceiveFromISR(QueueHandle_t xQueue, void* const pvBuffer, BaseType_t* const pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  if (xQueue && xQueue->isMutex()) {
    error("xQueueReceiveFromISR / xSemaphoreTakeFromISR on a mutex (not allowed from an ISR): fails");
    return pdFAIL;
  }
  return receive(xQueue, pvBuffer, 0, false, "xQueueReceiveFromISR");
}

BaseType_t xQueuePeekFromISR(QueueHandle_t xQueue, void* const pvBuffer) {
  return receive(xQueue, pvBuffer, 0, true, "xQueuePeekFromISR");
}

UBaseType_t uxQueueMessagesWaiting(const QueueHandle_t xQueue) {
  if (nullHandle(xQueue, "uxQueueMessagesWaiting")) return 0;
  std::lock_guard<std::mutex> lk(xQueue->mu);
  return xQueue->count;
}
UBaseType_t uxQueueMessagesWaitingFromISR(const QueueHandle_t xQueue) { return uxQueueMessagesWaiting(xQueue); }

UBaseType_t uxQueueSpacesAvailable(const QueueHandle_t xQueue) {
  if (nullHandle(xQueue, "uxQueueSpacesAvailable")) return 0;
  std::lock_guard<std::mutex> lk(xQueue->mu);
  return xQueue->length - xQueue->count;
}

BaseType_t xQueueIsQueueEmptyFromISR(const QueueHandle_t xQueue) {
  return uxQueueMessagesWaiting(xQueue) == 0 ? pdTRUE : pdFALSE;
}
BaseType_t xQueueIsQueueFullFromISR(const QueueHandle_t xQueue) {
  return xQueue && uxQueueSpacesAvailable(xQueue) == 0 ? pdTRUE : pdFALSE;
}

BaseType_t xQueueGenericReset(QueueHandle_t xQueue, BaseType_t xNewQueue) {
  (void)xNewQueue;
  if (nullHandle(xQueue, "xQueueReset")) return pdFAIL;
  std::lock_guard<std::mutex> lk(xQueue->mu);
  if (xQueue->isMutex()) return pdPASS;  // FreeRTOS leaves a mutex's state alone
  xQueue->head = 0;
  xQueue->count = 0;
  xQueue->cvSpace.notify_all();
  return pdPASS;
}

void vQueueAddToRegistry(QueueHandle_t xQueue, const char* pcQueueName) {
  if (nullHandle(xQueue, "vQueueAddToRegistry")) return;
  std::lock_guard<std::mutex> lk(xQueue->mu);
  xQueue->regName = pcQueueName;
}
void vQueueUnregisterQueue(QueueHandle_t xQueue) { vQueueAddToRegistry(xQueue, nullptr); }
const char* pcQueueGetName(QueueHandle_t xQueue) {
  if (!xQueue) return nullptr;
  std::lock_guard<std::mutex> lk(xQueue->mu);
  return xQueue->regName;
}

QueueHandle_t xQueueCreateMutex(const uint8_t ucQueueType) {
  return makeMutex(ucQueueType, nullptr, "xSemaphoreCreateMutex");
}
QueueHandle_t xQueueCreateMutexStatic(const uint8_t ucQueueType, StaticQueue_t* pxStaticQueue) {
  if (!pxStaticQueue) {
    error("xSemaphoreCreateMutexStatic: NULL buffer: not created");
    return nullptr;
  }
  return makeMutex(ucQueueType, pxStaticQueue, "xSemaphoreCreateMutexStatic");
}
QueueHandle_t xQueueCreateCountingSemaphore(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount) {
  return makeCounting(uxMaxCount, uxInitialCount, nullptr, "xSemaphoreCreateCounting");
}
QueueHandle_t xQueueCreateCountingSemaphoreStatic(const UBaseType_t uxMaxCount, const UBaseType_t uxInitialCount,
                                                  StaticQueue_t* pxStaticQueue) {
  if (!pxStaticQueue) {
    error("xSemaphoreCreateCountingStatic: NULL buffer: not created");
    return nullptr;
  }
  return makeCounting(uxMaxCount, uxInitialCount, pxStaticQueue, "xSemaphoreCreateCountingStatic");
}

BaseType_t xQueueSemaphoreTake(QueueHandle_t xQueue, TickType_t xTicksToWait) {
  if (nullHandle(xQueue, "xSemaphoreTake")) return pdFAIL;
  if (xQueue->isMutex()) return mutexTake(xQueue, xTicksToWait, false, "xSemaphoreTake");
  if (xQueue->itemSize) {
    error("xSemaphoreTake on a queue of items: fails");
    return pdFAIL;
  }
  return receive(xQueue, nullptr, xTicksToWait, false, "xSemaphoreTake");
}

BaseType_t xQueueTakeMutexRecursive(QueueHandle_t xMutex, TickType_t xTicksToWait) {
  if (nullHandle(xMutex, "xSemaphoreTakeRecursive")) return pdFAIL;
  return mutexTake(xMutex, xTicksToWait, true, "xSemaphoreTakeRecursive");
}

BaseType_t xQueueGiveMutexRecursive(QueueHandle_t xMutex) {
  if (nullHandle(xMutex, "xSemaphoreGiveRecursive")) return pdFAIL;
  return mutexGive(xMutex, true, "xSemaphoreGiveRecursive");
}

TaskHandle_t xQueueGetMutexHolder(QueueHandle_t xSemaphore) {
  if (!xSemaphore || !xSemaphore->isMutex()) return nullptr;
  std::lock_guard<std::mutex> lk(xSemaphore->mu);
  return xSemaphore->holder;
}
TaskHandle_t xQueueGetMutexHolderFromISR(QueueHandle_t xSemaphore) { return xQueueGetMutexHolder(xSemaphore); }

}  // extern "C"

// ---------------- event groups ----------------

// An event group (EventGroupHandle_t points here).
struct EventGroupDef_t {
  struct Waiter {
    EventBits_t want;
    bool all;
    bool clear;
    bool done = false;
    EventBits_t result = 0;
  };
  bool isStatic = false;           // const
  std::mutex mu;                   // guards everything below
  std::condition_variable cv;      // waiters and a deleter wait here
  EventBits_t bits = 0;
  std::vector<Waiter*> waiters;    // blocked waits (their Waiter lives on the waiting stack)
  bool deleting = false;
};

static_assert(sizeof(EventGroupDef_t) <= sizeof(StaticEventGroup_t), "StaticEventGroup_t too small");
static_assert(alignof(EventGroupDef_t) <= alignof(StaticEventGroup_t), "StaticEventGroup_t alignment");

namespace {

constexpr EventBits_t kControlBits = 0xff000000u;

bool met(EventBits_t bits, EventBits_t want, bool all) {
  return all ? (bits & want) == want : (bits & want) != 0;
}

EventBits_t usable(EventBits_t b, const char* what) {
  if (b & kControlBits) {
    error(std::string(what) + ": bits 0xff000000 are the kernel's: ignored");
    b &= ~kControlBits;
  }
  return b;
}

// Sets bits and serves every waiter met now; their clear-on-exit bits go after all were served.
void setLocked(EventGroupDef_t* g, EventBits_t set) {
  g->bits |= set;
  EventBits_t clear = 0;
  bool woke = false;
  for (auto* w : g->waiters) {
    if (!w->done && met(g->bits, w->want, w->all)) {
      w->done = true;
      w->result = g->bits;
      if (w->clear) clear |= w->want;
      woke = true;
    }
  }
  g->bits &= ~clear;
  if (woke) g->cv.notify_all();
}

// The blocking part of a wait (lk held, condition not met now, ticks > 0).
EventBits_t waitLocked(EventGroupDef_t* g, std::unique_lock<std::mutex>& lk, EventBits_t want, bool clear, bool all,
                       TickType_t ticks) {
  EventGroupDef_t::Waiter w{want, all, clear};
  g->waiters.push_back(&w);
  struct Remove {
    EventGroupDef_t* g;
    EventGroupDef_t::Waiter* w;
    ~Remove() {  // with g->mu held (waitFor returns and unwinds with it held)
      auto it = std::find(g->waiters.begin(), g->waiters.end(), w);
      if (it != g->waiters.end()) g->waiters.erase(it);
      if (g->deleting && g->waiters.empty()) g->cv.notify_all();
    }
  } remove{g, &w};
  waitFor(lk, g->cv, Deadline::ticks(ticks), [&] { return w.done || g->deleting; });
  if (w.done) return w.result;
  if (g->deleting) return 0;
  return g->bits;
}

EventGroupHandle_t makeGroup(StaticEventGroup_t* buf) {
  EventGroupDef_t* g;
  if (buf) {
    g = new (buf) EventGroupDef_t();
    g->isStatic = true;
  } else {
    if (!heapProbe(sizeof(EventGroupDef_t))) {
      warn("xEventGroupCreate: heap exhausted: not created");
      return nullptr;
    }
    g = new EventGroupDef_t();
  }
  return g;
}

}  // namespace

extern "C" {

EventGroupHandle_t xEventGroupCreate(void) { return makeGroup(nullptr); }

EventGroupHandle_t xEventGroupCreateStatic(StaticEventGroup_t* pxEventGroupBuffer) {
  if (!pxEventGroupBuffer) {
    error("xEventGroupCreateStatic: NULL buffer: not created");
    return nullptr;
  }
  return makeGroup(pxEventGroupBuffer);
}

void vEventGroupDelete(EventGroupHandle_t g) {
  if (nullHandle(g, "vEventGroupDelete")) return;
  {
    std::unique_lock<std::mutex> lk(g->mu);
    if (g->deleting) {
      error("vEventGroupDelete: already being deleted: ignored");
      return;
    }
    g->deleting = true;
    if (!g->waiters.empty()) {
      g->cv.notify_all();
      waitQuiet(lk, g->cv, [g] { return g->waiters.empty(); });
    }
  }
  if (g->isStatic) {
    g->~EventGroupDef_t();
  } else {
    delete g;
  }
}

EventBits_t xEventGroupSetBits(EventGroupHandle_t g, const EventBits_t uxBitsToSet) {
  if (nullHandle(g, "xEventGroupSetBits")) return 0;
  EventBits_t set = usable(uxBitsToSet, "xEventGroupSetBits");
  std::lock_guard<std::mutex> lk(g->mu);
  setLocked(g, set);
  return g->bits;
}

EventBits_t xEventGroupClearBits(EventGroupHandle_t g, const EventBits_t uxBitsToClear) {
  if (nullHandle(g, "xEventGroupClearBits")) return 0;
  EventBits_t clr = usable(uxBitsToClear, "xEventGroupClearBits");
  std::lock_guard<std::mutex> lk(g->mu);
  EventBits_t was = g->bits;
  g->bits &= ~clr;
  return was;
}

EventBits_t xEventGroupWaitBits(EventGroupHandle_t g, const EventBits_t uxBitsToWaitFor, const BaseType_t xClearOnExit,
                                const BaseType_t xWaitForAllBits, TickType_t xTicksToWait) {
  if (nullHandle(g, "xEventGroupWaitBits")) return 0;
  EventBits_t want = usable(uxBitsToWaitFor, "xEventGroupWaitBits");
  if (want == 0) {
    error("xEventGroupWaitBits: no bits to wait for: returns at once");
    std::lock_guard<std::mutex> lk(g->mu);
    return g->bits;
  }
  if (xTicksToWait) beforeBlocking();
  std::unique_lock<std::mutex> lk(g->mu);
  if (met(g->bits, want, xWaitForAllBits != pdFALSE)) {
    EventBits_t r = g->bits;
    if (xClearOnExit) g->bits &= ~want;
    return r;
  }
  if (xTicksToWait == 0) return g->bits;
  return waitLocked(g, lk, want, xClearOnExit != pdFALSE, xWaitForAllBits != pdFALSE, xTicksToWait);
}

EventBits_t xEventGroupSync(EventGroupHandle_t g, const EventBits_t uxBitsToSet, const EventBits_t uxBitsToWaitFor,
                            TickType_t xTicksToWait) {
  if (nullHandle(g, "xEventGroupSync")) return 0;
  EventBits_t set = usable(uxBitsToSet, "xEventGroupSync");
  EventBits_t want = usable(uxBitsToWaitFor, "xEventGroupSync");
  if (xTicksToWait) beforeBlocking();
  std::unique_lock<std::mutex> lk(g->mu);
  EventBits_t original = g->bits;
  setLocked(g, set);
  if (((original | set) & want) == want) {
    EventBits_t r = original | set;
    g->bits &= ~want;
    return r;
  }
  if (xTicksToWait == 0) return g->bits;
  return waitLocked(g, lk, want, true, true, xTicksToWait);
}

BaseType_t xEventGroupSetBitsFromISR(EventGroupHandle_t g, const EventBits_t uxBitsToSet,
                                     BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  if (!g) return pdFAIL;
  xEventGroupSetBits(g, uxBitsToSet);
  return pdPASS;
}

BaseType_t xEventGroupClearBitsFromISR(EventGroupHandle_t g, const EventBits_t uxBitsToClear) {
  if (!g) return pdFAIL;
  xEventGroupClearBits(g, uxBitsToClear);
  return pdPASS;
}

EventBits_t xEventGroupGetBitsFromISR(EventGroupHandle_t g) { return xEventGroupClearBits(g, 0); }

}  // extern "C"
