// twincore as an Arduino / PlatformIO library (library.properties, library.json at the repository
// root): the WebSocket/HTTP core (native/core) and its ESP32 port seam (native/port/freertos) in
// one translation unit, because both tools compile a library's src/ folder only (the rest of src/
// is the TypeScript harness, which they ignore). The headers next to this file forward to the
// core's; tc_port_impl.h picks the FreeRTOS seam. scripts/cross-check.mjs compiles this file for a
// 32-bit MCU and fails when a core source is missing from the list below.
// Threads and lifetimes: native/core/AsyncWebSocket.h and AsyncWebServer.h.
#include "../native/core/AsyncWebServer.cpp"
#include "../native/core/http_request.cpp"
#include "../native/core/tc_base64.cpp"
#include "../native/core/tc_heap.cpp"
#include "../native/core/tc_net_guard.cpp"
#include "../native/core/tc_sha1.cpp"
#include "../native/core/tc_utf8.cpp"
#include "../native/core/web_handlers.cpp"
#include "../native/core/web_responses.cpp"
#include "../native/core/ws_buffer.cpp"
#include "../native/core/ws_handshake.cpp"
#include "../native/core/ws_lifetime.cpp"
#include "../native/core/ws_parser.cpp"
#include "../native/core/ws_receive.cpp"
#include "../native/core/ws_send.cpp"
#include "../native/core/ws_server.cpp"
#include "../native/core/ws_writer.cpp"
#include "../native/port/freertos/tc_port.cpp"
