// FreeRTOS tasks on the twin: creation, names, deletion, notifications, suspension, the core
// model, critical sections, and what a stop does to tasks blocked in every kind of wait.
#include <dirent.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "freertos/timers.h"
#include "freertos_rig.h"

using namespace frtest;

namespace {

std::set<std::string> threadNames() {
  std::set<std::string> names;
  DIR* d = opendir("/proc/self/task");
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream f(std::string("/proc/self/task/") + e->d_name + "/comm");
    std::string n;
    std::getline(f, n);
    names.insert(n);
  }
  closedir(d);
  return names;
}

struct Flag {
  std::atomic<bool>* f;
  ~Flag() { *f = true; }
};

}  // namespace

TEST(freertos_task_runs_with_its_name_visible_in_proc) {
  Rig rig;
  std::atomic<bool> go{false}, ran{false};
  std::string seenName;
  std::mutex mu;
  TaskHandle_t h = rig.spawn("fr_probe", [&] {
    {
      std::lock_guard<std::mutex> lk(mu);
      seenName = pcTaskGetName(nullptr);
    }
    ran = true;
    while (!go) vTaskDelay(1);
  });
  REQUIRE(h != nullptr);
  CHECK(eventually([&] { return ran.load(); }));
  CHECK(threadNames().count("fr_probe") == 1);
  CHECK(eventually([&] { return rig.device->counters().threadsAlive.load() == 3; }));
  {
    std::lock_guard<std::mutex> lk(mu);
    CHECK_EQ(seenName, std::string("fr_probe"));
  }
  CHECK_EQ(std::string(pcTaskGetName(h)), std::string("fr_probe"));
  rig.onLoop([&] {
    CHECK_EQ(std::string(pcTaskGetName(nullptr)), std::string("loopTask"));
    CHECK(xTaskGetHandle("fr_probe") == h);
    CHECK_EQ(uxTaskPriorityGet(h), 1u);
    vTaskPrioritySet(h, 5);
    CHECK_EQ(uxTaskPriorityGet(h), 5u);
    CHECK_EQ(uxTaskPriorityGet(nullptr), 1u);
    UBaseType_t hw = uxTaskGetStackHighWaterMark(h);
    CHECK(hw > 0 && hw < 4096);
    CHECK_EQ(xPortGetCoreID(), CONFIG_ARDUINO_RUNNING_CORE);
    CHECK(eTaskGetState(h) == eBlocked || eTaskGetState(h) == eReady);
    CHECK(eTaskGetState(nullptr) == eRunning);
  });
  go = true;
  CHECK(eventually([&] { return rig.device->counters().threadsAlive.load() == 2; }));
  CHECK(eventually([] { return threadNames().count("fr_probe") == 0; }));
  // The handle of a deleted task is recognised as such: no crash, a failure.
  CHECK(eTaskGetState(h) == eDeleted);
  CHECK_EQ(xTaskNotifyGive(h), pdFAIL);
  CHECK_EQ(std::string(pcTaskGetName(h)), std::string(""));
}

TEST(freertos_pinned_tasks_report_their_core) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    std::atomic<int> core0{-1}, core1{-1};
    rig.spawn("on0", [&] { core0 = xPortGetCoreID(); }, 0);
    rig.spawn("on1", [&] { core1 = xPortGetCoreID(); }, 1);
    CHECK(eventually([&] { return core0 >= 0 && core1 >= 0; }));
    CHECK_EQ(core0.load(), 0);
    CHECK_EQ(core1.load(), dual ? 1 : 0);  // a single-core chip has only core 0
    rig.onLoop([&] {
      TaskHandle_t h = nullptr;
      // A core that does not exist is refused (the board asserts).
      CHECK_EQ(xTaskCreatePinnedToCore(&Rig::trampoline, "bad", 2048, nullptr, 1, &h, 2),
               errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
      CHECK(h == nullptr);
    });
    CHECK(rig.logHas("core 2 does not exist"));
  }
}

