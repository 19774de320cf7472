// FreeRTOS queues, semaphores, mutexes and event groups on the twin, against the board's
// semantics, on dual-core and single-core profiles.
#include <atomic>
#include <vector>

#include "freertos/FreeRTOS.h"
#include "freertos/event_groups.h"
#include "freertos/queue.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "freertos_rig.h"

using namespace frtest;

TEST(freertos_queue_producer_consumer_between_task_and_loop) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    QueueHandle_t q = nullptr;
    rig.onLoop([&] { q = xQueueCreate(4, sizeof(uint32_t)); });
    REQUIRE(q != nullptr);
    const uint32_t kItems = 300;
    std::atomic<bool> producerDone{false};
    rig.spawn("producer", [&] {
      for (uint32_t i = 1; i <= kItems; ++i) CHECK_EQ(xQueueSend(q, &i, portMAX_DELAY), pdPASS);
      producerDone = true;
    });
    std::vector<uint32_t> got;
    rig.onLoop([&] {
      uint32_t v = 0;
      while (got.size() < kItems && xQueueReceive(q, &v, pdMS_TO_TICKS(2000)) == pdTRUE) {
        got.push_back(v);
        if (got.size() % 50 == 0) vTaskDelay(2);  // let the queue fill: the producer blocks
      }
    });
    REQUIRE(got.size() == kItems);
    bool inOrder = true;
    for (uint32_t i = 0; i < kItems; ++i) inOrder = inOrder && got[i] == i + 1;
    CHECK(inOrder);
    CHECK(eventually([&] { return producerDone.load(); }));
    CHECK_EQ(uxQueueMessagesWaiting(q), 0u);
    rig.onLoop([&] { vQueueDelete(q); });
  }
}

TEST(freertos_queue_semantics_front_peek_overwrite_reset_timeouts) {
  Rig rig;
  rig.onLoop([&] {
    QueueHandle_t q = xQueueCreate(3, sizeof(int));
    REQUIRE(q != nullptr);
    int a = 1, b = 2, c = 3, d = 4, v = 0;
    CHECK_EQ(uxQueueSpacesAvailable(q), 3u);
    CHECK_EQ(xQueueSendToBack(q, &a, 0), pdPASS);
    CHECK_EQ(xQueueSendToBack(q, &b, 0), pdPASS);
    CHECK_EQ(xQueueSendToFront(q, &c, 0), pdPASS);  // 3 1 2
    CHECK_EQ(xQueueSend(q, &d, 0), errQUEUE_FULL);
    auto t0 = Clock::now();
    CHECK_EQ(xQueueSend(q, &d, 30), errQUEUE_FULL);
    CHECK(msSince(t0) >= 29);
    CHECK_EQ(uxQueueMessagesWaiting(q), 3u);
    CHECK_EQ(xQueueIsQueueFullFromISR(q), pdTRUE);
    CHECK_EQ(xQueuePeek(q, &v, 0), pdPASS);
    CHECK_EQ(v, 3);
    CHECK_EQ(xQueueReceive(q, &v, 0), pdPASS);
    CHECK_EQ(v, 3);
    CHECK_EQ(xQueueReceiveFromISR(q, &v, nullptr), pdPASS);
    CHECK_EQ(v, 1);
    CHECK_EQ(xQueueReset(q), pdPASS);
    CHECK_EQ(uxQueueMessagesWaiting(q), 0u);
    CHECK_EQ(xQueueReceive(q, &v, 0), errQUEUE_EMPTY);
    t0 = Clock::now();
    CHECK_EQ(xQueueReceive(q, &v, 25), errQUEUE_EMPTY);
    CHECK(msSince(t0) >= 24);
    // Overwrite is for length-1 queues only.
    CHECK_EQ(xQueueOverwrite(q, &a), pdFAIL);
    vQueueAddToRegistry(q, "three");
    CHECK_EQ(pcQueueGetName(q), "three");
    vQueueDelete(q);

    QueueHandle_t box = xQueueCreate(1, sizeof(int));
    CHECK_EQ(xQueueOverwrite(box, &a), pdPASS);
    CHECK_EQ(xQueueOverwrite(box, &b), pdPASS);
    CHECK_EQ(xQueueOverwriteFromISR(box, &c, nullptr), pdPASS);
    CHECK_EQ(uxQueueMessagesWaiting(box), 1u);
    CHECK_EQ(xQueueReceive(box, &v, 0), pdPASS);
    CHECK_EQ(v, 3);
    vQueueDelete(box);

    // Bad input: logged failures, not crashes.
    CHECK(xQueueCreate(0, 4) == nullptr);
    CHECK_EQ(xQueueSend(nullptr, &a, 0), pdFAIL);
    CHECK_EQ(uxQueueMessagesWaiting(nullptr), 0u);
    QueueHandle_t q2 = xQueueCreate(2, sizeof(int));
    CHECK_EQ(xQueueSend(q2, nullptr, 0), pdFAIL);
    vQueueDelete(q2);

    // Static queue in caller storage.
    static StaticQueue_t sq;
    static uint8_t storage[4 * sizeof(int)];
    QueueHandle_t s = xQueueCreateStatic(4, sizeof(int), storage, &sq);
    REQUIRE(s != nullptr);
    CHECK_EQ(xQueueSend(s, &d, 0), pdPASS);
    CHECK_EQ(xQueueReceive(s, &v, 0), pdPASS);
    CHECK_EQ(v, 4);
    vQueueDelete(s);
  });
  CHECK(rig.logHas("xQueueOverwrite is for queues of length 1"));
}

