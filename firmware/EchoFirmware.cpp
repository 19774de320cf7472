#include "EchoFirmware.h"

#include <algorithm>
#include <cstdio>

#include "Arduino.h"

using twincore::port::Lock;

EchoFirmware::EchoFirmware(const EchoConfig& cfg) : _cfg(cfg), _server(cfg.port) {}

EchoFirmware::~EchoFirmware() {
  // Close every connection from here (the loop task), stop listening, then free what is left.
  std::vector<AsyncClient*> open;
  {
    Lock lk(_mu);
    for (Session* s : _sessions) {
      s->loopClosing = true;
      open.push_back(s->client);
    }
    _inLoopClose = true;
  }
  for (AsyncClient* c : open) c->close();
  {
    Lock lk(_mu);
    _inLoopClose = false;
  }
  _server.end();
  drainGraveyard(nullptr);
}

void EchoFirmware::setup() {
  _server.onClient([this](void*, AsyncClient* c) { onClient(c); }, nullptr);
  _server.begin();
  Serial.println("echo firmware ready");
}

void EchoFirmware::loop() {
  std::vector<AsyncClient*> toClose;
  {
    Lock lk(_mu);
    uint32_t now = millis();
    if (_cfg.tickMs && now - _lastTick >= _cfg.tickMs) {
      _lastTick = now;
      char buf[32];
      int n = std::snprintf(buf, sizeof buf, "tick %u\n", unsigned(++_ticks));
      for (Session* s : _sessions) {
        if (s->client->space() >= size_t(n) && s->client->add(buf, size_t(n))) s->client->send();
      }
    }
    for (Session* s : _sessions) {
      if (s->closeFromLoop && !s->loopClosing) {
        s->loopClosing = true;
        toClose.push_back(s->client);
      }
    }
    if (!toClose.empty()) _inLoopClose = true;
  }
  for (AsyncClient* c : toClose) c->close();
  if (!toClose.empty()) {
    Lock lk(_mu);
    _inLoopClose = false;
  }
}

void EchoFirmware::drainGraveyard(AsyncClient* except) {
  std::vector<Grave> dead;
  {
    Lock lk(_mu);
    for (size_t i = 0; i < _graveyard.size();) {
      if (_graveyard[i].client != except) {
        dead.push_back(_graveyard[i]);
        _graveyard.erase(_graveyard.begin() + long(i));
      } else {
        ++i;
      }
    }
  }
  for (Grave& g : dead) {
    delete g.client;
    delete g.session;
  }
}

void EchoFirmware::onClient(AsyncClient* c) {
  drainGraveyard(nullptr);
  Session* s = new Session{c, std::string()};
  {
    Lock lk(_mu);
    _sessions.push_back(s);
  }
  c->setNoDelay(true);
  c->onData([this, s](void*, AsyncClient* cl, void* data, size_t len) {
    drainGraveyard(cl);
    onData(s, cl, static_cast<const char*>(data), len);
  });
  c->onAck([this, s](void*, AsyncClient* cl, size_t, uint32_t) {
    drainGraveyard(cl);
    bool close;
    {
      Lock lk(_mu);
      close = s->closeAfterAck && !s->loopClosing && cl->space() > 0;
    }
    if (close) cl->close();  // AsyncTCP's _sent touches nothing after onAck: safe to free
  });
  c->onPoll([this, s](void*, AsyncClient* cl) {
    drainGraveyard(cl);
    bool close;
    {
      Lock lk(_mu);
      close = s->closeAfterAck && !s->loopClosing;
    }
    if (close) cl->close();
  });
  c->onTimeout([](void*, AsyncClient* cl, uint32_t) { cl->close(); });
  c->onDisconnect([this, s](void*, AsyncClient* cl) { onDisconnect(s, cl); });
}

void EchoFirmware::reply(AsyncClient* c, const std::string& text) {
  // Best effort within the send window; a client that does not read loses replies.
  size_t n = c->add(text.data(), text.size());
  if (n) c->send();
}

void EchoFirmware::onData(Session* s, AsyncClient* c, const char* data, size_t len) {
  Lock lk(_mu);
  for (size_t i = 0; i < len; ++i) {
    char ch = data[i];
    if (ch != '\n') {
      if (s->line.size() < 1024) s->line.push_back(ch);
      continue;
    }
    std::string line;
    line.swap(s->line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    _lines++;
    if (line == "quit") {
      reply(c, "bye\n");
      s->closeAfterAck = true;  // closed from onAck/onPoll, never inside onData
    } else if (line == "close-from-loop") {
      s->closeFromLoop = true;
    } else if (line == "stats") {
      char buf[96];
      std::snprintf(buf, sizeof buf, "{\"sessions\":%u,\"ticks\":%u,\"lines\":%u}\n",
                    unsigned(_sessions.size()), unsigned(_ticks), unsigned(_lines));
      reply(c, buf);
    } else {
      reply(c, line + "\n");
    }
  }
}

void EchoFirmware::onDisconnect(Session* s, AsyncClient* c) {
  bool deleteNow;
  {
    Lock lk(_mu);
    _sessions.erase(std::remove(_sessions.begin(), _sessions.end(), s), _sessions.end());
    // On the loop task (or racing a close the loop task owns) async_tcp may still be inside
    // a callback of this client: defer the delete to async_tcp.
    deleteNow = !(_inLoopClose || s->loopClosing);
    if (!deleteNow) _graveyard.push_back(Grave{c, s});
  }
  if (deleteNow) {
    delete s;
    delete c;
  }
}
