// rtos_timers.cpp: the timer service tasks of a device ("Tmr Svc" for FreeRTOS software timers,
// "esp_timer" for esp_timer) and the task watchdog that runs on the latter. Rules:
// freertos/timers.h, esp_timer.h, esp_task_wdt.h; locks and waits: rtos_internal.h.
#include <cinttypes>
#include <cstdio>

#include "esp_task_wdt.h"
#include "esp_timer.h"
#include "freertos/timers.h"
#include "rtos_internal.h"

namespace twinrtos {

// ---------------- the engine ----------------

TimerEngine::TimerEngine(twin::Device* dev, const char* taskName, UBaseType_t priority, uint32_t stackBytes,
                         BaseType_t core)
    : _dev(dev), _taskName(taskName), _priority(priority), _stackBytes(stackBytes), _core(core) {}

bool TimerEngine::ensureTask() {
  std::lock_guard<std::mutex> lk(mu);
  if (_dead) return false;
  if (_started) return true;
  auto self = shared_from_this();
  _started = createTask(
                 _dev, [self] { self->run(); }, _taskName, _stackBytes, _priority, _core, &_task) == pdPASS;
  return _started;
}

bool TimerEngine::armLocked(TimerBase* t, uint64_t dueUs, uint64_t periodUs) {
  if (_dead) return false;
  t->dueUs = dueUs;
  t->periodUs = periodUs;
  if (!t->armed) {
    t->armed = true;
    _armed.push_back(t);
  }
  cv.notify_all();
  return true;
}

bool TimerEngine::disarmLocked(TimerBase* t) {
  if (!t->armed) return false;
  t->armed = false;
  auto it = std::find(_armed.begin(), _armed.end(), t);
  if (it != _armed.end()) _armed.erase(it);
  cv.notify_all();
  return true;
}

bool TimerEngine::arm(TimerBase* t, uint64_t dueUs, uint64_t periodUs) {
  std::lock_guard<std::mutex> lk(mu);
  return armLocked(t, dueUs, periodUs);
}

bool TimerEngine::disarm(TimerBase* t) {
  std::lock_guard<std::mutex> lk(mu);
  return disarmLocked(t);
}

void TimerEngine::release(TimerBase* t) {
  {
    std::lock_guard<std::mutex> lk(mu);
    disarmLocked(t);
    if (_running == t) {
      t->deletePending = true;  // run() frees it once the callback returns
      return;
    }
  }
  t->destroy();
}

bool TimerEngine::pend(std::function<void()> fn) {
  std::lock_guard<std::mutex> lk(mu);
  if (_dead || !_started) return false;
  _pended.push_back(std::move(fn));
  cv.notify_all();
  return true;
}

void TimerEngine::kill() {
  std::lock_guard<std::mutex> lk(mu);
  _dead = true;
  for (TimerBase* t : _armed) t->armed = false;
  _armed.clear();
  _pended.clear();
  cv.notify_all();
}

TaskHandle_t TimerEngine::task() {
  std::lock_guard<std::mutex> lk(mu);
  return _task;
}

TimerBase* TimerEngine::earliestLocked() const {
  TimerBase* best = nullptr;
  for (TimerBase* t : _armed)
    if (!best || t->dueUs < best->dueUs) best = t;
  return best;
}

uint64_t TimerEngine::nextDue() {
  std::lock_guard<std::mutex> lk(mu);
  TimerBase* t = earliestLocked();
  return t ? t->dueUs : UINT64_MAX;
}

void TimerEngine::forEachArmed(const std::function<void(TimerBase*)>& fn) {
  std::lock_guard<std::mutex> lk(mu);
  for (TimerBase* t : _armed) fn(t);
}

// The service task: runs due callbacks and pended calls one at a time (holding the CPU), and
// otherwise waits without it until the next due time, new work, or the device stopping.
void TimerEngine::run() {
  std::unique_lock<std::mutex> lk(mu);
  for (;;) {
    if (twin::stopping()) {
      lk.unlock();
      twin::checkTaskStop();  // unwinds this task
      return;
    }
    if (!_pended.empty()) {
      auto fn = std::move(_pended.front());
      _pended.erase(_pended.begin());
      lk.unlock();
      fn();
      lk.lock();
      continue;
    }
    uint64_t now = twin::uptimeUs();
    TimerBase* t = earliestLocked();
    if (t && t->dueUs <= now) {
      if (t->periodUs) {
        t->dueUs += t->periodUs;  // a fixed grid; missed periods are caught up
        if (t->skipMissed && t->dueUs <= now) t->dueUs = now + t->periodUs;
      } else {
        disarmLocked(t);
      }
      _running = t;
      lk.unlock();
      struct After {  // also when the callback unwinds the task (the device stops)
        TimerEngine* e;
        TimerBase* t;
        ~After() {
          bool free;
          {
            std::lock_guard<std::mutex> g(e->mu);
            e->_running = nullptr;
            free = t->deletePending;
          }
          if (free) t->destroy();
        }
      };
      {
        After after{this, t};
        t->fire();
      }
      lk.lock();
      continue;
    }
    // Nothing due: wait without the CPU.
    lk.unlock();
    twin::blockBegin();
    lk.lock();
    for (;;) {
      if (!_pended.empty() || twin::stopping()) break;
      TimerBase* n = earliestLocked();
      uint64_t nowUs = twin::uptimeUs();
      if (n && n->dueUs <= nowUs) break;
      uint64_t waitUs = uint64_t(kSliceMs) * 1000u;
      if (n) waitUs = std::min(waitUs, n->dueUs - nowUs);
      cv.wait_until(lk, Clock::now() + std::chrono::microseconds(waitUs));
    }
    lk.unlock();
    twin::blockEnd();
    lk.lock();
  }
}

// ---------------- the device's engines ----------------

namespace {

struct TmrSvcState : twin::DeviceState {
  std::shared_ptr<TimerEngine> eng;
  explicit TmrSvcState(twin::Device* d)
      : eng(std::make_shared<TimerEngine>(d, "Tmr Svc", CONFIG_FREERTOS_TIMER_TASK_PRIORITY,
                                          CONFIG_FREERTOS_TIMER_TASK_STACK_DEPTH, 0)) {}
  ~TmrSvcState() override { eng->kill(); }
};

struct EspTimerState : twin::DeviceState {
  std::shared_ptr<TimerEngine> eng;
  explicit EspTimerState(twin::Device* d)
      : eng(std::make_shared<TimerEngine>(d, "esp_timer", 22, CONFIG_ESP_TIMER_TASK_STACK_SIZE, 0)) {}
  ~EspTimerState() override { eng->kill(); }
};

}  // namespace

std::shared_ptr<TimerEngine> tmrSvc(twin::Device* dev) {
  return dev ? twin::deviceState<TmrSvcState>(dev)->eng : nullptr;
}
std::shared_ptr<TimerEngine> espTimerSvc(twin::Device* dev) {
  return dev ? twin::deviceState<EspTimerState>(dev)->eng : nullptr;
}

}  // namespace twinrtos

