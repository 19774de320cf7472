// LittleFSStatic: a web app served from LittleFS (serveStatic with a default file and a cache
// policy) talking to the board over a WebSocket: the page asks for /api/files (a JSON listing
// made with AsyncResponseStream) and receives the uptime over /ws every two seconds. Upload the
// files with `pio run -t uploadfs`; when the flash is empty the sketch writes a small page so
// that it always serves something. Written against ESPAsyncWebServer's API; builds unchanged
// against the twincore library; `npx twincore stress examples/LittleFSStatic --target asan`.
#include <Arduino.h>
#include <ESPAsyncWebServer.h>
#include <LittleFS.h>

AsyncWebServer server(80);
AsyncWebSocket ws("/ws");

static const char DEFAULT_PAGE[] = R"html(<!doctype html>
<html><head><title>LittleFS</title><link rel="stylesheet" href="/style.css"></head>
<body><h1>Files</h1><ul id="f"></ul><p>Uptime: <span id="u">-</span> s</p>
<script>
fetch('/api/files').then(r => r.json()).then(list => {
  for (const f of list) document.getElementById('f').innerHTML += `<li>${f.name} (${f.size} B)</li>`;
});
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onmessage = (e) => { document.getElementById('u').textContent = JSON.parse(e.data).uptime; };
</script></body></html>)html";

void writeDefaults() {
  if (!LittleFS.exists("/www/index.html")) {
    File f = LittleFS.open("/www/index.html", FILE_WRITE, true);
    f.print(DEFAULT_PAGE);
    f.close();
  }
  if (!LittleFS.exists("/www/style.css")) {
    File f = LittleFS.open("/www/style.css", FILE_WRITE, true);
    f.print("body { font-family: sans-serif; margin: 2em; }\n");
    f.close();
  }
}

void setup() {
  Serial.begin(115200);
  if (!LittleFS.begin(true)) {
    Serial.println("LittleFS mount failed");
  }
  writeDefaults();

  server.on("/api/files", HTTP_GET, [](AsyncWebServerRequest* request) {
    AsyncResponseStream* response = request->beginResponseStream("application/json");
    response->print("[");
    File dir = LittleFS.open("/www");
    bool first = true;
    for (File f = dir.openNextFile(); f; f = dir.openNextFile()) {
      response->printf("%s{\"name\":\"%s\",\"size\":%u}", first ? "" : ",", f.name(), (unsigned)f.size());
      first = false;
    }
    response->print("]");
    request->send(response);
  });
  server.serveStatic("/", LittleFS, "/www/").setDefaultFile("index.html").setCacheControl("max-age=600");
  server.addHandler(&ws);
  server.onNotFound([](AsyncWebServerRequest* request) { request->send(404, "text/plain", "Not found"); });
  server.begin();
}

void loop() {
  static uint32_t last = 0;
  if (millis() - last >= 2000) {
    last = millis();
    ws.printfAll("{\"uptime\":%lu}", (unsigned long)(millis() / 1000));
  }
  ws.cleanupClients();
  delay(10);
}