TEST(freertos_vtaskdelete_null_unwinds_the_calling_task) {
  Rig rig;
  std::atomic<bool> destroyed{false}, after{false};
  TaskHandle_t h = nullptr;
  rig.onLoop([&] {
    struct Ctx {
      std::atomic<bool>* destroyed;
      std::atomic<bool>* after;
    };
    static Ctx ctx;
    ctx = {&destroyed, &after};
    auto fn = [](void* p) {
      auto* c = static_cast<Ctx*>(p);
      Flag f{c->destroyed};
      vTaskDelete(nullptr);
      *c->after = true;  // never runs
    };
    CHECK_EQ(xTaskCreate(fn, "selfdel", 4096, &ctx, 1, &h), pdPASS);
  });
  CHECK(eventually([&] { return destroyed.load() && rig.device->counters().threadsAlive.load() == 2; }));
  CHECK(!after.load());
  CHECK(eTaskGetState(h) == eDeleted);
  CHECK(!rig.logHas("should not return"));
}

TEST(freertos_vtaskdelete_other_ends_it_before_returning) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    QueueHandle_t q = xQueueCreate(1, sizeof(int));
    REQUIRE(q != nullptr);
    std::atomic<bool> blocked{false}, unwound{false}, received{false};
    TaskHandle_t h = rig.spawn("victim", [&] {
      Flag f{&unwound};
      blocked = true;
      int v;
      if (xQueueReceive(q, &v, portMAX_DELAY) == pdTRUE) received = true;
    });
    CHECK(eventually([&] { return blocked.load(); }));
    bool endedOnReturn = false;
    long took = -1;
    rig.onLoop([&] {
      auto t0 = Clock::now();
      vTaskDelete(h);
      took = msSince(t0);
      endedOnReturn = unwound.load();
    });
    CHECK(endedOnReturn);
    CHECK(took >= 0 && took < 500);
    CHECK(!received.load());
    CHECK(eventually([&] { return rig.device->counters().threadsAlive.load() == 2; }));
    vQueueDelete(q);
  }
}

TEST(freertos_task_function_returning_restarts_the_device) {
  Rig rig;
  rig.onLoop([&] {
    CHECK_EQ(xTaskCreate([](void*) {}, "returns", 2048, nullptr, 1, nullptr), pdPASS);
  });
  CHECK(eventually([&] { return rig.device->restartRequested(); }));
  CHECK(rig.logHas("should not return"));
  rig.device->stop();
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
}

TEST(freertos_notifications_count_bits_and_values) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    std::atomic<uint32_t> took{0};
    std::atomic<int> phase{0};
    std::atomic<uint32_t> waitValue{0};
    std::atomic<int> waitRc{-1};
    TaskHandle_t h = rig.spawn("notified", [&] {
      // Counting semaphore use: three gives before the take are one take of 3 (clear on exit).
      while (phase.load() < 1) vTaskDelay(1);
      took = ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(1000));
      phase = 2;
      uint32_t v = 0;
      waitRc = xTaskNotifyWait(0, 0xffffffffu, &v, pdMS_TO_TICKS(2000));
      waitValue = v;
      phase = 3;
      // Nothing pending: a take with a timeout times out with 0.
      auto t0 = Clock::now();
      uint32_t none = ulTaskNotifyTake(pdTRUE, 30);
      CHECK_EQ(none, 0u);
      CHECK(msSince(t0) >= 29);
      phase = 4;
    });
    rig.onLoop([&] {
      CHECK_EQ(xTaskNotifyGive(h), pdPASS);
      CHECK_EQ(xTaskNotifyGive(h), pdPASS);
      vTaskNotifyGiveFromISR(h, nullptr);
    });
    phase = 1;
    CHECK(eventually([&] { return phase.load() >= 2; }));
    CHECK_EQ(took.load(), 3u);
    rig.onLoop([&] {
      CHECK_EQ(xTaskNotify(h, 0x5, eSetBits), pdPASS);
    });
    CHECK(eventually([&] { return phase.load() >= 3; }));
    CHECK_EQ(waitRc.load(), pdTRUE);
    CHECK_EQ(waitValue.load(), 0x5u);
    CHECK(eventually([&] { return phase.load() >= 4; }));
  }
}