using namespace twinrtos;

// ---------------- FreeRTOS software timers ----------------

// A software timer (TimerHandle_t points here). Fields guarded by eng->mu (TimerBase).
struct tmrTimerControl : TimerBase {
  const char* name = nullptr;  // const (the caller's string, as FreeRTOS keeps it)
  TimerCallbackFunction_t cb = nullptr;  // const
  bool isStatic = false;       // const
  TickType_t period = 0;
  bool autoReload = false;
  void* id = nullptr;
  void fire() override { cb(this); }
  void destroy() override {
    if (isStatic) {
      this->~tmrTimerControl();
    } else {
      delete this;
    }
  }
  const char* label() const override { return name ? name : ""; }
};

static_assert(sizeof(tmrTimerControl) <= sizeof(StaticTimer_t), "StaticTimer_t too small for the host timer");
static_assert(alignof(tmrTimerControl) <= alignof(StaticTimer_t), "StaticTimer_t alignment");

namespace {

TimerHandle_t makeTimer(const char* name, TickType_t period, UBaseType_t autoReload, void* id,
                        TimerCallbackFunction_t cb, StaticTimer_t* buf, const char* what) {
  std::string label = std::string(what) + "('" + (name ? name : "") + "')";
  if (period == 0 || !cb) {
    error(label + (period == 0 ? ": period 0" : ": NULL callback") + ": not created");
    return nullptr;
  }
  twin::Device* dev = twin::contextDevice();
  auto eng = tmrSvc(dev);
  if (!eng || !eng->ensureTask()) {
    error(label + (dev ? ": the device is stopping" : ": no device owns the calling thread") + ": not created");
    return nullptr;
  }
  tmrTimerControl* t;
  if (buf) {
    t = new (buf) tmrTimerControl();
    t->isStatic = true;
  } else {
    t = heapProbe(sizeof(tmrTimerControl)) ? new tmrTimerControl() : nullptr;
    if (!t) {
      warn(label + ": heap exhausted: not created");
      return nullptr;
    }
  }
  t->eng = std::move(eng);
  t->name = name;
  t->cb = cb;
  t->period = period;
  t->autoReload = autoReload != pdFALSE;
  t->id = id;
  return t;
}

bool nullTimer(TimerHandle_t t, const char* what) {
  if (t) return false;
  error(std::string(what) + "(NULL): fails");
  return true;
}

BaseType_t startLocked(TimerHandle_t t) {
  uint64_t p = uint64_t(t->period) * 1000u;
  return t->eng->armLocked(t, twin::uptimeUs() + p, t->autoReload ? p : 0) ? pdPASS : pdFAIL;
}

}  // namespace

