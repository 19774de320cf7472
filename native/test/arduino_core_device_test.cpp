// The Arduino core on a running twin device: ESP's heap figures follow the device's heap, the
// chip figures follow the profile, random() is per device and repeatable per seed, map and
// constrain compute as on the board, Serial/ets_printf/log_x/ESP_LOGx become device log lines,
// and ESP.restart() asks the embedder for a restart.
#define CORE_DEBUG_LEVEL 5  // this file's HAL log calls are compiled in (as -DCORE_DEBUG_LEVEL=5)
#include <Arduino.h>
#include <cbuf.h>
#include <esp_log.h>
#include <rom/ets_sys.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "arduino_core_rig.h"
#include "tc_test.h"

TEST(arduino_core_esp_heap_figures_follow_the_device_heap) {
  twin::Profile prof;
  prof.heapBytes = 100000;
  arduinorig::Rig rig(prof);
  rig.onLoop([&] {
    CHECK_EQ(ESP.getHeapSize(), 100000u);
    uint32_t free0 = ESP.getFreeHeap();
    CHECK_EQ(free0, uint32_t(100000 - rig.device->counters().heapUsed.load()));
    {
      String big(std::string(1000, 'b').c_str());  // a (1000 + 16) & ~15 = 1008-byte block
      CHECK_EQ(ESP.getFreeHeap(), free0 - 1008);
      CHECK_EQ(ESP.getMaxAllocHeap(), free0 - 1008);
      CHECK(ESP.getMinFreeHeap() <= free0 - 1008);
    }
    CHECK_EQ(ESP.getFreeHeap(), free0);
    CHECK(ESP.getMinFreeHeap() <= free0 - 1008);  // the low-water mark stays
    // A cbuf whose storage the heap cannot give has size 0.
    rig.device->faults().failAllocs = 1;
    cbuf nothing(512);
    CHECK_EQ(nothing.size(), 0u);
    cbuf some(512);
    CHECK_EQ(some.size(), 512u);
    CHECK_EQ(ESP.getFreeHeap(), free0 - 512);
    CHECK_EQ(ESP.getPsramSize(), 0u);
  });
  // Without a budget the heap reads as a board's 320 KB.
  arduinorig::Rig unlimited;
  unlimited.onLoop([&] {
    CHECK_EQ(ESP.getHeapSize(), 327680u);
    CHECK_EQ(ESP.getFreeHeap(), uint32_t(327680 - unlimited.device->counters().heapUsed.load()));
  });
  CHECK_EQ(ESP.getHeapSize(), 327680u);  // on a thread of no device
}

TEST(arduino_core_esp_chip_figures_follow_the_profile) {
  struct Want {
    const char* profile;
    bool dual;
    const char* model;
    uint16_t rev;
    uint8_t cores;
    uint32_t mhz;
  };
  for (Want w : {Want{"esp32", true, "ESP32-D0WD-V3", 300, 2, 240}, Want{"esp32s3", true, "ESP32-S3", 2, 2, 240},
                 Want{"esp32c3", false, "ESP32-C3", 4, 1, 160}}) {
    twin::Profile prof;
    prof.name = w.profile;
    prof.dualCore = w.dual;
    arduinorig::Rig rig(prof);
    rig.onLoop([&] {
      CHECK_EQ(std::string(ESP.getChipModel()), std::string(w.model));
      CHECK_EQ(ESP.getChipRevision(), w.rev);
      CHECK_EQ(ESP.getChipCores(), w.cores);
      CHECK_EQ(ESP.getCpuFreqMHz(), w.mhz);
      CHECK_EQ(getCpuFrequencyMhz(), w.mhz);
      CHECK_EQ(ESP.getFlashChipSize(), 4u * 1024 * 1024);
      CHECK_EQ(std::string(ESP.getSdkVersion()).substr(0, 3), "v5.");
    });
  }
}

TEST(arduino_core_esp_efuse_mac_is_stable_per_device_identity) {
  auto macOf = [](const std::string& dir) {
    twin::Profile prof;
    prof.dataDir = dir;
    arduinorig::Rig rig(prof);
    uint64_t mac = 0;
    rig.onLoop([&] { mac = ESP.getEfuseMac(); });
    return mac;
  };
  std::string base = "/tmp/twincore-arduino-core-mac-" + std::to_string(::getpid());
  uint64_t a1 = macOf(base + "-a");
  uint64_t a2 = macOf(base + "-a");
  uint64_t b = macOf(base + "-b");
  std::string cmd = "rm -rf '" + base + "-a' '" + base + "-b'";
  CHECK_EQ(std::system(cmd.c_str()), 0);
  CHECK_EQ(a1, a2);
  CHECK(a1 != b);
  CHECK_EQ(a1 & 0xffffff, 0xC40A24u);  // 24:0A:C4, byte 0 of the MAC in the low byte
}

