// FreeRTOS software timers, esp_timer, the task watchdog and the ESP-IDF system calls on the
// twin. Timing checks are bounded, not exact (a loaded host delays threads).
#include <pthread.h>

#include <atomic>
#include <cstring>
#include <set>
#include <string>

#include "esp_err.h"
#include "esp_idf_version.h"
#include "esp_random.h"
#include "esp_system.h"
#include "esp_task_wdt.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "freertos/queue.h"
#include "freertos/timers.h"
#include "freertos_rig.h"
#include "sdkconfig.h"

using namespace frtest;

namespace {

std::string threadName() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

struct TimerProbe {
  std::atomic<int> fires{0};
  std::atomic<bool> wrongThread{false};
  std::atomic<uint64_t> firstUs{0}, lastUs{0};
  void hit(const char* expectedThread) {
    if (threadName() != expectedThread) wrongThread = true;
    uint64_t now = twin::uptimeUs();
    if (fires.fetch_add(1) == 0) firstUs = now;
    lastUs = now;
  }
};

}  // namespace

TEST(freertos_timers_fire_at_their_period_on_tmr_svc) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    static TimerProbe periodic, once;
    periodic.fires = 0;
    once.fires = 0;
    TimerHandle_t p = nullptr, o = nullptr;
    uint64_t startUs = 0;
    rig.onLoop([&] {
      p = xTimerCreate("every20", pdMS_TO_TICKS(20), pdTRUE, &periodic,
                       [](TimerHandle_t t) { static_cast<TimerProbe*>(pvTimerGetTimerID(t))->hit("Tmr Svc"); });
      o = xTimerCreate("once30", pdMS_TO_TICKS(30), pdFALSE, &once,
                       [](TimerHandle_t t) { static_cast<TimerProbe*>(pvTimerGetTimerID(t))->hit("Tmr Svc"); });
      REQUIRE(p != nullptr && o != nullptr);
      CHECK_EQ(xTimerIsTimerActive(p), pdFALSE);
      startUs = twin::uptimeUs();
      CHECK_EQ(xTimerStart(p, 0), pdPASS);
      CHECK_EQ(xTimerStart(o, 0), pdPASS);
      CHECK_EQ(xTimerIsTimerActive(p), pdTRUE);
      CHECK_EQ(pcTimerGetName(p), "every20");
      CHECK_EQ(xTimerGetPeriod(p), 20u);
      CHECK(xTimerGetTimerDaemonTaskHandle() != nullptr);
    });
    std::this_thread::sleep_for(milliseconds(310));
    rig.onLoop([&] { CHECK_EQ(xTimerStop(p, 0), pdPASS); });
    int n = periodic.fires.load();
    CHECK_MSG(n >= 10 && n <= 16, "periodic timer fired " << n << " times in ~310 ms at 20 ms");
    CHECK(periodic.firstUs.load() - startUs >= 19000);
    CHECK_EQ(once.fires.load(), 1);
    CHECK(once.firstUs.load() - startUs >= 29000);
    CHECK(!periodic.wrongThread.load() && !once.wrongThread.load());
    std::this_thread::sleep_for(milliseconds(60));
    CHECK_EQ(periodic.fires.load(), n);  // stopped
    // Change period restarts a dormant timer; reset re-arms a one-shot.
    rig.onLoop([&] {
      CHECK_EQ(xTimerChangePeriod(p, 10, 0), pdPASS);
      CHECK_EQ(xTimerIsTimerActive(p), pdTRUE);
      CHECK_EQ(xTimerReset(o, 0), pdPASS);
    });
    CHECK(eventually([&] { return periodic.fires.load() >= n + 3 && once.fires.load() == 2; }));
    rig.onLoop([&] {
      CHECK_EQ(xTimerDelete(p, 0), pdPASS);
      CHECK_EQ(xTimerDelete(o, 0), pdPASS);
    });
  }
}

