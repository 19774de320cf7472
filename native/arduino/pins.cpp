// pins.cpp: the Arduino-ESP32 GPIO, ADC and PWM calls over a per-device pin table that the
// harness reads and drives (twin_pins.h, which states the model and the threading rules).
#include <cstdio>
#include <mutex>
#include <string>

#include "Arduino.h"
#include "twin.h"
#include "twin_internal.h"
#include "twin_pins.h"

namespace {

using twin::Device;
using twin::LogLevel;

// pinMode() bits of arduino-esp32 3.x (esp32-hal-gpio.h): OUTPUT is 0x03 (input and output).
constexpr uint8_t kInputBit = 0x01;
constexpr uint8_t kOutputBit = 0x02;
constexpr uint8_t kPullUpBit = 0x04;
constexpr uint8_t kPullDownBit = 0x08;
constexpr uint8_t kOpenDrainBit = 0x10;
constexpr uint8_t kAnalogMode = 0xC0;

constexpr uint32_t kLinesPerSecond = 10;  // log lines per pin per second (twin_pins.h)
constexpr uint16_t kAdcMax = 4095;        // 12-bit ADC (analogReadResolution default)
constexpr int kPwmMax = 255;              // 8-bit LEDC (analogWriteResolution default)

// ESP32 GPIO matrix: 20, 24 and 28..31 are not bonded out; 34..39 are input only.
bool exists(uint8_t pin) {
  return pin < twin::pins::kPinCount && pin != 20 && pin != 24 && !(pin >= 28 && pin <= 31);
}
bool canOutput(uint8_t pin) { return exists(pin) && pin < 34; }
// ADC1 on 32..39, ADC2 on 0, 2, 4, 12..15, 25..27 (esp32 gpio mux table).
bool hasAdc(uint8_t pin) {
  return (pin >= 32 && pin <= 39) || pin == 0 || pin == 2 || pin == 4 || (pin >= 12 && pin <= 15) ||
         (pin >= 25 && pin <= 27);
}

enum class Fn : uint8_t { None, Gpio, Adc, Pwm };

struct Pin {
  Fn fn = Fn::None;
  uint8_t modeBits = 0;
  uint8_t latch = 0;    // output register (digitalWrite), kept across mode changes
  int external = -1;    // level the harness drives, -1 none
  uint16_t analog = 0;  // ADC reading the harness set
  int pwm = -1;         // LEDC duty, -1 when not PWM
  uint64_t changes = 0;
  // log rate limit: lines written in the current one-second window, changes not logged since
  // the last line written
  uint32_t windowStart = 0;
  uint32_t windowLines = 0;
  uint64_t unlogged = 0;
};

struct Limiter {
  uint32_t windowStart = 0;
  uint32_t windowLines = 0;
  uint64_t unlogged = 0;
};

struct PinsState : twin::DeviceState {
  explicit PinsState(Device* d) : dev(d) {}
  Device* dev;
  // mu guards pins[] and badNumbers (every field of the table and its log rate limits).
  std::mutex mu;
  Pin pins[twin::pins::kPinCount];
  Limiter badNumbers;  // rate limit of errors about pin numbers >= 40
};

PinsState* stateOf(Device* d) { return twin::deviceState<PinsState>(d); }

// Under the state lock: true when a line may be written now; `note` receives the count of
// changes that were not logged before it.
template <class L>
bool allowLine(L& l, std::string& note) {
  uint32_t now = twin::uptimeMs();
  if (now - l.windowStart >= 1000) {
    l.windowStart = now;
    l.windowLines = 0;
  }
  if (l.windowLines >= kLinesPerSecond) {
    l.unlogged++;
    return false;
  }
  l.windowLines++;
  if (l.unlogged) {
    note = " (+" + std::to_string(l.unlogged) + " changes not logged)";
    l.unlogged = 0;
  }
  return true;
}

void emit(Device* d, LogLevel lvl, const std::string& line) {
  if (d) d->impl()->log(lvl, line);
}

int levelOf(const Pin& p) {
  switch (p.fn) {
    case Fn::Gpio:
      if (p.modeBits & kOutputBit) {
        // Open drain: a 1 releases the line, which then shows the outside level (or the pull).
        if ((p.modeBits & kOpenDrainBit) && p.latch) return p.external >= 0 ? p.external : ((p.modeBits & kPullDownBit) ? 0 : 1);
        return p.latch;
      }
      if (p.external >= 0) return p.external;
      return (p.modeBits & kPullUpBit) ? 1 : 0;
    case Fn::Pwm:
      return p.pwm * 2 >= kPwmMax ? 1 : 0;
    default:
      return p.external >= 0 ? p.external : 0;
  }
}

std::string modeName(const Pin& p) {
  switch (p.fn) {
    case Fn::None: return "unset";
    case Fn::Adc: return "ANALOG";
    case Fn::Pwm: return "PWM";
    case Fn::Gpio: break;
  }
  uint8_t m = p.modeBits;
  if (m & kOutputBit) return (m & kOpenDrainBit) ? "OUTPUT_OPEN_DRAIN" : "OUTPUT";
  if (m & kPullUpBit) return "INPUT_PULLUP";
  if (m & kPullDownBit) return "INPUT_PULLDOWN";
  return "INPUT";
}

const char* hl(int level) { return level ? "HIGH" : "LOW"; }

// A pending log line, written after the lock is released.
struct Line {
  bool on = false;
  LogLevel lvl = LogLevel::Info;
  std::string text;
};

// Under the lock: counts a change of pin p and prepares its line if the rate limit allows.
void change(Pin& p, Line& out, LogLevel lvl, const std::string& text) {
  p.changes++;
  std::string note;
  if (!allowLine(p, note)) return;
  out.on = true;
  out.lvl = lvl;
  out.text = text + note;
}

// Under the lock: an error about pin `pin` (rate limited like changes, without counting one).
void error(PinsState& s, uint8_t pin, Line& out, const std::string& text) {
  std::string note;
  bool ok = pin < twin::pins::kPinCount ? allowLine(s.pins[pin], note) : allowLine(s.badNumbers, note);
  if (!ok) return;
  out.on = true;
  out.lvl = LogLevel::Error;
  out.text = text + note;
}

std::string num(uint8_t pin) { return std::to_string(unsigned(pin)); }

}  // namespace