TEST(freertos_queue_storage_counts_against_the_device_heap) {
  Rig rig(profile(true, 8 * 1024));
  rig.onLoop([&] {
    int64_t before = rig.device->counters().heapUsed.load();
    QueueHandle_t q = xQueueCreate(100, 40);  // 4000 bytes of items
    REQUIRE(q != nullptr);
    CHECK(rig.device->counters().heapUsed.load() - before >= 4000);
    CHECK(xQueueCreate(100, 80) == nullptr);  // 8000 more do not fit
    vQueueDelete(q);
    CHECK_EQ(rig.device->counters().heapUsed.load(), before);
    rig.device->faults().failAllocs = 1;
    CHECK(xSemaphoreCreateMutex() == nullptr);
  });
}

TEST(freertos_mutex_excludes_under_contention) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    SemaphoreHandle_t m = xSemaphoreCreateMutex();
    SemaphoreHandle_t done = xSemaphoreCreateCounting(2, 0);
    REQUIRE(m != nullptr && done != nullptr);
    long counter = 0;  // plain: ThreadSanitizer checks the mutex orders the increments
    std::atomic<bool> inside{false};
    std::atomic<int> overlaps{0};
    auto work = [&] {
      for (int i = 0; i < 10000; ++i) {
        CHECK_EQ(xSemaphoreTake(m, portMAX_DELAY), pdTRUE);
        if (inside.exchange(true)) overlaps++;
        ++counter;
        inside = false;
        CHECK_EQ(xSemaphoreGive(m), pdTRUE);
      }
      xSemaphoreGive(done);
    };
    rig.spawn("inc1", work);
    rig.spawn("inc2", work);
    bool finished = false;
    rig.onLoop([&] {
      finished = xSemaphoreTake(done, pdMS_TO_TICKS(20000)) == pdTRUE && xSemaphoreTake(done, pdMS_TO_TICKS(20000)) == pdTRUE;
    }, 45000);
    REQUIRE(finished);
    CHECK_EQ(counter, 20000L);
    CHECK_EQ(overlaps.load(), 0);
    CHECK_EQ(uxSemaphoreGetCount(m), 1u);
    rig.device->stop();
    vSemaphoreDelete(m);
    vSemaphoreDelete(done);
  }
}