TEST(freertos_timer_deleting_itself_and_bad_input) {
  Rig rig;
  static std::atomic<int> fired{0};
  fired = 0;
  rig.onLoop([&] {
    TimerHandle_t t = xTimerCreate("selfdel", 5, pdTRUE, nullptr, [](TimerHandle_t me) {
      fired++;
      xTimerDelete(me, 0);  // freed once this callback returns
    });
    xTimerStart(t, 0);
    CHECK(xTimerCreate("zero", 0, pdTRUE, nullptr, [](TimerHandle_t) {}) == nullptr);
    CHECK(xTimerCreate("nocb", 10, pdTRUE, nullptr, nullptr) == nullptr);
    CHECK_EQ(xTimerStart(nullptr, 0), pdFAIL);
    static std::atomic<int> pended{0};
    pended = 0;
    CHECK_EQ(xTimerPendFunctionCall([](void*, uint32_t v) { pended = int(v); }, nullptr, 42, 0), pdPASS);
    CHECK(eventually([] { return pended.load() == 42; }));
  });
  CHECK(eventually([] { return fired.load() >= 1; }));
  std::this_thread::sleep_for(milliseconds(40));
  CHECK_EQ(fired.load(), 1);
  // Off any device a timer cannot be made.
  CHECK(xTimerCreate("orphan", 10, pdTRUE, nullptr, [](TimerHandle_t) {}) == nullptr);
}

TEST(freertos_esp_timer_periodic_and_once) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    static TimerProbe periodic, once;
    periodic.fires = 0;
    once.fires = 0;
    esp_timer_handle_t p = nullptr, o = nullptr, selfDel = nullptr;
    int64_t start = 0;
    rig.onLoop([&] {
      esp_timer_create_args_t a = {};
      a.callback = [](void* arg) { static_cast<TimerProbe*>(arg)->hit("esp_timer"); };
      a.arg = &periodic;
      a.name = "p10";
      CHECK_EQ(esp_timer_create(&a, &p), ESP_OK);
      a.arg = &once;
      a.name = "once";
      CHECK_EQ(esp_timer_create(&a, &o), ESP_OK);
      start = esp_timer_get_time();
      CHECK_EQ(esp_timer_start_periodic(p, 10000), ESP_OK);
      CHECK_EQ(esp_timer_start_once(o, 25000), ESP_OK);
      CHECK_EQ(esp_timer_start_once(o, 25000), ESP_ERR_INVALID_STATE);  // already running
      CHECK_EQ(esp_timer_delete(p), ESP_ERR_INVALID_STATE);            // running
      CHECK(esp_timer_is_active(p));
      uint64_t period = 0;
      CHECK_EQ(esp_timer_get_period(p, &period), ESP_OK);
      CHECK_EQ(period, 10000u);
      CHECK(esp_timer_get_next_alarm() > start);
    });
    std::this_thread::sleep_for(milliseconds(205));
    rig.onLoop([&] { CHECK_EQ(esp_timer_stop(p), ESP_OK); });
    int n = periodic.fires.load();
    CHECK_MSG(n >= 12 && n <= 24, "periodic esp_timer fired " << n << " times in ~205 ms at 10 ms");
    CHECK(int64_t(periodic.firstUs.load()) - start >= 9900);
    CHECK_EQ(once.fires.load(), 1);
    CHECK(int64_t(once.firstUs.load()) - start >= 24900);
    CHECK(!periodic.wrongThread.load() && !once.wrongThread.load());
    rig.onLoop([&] {
      CHECK(!esp_timer_is_active(o));
      CHECK_EQ(esp_timer_stop(o), ESP_ERR_INVALID_STATE);  // a fired one-shot is stopped
      CHECK_EQ(esp_timer_restart(o, 1000), ESP_ERR_INVALID_STATE);
      CHECK_EQ(esp_timer_delete(p), ESP_OK);
      CHECK_EQ(esp_timer_delete(o), ESP_OK);
      // A one-shot deleting itself from its callback.
      esp_timer_create_args_t a = {};
      a.callback = [](void* arg) { CHECK_EQ(esp_timer_delete(*static_cast<esp_timer_handle_t*>(arg)), ESP_OK); };
      a.arg = &selfDel;
      CHECK_EQ(esp_timer_create(&a, &selfDel), ESP_OK);
      CHECK_EQ(esp_timer_start_once(selfDel, 1000), ESP_OK);
      CHECK_EQ(esp_timer_create(nullptr, &p), ESP_ERR_INVALID_ARG);
      CHECK_EQ(esp_timer_start_once(nullptr, 10), ESP_ERR_INVALID_ARG);
    });
    std::this_thread::sleep_for(milliseconds(30));
  }
  esp_timer_create_args_t a = {};
  a.callback = [](void*) {};
  esp_timer_handle_t h = nullptr;
  CHECK_EQ(esp_timer_create(&a, &h), ESP_ERR_INVALID_STATE);  // no device on this thread
  CHECK(esp_timer_get_time() > 0);
}

