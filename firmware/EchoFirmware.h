// EchoFirmware: a line-echo TCP server written against the AsyncTCP API only. It proves the
// whole path (TypeScript -> addon -> twin -> firmware -> real socket -> client) and drives the
// sanitizer churn runs.
//
// Protocol (one line = bytes up to '\n'): a line is answered with itself, except
//   "quit"            -> "bye", then the device closes the connection (from async_tcp)
//   "close-from-loop" -> the loop task closes the connection
//   "stats"           -> one JSON line {"sessions":N,"ticks":N,"lines":N}
// Config: tickMs > 0 makes loop() write "tick N" to every connection every tickMs.
//
// Threads and lifetimes:
//  - _mu guards _sessions, every Session and _graveyard. No AsyncClient::close() and no
//    delete of an AsyncClient happens with _mu held (close() runs onDisconnect synchronously).
//  - A Session and its AsyncClient are created in onClient (async_tcp) and freed together
//    (the client's callbacks point at the Session). They are freed in onDisconnect when it
//    runs on async_tcp outside this client's onData; when onDisconnect runs on the loop task
//    (a close from loop()), both go to _graveyard and are deleted at the start of the next
//    async_tcp callback for another client, or in the destructor after _server.end() (which
//    returns only once async_tcp has finished any callback that was running).
//  - loop() writes ticks with add()/send() under _mu: they never call back.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "AsyncTCP.h"
#include "tc_port.h"

struct EchoConfig {
  uint16_t port = 7;       // the board's echo port; the twin maps it to a host port
  uint32_t tickMs = 0;     // 0: no ticks
};

class EchoFirmware {
 public:
  explicit EchoFirmware(const EchoConfig& cfg);
  ~EchoFirmware();
  void setup();
  void loop();

 private:
  struct Session {
    AsyncClient* client;
    std::string line;        // partial line (bounded)
    bool closeAfterAck = false;
    bool closeFromLoop = false;
    bool loopClosing = false;
  };
  void onClient(AsyncClient* c);
  void onData(Session* s, AsyncClient* c, const char* data, size_t len);
  void onDisconnect(Session* s, AsyncClient* c);
  void reply(AsyncClient* c, const std::string& text);  // caller holds _mu
  void drainGraveyard(AsyncClient* except);
  struct Grave {
    AsyncClient* client;
    Session* session;
  };

  EchoConfig _cfg;
  AsyncServer _server;
  twincore::port::Mutex _mu;
  std::vector<Session*> _sessions;
  std::vector<Grave> _graveyard;
  bool _inLoopClose = false;   // _mu: the loop task is inside close()
  uint32_t _ticks = 0, _lines = 0, _lastTick = 0;
};