TEST(freertos_notify_value_without_overwrite_and_the_loop_task) {
  Rig rig;
  TaskHandle_t loop = nullptr;
  rig.onLoop([&] { loop = xTaskGetCurrentTaskHandle(); });
  REQUIRE(loop != nullptr);
  // Without overwrite fails while a notification is pending.
  CHECK_EQ(xTaskNotify(loop, 7, eSetValueWithoutOverwrite), pdPASS);
  CHECK_EQ(xTaskNotify(loop, 9, eSetValueWithoutOverwrite), pdFAIL);
  uint32_t prev = 0;
  CHECK_EQ(xTaskNotifyAndQuery(loop, 11, eSetValueWithOverwrite, &prev), pdPASS);
  CHECK_EQ(prev, 7u);
  uint32_t got = 0;
  rig.onLoop([&] {
    CHECK_EQ(xTaskNotifyWait(0, 0, &got, 0), pdTRUE);
    uint32_t again = 0;
    CHECK_EQ(xTaskNotifyWait(0, 0xffffffffu, &again, 0), pdFALSE);  // consumed; the value stays
    CHECK_EQ(again, 11u);
    CHECK_EQ(ulTaskNotifyValueClear(nullptr, 0xffffffffu), 11u);
  });
  CHECK_EQ(got, 11u);
  // A task notifies the loop task, which is blocked waiting.
  std::atomic<bool> woke{false};
  rig.spawn("notifier", [&] {
    vTaskDelay(20);
    xTaskNotifyGive(loop);
  });
  rig.onLoop([&] { woke = ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(2000)) == 1; });
  CHECK(woke.load());
}

TEST(freertos_suspend_self_until_resumed) {
  Rig rig;
  std::atomic<int> step{0};
  TaskHandle_t h = rig.spawn("sleeper", [&] {
    step = 1;
    vTaskSuspend(nullptr);
    step = 2;
  });
  CHECK(eventually([&] { return step.load() == 1 && eTaskGetState(h) == eSuspended; }));
  std::this_thread::sleep_for(milliseconds(30));
  CHECK_EQ(step.load(), 1);
  rig.onLoop([&] { vTaskResume(h); });
  CHECK(eventually([&] { return step.load() == 2; }));
}

TEST(freertos_delay_until_keeps_a_fixed_period) {
  Rig rig;
  long elapsed = -1;
  rig.onLoop([&] {
    auto t0 = Clock::now();
    TickType_t last = xTaskGetTickCount();
    for (int i = 0; i < 10; ++i) {
      vTaskDelay(3);  // work shorter than the period does not stretch it
      xTaskDelayUntil(&last, pdMS_TO_TICKS(10));
    }
    elapsed = msSince(t0);
    // A wake time already past does not delay.
    TickType_t past = xTaskGetTickCount() - 100;
    CHECK_EQ(xTaskDelayUntil(&past, 10), pdFALSE);
  });
  CHECK_MSG(elapsed >= 95 && elapsed < 400, "elapsed " << elapsed);
  uint32_t t = xTaskGetTickCount();
  CHECK(twin::uptimeMs() - t <= 1);
}

TEST(freertos_single_core_never_runs_two_tasks_at_once) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    std::atomic<bool> running{false};
    std::atomic<int> overlaps{0}, finished{0};
    auto work = [&] {
      for (int i = 0; i < 150; ++i) {
        if (running.exchange(true)) overlaps++;
        auto until = Clock::now() + std::chrono::microseconds(300);
        while (Clock::now() < until) {
        }
        running = false;
        if (i % 3 == 0) vTaskDelay(1); else taskYIELD();
      }
      finished++;
    };
    rig.spawn("busy1", work);
    rig.spawn("busy2", work);
    rig.spawn("busy3", work);
    rig.onLoop(work);
    CHECK(eventually([&] { return finished.load() == 4; }, 20000));
    if (dual) {
      CHECK_MSG(overlaps.load() > 0, "dual-core: the tasks never ran at the same time");
    } else {
      CHECK_EQ(overlaps.load(), 0);
    }
  }
}