TEST(freertos_esp_timer_after_stop_is_disarmed_and_deletable) {
  static std::atomic<int> fires{0};
  fires = 0;
  esp_timer_handle_t t = nullptr;
  {
    Rig rig;
    rig.onLoop([&] {
      esp_timer_create_args_t a = {};
      a.callback = [](void*) { fires++; };
      CHECK_EQ(esp_timer_create(&a, &t), ESP_OK);
      CHECK_EQ(esp_timer_start_periodic(t, 5000), ESP_OK);
    });
    CHECK(eventually([] { return fires.load() >= 2; }));
    rig.device->stop();
    CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
    int n = fires.load();
    std::this_thread::sleep_for(milliseconds(30));
    CHECK_EQ(fires.load(), n);
    CHECK(!esp_timer_is_active(t));
    CHECK_EQ(esp_timer_start_once(t, 1000), ESP_ERR_INVALID_STATE);
  }
  CHECK_EQ(esp_timer_delete(t), ESP_OK);
}

TEST(freertos_task_watchdog_reports_a_task_that_stops_resetting) {
  Rig rig;
  std::atomic<bool> feed{true}, quit{false};
  rig.onLoop([&] {
    esp_task_wdt_config_t cfg = {5000, 0, false};
    CHECK_EQ(esp_task_wdt_init(&cfg), ESP_ERR_INVALID_STATE);  // initialised at boot
    cfg.timeout_ms = 150;
    CHECK_EQ(esp_task_wdt_reconfigure(&cfg), ESP_OK);
    CHECK_EQ(esp_task_wdt_reset(), ESP_ERR_NOT_FOUND);  // the loop task is not subscribed
  });
  rig.spawn("wdt_sub", [&] {
    CHECK_EQ(esp_task_wdt_add(nullptr), ESP_OK);
    CHECK_EQ(esp_task_wdt_add(nullptr), ESP_ERR_INVALID_ARG);
    CHECK_EQ(esp_task_wdt_status(nullptr), ESP_OK);
    while (!quit) {
      if (feed) CHECK_EQ(esp_task_wdt_reset(), ESP_OK);
      vTaskDelay(20);
    }
    CHECK_EQ(esp_task_wdt_delete(nullptr), ESP_OK);
    CHECK_EQ(esp_task_wdt_status(nullptr), ESP_ERR_NOT_FOUND);
  });
  std::this_thread::sleep_for(milliseconds(400));
  CHECK(!rig.logHas("Task watchdog got triggered"));  // fed in time
  feed = false;
  CHECK(eventually([&] { return rig.logHas("Task watchdog got triggered"); }, 2000));
  CHECK(rig.logHas(" - wdt_sub"));
  CHECK(!rig.device->restartRequested());  // no panic configured
  quit = true;
  // A user, and a panic: the device restarts.
  rig.onLoop([&] {
    esp_task_wdt_user_handle_t u = nullptr;
    CHECK_EQ(esp_task_wdt_add_user("myuser", &u), ESP_OK);
    CHECK_EQ(esp_task_wdt_reset_user(u), ESP_OK);
    esp_task_wdt_config_t cfg = {100, 0, true};
    CHECK_EQ(esp_task_wdt_reconfigure(&cfg), ESP_OK);
  });
  CHECK(eventually([&] { return rig.device->restartRequested(); }, 2000));
  CHECK(rig.logHas(" - myuser"));
  rig.device->stop();
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
  CHECK_EQ(esp_task_wdt_reset(), ESP_ERR_INVALID_STATE);  // no device here
}

