// AsyncWebSocket.h of the twincore library (Arduino / PlatformIO): forwards to the core's header
// (native/core/AsyncWebSocket.h: what it declares, its threads and lifetimes).
#pragma once
#include "../native/core/AsyncWebSocket.h"
