// GPIO/ADC/PWM on a started device: the sketch's calls (on the loop task) and the harness's view
// (twin_pins.h) of one per-device pin table, with the board's rules for invalid pins.
#include <string>

#include "Arduino.h"
#include "tc_test.h"
#include "tc_world.h"
#include "twin_pins.h"

using tcworld::Rig;

namespace {
twin::pins::PinState pinOf(twin::Device* d, uint8_t pin) { return twin::pins::snapshot(d).at(pin); }
}  // namespace

TEST(arduino_world_pins_output_input_and_harness_view) {
  Rig rig;
  REQUIRE(rig.started);
  int readBack = -1, pulledUp = -1, pulledDown = -1, driven = -1;
  rig.onLoop([&] {
    pinMode(2, OUTPUT);
    digitalWrite(2, HIGH);
    readBack = digitalRead(2);  // 3.x OUTPUT is input+output: it reads what it drives
    pinMode(4, INPUT_PULLUP);
    pulledUp = digitalRead(4);
    pinMode(5, INPUT_PULLDOWN);
    pulledDown = digitalRead(5);
  });
  CHECK_EQ(readBack, 1);
  CHECK_EQ(pulledUp, 1);
  CHECK_EQ(pulledDown, 0);
  CHECK_EQ(twin::pins::read(rig.dev(), 2), 1);
  CHECK_EQ(pinOf(rig.dev(), 2).mode, std::string("OUTPUT"));
  CHECK_EQ(pinOf(rig.dev(), 4).mode, std::string("INPUT_PULLUP"));
  CHECK_MSG(rig.log->has("pin 2 -> HIGH"), rig.log->dump());

  // The harness drives an input: the sketch reads it; the pull no longer decides.
  CHECK(twin::pins::set(rig.dev(), 4, LOW));
  rig.onLoop([&] { driven = digitalRead(4); });
  CHECK_EQ(driven, 0);
  CHECK(rig.log->has("pin 4 <- LOW (harness)"));
  // On an output, the pin's own driver wins.
  CHECK(twin::pins::set(rig.dev(), 2, LOW));
  CHECK_EQ(twin::pins::read(rig.dev(), 2), 1);
  rig.onLoop([&] { digitalWrite(2, LOW); });
  CHECK_EQ(twin::pins::read(rig.dev(), 2), 0);
  CHECK(rig.log->has("pin 2 -> LOW"));
}

TEST(arduino_world_pins_invalid_pins_log_and_change_nothing) {
  Rig rig;
  REQUIRE(rig.started);
  int bad = -1, unset = -1;
  rig.onLoop([&] {
    pinMode(45, OUTPUT);    // no such GPIO number
    digitalWrite(45, HIGH);
    bad = digitalRead(45);
    pinMode(34, OUTPUT);    // input only
    pinMode(20, INPUT);     // not bonded out
    digitalWrite(13, HIGH); // never configured: not a GPIO yet
    unset = digitalRead(13);
    analogWrite(36, 100);   // input only: no PWM
  });
  CHECK_EQ(bad, 0);
  CHECK_EQ(unset, 0);
  CHECK_MSG(rig.log->has("Invalid IO 45 selected"), rig.log->dump());
  CHECK(rig.log->has("IO 34 config failed"));
  CHECK(rig.log->has("IO 20 config failed"));
  CHECK(rig.log->has("IO 13 is not set as GPIO"));
  CHECK(rig.log->has("analogWrite setup failed on IO 36"));
  CHECK_EQ(pinOf(rig.dev(), 34).mode, std::string("unset"));
  CHECK_EQ(pinOf(rig.dev(), 13).level, 0);
  CHECK(!pinOf(rig.dev(), 20).exists);
  CHECK_EQ(twin::pins::read(rig.dev(), 20), -1);
  CHECK_EQ(twin::pins::read(rig.dev(), 40), -1);
  CHECK(!twin::pins::set(rig.dev(), 45, 1));
  CHECK(!twin::pins::setAnalog(rig.dev(), 5, 100));  // GPIO5 has no ADC channel
  CHECK_EQ(twin::pins::snapshot(nullptr).size(), 0u);
  CHECK_EQ(twin::pins::read(nullptr, 2), -1);
}

TEST(arduino_world_pins_analog_read_and_pwm) {
  Rig rig;
  REQUIRE(rig.started);
  CHECK(twin::pins::setAnalog(rig.dev(), 34, 2048));
  uint16_t a = 0, clamped = 0, notAdc = 1;
  int afterAdc = -1, afterMode = -1;
  rig.onLoop([&] { a = analogRead(34); });
  CHECK_EQ(a, 2048);
  CHECK(twin::pins::setAnalog(rig.dev(), 34, 60000));
  rig.onLoop([&] {
    clamped = analogRead(34);
    notAdc = analogRead(5);
    afterAdc = digitalRead(34);  // the pin is an ADC pin now, no longer a GPIO
  });
  CHECK_EQ(clamped, 4095);
  CHECK_EQ(notAdc, 0);
  CHECK(rig.log->has("5 is not ADC pin"));
  CHECK_EQ(afterAdc, 0);
  CHECK(rig.log->has("IO 34 is not set as GPIO"));
  CHECK(twin::pins::set(rig.dev(), 34, HIGH));
  rig.onLoop([&] {
    pinMode(34, INPUT);
    afterMode = digitalRead(34);
    analogWrite(5, 128);
  });
  CHECK_EQ(afterMode, 1);
  CHECK_EQ(pinOf(rig.dev(), 5).pwm, 128);
  CHECK_EQ(pinOf(rig.dev(), 5).mode, std::string("PWM"));
  rig.onLoop([&] { analogWrite(5, 1000); });
  CHECK_EQ(pinOf(rig.dev(), 5).pwm, 255);
  CHECK(rig.log->has("pin 5 pwm 255/255"));
}

TEST(arduino_world_pins_fast_toggling_is_rate_limited) {
  Rig rig;
  REQUIRE(rig.started);
  rig.onLoop([&] {
    pinMode(2, OUTPUT);
    for (int i = 0; i < 2000; ++i) digitalWrite(2, i & 1 ? LOW : HIGH);
  });
  size_t lines = rig.log->count("pin 2 ");
  // 10 lines per pin per second; the 2000 toggles take well under 2 s even on a loaded host.
  CHECK_MSG(lines <= 25, lines << " lines\n" << rig.log->dump());
  CHECK(lines >= 5);
  CHECK_EQ(pinOf(rig.dev(), 2).changes, 2001u);  // the mode change and 2000 level changes
  delay(1100);
  rig.onLoop([&] { digitalWrite(2, HIGH); });
  CHECK_MSG(rig.log->has("changes not logged)"), rig.log->dump());
}

TEST(arduino_world_pins_are_per_device) {
  Rig a, b;
  REQUIRE(a.started && b.started);
  a.onLoop([&] {
    pinMode(2, OUTPUT);
    digitalWrite(2, HIGH);
  });
  CHECK(twin::pins::set(b.dev(), 4, HIGH));
  int bReads = -1;
  b.onLoop([&] {
    pinMode(4, INPUT);
    bReads = digitalRead(4);
  });
  CHECK_EQ(twin::pins::read(a.dev(), 2), 1);
  CHECK_EQ(twin::pins::read(b.dev(), 2), 0);
  CHECK_EQ(pinOf(b.dev(), 2).mode, std::string("unset"));
  CHECK_EQ(bReads, 1);
  CHECK_EQ(pinOf(a.dev(), 4).mode, std::string("unset"));
  CHECK(!b.log->has("pin 2"));
}
