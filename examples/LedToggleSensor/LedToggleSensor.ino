// LedToggleSensor: a page with a button that toggles a LED over a WebSocket, and a sensor reading
// broadcast to every open page once a second. Written against ESPAsyncWebServer's API: with the
// twincore library it builds unchanged (lib_deps = twincore instead of ESPAsyncWebServer), and
// `npx twincore stress examples/LedToggleSensor --target asan` runs it on the desktop twin.
//
// Threads: the WebSocket and HTTP callbacks run on the async_tcp task, loop() on the loop task.
// The LED state is an atomic (both sides read and write it); the broadcast from loop() is safe
// with twincore's core whatever the clients do meanwhile.
#include <Arduino.h>
#include <ESPAsyncWebServer.h>
#include <WiFi.h>

#include <atomic>

static const char* WIFI_SSID = "your-ssid";
static const char* WIFI_PASS = "your-password";
static const int LED_PIN = 2;
static const int SENSOR_PIN = 34;  // an ADC1 pin (ADC2 is unusable while WiFi runs)

AsyncWebServer server(80);
AsyncWebSocket ws("/ws");
std::atomic<bool> ledOn{false};

static const char PAGE[] PROGMEM = R"html(<!doctype html>
<html><head><meta name="viewport" content="width=device-width"><title>LED</title></head>
<body><h1>LED is <span id="led">%LED%</span></h1><button id="b">Toggle</button>
<p>Sensor: <span id="s">-</span></p>
<script>
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if ('led' in m) document.getElementById('led').textContent = m.led ? 'ON' : 'OFF';
  if ('sensor' in m) document.getElementById('s').textContent = m.sensor;
};
document.getElementById('b').onclick = () => ws.send('toggle');
</script></body></html>)html";

String ledJson() { return String("{\"led\":") + (ledOn ? "true" : "false") + "}"; }

void onWsEvent(AsyncWebSocket* server, AsyncWebSocketClient* client, AwsEventType type, void* arg, uint8_t* data,
               size_t len) {
  if (type == WS_EVT_CONNECT) {
    client->text(ledJson());
  } else if (type == WS_EVT_DATA) {
    AwsFrameInfo* info = (AwsFrameInfo*)arg;
    // A whole text message in this event (the usual case for short commands).
    if (info->final && info->index == 0 && info->len == len && info->opcode == WS_TEXT) {
      if (len == 6 && memcmp(data, "toggle", 6) == 0) {
        ledOn = !ledOn;
        digitalWrite(LED_PIN, ledOn ? HIGH : LOW);
        server->textAll(ledJson());
      }
    }
  }
}

void setup() {
  Serial.begin(115200);
  pinMode(LED_PIN, OUTPUT);
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASS);
  for (int i = 0; i < 100 && WiFi.status() != WL_CONNECTED; i++) delay(100);
  Serial.printf("IP: %s\n", WiFi.localIP().toString().c_str());

  ws.onEvent(onWsEvent);
  server.addHandler(&ws);
  server.on("/", HTTP_GET, [](AsyncWebServerRequest* request) {
    request->send(200, "text/html", PAGE, [](const String& var) -> String {
      return var == "LED" ? String(ledOn ? "ON" : "OFF") : String();
    });
  });
  server.onNotFound([](AsyncWebServerRequest* request) { request->send(404, "text/plain", "Not found"); });
  server.begin();
}

void loop() {
  static uint32_t last = 0;
  if (millis() - last >= 1000) {
    last = millis();
    ws.printfAll("{\"sensor\":%u}", (unsigned)analogRead(SENSOR_PIN));
  }
  ws.cleanupClients();  // closes the oldest clients beyond DEFAULT_MAX_WS_CLIENTS
  delay(10);
}