extern "C" {

TimerHandle_t xTimerCreate(const char* const pcTimerName, const TickType_t xTimerPeriodInTicks,
                           const UBaseType_t uxAutoReload, void* const pvTimerID,
                           TimerCallbackFunction_t pxCallbackFunction) {
  return makeTimer(pcTimerName, xTimerPeriodInTicks, uxAutoReload, pvTimerID, pxCallbackFunction, nullptr,
                   "xTimerCreate");
}

TimerHandle_t xTimerCreateStatic(const char* const pcTimerName, const TickType_t xTimerPeriodInTicks,
                                 const UBaseType_t uxAutoReload, void* const pvTimerID,
                                 TimerCallbackFunction_t pxCallbackFunction, StaticTimer_t* pxTimerBuffer) {
  if (!pxTimerBuffer) {
    error("xTimerCreateStatic: NULL buffer: not created");
    return nullptr;
  }
  return makeTimer(pcTimerName, xTimerPeriodInTicks, uxAutoReload, pvTimerID, pxCallbackFunction, pxTimerBuffer,
                   "xTimerCreateStatic");
}

BaseType_t xTimerStart(TimerHandle_t xTimer, TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (nullTimer(xTimer, "xTimerStart")) return pdFAIL;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return startLocked(xTimer);
}

BaseType_t xTimerReset(TimerHandle_t xTimer, TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (nullTimer(xTimer, "xTimerReset")) return pdFAIL;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return startLocked(xTimer);
}

BaseType_t xTimerStop(TimerHandle_t xTimer, TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (nullTimer(xTimer, "xTimerStop")) return pdFAIL;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  if (xTimer->eng->deadLocked()) return pdFAIL;
  xTimer->eng->disarmLocked(xTimer);
  return pdPASS;
}

BaseType_t xTimerChangePeriod(TimerHandle_t xTimer, TickType_t xNewPeriod, TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (nullTimer(xTimer, "xTimerChangePeriod")) return pdFAIL;
  if (xNewPeriod == 0) {
    error("xTimerChangePeriod: period 0: fails");
    return pdFAIL;
  }
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  if (xTimer->eng->deadLocked()) return pdFAIL;
  xTimer->period = xNewPeriod;
  return startLocked(xTimer);
}

BaseType_t xTimerDelete(TimerHandle_t xTimer, TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (nullTimer(xTimer, "xTimerDelete")) return pdFAIL;
  auto eng = xTimer->eng;  // keeps the engine alive past the timer
  eng->release(xTimer);
  return pdPASS;
}

BaseType_t xTimerStartFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTimerStart(xTimer, 0);
}
BaseType_t xTimerStopFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTimerStop(xTimer, 0);
}
BaseType_t xTimerResetFromISR(TimerHandle_t xTimer, BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTimerReset(xTimer, 0);
}
BaseType_t xTimerChangePeriodFromISR(TimerHandle_t xTimer, TickType_t xNewPeriod,
                                     BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTimerChangePeriod(xTimer, xNewPeriod, 0);
}