TEST(freertos_critical_sections_exclude_and_nest) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    static portMUX_TYPE mux = portMUX_INITIALIZER_UNLOCKED;
    long counter = 0;  // plain: ThreadSanitizer checks the spinlock orders the increments
    std::atomic<int> done{0};
    auto work = [&] {
      for (int i = 0; i < 10000; ++i) {
        portENTER_CRITICAL(&mux);
        taskENTER_CRITICAL(&mux);  // nests on its owner
        ++counter;
        taskEXIT_CRITICAL(&mux);
        portEXIT_CRITICAL(&mux);
        if (i % 1000 == 0) vTaskDelay(1);
      }
      done++;
    };
    rig.spawn("crit1", work);
    rig.spawn("crit2", work);
    CHECK(eventually([&] { return done.load() == 2; }, 20000));
    portENTER_CRITICAL(&mux);
    CHECK_EQ(counter, 20000L);
    portEXIT_CRITICAL(&mux);
    CHECK_EQ(mux.owner, 0u);
    // Leaving a section the caller does not hold is an error, not a crash.
    rig.onLoop([&] { portEXIT_CRITICAL(&mux); });
    CHECK(rig.logHas("does not hold"));
  }
}

TEST(freertos_stop_releases_tasks_blocked_in_every_wait) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    QueueHandle_t empty = xQueueCreate(2, sizeof(int));
    QueueHandle_t full = xQueueCreate(1, sizeof(int));
    int one = 1;
    xQueueSend(full, &one, 0);
    SemaphoreHandle_t bin = xSemaphoreCreateBinary();
    SemaphoreHandle_t counting = xSemaphoreCreateCounting(3, 0);
    SemaphoreHandle_t mutex = xSemaphoreCreateMutex();
    SemaphoreHandle_t rmutex = xSemaphoreCreateRecursiveMutex();
    EventGroupHandle_t group = xEventGroupCreate();
    std::atomic<int> blocked{0}, unwound{0};
    auto wait = [&](const char* name, std::function<void()> fn) {
      rig.spawn(name, [&, fn] {
        struct Count {
          std::atomic<int>* n;
          ~Count() { (*n)++; }
        } c{&unwound};
        blocked++;
        fn();
        CHECK_MSG(false, "a blocked wait returned during stop instead of unwinding the task");
      });
    };
    std::atomic<bool> holding{false};
    rig.spawn("holder", [&] {
      xSemaphoreTake(mutex, portMAX_DELAY);
      xSemaphoreTakeRecursive(rmutex, portMAX_DELAY);
      holding = true;
      vTaskDelay(portMAX_DELAY);
    });
    CHECK(eventually([&] { return holding.load(); }));
    int v;
    wait("w_delay", [] { vTaskDelay(portMAX_DELAY); });
    wait("w_recv", [&] { xQueueReceive(empty, &v, portMAX_DELAY); });
    wait("w_send", [&] { xQueueSend(full, &one, portMAX_DELAY); });
    wait("w_peek", [&] { xQueuePeek(empty, &v, portMAX_DELAY); });
    wait("w_bin", [&] { xSemaphoreTake(bin, portMAX_DELAY); });
    wait("w_count", [&] { xSemaphoreTake(counting, portMAX_DELAY); });
    wait("w_mutex", [&] { xSemaphoreTake(mutex, portMAX_DELAY); });
    wait("w_rmutex", [&] { xSemaphoreTakeRecursive(rmutex, portMAX_DELAY); });
    wait("w_group", [&] { xEventGroupWaitBits(group, 1, pdTRUE, pdTRUE, portMAX_DELAY); });
    wait("w_sync", [&] { xEventGroupSync(group, 2, 6, portMAX_DELAY); });
    wait("w_take", [] { ulTaskNotifyTake(pdTRUE, portMAX_DELAY); });
    wait("w_notify", [] { xTaskNotifyWait(0, 0, nullptr, portMAX_DELAY); });
    wait("w_suspend", [] { vTaskSuspend(nullptr); });
    wait("w_until", [] {
      TickType_t last = xTaskGetTickCount();
      xTaskDelayUntil(&last, portMAX_DELAY - 1);
    });
    wait("w_yield", [] {
      for (;;) taskYIELD();
    });
    const int kWaiters = 15;
    CHECK(eventually([&] { return blocked.load() == kWaiters; }));
    // Timers running too, and the loop task itself blocked in a wait.
    TimerHandle_t timer = nullptr;
    rig.onLoop([&] {
      timer = xTimerCreate("tick", 5, pdTRUE, nullptr, [](TimerHandle_t) {});
      xTimerStart(timer, 0);
    });
    REQUIRE(timer != nullptr);
    std::atomic<int> loopRc{-1};
    rig.device->postToLoop([&] { loopRc = xQueueReceive(empty, &v, portMAX_DELAY); });
    std::this_thread::sleep_for(milliseconds(50));
    CHECK(rig.device->counters().threadsAlive.load() >= 2 + kWaiters + 1);
    auto t0 = Clock::now();
    rig.device->stop();
    long took = msSince(t0);
    CHECK_MSG(took < 1000, "stop took " << took << " ms");
    CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
    CHECK_EQ(unwound.load(), kWaiters);
    // The loop task's wait unwound (TaskExit, caught by the twin's loop task) instead of returning:
    // a loop() spinning on a failing wait would otherwise never end.
    CHECK_EQ(loopRc.load(), -1);
    // The objects outlive the device (the firmware's to delete): still usable from here.
    CHECK_EQ(uxQueueMessagesWaiting(full), 1u);
    vQueueDelete(empty);
    vQueueDelete(full);
    vSemaphoreDelete(bin);
    vSemaphoreDelete(counting);
    vSemaphoreDelete(mutex);
    vSemaphoreDelete(rmutex);
    vEventGroupDelete(group);
    CHECK_EQ(xTimerStart(timer, 0), pdFAIL);  // its device is gone
    CHECK_EQ(xTimerDelete(timer, 0), pdPASS);
  }
}

