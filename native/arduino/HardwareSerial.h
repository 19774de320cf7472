// HardwareSerial.h (twin): the ESP32 UARTs as Arduino Streams. Serial (UART0) is the console:
// what a sketch writes to it becomes device log lines, one per '\n' ('\r' dropped, a line is cut
// at 4096 characters). Serial1/Serial2 do the same with a "Serial1: "/"Serial2: " prefix, so
// a sketch that talks to a peripheral on them still runs and shows what it sent.
// Input: nothing is ever received (available() 0, read()/peek() -1); timed reads (readString,
// parseInt, ...) therefore wait out their timeout. onReceive callbacks never fire.
// begin()/end()/baud rate/pins/buffer sizes are accepted and remembered, with no other effect.
// availableForWrite() is 128 (the UART's hardware FIFO, always drained at once here).
//
// Threading: any thread may write; each thread assembles its own current line (lines of two
// tasks never mix mid-line, as on the board where each print is one UART write). The line goes
// to the log of the calling thread's device (stderr off device threads).
// Lifetime: Serial, Serial1, Serial2 are process-wide objects that hold no device state.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <functional>

#include "Stream.h"

// UART frame formats (the board's values).
#define SERIAL_5N1 0x8000010
#define SERIAL_6N1 0x8000014
#define SERIAL_7N1 0x8000018
#define SERIAL_8N1 0x800001c
#define SERIAL_5N2 0x8000030
#define SERIAL_6N2 0x8000034
#define SERIAL_7N2 0x8000038
#define SERIAL_8N2 0x800003c
#define SERIAL_5E1 0x8000012
#define SERIAL_6E1 0x8000016
#define SERIAL_7E1 0x800001a
#define SERIAL_8E1 0x800001e
#define SERIAL_5E2 0x8000032
#define SERIAL_6E2 0x8000036
#define SERIAL_7E2 0x800003a
#define SERIAL_8E2 0x800003e
#define SERIAL_5O1 0x8000013
#define SERIAL_6O1 0x8000017
#define SERIAL_7O1 0x800001b
#define SERIAL_8O1 0x800001f
#define SERIAL_5O2 0x8000033
#define SERIAL_6O2 0x8000037
#define SERIAL_7O2 0x800003b
#define SERIAL_8O2 0x800003f

typedef std::function<void(void)> OnReceiveCb;

class HardwareSerial : public Stream {
 public:
  explicit HardwareSerial(uint8_t uart_nr) : _uart(uart_nr) {}

  void begin(unsigned long baud, uint32_t config = SERIAL_8N1, int8_t rxPin = -1, int8_t txPin = -1,
             bool invert = false, unsigned long timeout_ms = 20000UL, uint8_t rxfifo_full_thrhd = 120) {
    _baud = baud;
    _begun = true;
  }
  void end() { _begun = false; }
  void updateBaudRate(unsigned long baud) { _baud = baud; }
  uint32_t baudRate() { return uint32_t(_baud); }
  bool setPins(int8_t rxPin, int8_t txPin, int8_t ctsPin = -1, int8_t rtsPin = -1) { return true; }
  size_t setRxBufferSize(size_t size) { return size; }
  size_t setTxBufferSize(size_t size) { return size; }
  void setDebugOutput(bool) {}
  void onReceive(OnReceiveCb function, bool onlyOnTimeout = false) {}

  int available() override { return 0; }
  int availableForWrite() override { return 128; }
  int peek() override { return -1; }
  int read() override { return -1; }
  size_t read(uint8_t* buffer, size_t size) { return 0; }
  size_t read(char* buffer, size_t size) { return 0; }
  void flush() override {}
  void flush(bool txOnly) {}

  size_t write(uint8_t c) override;
  size_t write(const uint8_t* buffer, size_t size) override;
  using Print::write;
  size_t write(unsigned long n) { return write(uint8_t(n)); }
  size_t write(long n) { return write(uint8_t(n)); }
  size_t write(unsigned int n) { return write(uint8_t(n)); }
  size_t write(int n) { return write(uint8_t(n)); }

  operator bool() const { return true; }

 private:
  uint8_t _uart;
  unsigned long _baud = 0;
  bool _begun = false;
};

extern HardwareSerial Serial;
extern HardwareSerial Serial1;
extern HardwareSerial Serial2;

// The console's line assembly, shared with ets_printf/log_printf: appends len bytes to the
// calling thread's current line of `uart` and logs each completed line.
void twinConsoleWrite(uint8_t uart, const char* data, size_t len);