BaseType_t xTimerIsTimerActive(TimerHandle_t xTimer) {
  if (!xTimer) return pdFALSE;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return xTimer->armed ? pdTRUE : pdFALSE;
}

void* pvTimerGetTimerID(const TimerHandle_t xTimer) {
  if (nullTimer(xTimer, "pvTimerGetTimerID")) return nullptr;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return xTimer->id;
}

void vTimerSetTimerID(TimerHandle_t xTimer, void* pvNewID) {
  if (nullTimer(xTimer, "vTimerSetTimerID")) return;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  xTimer->id = pvNewID;
}

const char* pcTimerGetName(TimerHandle_t xTimer) { return xTimer ? xTimer->name : nullptr; }

TickType_t xTimerGetPeriod(TimerHandle_t xTimer) {
  if (nullTimer(xTimer, "xTimerGetPeriod")) return 0;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return xTimer->period;
}

TickType_t xTimerGetExpiryTime(TimerHandle_t xTimer) {
  if (nullTimer(xTimer, "xTimerGetExpiryTime")) return 0;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return xTimer->armed ? TickType_t(xTimer->dueUs / 1000u) : 0;
}

void vTimerSetReloadMode(TimerHandle_t xTimer, const UBaseType_t uxAutoReload) {
  if (nullTimer(xTimer, "vTimerSetReloadMode")) return;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  xTimer->autoReload = uxAutoReload != pdFALSE;
  if (xTimer->armed) xTimer->periodUs = xTimer->autoReload ? uint64_t(xTimer->period) * 1000u : 0;
}

UBaseType_t uxTimerGetReloadMode(TimerHandle_t xTimer) {
  if (nullTimer(xTimer, "uxTimerGetReloadMode")) return 0;
  std::lock_guard<std::mutex> lk(xTimer->eng->mu);
  return xTimer->autoReload ? 1 : 0;
}

BaseType_t xTimerPendFunctionCall(PendedFunction_t xFunctionToPend, void* pvParameter1, uint32_t ulParameter2,
                                  TickType_t xTicksToWait) {
  (void)xTicksToWait;
  if (!xFunctionToPend) {
    error("xTimerPendFunctionCall: NULL function: fails");
    return pdFAIL;
  }
  auto eng = tmrSvc(twin::contextDevice());
  if (!eng || !eng->ensureTask()) {
    error("xTimerPendFunctionCall: no running device owns the calling thread: fails");
    return pdFAIL;
  }
  return eng->pend([=] { xFunctionToPend(pvParameter1, ulParameter2); }) ? pdPASS : pdFAIL;
}

BaseType_t xTimerPendFunctionCallFromISR(PendedFunction_t xFunctionToPend, void* pvParameter1,
                                         uint32_t ulParameter2, BaseType_t* pxHigherPriorityTaskWoken) {
  (void)pxHigherPriorityTaskWoken;
  return xTimerPendFunctionCall(xFunctionToPend, pvParameter1, ulParameter2, 0);
}

TaskHandle_t xTimerGetTimerDaemonTaskHandle(void) {
  auto eng = tmrSvc(twin::contextDevice());
  return eng ? eng->task() : nullptr;
}

}  // extern "C"

// ---------------- esp_timer ----------------

// An esp_timer (esp_timer_handle_t points here). Fields guarded by eng->mu (TimerBase).
struct esp_timer : TimerBase {
  esp_timer_cb_t cb = nullptr;  // const
  void* arg = nullptr;          // const
  const char* name = nullptr;   // const
  void fire() override { cb(arg); }
  void destroy() override { delete this; }
  const char* label() const override { return name ? name : "timer"; }
};

