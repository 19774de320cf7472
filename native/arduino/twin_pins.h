// twin_pins.h: the harness's view of a device's GPIO pins (host only; no board has this header,
// sketches never include it). The sketch side is Arduino's pinMode/digitalWrite/digitalRead/
// analogRead/analogWrite (Arduino.h), implemented in pins.cpp over the same per-device table.
//
// The model (ESP32, arduino-esp32 3.x rules):
//  - 40 GPIO numbers 0..39; 20, 24 and 28..31 do not exist on the chip and 34..39 are input only.
//    A number >= 40 logs "Invalid IO n selected"; a pin that does not exist, or OUTPUT on an
//    input-only pin, logs "IO n config failed"; nothing changes and nothing crashes.
//  - A pin is a GPIO once pinMode() configured it. digitalWrite/digitalRead on a pin that is not
//    a GPIO log "IO n is not set as GPIO" and do nothing (digitalRead returns LOW), as 3.x does.
//    analogRead() turns the pin into an ADC pin and analogWrite() into an LEDC (PWM) pin; a
//    digital call afterwards needs pinMode() again, as on the board.
//  - Level seen on a pin (digitalRead, read() below): an OUTPUT pin reads what it drives (3.x
//    sets OUTPUT as input+output); an input reads the level the harness set(), else its pull
//    (INPUT_PULLUP reads HIGH, INPUT_PULLDOWN and a floating INPUT read LOW).
//  - analogRead() returns the value the harness setAnalog() (12 bits, 0..4095; 0 until set) on
//    the ADC pins (0, 2, 4, 12..15, 25..27, 32..39); other pins log an error and return 0.
//  - analogWrite() is 8-bit PWM (LEDC, 1 kHz): duty 0..255, larger values are clamped.
//  - Every change (mode, output level, PWM duty, harness-driven level or analog value) is a device
//    log line such as "pin 2 -> HIGH". At most 10 lines per pin per second are written; the next
//    line written says how many changes were not ("(+990 changes not logged)"), and the per-pin
//    change counter in snapshot() counts them all.
//
// Threading: every function here may be called from any thread (the harness's, a device
// thread), concurrently with the firmware's own pin calls; one lock per device guards the table.
// Lifetime: the table belongs to the device (twin::deviceState), made on first use and freed at
// Device::stop(). A null device is accepted everywhere: read() returns -1, set()/setAnalog()
// return false, snapshot() is empty.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace twin {
class Device;
namespace pins {

constexpr uint8_t kPinCount = 40;

struct PinState {
  uint8_t pin = 0;
  bool exists = false;      // the chip has this GPIO
  // "unset" (never configured), "INPUT", "INPUT_PULLUP", "INPUT_PULLDOWN", "OUTPUT",
  // "OUTPUT_OPEN_DRAIN", "ANALOG" (after analogRead), "PWM" (after analogWrite).
  std::string mode;
  uint8_t modeBits = 0;     // the pinMode() value (0 before any)
  int level = 0;            // what digitalRead() would see (0 or 1)
  uint16_t analog = 0;      // analogRead() value the harness set
  int pwm = -1;             // analogWrite() duty 0..255, -1 when not PWM
  uint64_t changes = 0;     // changes since the device started (logged or not)
};

// The level a pin shows now (0 or 1), or -1 for a pin number the chip does not have.
int read(Device* dev, uint8_t pin);
// Drives an input pin from outside (a button, a sensor line). The level is kept while the pin is
// an output (the pin's own driver wins) and shows again if it turns into an input. False for a
// pin number the chip does not have.
bool set(Device* dev, uint8_t pin, int level);
// The ADC reading of a pin (clamped to 4095). False for a pin that has no ADC channel.
bool setAnalog(Device* dev, uint8_t pin, uint16_t value);
// All 40 pins, in pin order.
std::vector<PinState> snapshot(Device* dev);

}  // namespace pins
}  // namespace twin
