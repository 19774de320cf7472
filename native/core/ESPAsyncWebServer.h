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

#include "AsyncTCP.h"
#include "AsyncWebServer.h"
#include "AsyncWebSocket.h"
#include "FS.h"

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