TEST(freertos_task_creation_failures_are_clean) {
  {
    // No device on this thread and no default device: refused, no thread.
    TaskHandle_t h = reinterpret_cast<TaskHandle_t>(1);
    CHECK_EQ(xTaskCreate(&Rig::trampoline, "orphan", 2048, nullptr, 1, &h), errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
    CHECK(h == nullptr);
  }
  // The stack counts against the device heap: a task whose stack does not fit is refused.
  Rig rig(profile(true, 16 * 1024));
  rig.onLoop([&] {
    uint32_t before = uint32_t(rig.device->counters().heapUsed.load());
    CHECK_EQ(xTaskCreate(&Rig::trampoline, "huge", 64 * 1024, nullptr, 1, nullptr),
             errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
    CHECK_EQ(uint32_t(rig.device->counters().heapUsed.load()), before);
    rig.device->faults().failAllocs = 1;
    CHECK_EQ(xTaskCreate(&Rig::trampoline, "faulted", 1024, nullptr, 1, nullptr),
             errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
    CHECK_EQ(xTaskCreate(nullptr, "nofn", 1024, nullptr, 1, nullptr), errCOULD_NOT_ALLOCATE_REQUIRED_MEMORY);
  });
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 2);
  // Garbage or ended handles: logged, no crash.
  int junk = 0;
  TaskHandle_t bogus = reinterpret_cast<TaskHandle_t>(&junk);
  rig.onLoop([&] {
    CHECK_EQ(xTaskNotifyGive(bogus), pdFAIL);
    vTaskDelete(bogus);
    vTaskResume(bogus);
    CHECK(eTaskGetState(bogus) == eDeleted);
    CHECK_EQ(uxTaskPriorityGet(bogus), 0u);
  });
  CHECK(rig.logHas("unknown task handle"));
}

TEST(freertos_handles_work_across_devices_and_fail_cleanly_after_stop) {
  Rig a, b;
  std::atomic<bool> got{false};
  TaskHandle_t ha = a.spawn("on_a", [&] { got = ulTaskNotifyTake(pdTRUE, pdMS_TO_TICKS(3000)) == 1; });
  // A task of device b notifies a task of device a: the handle is process-wide.
  b.spawn("on_b", [&] { CHECK_EQ(xTaskNotifyGive(ha), pdPASS); });
  CHECK(eventually([&] { return got.load(); }));
  TaskHandle_t hb = b.spawn("b_waits", [] { vTaskDelay(portMAX_DELAY); });
  b.device->stop();
  CHECK_EQ(b.device->counters().threadsAlive.load(), 0);
  a.onLoop([&] {
    CHECK_EQ(xTaskNotifyGive(hb), pdFAIL);
    CHECK(eTaskGetState(hb) == eDeleted);
    vTaskDelete(hb);  // ignored
  });
  CHECK(a.logHas("unknown task handle"));
}