TEST(freertos_mutex_holder_rules) {
  Rig rig;
  SemaphoreHandle_t m = xSemaphoreCreateMutex();
  std::atomic<bool> held{false}, release{false};
  TaskHandle_t holder = rig.spawn("holder", [&] {
    xSemaphoreTake(m, portMAX_DELAY);
    held = true;
    while (!release) vTaskDelay(1);
    xSemaphoreGive(m);
  });
  CHECK(eventually([&] { return held.load(); }));
  rig.onLoop([&] {
    CHECK(xSemaphoreGetMutexHolder(m) == holder);
    CHECK_EQ(uxSemaphoreGetCount(m), 0u);
    CHECK_EQ(xSemaphoreGive(m), pdFAIL);  // not the holder
    CHECK_EQ(xSemaphoreTake(m, 0), pdFALSE);
    auto t0 = Clock::now();
    CHECK_EQ(xSemaphoreTake(m, 30), pdFALSE);
    CHECK(msSince(t0) >= 29);
    release = true;
    CHECK_EQ(xSemaphoreTake(m, pdMS_TO_TICKS(2000)), pdTRUE);
    CHECK(xSemaphoreGetMutexHolder(m) == xTaskGetCurrentTaskHandle());
    CHECK_EQ(xSemaphoreGive(m), pdTRUE);
  });
  CHECK(rig.logHas("gives a mutex it does not hold"));
  rig.device->stop();
  vSemaphoreDelete(m);
}

TEST(freertos_recursive_mutex_counts_its_holder_takes) {
  Rig rig;
  SemaphoreHandle_t r = xSemaphoreCreateRecursiveMutex();
  REQUIRE(r != nullptr);
  std::atomic<int> step{0};
  std::atomic<int> otherGot{-1};
  rig.spawn("other", [&] {
    while (step.load() < 1) vTaskDelay(1);
    otherGot = xSemaphoreTakeRecursive(r, 0);  // held three deep by the loop task: fails
    step = 2;
    while (step.load() < 3) vTaskDelay(1);
    otherGot = xSemaphoreTakeRecursive(r, pdMS_TO_TICKS(2000));
    xSemaphoreGiveRecursive(r);
    step = 4;
  });
  rig.onLoop([&] {
    CHECK_EQ(xSemaphoreTakeRecursive(r, 0), pdTRUE);
    CHECK_EQ(xSemaphoreTakeRecursive(r, 0), pdTRUE);
    CHECK_EQ(xSemaphoreTakeRecursive(r, 0), pdTRUE);
    step = 1;
    while (step.load() < 2) vTaskDelay(1);
    CHECK_EQ(otherGot.load(), pdFALSE);
    CHECK_EQ(xSemaphoreGiveRecursive(r), pdTRUE);
    CHECK_EQ(xSemaphoreGiveRecursive(r), pdTRUE);
    CHECK(xSemaphoreGetMutexHolder(r) == xTaskGetCurrentTaskHandle());  // still one deep
    CHECK_EQ(xSemaphoreGiveRecursive(r), pdTRUE);
    CHECK_EQ(xSemaphoreGiveRecursive(r), pdFAIL);  // no longer held
    step = 3;
  });
  CHECK(eventually([&] { return step.load() == 4; }));
  CHECK_EQ(otherGot.load(), pdTRUE);
  // The recursive calls refuse a plain mutex.
  SemaphoreHandle_t plain = xSemaphoreCreateMutex();
  CHECK_EQ(xSemaphoreTakeRecursive(plain, 0), pdFAIL);
  vSemaphoreDelete(plain);
  rig.device->stop();
  vSemaphoreDelete(r);
}