TEST(arduino_core_random_is_per_device_and_repeats_per_seed) {
  arduinorig::Rig a, b;
  std::vector<long> a1, a2, bSeq;
  a.onLoop([&] {
    randomSeed(42);
    for (int i = 0; i < 20; ++i) a1.push_back(random(1000));
    randomSeed(42);
    for (int i = 0; i < 10; ++i) a2.push_back(random(1000));
  });
  b.onLoop([&] {
    randomSeed(42);
    for (int i = 0; i < 10; ++i) bSeq.push_back(random(1000));
  });
  // Device b's draws did not advance device a's generator.
  a.onLoop([&] {
    for (int i = 0; i < 10; ++i) a2.push_back(random(1000));
  });
  CHECK(a1 == a2);
  CHECK(std::vector<long>(a1.begin(), a1.begin() + 10) == bSeq);
  bool varied = false;
  for (long v : a1) {
    CHECK(v >= 0 && v < 1000);
    varied = varied || v != a1[0];
  }
  CHECK(varied);
  a.onLoop([&] {
    CHECK_EQ(random(0), 0L);
    CHECK_EQ(random(-5), 0L);
    CHECK_EQ(random(10, 5), 10L);
    for (int i = 0; i < 200; ++i) {
      long v = random(5, 10);
      CHECK(v >= 5 && v < 10);
    }
    randomSeed(7);
    long first = random(1000000000L);
    randomSeed(7);
    randomSeed(0);  // ignored, as on the board
    CHECK_EQ(random(1000000000L), first);
    randomSeed(7);
    uint32_t r1 = esp_random();
    randomSeed(7);
    CHECK_EQ(esp_random(), r1);  // esp_random draws from the same generator
    uint8_t buf[7] = {0};
    esp_fill_random(buf, sizeof buf);
  });
}

TEST(arduino_core_map_and_constrain_as_the_board) {
  CHECK_EQ(map(5, 0, 10, 0, 100), 50L);
  CHECK_EQ(map(0, 0, 10, 100, 0), 100L);
  CHECK_EQ(map(7, 0, 10, 0, 3), 2L);  // truncating integer arithmetic
  CHECK_EQ(map(-1, 0, 10, 0, 100), -10L);  // not clamped
  CHECK_EQ(map(512, 0, 1023, 0, 255), 127L);
  CHECK_EQ(constrain(-3, 0, 10), 0);
  CHECK_EQ(constrain(4.5, 0.0, 10.0), 4.5);
  arduinorig::Rig rig;
  rig.onLoop([] { CHECK_EQ(map(3, 5, 5, 0, 10), -1L); });  // an empty input range
  twin::LogLevel lvl = twin::LogLevel::Debug;
  CHECK(rig.findLine("map(): Invalid input range", nullptr, &lvl));
  CHECK(lvl == twin::LogLevel::Error);
}

TEST(arduino_core_serial_and_logs_become_device_log_lines) {
  arduinorig::Rig rig;
  rig.onLoop([] {
    Serial.begin(115200);
    CHECK_EQ(Serial.print("hel"), 3u);
    CHECK_EQ(Serial.println("lo serial"), 11u);
    CHECK_EQ(Serial.printf("value=%d\n", 42), 9u);
    Serial.print(F("no newline yet"));
    Serial1.println("to a peripheral");
    CHECK_EQ(ets_printf("rom %s\n", "printf"), 11);
    log_e("hal error %d", 1);
    log_d("hal debug");
    ESP_LOGE("tagx", "idf error %d", 2);
    ESP_LOGI("tagx", "idf info hidden");
    esp_log_level_set("tagx", ESP_LOG_INFO);
    ESP_LOGI("tagx", "idf info shown");
    ESP_LOGD("tagx", "idf debug hidden");
    Serial.println();
  });
  std::string line;
  twin::LogLevel lvl = twin::LogLevel::Debug;
  CHECK(rig.findLine("hello serial", &line, &lvl));
  CHECK_EQ(line, "hello serial");
  CHECK(lvl == twin::LogLevel::Info);
  CHECK(rig.findLine("value=42", &line));
  CHECK_EQ(line, "value=42");
  CHECK(rig.findLine("Serial1: to a peripheral"));
  // ets_printf writes to the same console (UART0) as Serial: it completes Serial's open line.
  CHECK(rig.findLine("no newline yet", &line));
  CHECK_EQ(line, "no newline yetrom printf");
  CHECK(rig.findLine("hal error 1", &line, &lvl));
  CHECK_MSG(line.find("[E][arduino_core_device_test.cpp:") != std::string::npos, line);
  CHECK_MSG(line.find("(): hal error 1") != std::string::npos, line);
  CHECK(lvl == twin::LogLevel::Error);
  CHECK(rig.findLine("hal debug", &line, &lvl));
  CHECK(lvl == twin::LogLevel::Debug);
  CHECK(rig.findLine("tagx: idf error 2", &line, &lvl));
  CHECK_EQ(line.substr(0, 3), "E (");
  CHECK(lvl == twin::LogLevel::Error);
  CHECK(rig.findLine("idf info shown"));
  CHECK(!rig.findLine("idf info hidden", nullptr, nullptr, 0));
  CHECK(!rig.findLine("idf debug hidden", nullptr, nullptr, 0));
  // The IDF levels are per device: a fresh device starts at the default (errors only).
  arduinorig::Rig other;
  other.onLoop([] {
    CHECK(esp_log_level_get("tagx") == ESP_LOG_ERROR);
    ESP_LOGI("tagx", "other info hidden");
  });
  CHECK(!other.findLine("other info hidden", nullptr, nullptr, 0));
}

TEST(arduino_core_esp_restart_asks_the_embedder) {
  arduinorig::Rig rig;
  CHECK(!rig.device->restartRequested());
  // restart() does not return on the loop task: post it without waiting for it.
  CHECK(rig.device->postToLoop([] { ESP.restart(); }));
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!rig.device->restartRequested() && std::chrono::steady_clock::now() < end)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(rig.device->restartRequested());
}

TEST(arduino_core_time_and_delays) {
  uint32_t m0 = millis();
  uint32_t u0 = micros();
  delayMicroseconds(300);
  CHECK(micros() - u0 >= 300);
  delay(20);
  CHECK(millis() - m0 >= 20);
  arduinorig::Rig rig;
  rig.onLoop([] {
    uint32_t t = millis();
    delay(15);
    CHECK(millis() - t >= 15);
    yield();
  });
}
