// ChatEcho: a chat room on /ws (every text message goes to everyone, with the sender's id) and
// an echo service on /echo (binary or text, any size: the message comes back as it arrives).
// Two AsyncWebSocket servers on one AsyncWebServer; loop() calls cleanupClients() on both, as
// ESPAsyncWebServer's documentation asks. Written against ESPAsyncWebServer's API; builds
// unchanged against the twincore library; `npx twincore stress examples/ChatEcho --target tsan`.
#include <Arduino.h>
#include <ESPAsyncWebServer.h>
#include <WiFi.h>

AsyncWebServer server(80);
AsyncWebSocket chat("/ws");
AsyncWebSocket echo("/echo");

void onChat(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
            size_t len) {
  switch (type) {
    case WS_EVT_CONNECT:
      server->printfAll("{\"joined\":%u,\"online\":%u}", (unsigned)client->id(), (unsigned)server->count());
      break;
    case WS_EVT_DISCONNECT:
      server->printfAll("{\"left\":%u}", (unsigned)client->id());
      break;
    case WS_EVT_DATA: {
      AwsFrameInfo* info = (AwsFrameInfo*)arg;
      if (info->opcode == WS_TEXT && info->final && info->index == 0 && info->len == len) {
        // data[len] is 0 for text: it can be used as a C string.
        String line = String(client->id()) + ": " + (const char*)data;
        server->textAll(line);
      }
      break;
    }
    default:
      break;
  }
}

// Echo: whole messages go back as they came; longer ones chunk by chunk as fragments.
void onEcho(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
            size_t len) {
  if (type != WS_EVT_DATA) return;
  AwsFrameInfo* info = (AwsFrameInfo*)arg;
  bool whole = info->final && info->index == 0 && info->len == len && info->num == 0;
  if (whole) {
    if (info->opcode == WS_TEXT) client->text(data, len);
    else client->binary(data, len);
    return;
  }
#ifdef ASYNCWEBSERVER_TWINCORE
  bool first = info->num == 0 && info->index == 0;
  bool last = info->final && info->index + len == info->len;
  client->sendFragment(first ? info->message_opcode : (uint8_t)WS_CONTINUATION, last, data, len);
#else
  client->close(1009, "too big for this echo");  // upstream has no fragment sender
#endif
}

void setup() {
  Serial.begin(115200);
  WiFi.softAP("chat-echo");
  chat.onEvent(onChat);
  echo.onEvent(onEcho);
  server.addHandler(&chat);
  server.addHandler(&echo);
  server.on("/", HTTP_GET, [](AsyncWebServerRequest* request) {
    request->send(200, "text/plain", "WebSocket chat on /ws, echo on /echo\n");
  });
  server.begin();
}

void loop() {
  chat.cleanupClients();
  echo.cleanupClients();
  delay(20);
}
