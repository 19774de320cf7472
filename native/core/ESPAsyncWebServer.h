// ESPAsyncWebServer.h: twincore's drop-in for ESPAsyncWebServer 3.x. A sketch written for the
// ESP32Async library compiles against twincore's core with no source change (the supported subset
// and every difference: README, "Moving from ESPAsyncWebServer"): the same class names in the
// global namespace (AsyncWebServer, AsyncWebServerRequest, AsyncWebServerResponse and its kinds,
// AsyncWebSocket, AsyncWebSocketClient, ...), the same enum values (WebRequestMethod bits,
// AwsEventType, AwsFrameType, AwsClientStatus) and the same calls.
//
// What differs on purpose (the core's lifetime safety): ws.client(id) returns an
// AsyncWebSocketClientRef (a counted handle) instead of a raw pointer, ws.getClients() a snapshot
// of such handles instead of the live std::list, and an AsyncWebSocketClient* passed to an event
// callback is valid for that callback only.
//
// Threads and lifetimes: AsyncWebServer.h (HTTP) and AsyncWebSocket.h (WebSocket).
#pragma once
#include <Arduino.h>
#include <assert.h>

#include <functional>

#include "AsyncTCP.h"
#include "AsyncWebServer.h"
#include "AsyncWebSocket.h"
#include "FS.h"

// ESPAsyncWebServer's helper namespace: the pieces sketches use.
namespace asyncsrv {
inline const String emptyString;
static constexpr const char* empty = "";
inline const char* methodToString(WebRequestMethod m) {
  switch (m) {
    case HTTP_GET: return "GET";
    case HTTP_POST: return "POST";
    case HTTP_DELETE: return "DELETE";
    case HTTP_PUT: return "PUT";
    case HTTP_PATCH: return "PATCH";
    case HTTP_HEAD: return "HEAD";
    case HTTP_OPTIONS: return "OPTIONS";
    default: return "UNKNOWN";
  }
}
}  // namespace asyncsrv

// ESPAsyncWebServer's AsyncWebSocketMessageHandler: per-kind callbacks over one AwsEventHandler
// (ws.onEvent(handler.eventHandler())). onMessage gets messages that arrived in one chunk
// (final, index 0, whole length); onFragment every other chunk. Keep the object alive as long as
// the server may deliver events (a global, as upstream's examples do): eventHandler() refers to it.
class AsyncWebSocketMessageHandler {
 public:
  AwsEventHandler eventHandler() const {
    const AsyncWebSocketMessageHandler* self = this;
    return [self](AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
                  size_t len) { self->_event(server, client, type, arg, data, len); };
  }
  void onConnect(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client)> fn) { _onConnect = fn; }
  void onDisconnect(std::function<void(AsyncWebSocket* server, uint32_t clientId)> fn) { _onDisconnect = fn; }
  void onError(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, uint16_t errorCode,
                                  const char* reason, size_t len)>
                   fn) {
    _onError = fn;
  }
  void onMessage(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, const uint8_t* data, size_t len)> fn) {
    _onMessage = fn;
  }
  void onFragment(std::function<void(AsyncWebSocket* server, AsyncWebSocketClient* client, const AwsFrameInfo* frameInfo,
                                     const uint8_t* data, size_t len)>
                      fn) {
    _onFragment = fn;
  }

 private:
  void _event(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
              size_t len) const {
    if (type == WS_EVT_CONNECT) {
      if (_onConnect) _onConnect(server, client);
    } else if (type == WS_EVT_DISCONNECT) {
      if (_onDisconnect) _onDisconnect(server, client->id());
    } else if (type == WS_EVT_ERROR) {
      if (_onError) _onError(server, client, *static_cast<uint16_t*>(arg), reinterpret_cast<const char*>(data), len);
    } else if (type == WS_EVT_DATA) {
      const AwsFrameInfo* info = static_cast<const AwsFrameInfo*>(arg);
      if (info->final && info->index == 0 && info->len == len) {
        if (_onMessage) _onMessage(server, client, data, len);
      } else if (_onFragment) {
        _onFragment(server, client, info, data, len);
      }
    }
  }
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*)> _onConnect;
  std::function<void(AsyncWebSocket*, uint32_t)> _onDisconnect;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, uint16_t, const char*, size_t)> _onError;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, const uint8_t*, size_t)> _onMessage;
  std::function<void(AsyncWebSocket*, AsyncWebSocketClient*, const AwsFrameInfo*, const uint8_t*, size_t)> _onFragment;
};

#define ASYNCWEBSERVER_FORK_ESP32Async
#define ASYNCWEBSERVER_TWINCORE 1
// The ESPAsyncWebServer version whose API this drop-in follows.
#define ASYNCWEBSERVER_VERSION_MAJOR 3
#define ASYNCWEBSERVER_VERSION_MINOR 12
#define ASYNCWEBSERVER_VERSION_PATCH 0
#define ASYNCWEBSERVER_VERSION_VAL(major, minor, patch) ((major << 16) | (minor << 8) | (patch))
#define ASYNCWEBSERVER_VERSION_NUM \
  ASYNCWEBSERVER_VERSION_VAL(ASYNCWEBSERVER_VERSION_MAJOR, ASYNCWEBSERVER_VERSION_MINOR, ASYNCWEBSERVER_VERSION_PATCH)
#define ASYNCWEBSERVER_VERSION "3.12.0"