TEST(freertos_binary_and_counting_semaphores_signal) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    SemaphoreHandle_t bin = xSemaphoreCreateBinary();
    REQUIRE(bin != nullptr);
    CHECK_EQ(uxSemaphoreGetCount(bin), 0u);  // created empty
    std::atomic<int> signals{0};
    std::atomic<bool> stopWaiter{false}, waiterGone{false};
    rig.spawn("waiter", [&] {
      while (!stopWaiter) {
        if (xSemaphoreTake(bin, pdMS_TO_TICKS(50)) == pdTRUE) signals++;
      }
      waiterGone = true;
    });
    for (int i = 1; i <= 5; ++i) {
      rig.onLoop([&] { CHECK_EQ(xSemaphoreGive(bin), pdTRUE); });
      CHECK(eventually([&] { return signals.load() == i; }));
    }
    stopWaiter = true;
    CHECK(eventually([&] { return waiterGone.load(); }));
    rig.onLoop([&] {
      CHECK_EQ(xSemaphoreGiveFromISR(bin, nullptr), pdTRUE);
      CHECK_EQ(xSemaphoreGive(bin), pdFALSE);  // already given
      SemaphoreHandle_t c = xSemaphoreCreateCounting(3, 1);
      CHECK_EQ(uxSemaphoreGetCount(c), 1u);
      CHECK_EQ(xSemaphoreGive(c), pdTRUE);
      CHECK_EQ(xSemaphoreGive(c), pdTRUE);
      CHECK_EQ(xSemaphoreGive(c), pdFALSE);  // at its maximum
      CHECK_EQ(uxSemaphoreGetCount(c), 3u);
      for (int i = 0; i < 3; ++i) CHECK_EQ(xSemaphoreTake(c, 0), pdTRUE);
      CHECK_EQ(xSemaphoreTakeFromISR(c, nullptr), pdFALSE);
      vSemaphoreDelete(c);
      CHECK(xSemaphoreCreateCounting(2, 3) == nullptr);
      SemaphoreHandle_t old;
      vSemaphoreCreateBinary(old);
      CHECK_EQ(uxSemaphoreGetCount(old), 1u);  // the old form starts given
      vSemaphoreDelete(old);
      static StaticSemaphore_t buf;
      SemaphoreHandle_t sm = xSemaphoreCreateMutexStatic(&buf);
      CHECK_EQ(xSemaphoreTake(sm, 0), pdTRUE);
      CHECK_EQ(xSemaphoreGive(sm), pdTRUE);
      vSemaphoreDelete(sm);
    });
    rig.device->stop();
    vSemaphoreDelete(bin);
  }
}

TEST(freertos_delete_with_blocked_waiters_fails_them_first) {
  Rig rig;
  QueueHandle_t q = xQueueCreate(1, sizeof(int));
  std::atomic<int> rc{-1};
  std::atomic<bool> waiting{false};
  rig.spawn("blocked", [&] {
    int v;
    waiting = true;
    rc = xQueueReceive(q, &v, portMAX_DELAY);
  });
  CHECK(eventually([&] { return waiting.load(); }));
  std::this_thread::sleep_for(milliseconds(20));
  rig.onLoop([&] { vQueueDelete(q); });
  CHECK(eventually([&] { return rc.load() == pdFAIL; }));
  CHECK(rig.logHas("blocked on the queue"));
}