TEST(freertos_esp_system_heap_restart_errors_random) {
  Rig rig(profile(true, 100000));
  rig.onLoop([&] {
    uint32_t free0 = esp_get_free_heap_size();
    CHECK_EQ(free0, uint32_t(100000 - rig.device->counters().heapUsed.load()));
    QueueHandle_t q = xQueueCreate(10, 100);
    CHECK(free0 - esp_get_free_heap_size() >= 1000);
    CHECK(esp_get_minimum_free_heap_size() <= esp_get_free_heap_size());
    vQueueDelete(q);
    CHECK_EQ(esp_get_free_heap_size(), free0);
    CHECK_EQ(esp_reset_reason(), ESP_RST_POWERON);
  });
  CHECK_EQ(esp_get_free_heap_size(), 320u * 1024u);  // off any device
  CHECK_EQ(esp_err_to_name(ESP_ERR_NO_MEM), "ESP_ERR_NO_MEM");
  CHECK_EQ(esp_err_to_name(ESP_OK), "ESP_OK");
  CHECK_EQ(esp_err_to_name(12345), "UNKNOWN ERROR");
  char buf[32];
  CHECK_EQ(esp_err_to_name_r(ESP_ERR_TIMEOUT, buf, sizeof buf), "ESP_ERR_TIMEOUT");
  CHECK_EQ(std::strncmp(esp_get_idf_version(), "v5.5.0", 6), 0);  // the version Arduino-ESP32 3.3 is built on
  CHECK(ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL(5, 0, 0));
  CHECK_EQ(CONFIG_FREERTOS_HZ, 1000);
  CHECK_EQ(configTICK_RATE_HZ, 1000);
  CHECK_EQ(pdMS_TO_TICKS(250), 250u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 32; ++i) seen.insert(esp_random());
  CHECK(seen.size() >= 30);
  uint8_t bytes[64] = {};
  esp_fill_random(bytes, sizeof bytes);
  int nonzero = 0;
  for (uint8_t b : bytes) nonzero += b != 0;
  CHECK(nonzero > 32);
  CHECK_EQ(ESP_ERROR_CHECK_WITHOUT_ABORT(ESP_ERR_INVALID_ARG), ESP_ERR_INVALID_ARG);

  // esp_restart runs the shutdown handlers, then the device restarts (the task never returns).
  static std::atomic<int> shutdowns{0};
  shutdowns = 0;
  std::atomic<bool> returned{false};
  rig.onLoop([&] {
    CHECK_EQ(esp_register_shutdown_handler([] { shutdowns++; }), ESP_OK);
  });
  rig.spawn("restarter", [&] {
    esp_restart();
    returned = true;
  });
  CHECK(eventually([&] { return rig.device->restartRequested(); }));
  CHECK_EQ(shutdowns.load(), 1);
  rig.device->stop();
  CHECK(!returned.load());
  CHECK_EQ(rig.device->counters().threadsAlive.load(), 0);
}

TEST(freertos_esp_error_check_failure_restarts_the_device) {
  Rig rig;
  rig.spawn("checker", [] { ESP_ERROR_CHECK(ESP_ERR_NOT_FOUND); });
  CHECK(eventually([&] { return rig.device->restartRequested(); }));
  CHECK(rig.logHas("ESP_ERROR_CHECK failed: esp_err_t 0x105 (ESP_ERR_NOT_FOUND)"));
}