namespace {
constexpr uint64_t kMinPeriodUs = 50;  // ESP-IDF's smallest periodic timer period
// now + us, saturating (a timeout of UINT64_MAX never fires rather than firing at once).
uint64_t dueIn(uint64_t us) {
  uint64_t now = twin::uptimeUs();
  return us > UINT64_MAX - now ? UINT64_MAX : now + us;
}
}

extern "C" {

esp_err_t esp_timer_create(const esp_timer_create_args_t* create_args, esp_timer_handle_t* out_handle) {
  if (!create_args || !create_args->callback || !out_handle) return ESP_ERR_INVALID_ARG;
  if (create_args->dispatch_method != ESP_TIMER_TASK && create_args->dispatch_method != ESP_TIMER_ISR)
    return ESP_ERR_INVALID_ARG;
  twin::Device* dev = twin::contextDevice();
  auto eng = espTimerSvc(dev);
  if (!eng || !eng->ensureTask()) {
    error(std::string("esp_timer_create: ") +
          (dev ? "the device is stopping" : "no device owns the calling thread") + ": ESP_ERR_INVALID_STATE");
    return ESP_ERR_INVALID_STATE;
  }
  esp_timer* t = heapProbe(sizeof(esp_timer)) ? new esp_timer() : nullptr;
  if (!t) return ESP_ERR_NO_MEM;
  t->eng = std::move(eng);
  t->cb = create_args->callback;
  t->arg = create_args->arg;
  t->name = create_args->name;
  t->skipMissed = create_args->skip_unhandled_events;
  *out_handle = t;
  return ESP_OK;
}

esp_err_t esp_timer_start_once(esp_timer_handle_t timer, uint64_t timeout_us) {
  if (!timer) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  if (timer->armed) return ESP_ERR_INVALID_STATE;
  return timer->eng->armLocked(timer, dueIn(timeout_us), 0) ? ESP_OK : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_timer_start_periodic(esp_timer_handle_t timer, uint64_t period_us) {
  if (!timer) return ESP_ERR_INVALID_ARG;
  period_us = std::max(period_us, kMinPeriodUs);
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  if (timer->armed) return ESP_ERR_INVALID_STATE;
  return timer->eng->armLocked(timer, dueIn(period_us), period_us) ? ESP_OK : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_timer_restart(esp_timer_handle_t timer, uint64_t timeout_us) {
  if (!timer) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  if (!timer->armed) return ESP_ERR_INVALID_STATE;
  uint64_t period = timer->periodUs ? std::max(timeout_us, kMinPeriodUs) : 0;
  uint64_t wait = period ? period : timeout_us;
  return timer->eng->armLocked(timer, dueIn(wait), period) ? ESP_OK : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_timer_stop(esp_timer_handle_t timer) {
  if (!timer) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  return timer->eng->disarmLocked(timer) ? ESP_OK : ESP_ERR_INVALID_STATE;
}

esp_err_t esp_timer_delete(esp_timer_handle_t timer) {
  if (!timer) return ESP_ERR_INVALID_ARG;
  auto eng = timer->eng;
  {
    std::lock_guard<std::mutex> lk(eng->mu);
    if (timer->armed) return ESP_ERR_INVALID_STATE;
  }
  eng->release(timer);
  return ESP_OK;
}

int64_t esp_timer_get_time(void) { return int64_t(twin::uptimeUs()); }

int64_t esp_timer_get_next_alarm(void) {
  auto eng = espTimerSvc(twin::contextDevice());
  uint64_t due = eng ? eng->nextDue() : UINT64_MAX;
  return due == UINT64_MAX ? INT64_MAX : int64_t(due);
}
int64_t esp_timer_get_next_alarm_for_wake_up(void) { return esp_timer_get_next_alarm(); }

esp_err_t esp_timer_get_period(esp_timer_handle_t timer, uint64_t* period) {
  if (!timer || !period) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  *period = timer->periodUs;
  return ESP_OK;
}

esp_err_t esp_timer_get_expiry_time(esp_timer_handle_t timer, uint64_t* expiry) {
  if (!timer || !expiry) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  if (timer->periodUs) return ESP_ERR_NOT_SUPPORTED;
  if (!timer->armed) return ESP_ERR_INVALID_STATE;
  *expiry = timer->dueUs;
  return ESP_OK;
}

bool esp_timer_is_active(esp_timer_handle_t timer) {
  if (!timer) return false;
  std::lock_guard<std::mutex> lk(timer->eng->mu);
  return timer->armed;
}

esp_err_t esp_timer_dump(FILE* stream) {
  if (!stream) return ESP_ERR_INVALID_ARG;
  auto eng = espTimerSvc(twin::contextDevice());
  if (!eng) return ESP_OK;
  std::fprintf(stream, "Timer stats:\nName                  Period      Alarm\n");
  eng->forEachArmed([stream](TimerBase* t) {
    std::fprintf(stream, "%-20s  %-10" PRIu64 "  %-12" PRIu64 "\n", t->label(), t->periodUs, t->dueUs);
  });
  return ESP_OK;
}

}  // extern "C"

// ---------------- the task watchdog ----------------

namespace {

struct Wdt;

// The periodic check of one device's watchdog, on its esp_timer engine.
struct WdtCheck : TimerBase {
  Wdt* wdt = nullptr;
  void fire() override;
  void destroy() override { delete this; }
  const char* label() const override { return "task_wdt"; }
};

constexpr uint64_t kWdtCheckUs = 20000;

// One device's watchdog (a per-device state: destroyed at stop, after its tasks are joined).
struct Wdt : twin::DeviceState {
  struct Entry {
    TaskHandle_t task;  // null for a user
    uint64_t user;      // 0 for a task
    std::string name;
    bool reset;
  };
  twin::Device* dev;
  std::mutex mu;  // guards everything below
  bool inited = true;
  uint32_t timeoutMs = CONFIG_ESP_TASK_WDT_TIMEOUT_S * 1000;
  bool panic = false;
  std::vector<Entry> entries;
  uint64_t nextUser = 1;
  uint64_t windowStartUs = 0;
  WdtCheck* check = nullptr;

  explicit Wdt(twin::Device* d) : dev(d) {}
  ~Wdt() override {
    if (check) {
      auto eng = check->eng;
      eng->release(check);
    }
  }

  Entry* findTask(TaskHandle_t t) {
    for (auto& e : entries)
      if (!e.user && e.task == t) return &e;
    return nullptr;
  }
  Entry* findUser(uint64_t id) {
    for (auto& e : entries)
      if (e.user && e.user == id) return &e;
    return nullptr;
  }
  void feedIfAllResetLocked() {
    for (auto& e : entries)
      if (!e.reset) return;
    for (auto& e : entries) e.reset = false;
    windowStartUs = twin::uptimeUs();
  }
  // Arms or disarms the check as there are subscribers (mu held).
  void updateCheckLocked() {
    bool want = inited && !entries.empty();
    if (want && !check) {
      auto eng = espTimerSvc(dev);
      if (!eng || !eng->ensureTask()) return;
      check = new WdtCheck();
      check->eng = eng;
      check->wdt = this;
    }
    if (!check) return;
    std::lock_guard<std::mutex> lk(check->eng->mu);
    if (want && !check->armed) {
      check->eng->armLocked(check, twin::uptimeUs() + kWdtCheckUs, kWdtCheckUs);
    } else if (!want && check->armed) {
      check->eng->disarmLocked(check);
    }
  }
  void runCheck() {
    std::vector<std::string> late;
    bool doPanic;
    {
      std::lock_guard<std::mutex> lk(mu);
      if (!inited || entries.empty()) return;
      uint64_t now = twin::uptimeUs();
      if (now - windowStartUs < uint64_t(timeoutMs) * 1000u) return;
      for (auto& e : entries)
        if (!e.reset) late.push_back(e.name + (e.user ? " (user)" : ""));
      windowStartUs = now;
      doPanic = panic;
    }
    twin::log(twin::LogLevel::Error,
              "E task_wdt: Task watchdog got triggered. The following tasks/users did not reset the watchdog in time:");
    for (auto& n : late) twin::log(twin::LogLevel::Error, "E task_wdt:  - " + n);
    if (doPanic) {
      twin::log(twin::LogLevel::Error, "E task_wdt: Aborting.");
      twin::requestRestart();
    }
  }
};

void WdtCheck::fire() { wdt->runCheck(); }

Wdt* wdtOf() {
  twin::Device* dev = twin::contextDevice();
  return dev ? twin::deviceState<Wdt>(dev) : nullptr;
}

esp_task_wdt_user_handle_t userHandle(uint64_t id) {
  return reinterpret_cast<esp_task_wdt_user_handle_t>(static_cast<uintptr_t>(id));
}
uint64_t userId(esp_task_wdt_user_handle_t h) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(h)); }

}  // namespace

extern "C" {

esp_err_t esp_task_wdt_init(const esp_task_wdt_config_t* config) {
  if (!config || config->timeout_ms == 0) return ESP_ERR_INVALID_ARG;
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (w->inited) return ESP_ERR_INVALID_STATE;
  w->inited = true;
  w->timeoutMs = config->timeout_ms;
  w->panic = config->trigger_panic;
  w->windowStartUs = twin::uptimeUs();
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_reconfigure(const esp_task_wdt_config_t* config) {
  if (!config || config->timeout_ms == 0) return ESP_ERR_INVALID_ARG;
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  w->timeoutMs = config->timeout_ms;
  w->panic = config->trigger_panic;
  w->windowStartUs = twin::uptimeUs();
  return ESP_OK;
}

esp_err_t esp_task_wdt_deinit(void) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited || !w->entries.empty()) return ESP_ERR_INVALID_STATE;
  w->inited = false;
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_add(TaskHandle_t task_handle) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  auto t = find(task_handle, "esp_task_wdt_add");
  if (!t) return ESP_ERR_INVALID_ARG;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  if (w->findTask(t.get())) return ESP_ERR_INVALID_ARG;
  w->entries.push_back({t.get(), 0, t->name, true});
  w->feedIfAllResetLocked();
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_add_user(const char* user_name, esp_task_wdt_user_handle_t* user_handle_ret) {
  if (!user_name || !user_handle_ret) return ESP_ERR_INVALID_ARG;
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  uint64_t id = w->nextUser++;
  w->entries.push_back({nullptr, id, user_name, true});
  *user_handle_ret = userHandle(id);
  w->feedIfAllResetLocked();
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_reset(void) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  Tcb* me = self();
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  auto* e = w->findTask(me);
  if (!e) return ESP_ERR_NOT_FOUND;
  e->reset = true;
  w->feedIfAllResetLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_reset_user(esp_task_wdt_user_handle_t user_handle) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  auto* e = w->findUser(userId(user_handle));
  if (!e) return ESP_ERR_INVALID_ARG;
  e->reset = true;
  w->feedIfAllResetLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_delete(TaskHandle_t task_handle) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  TaskHandle_t key = task_handle ? task_handle : self();
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  auto* e = w->findTask(key);
  if (!e) return ESP_ERR_INVALID_ARG;
  w->entries.erase(w->entries.begin() + (e - w->entries.data()));
  if (!w->entries.empty()) w->feedIfAllResetLocked();
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_delete_user(esp_task_wdt_user_handle_t user_handle) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  auto* e = w->findUser(userId(user_handle));
  if (!e) return ESP_ERR_INVALID_ARG;
  w->entries.erase(w->entries.begin() + (e - w->entries.data()));
  if (!w->entries.empty()) w->feedIfAllResetLocked();
  w->updateCheckLocked();
  return ESP_OK;
}

esp_err_t esp_task_wdt_status(TaskHandle_t task_handle) {
  Wdt* w = wdtOf();
  if (!w) return ESP_ERR_INVALID_STATE;
  TaskHandle_t key = task_handle ? task_handle : self();
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->inited) return ESP_ERR_INVALID_STATE;
  return w->findTask(key) ? ESP_OK : ESP_ERR_NOT_FOUND;
}

}  // extern "C"