TEST(freertos_event_groups_wait_any_all_clear_and_sync) {
  for (int dual = 0; dual < 2; ++dual) {
    Rig rig(profile(dual == 1));
    EventGroupHandle_t g = xEventGroupCreate();
    REQUIRE(g != nullptr);
    std::atomic<uint32_t> gotA{0}, gotB{0};
    std::atomic<int> ready{0};
    // Two tasks wait on the same bit with clear-on-exit: one set releases both.
    auto waiter = [&](std::atomic<uint32_t>* out) {
      ready++;
      *out = xEventGroupWaitBits(g, 0x1, pdTRUE, pdFALSE, pdMS_TO_TICKS(3000));
    };
    rig.spawn("evA", [&] { waiter(&gotA); });
    rig.spawn("evB", [&] { waiter(&gotB); });
    CHECK(eventually([&] { return ready.load() == 2; }));
    std::this_thread::sleep_for(milliseconds(30));
    EventBits_t after = 0xffff;
    rig.onLoop([&] { after = xEventGroupSetBits(g, 0x3); });
    CHECK(eventually([&] { return gotA.load() != 0 && gotB.load() != 0; }));
    CHECK_EQ(gotA.load(), 0x3u);
    CHECK_EQ(gotB.load(), 0x3u);
    CHECK_EQ(after, 0x2u);  // bit 0 cleared by the released waiters
    CHECK_EQ(xEventGroupGetBits(g), 0x2u);

    rig.onLoop([&] {
      // All of 0x6: not yet (0x2 only); a timeout returns the current bits.
      auto t0 = Clock::now();
      CHECK_EQ(xEventGroupWaitBits(g, 0x6, pdFALSE, pdTRUE, 30), 0x2u);
      CHECK(msSince(t0) >= 29);
      // Any of 0x6 is met; without clear the bits stay.
      CHECK_EQ(xEventGroupWaitBits(g, 0x6, pdFALSE, pdFALSE, 0), 0x2u);
      CHECK_EQ(xEventGroupClearBits(g, 0x2), 0x2u);
      CHECK_EQ(xEventGroupGetBits(g), 0u);
      // The kernel's top byte is refused.
      CHECK_EQ(xEventGroupSetBits(g, 0x01000000u), 0u);
      CHECK_EQ(xEventGroupSetBitsFromISR(g, 0x8, nullptr), pdPASS);
      CHECK_EQ(xEventGroupGetBitsFromISR(g), 0x8u);
      xEventGroupClearBits(g, 0xff);
    });
    CHECK(rig.logHas("are the kernel's"));

    // A rendezvous of the loop task and a task.
    std::atomic<uint32_t> taskSync{0};
    rig.spawn("sync", [&] { taskSync = xEventGroupSync(g, 0x10, 0x30, pdMS_TO_TICKS(3000)); });
    EventBits_t loopSync = 0;
    rig.onLoop([&] {
      vTaskDelay(20);
      loopSync = xEventGroupSync(g, 0x20, 0x30, pdMS_TO_TICKS(3000));
    });
    CHECK(eventually([&] { return taskSync.load() != 0; }));
    CHECK_EQ(loopSync & 0x30, 0x30u);
    CHECK_EQ(taskSync.load() & 0x30, 0x30u);
    CHECK_EQ(xEventGroupGetBits(g) & 0x30, 0u);
    rig.device->stop();
    vEventGroupDelete(g);
  }
}

TEST(freertos_objects_outlive_their_destroyed_device) {
  QueueHandle_t q = nullptr;
  SemaphoreHandle_t m = nullptr;
  EventGroupHandle_t g = nullptr;
  {
    Rig rig(profile(false, 64 * 1024));
    rig.onLoop([&] {
      q = xQueueCreate(8, 64);  // its storage is charged to this device
      m = xSemaphoreCreateMutex();
      g = xEventGroupCreate();
      int64_t used = rig.device->counters().heapUsed.load();
      CHECK(used >= 8 * 64);
      uint8_t item[64] = {7};
      CHECK_EQ(xQueueSend(q, item, 0), pdPASS);
      CHECK_EQ(xSemaphoreTake(m, 0), pdTRUE);
    });
  }  // the device is stopped and destroyed; the firmware never deleted its objects
  REQUIRE(q && m && g);
  uint8_t out[64] = {};
  CHECK_EQ(xQueueReceive(q, out, 0), pdPASS);
  CHECK_EQ(out[0], 7);
  CHECK_EQ(xSemaphoreTake(m, 0), pdFALSE);  // still held by the loop task that is gone
  CHECK_EQ(xEventGroupSetBits(g, 1), 1u);
  vQueueDelete(q);  // its storage cannot go back to the destroyed device: no crash
  vSemaphoreDelete(m);
  vEventGroupDelete(g);
}