// ---------------- the sketch's calls ----------------

void pinMode(uint8_t pin, uint8_t mode) {
  PinsState* s = stateOf(twin::contextDevice());
  if (!s) return;
  Line line;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    if (pin >= twin::pins::kPinCount) {
      error(*s, pin, line, "gpio: Invalid IO " + num(pin) + " selected");
    } else if (!exists(pin) || mode == kAnalogMode || ((mode & kOutputBit) && !canOutput(pin)) ||
               !(mode & (kInputBit | kOutputBit))) {
      error(*s, pin, line, "gpio: IO " + num(pin) + " config failed");
    } else {
      Pin& p = s->pins[pin];
      int before = levelOf(p);
      std::string oldName = modeName(p);
      p.fn = Fn::Gpio;
      p.modeBits = mode;
      p.pwm = -1;
      std::string name = modeName(p);
      int after = levelOf(p);
      if (name != oldName || before != after)
        change(p, line, LogLevel::Info, "pin " + num(pin) + " mode " + name + (before != after ? std::string(" (") + hl(after) + ")" : ""));
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
}

void digitalWrite(uint8_t pin, uint8_t val) {
  PinsState* s = stateOf(twin::contextDevice());
  if (!s) return;
  Line line;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    if (pin >= twin::pins::kPinCount || s->pins[pin].fn != Fn::Gpio) {
      error(*s, pin, line, "gpio: IO " + num(pin) + " is not set as GPIO. Execute digitalMode(" + num(pin) + ", OUTPUT) first.");
    } else {
      Pin& p = s->pins[pin];
      int before = levelOf(p);
      p.latch = val ? 1 : 0;
      int after = levelOf(p);
      if (before != after) change(p, line, LogLevel::Info, "pin " + num(pin) + " -> " + hl(after));
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
}

int digitalRead(uint8_t pin) {
  PinsState* s = stateOf(twin::contextDevice());
  if (!s) return 0;
  Line line;
  int v = 0;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    if (pin >= twin::pins::kPinCount || s->pins[pin].fn != Fn::Gpio) {
      error(*s, pin, line, "gpio: IO " + num(pin) + " is not set as GPIO. Execute digitalMode(" + num(pin) + ", INPUT) first.");
    } else {
      v = levelOf(s->pins[pin]);
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
  return v;
}

uint16_t analogRead(uint8_t pin) {
  PinsState* s = stateOf(twin::contextDevice());
  if (!s) return 0;
  Line line;
  uint16_t v = 0;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    if (pin >= twin::pins::kPinCount || !hasAdc(pin)) {
      error(*s, pin, line, "adc: " + num(pin) + " is not ADC pin!");
    } else {
      Pin& p = s->pins[pin];
      if (p.fn != Fn::Adc) {
        p.fn = Fn::Adc;
        p.modeBits = kAnalogMode;
        p.pwm = -1;
        change(p, line, LogLevel::Info, "pin " + num(pin) + " mode ANALOG");
      }
      v = p.analog;
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
  return v;
}

void analogWrite(uint8_t pin, int value) {
  PinsState* s = stateOf(twin::contextDevice());
  if (!s) return;
  Line line;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    if (pin >= twin::pins::kPinCount) {
      error(*s, pin, line, "gpio: Invalid IO " + num(pin) + " selected");
    } else if (!canOutput(pin)) {
      error(*s, pin, line, "ledc: analogWrite setup failed on IO " + num(pin) + " (not an output pin)");
    } else {
      Pin& p = s->pins[pin];
      int duty = value < 0 ? 0 : value > kPwmMax ? kPwmMax : value;
      if (p.fn != Fn::Pwm || p.pwm != duty) {
        p.fn = Fn::Pwm;
        p.modeBits = kOutputBit;
        p.pwm = duty;
        change(p, line, LogLevel::Info, "pin " + num(pin) + " pwm " + std::to_string(duty) + "/255");
      }
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
}

// ---------------- the harness's calls ----------------

namespace twin {
namespace pins {

int read(Device* dev, uint8_t pin) {
  PinsState* s = stateOf(dev);
  if (!s || !exists(pin)) return -1;
  std::lock_guard<std::mutex> lk(s->mu);
  return levelOf(s->pins[pin]);
}

bool set(Device* dev, uint8_t pin, int level) {
  PinsState* s = stateOf(dev);
  if (!s || !exists(pin)) return false;
  Line line;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    Pin& p = s->pins[pin];
    int before = levelOf(p);
    p.external = level ? 1 : 0;
    int after = levelOf(p);
    if (before != after) change(p, line, LogLevel::Info, "pin " + num(pin) + " <- " + hl(after) + " (harness)");
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
  return true;
}

bool setAnalog(Device* dev, uint8_t pin, uint16_t value) {
  PinsState* s = stateOf(dev);
  if (!s || !hasAdc(pin)) return false;
  Line line;
  {
    std::lock_guard<std::mutex> lk(s->mu);
    Pin& p = s->pins[pin];
    uint16_t v = value > kAdcMax ? kAdcMax : value;
    if (p.analog != v) {
      p.analog = v;
      change(p, line, LogLevel::Info, "pin " + num(pin) + " analog <- " + std::to_string(v) + " (harness)");
    }
  }
  if (line.on) emit(s->dev, line.lvl, line.text);
  return true;
}

std::vector<PinState> snapshot(Device* dev) {
  std::vector<PinState> out;
  PinsState* s = stateOf(dev);
  if (!s) return out;
  std::lock_guard<std::mutex> lk(s->mu);
  out.reserve(kPinCount);
  for (uint8_t i = 0; i < kPinCount; ++i) {
    const Pin& p = s->pins[i];
    PinState st;
    st.pin = i;
    st.exists = exists(i);
    st.mode = modeName(p);
    st.modeBits = p.modeBits;
    st.level = levelOf(p);
    st.analog = p.analog;
    st.pwm = p.fn == Fn::Pwm ? p.pwm : -1;
    st.changes = p.changes;
    out.push_back(st);
  }
  return out;
}

}  // namespace pins
}  // namespace twin
