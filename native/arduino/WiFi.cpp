// WiFi.cpp: the WiFi object over per-device radio state, the arduino_events task, and the
// harness's drop/restore faults. Rules: WiFi.h, WiFiGeneric.h, WiFiSTA.h, WiFiAP.h, WiFiScan.h,
// twin_wifi.h.
#include "WiFi.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "twin.h"
#include "twin_internal.h"
#include "twin_wifi.h"

WiFiClass WiFi;

namespace {

using twin::Device;
using twin::LogLevel;

constexpr size_t kQueueMax = 32;          // arduino-esp32's event queue length
constexpr uint32_t kRetryMs = 1000;       // a failed join (AP gone) takes this long
constexpr uint32_t kWaitSliceMs = 50;     // the event task looks at the stop flag this often
constexpr int8_t kRssi = -45;

IPAddress loopback() { return IPAddress(127, 0, 0, 1); }

struct Handler {
  wifi_event_id_t id;
  arduino_event_id_t event;  // ARDUINO_EVENT_MAX: every event
  WiFiEventCb cb;
  WiFiEventFuncCb fcb;
  WiFiEventSysCb scb;
};

struct Pending {
  uint32_t due;           // uptimeMs when it may run
  bool retry;             // false: an event to deliver; true: the outcome of join attempt `attempt`
  uint64_t attempt;
  arduino_event_t ev;
};

struct Net {
  std::string ssid;
  wifi_auth_mode_t auth;
  int32_t rssi;
  uint8_t bssid[6];
  int32_t channel;
};

uint64_t fnv(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void bssidFor(const std::string& ssid, uint8_t out[6]) {
  uint64_t h = fnv(ssid);
  out[0] = 0x02;  // locally administered
  out[1] = 0x54;
  out[2] = 0x57;
  out[3] = uint8_t(h);
  out[4] = uint8_t(h >> 8);
  out[5] = uint8_t(h >> 16);
}

std::string macText(const uint8_t m[6]) {
  char b[18];
  std::snprintf(b, sizeof b, "%02X:%02X:%02X:%02X:%02X:%02X", m[0], m[1], m[2], m[3], m[4], m[5]);
  return b;
}

struct WiFiState : twin::DeviceState {
  explicit WiFiState(Device* d) : dev(d) {
    uint64_t h = fnv(d->profile().name + "\n" + d->dataDir());
    const uint8_t m[6] = {0x24, 0x0A, 0xC4, uint8_t(h), uint8_t(h >> 8), uint8_t(h >> 16)};
    std::memcpy(mac, m, 6);
    char b[32];
    std::snprintf(b, sizeof b, "esp32-%02X%02X%02X", mac[3], mac[4], mac[5]);
    hostname = b;
    apHostname = b;
  }

  Device* const dev;
  uint8_t mac[6];

  // mu guards every field below and is never held while a callback runs or the CPU of a
  // single-core profile is taken. cv (with mu) wakes the arduino_events task.
  std::mutex mu;
  std::condition_variable cv;

  wifi_mode_t mode = WIFI_MODE_NULL;
  // station
  wl_status_t status = WL_STOPPED;
  bool configured = false;  // an SSID was given
  std::string ssid, pass;
  int32_t channel = 0;
  bool fixedBssid = false;
  uint8_t bssid[6] = {};
  bool wanted = false;      // the sketch wants the station joined (begin/reconnect, no disconnect)
  bool connected = false;   // associated and addressed
  bool autoReconnect = true;
  uint64_t attempt = 0;     // join attempts; a pending outcome of an older one is ignored
  bool staticIp = false;
  IPAddress sip, sgw, smask, sdns1, sdns2;
  IPAddress dnsSet1, dnsSet2;  // setDNS()
  // soft-AP
  std::string apSsid, apPass;
  int apChannel = 1;
  IPAddress apIp{192, 168, 4, 1}, apGw{192, 168, 4, 1}, apMask{255, 255, 255, 0};
  std::string hostname, apHostname;
  wifi_ps_type_t sleep = WIFI_PS_MIN_MODEM;
  wifi_power_t txPower = WIFI_POWER_19_5dBm;
  // scans
  std::vector<Net> scan;
  int16_t scanState = WIFI_SCAN_FAILED;
  uint8_t scanId = 0;
  // harness
  bool dropped = false;
  // events
  std::vector<Handler> handlers;
  wifi_event_id_t nextId = 1;
  std::deque<Pending> queue;
  bool taskStarted = false;
  std::vector<std::pair<LogLevel, std::string>> logs;  // written once mu is released

  // ---------- under mu ----------
  void say(LogLevel l, std::string s) { logs.emplace_back(l, std::move(s)); }

  void post(arduino_event_id_t id, const arduino_event_info_t& info, uint32_t delayMs = 0) {
    Pending p{};
    p.due = twin::uptimeMs() + delayMs;
    p.retry = false;
    p.ev.event_id = id;
    p.ev.event_info = info;
    push(p);
  }
  void post(arduino_event_id_t id) {
    arduino_event_info_t info;
    std::memset(&info, 0, sizeof info);
    post(id, info);
  }
  void push(const Pending& p) {
    if (queue.size() >= kQueueMax) {
      say(LogLevel::Error, "WiFi: Arduino Event Send Failed! (event " + std::to_string(int(p.ev.event_id)) + " lost)");
      return;
    }
    // Ordered by due time; equal times keep their posting order.
    auto it = std::upper_bound(queue.begin(), queue.end(), p.due,
                               [](uint32_t due, const Pending& q) { return int32_t(due - q.due) < 0; });
    queue.insert(it, p);
  }
  void scheduleRetry() {
    Pending p{};
    p.due = twin::uptimeMs() + kRetryMs;
    p.retry = true;
    p.attempt = attempt;
    push(p);
  }

  const uint8_t* apBssid() {
    if (!fixedBssid) bssidFor(ssid, bssid);
    return bssid;
  }
  int32_t staChannel() const { return channel > 0 ? channel : 1; }
  IPAddress ip() const { return connected ? (staticIp ? sip : loopback()) : IPAddress(); }
  IPAddress gw() const { return connected ? (staticIp ? sgw : loopback()) : IPAddress(); }
  IPAddress mask() const { return connected ? (staticIp ? smask : IPAddress(255, 0, 0, 0)) : IPAddress(); }

  arduino_event_info_t connectedInfo() {
    arduino_event_info_t info;
    std::memset(&info, 0, sizeof info);
    auto& c = info.wifi_sta_connected;
    size_t n = std::min<size_t>(ssid.size(), 32);
    std::memcpy(c.ssid, ssid.data(), n);
    c.ssid_len = uint8_t(n);
    std::memcpy(c.bssid, apBssid(), 6);
    c.channel = uint8_t(staChannel());
    c.authmode = pass.empty() ? WIFI_AUTH_OPEN : WIFI_AUTH_WPA2_PSK;
    c.aid = 1;
    return info;
  }
  arduino_event_info_t disconnectedInfo(wifi_err_reason_t reason) {
    arduino_event_info_t info;
    std::memset(&info, 0, sizeof info);
    auto& d = info.wifi_sta_disconnected;
    size_t n = std::min<size_t>(ssid.size(), 32);
    std::memcpy(d.ssid, ssid.data(), n);
    d.ssid_len = uint8_t(n);
    std::memcpy(d.bssid, apBssid(), 6);
    d.reason = uint8_t(reason);
    d.rssi = reason == WIFI_REASON_NO_AP_FOUND ? -127 : kRssi;
    return info;
  }
  arduino_event_info_t gotIpInfo(bool changed) {
    arduino_event_info_t info;
    std::memset(&info, 0, sizeof info);
    info.got_ip.ip_info.ip.addr = uint32_t(ip());
    info.got_ip.ip_info.netmask.addr = uint32_t(mask());
    info.got_ip.ip_info.gw.addr = uint32_t(gw());
    info.got_ip.ip_changed = changed;
    return info;
  }

  // The station leaves its network (if joined): DISCONNECTED(reason) then LOST_IP.
  void leave(wifi_err_reason_t reason, wl_status_t newStatus) {
    if (connected) {
      arduino_event_info_t d = disconnectedInfo(reason);
      connected = false;
      post(ARDUINO_EVENT_WIFI_STA_DISCONNECTED, d);
      post(ARDUINO_EVENT_WIFI_STA_LOST_IP);
    }
    status = newStatus;
  }

  // One join attempt: at once when the AP is there, else its failure is due in kRetryMs.
  void join() {
    ++attempt;
    if (dropped) {
      status = WL_DISCONNECTED;
      scheduleRetry();
      return;
    }
    connected = true;
    status = WL_CONNECTED;
    post(ARDUINO_EVENT_WIFI_STA_CONNECTED, connectedInfo());
    post(ARDUINO_EVENT_WIFI_STA_GOT_IP, gotIpInfo(true));
    say(LogLevel::Info, "WiFi: station joined '" + ssid + "', IP " + ip().toString().c_str());
  }

  // The due outcome of join attempt `a` (on the event task).
  void retryOutcome(uint64_t a) {
    if (a != attempt || !wanted || connected || !(mode & WIFI_MODE_STA)) return;
    if (!dropped) {
      join();
      return;
    }
    status = WL_NO_SSID_AVAIL;
    post(ARDUINO_EVENT_WIFI_STA_DISCONNECTED, disconnectedInfo(WIFI_REASON_NO_AP_FOUND));
    if (autoReconnect) {
      ++attempt;
      scheduleRetry();
    } else {
      wanted = false;
    }
  }

  bool setMode(wifi_mode_t m) {
    if (m < WIFI_MODE_NULL || m >= WIFI_MODE_MAX) return false;
    wifi_mode_t old = mode;
    if (m == old) return true;
    bool staOld = old & WIFI_MODE_STA, staNew = m & WIFI_MODE_STA;
    bool apOld = old & WIFI_MODE_AP, apNew = m & WIFI_MODE_AP;
    if (old == WIFI_MODE_NULL) post(ARDUINO_EVENT_WIFI_READY);
    if (staOld && !staNew) {
      leave(WIFI_REASON_ASSOC_LEAVE, WL_STOPPED);
      wanted = false;
      ++attempt;
      post(ARDUINO_EVENT_WIFI_STA_STOP);
    }
    if (apOld && !apNew) {
      post(ARDUINO_EVENT_WIFI_AP_STOP);
      say(LogLevel::Info, "WiFi: soft-AP stopped");
    }
    mode = m;
    if (!staOld && staNew) {
      status = WL_DISCONNECTED;
      post(ARDUINO_EVENT_WIFI_STA_START);
    }
    if (!apOld && apNew) {
      if (apSsid.empty()) {
        char b[16];
        std::snprintf(b, sizeof b, "ESP_%02X%02X%02X", mac[3], mac[4], uint8_t(mac[5] + 1));
        apSsid = b;
      }
      post(ARDUINO_EVENT_WIFI_AP_START);
      say(LogLevel::Info, "WiFi: soft-AP '" + apSsid + "' started, IP " + apIp.toString().c_str());
    }
    if (m == WIFI_MODE_NULL) post(ARDUINO_EVENT_WIFI_OFF);
    return true;
  }

  // ---------- without mu ----------

  // Runs f under mu, then writes the log lines it queued, starts the event task if events wait
  // and none runs, and wakes it.
  template <class F>
  auto with(F f) -> decltype(f()) {
    using R = decltype(f());
    std::vector<std::pair<LogLevel, std::string>> out;
    bool start = false;
    auto finish = [&] {
      start = !taskStarted && !queue.empty();
      if (start) taskStarted = true;
      out.swap(logs);
    };
    if constexpr (std::is_void_v<R>) {
      {
        std::lock_guard<std::mutex> lk(mu);
        f();
        finish();
      }
      after(out, start);
    } else {
      R r;
      {
        std::lock_guard<std::mutex> lk(mu);
        r = f();
        finish();
      }
      after(out, start);
      return r;
    }
  }

  void after(std::vector<std::pair<LogLevel, std::string>>& out, bool start) {
    for (auto& l : out) dev->impl()->log(l.first, l.second);
    if (start && twin::startTask(dev, [this] { taskMain(); }, "arduino_events") == 0) {
      std::lock_guard<std::mutex> lk(mu);
      taskStarted = false;  // the device is not running (yet) or stopping: a later post retries
    }
    cv.notify_all();
  }

  // The arduino_events task: delivers due events one at a time, callbacks outside mu.
  void taskMain() {
    for (;;) {
      bool have = false;
      arduino_event_t ev;
      std::vector<Handler> hs;
      std::vector<std::pair<LogLevel, std::string>> out;
      twin::blockBegin();
      {
        std::unique_lock<std::mutex> lk(mu);
        while (!twin::stopping()) {
          if (!queue.empty()) {
            int32_t wait = int32_t(queue.front().due - twin::uptimeMs());
            if (wait <= 0) {
              Pending p = queue.front();
              queue.pop_front();
              if (p.retry) {
                retryOutcome(p.attempt);
                continue;
              }
              ev = p.ev;
              have = true;
              break;
            }
            cv.wait_for(lk, std::chrono::milliseconds(std::min<uint32_t>(uint32_t(wait), kWaitSliceMs)));
          } else {
            cv.wait_for(lk, std::chrono::milliseconds(kWaitSliceMs));
          }
        }
        if (have) {
          for (auto& h : handlers)
            if (h.event == ARDUINO_EVENT_MAX || h.event == ev.event_id) hs.push_back(h);
        }
        out.swap(logs);
      }
      twin::blockEnd();
      for (auto& l : out) dev->impl()->log(l.first, l.second);
      twin::checkTaskStop();  // unwinds this task (TaskExit) once the device stops
      if (!have) continue;
      for (auto& h : hs) {
        if (h.cb) {
          h.cb(ev.event_id);
        } else if (h.fcb) {
          h.fcb(ev.event_id, ev.event_info);
        } else if (h.scb) {
          arduino_event_t copy = ev;
          h.scb(&copy);
        }
      }
    }
  }
};

WiFiState* st() { return twin::deviceState<WiFiState>(twin::contextDevice()); }

bool validSsid(const char* ssid) { return ssid && *ssid && std::strlen(ssid) <= 32; }

void logHere(LogLevel l, const std::string& s) {
  if (Device* d = twin::contextDevice()) {
    d->impl()->log(l, s);
  } else {
    twin::log(l, s);
  }
}

}  // namespace

// ======================= WiFiGenericClass =======================

wifi_event_id_t WiFiGenericClass::onEvent(WiFiEventCb cbEvent, arduino_event_id_t event) {
  WiFiState* s = st();
  if (!s || !cbEvent) return 0;
  return s->with([&] {
    s->handlers.push_back({s->nextId, event, cbEvent, nullptr, nullptr});
    return s->nextId++;
  });
}

wifi_event_id_t WiFiGenericClass::onEvent(WiFiEventFuncCb cbEvent, arduino_event_id_t event) {
  WiFiState* s = st();
  if (!s || !cbEvent) return 0;
  return s->with([&] {
    s->handlers.push_back({s->nextId, event, nullptr, std::move(cbEvent), nullptr});
    return s->nextId++;
  });
}

wifi_event_id_t WiFiGenericClass::onEvent(WiFiEventSysCb cbEvent, arduino_event_id_t event) {
  WiFiState* s = st();
  if (!s || !cbEvent) return 0;
  return s->with([&] {
    s->handlers.push_back({s->nextId, event, nullptr, nullptr, cbEvent});
    return s->nextId++;
  });
}

void WiFiGenericClass::removeEvent(WiFiEventCb cbEvent, arduino_event_id_t event) {
  WiFiState* s = st();
  if (!s || !cbEvent) return;
  s->with([&] {
    auto& v = s->handlers;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Handler& h) { return h.cb == cbEvent && h.event == event; }), v.end());
  });
}

void WiFiGenericClass::removeEvent(WiFiEventSysCb cbEvent, arduino_event_id_t event) {
  WiFiState* s = st();
  if (!s || !cbEvent) return;
  s->with([&] {
    auto& v = s->handlers;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Handler& h) { return h.scb == cbEvent && h.event == event; }), v.end());
  });
}

void WiFiGenericClass::removeEvent(wifi_event_id_t id) {
  WiFiState* s = st();
  if (!s) return;
  s->with([&] {
    auto& v = s->handlers;
    v.erase(std::remove_if(v.begin(), v.end(), [&](const Handler& h) { return h.id == id; }), v.end());
  });
}

const char* WiFiGenericClass::eventName(arduino_event_id_t id) {
  switch (id) {
    case ARDUINO_EVENT_WIFI_OFF: return "WIFI_OFF";
    case ARDUINO_EVENT_WIFI_READY: return "WIFI_READY";
    case ARDUINO_EVENT_WIFI_SCAN_DONE: return "SCAN_DONE";
    case ARDUINO_EVENT_WIFI_STA_START: return "STA_START";
    case ARDUINO_EVENT_WIFI_STA_STOP: return "STA_STOP";
    case ARDUINO_EVENT_WIFI_STA_CONNECTED: return "STA_CONNECTED";
    case ARDUINO_EVENT_WIFI_STA_DISCONNECTED: return "STA_DISCONNECTED";
    case ARDUINO_EVENT_WIFI_STA_AUTHMODE_CHANGE: return "STA_AUTHMODE_CHANGE";
    case ARDUINO_EVENT_WIFI_STA_GOT_IP: return "STA_GOT_IP";
    case ARDUINO_EVENT_WIFI_STA_GOT_IP6: return "STA_GOT_IP6";
    case ARDUINO_EVENT_WIFI_STA_LOST_IP: return "STA_LOST_IP";
    case ARDUINO_EVENT_WIFI_AP_START: return "AP_START";
    case ARDUINO_EVENT_WIFI_AP_STOP: return "AP_STOP";
    case ARDUINO_EVENT_WIFI_AP_STACONNECTED: return "AP_STACONNECTED";
    case ARDUINO_EVENT_WIFI_AP_STADISCONNECTED: return "AP_STADISCONNECTED";
    case ARDUINO_EVENT_WIFI_AP_STAIPASSIGNED: return "AP_STAIPASSIGNED";
    default: return "UNKNOWN";
  }
}

int32_t WiFiGenericClass::channel() {
  WiFiState* s = st();
  if (!s) return 0;
  return s->with([&]() -> int32_t {
    if (s->connected) return s->staChannel();
    if (s->mode & WIFI_MODE_AP) return s->apChannel;
    return 0;
  });
}

void WiFiGenericClass::persistent(bool) {}
void WiFiGenericClass::enableLongRange(bool) {}

bool WiFiGenericClass::mode(wifi_mode_t m) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] { return s->setMode(m); });
}

wifi_mode_t WiFiGenericClass::getMode() {
  WiFiState* s = st();
  if (!s) return WIFI_MODE_NULL;
  return s->with([&] { return s->mode; });
}

bool WiFiGenericClass::enableSTA(bool enable) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] { return s->setMode(wifi_mode_t(enable ? (s->mode | WIFI_MODE_STA) : (s->mode & ~WIFI_MODE_STA))); });
}

bool WiFiGenericClass::enableAP(bool enable) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] { return s->setMode(wifi_mode_t(enable ? (s->mode | WIFI_MODE_AP) : (s->mode & ~WIFI_MODE_AP))); });
}

bool WiFiGenericClass::setSleep(bool enabled) { return setSleep(enabled ? WIFI_PS_MIN_MODEM : WIFI_PS_NONE); }

bool WiFiGenericClass::setSleep(wifi_ps_type_t sleepType) {
  WiFiState* s = st();
  if (!s || sleepType < WIFI_PS_NONE || sleepType > WIFI_PS_MAX_MODEM) return false;
  s->with([&] { s->sleep = sleepType; });
  return true;
}

wifi_ps_type_t WiFiGenericClass::getSleep() {
  WiFiState* s = st();
  if (!s) return WIFI_PS_NONE;
  return s->with([&] { return s->sleep; });
}

bool WiFiGenericClass::setTxPower(wifi_power_t power) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] {
    if (s->mode == WIFI_MODE_NULL) {
      s->say(LogLevel::Error, "WiFi: setTxPower(): neither AP nor STA has been started");
      return false;
    }
    s->txPower = power;
    return true;
  });
}

wifi_power_t WiFiGenericClass::getTxPower() {
  WiFiState* s = st();
  if (!s) return WIFI_POWER_19_5dBm;
  return s->with([&] { return s->txPower; });
}

const char* WiFiGenericClass::getHostname() {
  WiFiState* s = st();
  if (!s) return "";
  return s->with([&] { return s->hostname.c_str(); });
}

bool WiFiGenericClass::setHostname(const char* hostname) {
  WiFiState* s = st();
  if (!s || !hostname || !*hostname || std::strlen(hostname) > 63) return false;
  s->with([&] { s->hostname = hostname; });
  return true;
}

int WiFiGenericClass::hostByName(const char* aHostname, IPAddress& aResult) {
  if (!aHostname) return 0;
  if (std::strcmp(aHostname, "localhost") == 0) {
    aResult = loopback();
    return 1;
  }
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(aHostname, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 && c < 256 && d < 256) {
    aResult = IPAddress(uint8_t(a), uint8_t(b), uint8_t(c), uint8_t(d));
    return 1;
  }
  logHere(LogLevel::Warn, std::string("WiFi: hostByName('") + aHostname + "'): the twin has no DNS");
  return 0;
}

IPAddress WiFiGenericClass::calculateNetworkID(IPAddress ip, IPAddress subnet) {
  return IPAddress(uint32_t(ip) & uint32_t(subnet));
}

IPAddress WiFiGenericClass::calculateBroadcast(IPAddress ip, IPAddress subnet) {
  return IPAddress((uint32_t(ip) & uint32_t(subnet)) | ~uint32_t(subnet));
}

uint8_t WiFiGenericClass::calculateSubnetCIDR(IPAddress subnetMask) {
  uint8_t n = 0;
  for (int i = 0; i < 4; ++i)
    for (int bit = 7; bit >= 0; --bit) n += (subnetMask[i] >> bit) & 1;
  return n;
}

// ======================= WiFiSTAClass =======================

wl_status_t WiFiSTAClass::begin(const char* ssid, const char* passphrase, int32_t channel, const uint8_t* bssid,
                                bool connect) {
  WiFiState* s = st();
  if (!s) return WL_NO_SHIELD;
  if (!validSsid(ssid)) {
    logHere(LogLevel::Error, "WiFi: begin(): SSID too long or missing!");
    return WL_CONNECT_FAILED;
  }
  size_t plen = passphrase ? std::strlen(passphrase) : 0;
  if (plen > 64) {
    logHere(LogLevel::Error, "WiFi: begin(): passphrase too long!");
    return WL_CONNECT_FAILED;
  }
  if (plen > 0 && plen < 8) {
    logHere(LogLevel::Error, "WiFi: begin(): passphrase too short!");
    return WL_CONNECT_FAILED;
  }
  return s->with([&] {
    if (!(s->mode & WIFI_MODE_STA)) s->setMode(wifi_mode_t(s->mode | WIFI_MODE_STA));
    s->leave(WIFI_REASON_ASSOC_LEAVE, WL_DISCONNECTED);
    s->ssid = ssid;
    s->pass = passphrase ? passphrase : "";
    s->channel = channel;
    s->fixedBssid = bssid != nullptr;
    if (bssid) std::memcpy(s->bssid, bssid, 6);
    s->configured = true;
    if (connect) {
      s->wanted = true;
      s->join();
    } else {
      s->wanted = false;
      ++s->attempt;
    }
    return s->status;
  });
}

wl_status_t WiFiSTAClass::begin() {
  WiFiState* s = st();
  if (!s) return WL_NO_SHIELD;
  return s->with([&] {
    if (!(s->mode & WIFI_MODE_STA)) s->setMode(wifi_mode_t(s->mode | WIFI_MODE_STA));
    if (!s->configured) {
      s->say(LogLevel::Warn, "WiFi: begin(): no network configured (the twin keeps none across restarts)");
      return s->status;
    }
    if (!s->connected) {
      s->wanted = true;
      s->join();
    }
    return s->status;
  });
}

bool WiFiSTAClass::config(IPAddress local_ip, IPAddress gateway, IPAddress subnet, IPAddress dns1, IPAddress dns2) {
  WiFiState* s = st();
  if (!s) return false;
  // Arduino's order (ip, dns, gateway, subnet) is accepted too, as on the board: a third argument
  // that is no mask means the order was that one.
  if (uint32_t(local_ip) != 0 && subnet[0] != 255 && uint32_t(subnet) != 0) {
    IPAddress dns = gateway;
    gateway = subnet;
    subnet = uint32_t(dns1) != 0 ? dns1 : IPAddress(255, 255, 255, 0);
    dns1 = dns;
  }
  return s->with([&] {
    IPAddress before = s->ip();
    if (uint32_t(local_ip) == 0) {
      s->staticIp = false;
    } else {
      s->staticIp = true;
      s->sip = local_ip;
      s->sgw = gateway;
      s->smask = uint32_t(subnet) ? subnet : IPAddress(255, 255, 255, 0);
      s->sdns1 = dns1;
      s->sdns2 = dns2;
    }
    if (s->connected && s->ip() != before) s->post(ARDUINO_EVENT_WIFI_STA_GOT_IP, s->gotIpInfo(true));
    return true;
  });
}

bool WiFiSTAClass::config(IPAddress local_ip, IPAddress dns) {
  if (uint32_t(local_ip) == 0) return config(local_ip, IPAddress(), IPAddress(), dns);
  IPAddress gw(local_ip[0], local_ip[1], local_ip[2], 1);
  return config(local_ip, gw, IPAddress(255, 255, 255, 0), dns);
}

bool WiFiSTAClass::setDNS(IPAddress dns1, IPAddress dns2) {
  WiFiState* s = st();
  if (!s) return false;
  s->with([&] {
    s->dnsSet1 = dns1;
    s->dnsSet2 = dns2;
  });
  return true;
}

bool WiFiSTAClass::reconnect() {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] {
    if (!(s->mode & WIFI_MODE_STA) || !s->configured) return false;
    s->leave(WIFI_REASON_ASSOC_LEAVE, WL_DISCONNECTED);
    s->wanted = true;
    s->join();
    return true;
  });
}

bool WiFiSTAClass::disconnectAsync(bool wifioff, bool eraseap) { return disconnect(wifioff, eraseap, 0); }

bool WiFiSTAClass::disconnect(bool wifioff, bool eraseap, unsigned long) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] {
    if (!(s->mode & WIFI_MODE_STA)) return false;
    bool was = s->connected;
    s->leave(WIFI_REASON_ASSOC_LEAVE, WL_DISCONNECTED);
    s->wanted = false;
    ++s->attempt;
    if (was) s->say(LogLevel::Info, "WiFi: station left '" + s->ssid + "'");
    if (eraseap) {
      s->configured = false;
      s->ssid.clear();
      s->pass.clear();
    }
    if (wifioff) s->setMode(wifi_mode_t(s->mode & ~WIFI_MODE_STA));
    return true;
  });
}

bool WiFiSTAClass::eraseAP() {
  WiFiState* s = st();
  if (!s) return false;
  s->with([&] {
    s->configured = false;
    s->ssid.clear();
    s->pass.clear();
  });
  return true;
}

bool WiFiSTAClass::isConnected() { return status() == WL_CONNECTED; }

bool WiFiSTAClass::setAutoReconnect(bool autoReconnect) {
  WiFiState* s = st();
  if (!s) return false;
  s->with([&] { s->autoReconnect = autoReconnect; });
  return true;
}

bool WiFiSTAClass::getAutoReconnect() {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] { return s->autoReconnect; });
}

uint8_t WiFiSTAClass::waitForConnectResult(unsigned long timeoutLength) {
  WiFiState* s = st();
  if (!s) return WL_NO_SHIELD;
  if (!(s->with([&] { return s->mode; }) & WIFI_MODE_STA)) return WL_DISCONNECTED;
  uint32_t start = twin::uptimeMs();
  for (;;) {
    wl_status_t now = status();
    if ((now != WL_IDLE_STATUS && now < WL_DISCONNECTED) || twin::uptimeMs() - start >= timeoutLength) return uint8_t(now);
    twin::sleepMs(100);
    if (twin::stopping()) return uint8_t(status());
  }
}

void WiFiSTAClass::setMinSecurity(wifi_auth_mode_t) {}
void WiFiSTAClass::setScanMethod(wifi_scan_method_t) {}
void WiFiSTAClass::setSortMethod(wifi_sort_method_t) {}

wl_status_t WiFiSTAClass::status() {
  WiFiState* s = st();
  if (!s) return WL_NO_SHIELD;
  return s->with([&] { return s->status; });
}

String WiFiSTAClass::SSID() const {
  WiFiState* s = st();
  if (!s) return String();
  std::string v = s->with([&] { return s->connected ? s->ssid : std::string(); });
  return String(v.c_str());
}

String WiFiSTAClass::psk() const {
  WiFiState* s = st();
  if (!s) return String();
  std::string v = s->with([&] { return s->connected ? s->pass : std::string(); });
  return String(v.c_str());
}

uint8_t* WiFiSTAClass::BSSID(uint8_t* bssid) {
  WiFiState* s = st();
  if (!s) return nullptr;
  return s->with([&]() -> uint8_t* {
    if (!s->connected) return nullptr;
    const uint8_t* b = s->apBssid();
    if (bssid) {
      std::memcpy(bssid, b, 6);
      return bssid;
    }
    return s->bssid;
  });
}

String WiFiSTAClass::BSSIDstr() {
  uint8_t b[6];
  if (!BSSID(b)) return String();
  return String(macText(b).c_str());
}

int8_t WiFiSTAClass::RSSI() {
  WiFiState* s = st();
  if (!s) return 0;
  return s->with([&] { return s->connected ? kRssi : int8_t(0); });
}

IPAddress WiFiSTAClass::localIP() {
  WiFiState* s = st();
  if (!s) return IPAddress();
  return s->with([&] { return s->ip(); });
}

uint8_t* WiFiSTAClass::macAddress(uint8_t* mac) {
  WiFiState* s = st();
  if (!mac) return nullptr;
  if (!s) {
    std::memset(mac, 0, 6);
  } else {
    std::memcpy(mac, s->mac, 6);
  }
  return mac;
}

String WiFiSTAClass::macAddress() {
  uint8_t m[6];
  macAddress(m);
  return String(macText(m).c_str());
}

IPAddress WiFiSTAClass::subnetMask() {
  WiFiState* s = st();
  if (!s) return IPAddress();
  return s->with([&] { return s->mask(); });
}

IPAddress WiFiSTAClass::gatewayIP() {
  WiFiState* s = st();
  if (!s) return IPAddress();
  return s->with([&] { return s->gw(); });
}

IPAddress WiFiSTAClass::dnsIP(uint8_t dns_no) {
  WiFiState* s = st();
  if (!s || dns_no > 1) return IPAddress();
  return s->with([&]() -> IPAddress {
    IPAddress set = dns_no == 0 ? s->dnsSet1 : s->dnsSet2;
    if (uint32_t(set) != 0) return set;
    if (!s->connected) return IPAddress();
    if (s->staticIp) return dns_no == 0 ? s->sdns1 : s->sdns2;
    return dns_no == 0 ? loopback() : IPAddress();
  });
}

IPAddress WiFiSTAClass::broadcastIP() { return WiFiGenericClass::calculateBroadcast(localIP(), subnetMask()); }
IPAddress WiFiSTAClass::networkID() { return WiFiGenericClass::calculateNetworkID(localIP(), subnetMask()); }
uint8_t WiFiSTAClass::subnetCIDR() { return WiFiGenericClass::calculateSubnetCIDR(subnetMask()); }

// ======================= WiFiAPClass =======================

bool WiFiAPClass::softAP(const char* ssid, const char* passphrase, int channel, int ssid_hidden, int max_connection,
                         bool ftm_responder, wifi_auth_mode_t auth_mode, wifi_cipher_type_t cipher) {
  WiFiState* s = st();
  if (!s) return false;
  if (!validSsid(ssid)) {
    logHere(LogLevel::Error, "WiFi: softAP(): SSID too long or missing!");
    return false;
  }
  size_t plen = passphrase ? std::strlen(passphrase) : 0;
  if (plen > 0 && plen < 8) {
    logHere(LogLevel::Error, "WiFi: softAP(): passphrase too short!");
    return false;
  }
  if (plen > 63) {
    logHere(LogLevel::Error, "WiFi: softAP(): passphrase too long!");
    return false;
  }
  if (channel < 1 || channel > 13) {
    logHere(LogLevel::Error, "WiFi: softAP(): invalid channel " + std::to_string(channel));
    return false;
  }
  return s->with([&] {
    s->apSsid = ssid;
    s->apPass = passphrase ? passphrase : "";
    s->apChannel = channel;
    if (!(s->mode & WIFI_MODE_AP)) s->setMode(wifi_mode_t(s->mode | WIFI_MODE_AP));
    return true;
  });
}

bool WiFiAPClass::softAPConfig(IPAddress local_ip, IPAddress gateway, IPAddress subnet, IPAddress, IPAddress) {
  WiFiState* s = st();
  if (!s) return false;
  if (uint32_t(local_ip) == 0 || uint32_t(subnet) == 0) {
    logHere(LogLevel::Error, "WiFi: softAPConfig(): invalid address or subnet");
    return false;
  }
  s->with([&] {
    s->apIp = local_ip;
    s->apGw = gateway;
    s->apMask = subnet;
  });
  return true;
}

bool WiFiAPClass::softAPdisconnect(bool wifioff) {
  WiFiState* s = st();
  if (!s) return false;
  return s->with([&] {
    if (!(s->mode & WIFI_MODE_AP)) return false;
    s->apSsid.clear();
    s->apPass.clear();
    if (wifioff) s->setMode(wifi_mode_t(s->mode & ~WIFI_MODE_AP));
    return true;
  });
}

bool WiFiAPClass::softAPbandwidth(wifi_bandwidth_t) { return true; }
uint8_t WiFiAPClass::softAPgetStationNum() { return 0; }

String WiFiAPClass::softAPSSID() const {
  WiFiState* s = st();
  if (!s) return String();
  std::string v = s->with([&] { return (s->mode & WIFI_MODE_AP) ? s->apSsid : std::string(); });
  return String(v.c_str());
}

IPAddress WiFiAPClass::softAPIP() {
  WiFiState* s = st();
  if (!s) return IPAddress();
  return s->with([&] { return (s->mode & WIFI_MODE_AP) ? s->apIp : IPAddress(); });
}

IPAddress WiFiAPClass::softAPSubnetMask() {
  WiFiState* s = st();
  if (!s) return IPAddress();
  return s->with([&] { return (s->mode & WIFI_MODE_AP) ? s->apMask : IPAddress(); });
}

IPAddress WiFiAPClass::softAPBroadcastIP() { return WiFiGenericClass::calculateBroadcast(softAPIP(), softAPSubnetMask()); }
IPAddress WiFiAPClass::softAPNetworkID() { return WiFiGenericClass::calculateNetworkID(softAPIP(), softAPSubnetMask()); }
uint8_t WiFiAPClass::softAPSubnetCIDR() { return WiFiGenericClass::calculateSubnetCIDR(softAPSubnetMask()); }

const char* WiFiAPClass::softAPgetHostname() {
  WiFiState* s = st();
  if (!s) return "";
  return s->with([&] { return s->apHostname.c_str(); });
}

bool WiFiAPClass::softAPsetHostname(const char* hostname) {
  WiFiState* s = st();
  if (!s || !hostname || !*hostname || std::strlen(hostname) > 63) return false;
  s->with([&] { s->apHostname = hostname; });
  return true;
}

uint8_t* WiFiAPClass::softAPmacAddress(uint8_t* mac) {
  WiFiState* s = st();
  if (!mac) return nullptr;
  if (!s) {
    std::memset(mac, 0, 6);
  } else {
    std::memcpy(mac, s->mac, 6);
    mac[5] = uint8_t(mac[5] + 1);
  }
  return mac;
}

String WiFiAPClass::softAPmacAddress() {
  uint8_t m[6];
  softAPmacAddress(m);
  return String(macText(m).c_str());
}

// ======================= WiFiScanClass =======================

int16_t WiFiScanClass::scanNetworks(bool async, bool, bool, uint32_t, uint8_t channel, const char* ssid,
                                    const uint8_t* bssid) {
  WiFiState* s = st();
  if (!s) return WIFI_SCAN_FAILED;
  return s->with([&]() -> int16_t {
    if (!(s->mode & WIFI_MODE_STA)) s->setMode(wifi_mode_t(s->mode | WIFI_MODE_STA));
    std::vector<Net> air;
    if (!s->dropped) {
      if (s->configured && s->ssid != "twincore-lab" && s->ssid != "twincore-guest") {
        Net n{s->ssid, s->pass.empty() ? WIFI_AUTH_OPEN : WIFI_AUTH_WPA2_PSK, kRssi, {}, s->staChannel()};
        std::memcpy(n.bssid, s->apBssid(), 6);
        air.push_back(n);
      }
      Net lab{"twincore-lab", WIFI_AUTH_WPA2_PSK, -62, {}, 6};
      bssidFor(lab.ssid, lab.bssid);
      Net guest{"twincore-guest", WIFI_AUTH_OPEN, -78, {}, 11};
      bssidFor(guest.ssid, guest.bssid);
      air.push_back(lab);
      air.push_back(guest);
    }
    s->scan.clear();
    for (auto& n : air) {
      if (channel && n.channel != channel) continue;
      if (ssid && n.ssid != ssid) continue;
      if (bssid && std::memcmp(bssid, n.bssid, 6) != 0) continue;
      s->scan.push_back(n);
    }
    s->scanState = int16_t(s->scan.size());
    arduino_event_info_t info;
    std::memset(&info, 0, sizeof info);
    info.wifi_scan_done.status = 0;
    info.wifi_scan_done.number = uint8_t(s->scan.size());
    info.wifi_scan_done.scan_id = ++s->scanId;
    s->post(ARDUINO_EVENT_WIFI_SCAN_DONE, info);
    return async ? int16_t(WIFI_SCAN_RUNNING) : s->scanState;
  });
}

int16_t WiFiScanClass::scanComplete() {
  WiFiState* s = st();
  if (!s) return WIFI_SCAN_FAILED;
  return s->with([&] { return s->scanState; });
}

void WiFiScanClass::scanDelete() {
  WiFiState* s = st();
  if (!s) return;
  s->with([&] {
    s->scan.clear();
    s->scanState = WIFI_SCAN_FAILED;
  });
}

namespace {
template <class F>
auto withNet(uint8_t i, F f) -> decltype(f(std::declval<const Net&>())) {
  using R = decltype(f(std::declval<const Net&>()));
  WiFiState* s = st();
  if (!s) return R();
  return s->with([&]() -> R { return i < s->scan.size() ? f(s->scan[i]) : R(); });
}
}  // namespace

bool WiFiScanClass::getNetworkInfo(uint8_t i, String& ssid, uint8_t& encryptionType, int32_t& rssi, uint8_t*& bssid,
                                   int32_t& ch) {
  WiFiState* s = st();
  if (!s) return false;
  std::string name;
  bool ok = s->with([&] {
    if (i >= s->scan.size()) return false;
    const Net& n = s->scan[i];
    name = n.ssid;
    encryptionType = uint8_t(n.auth);
    rssi = n.rssi;
    bssid = s->scan[i].bssid;
    ch = n.channel;
    return true;
  });
  if (ok) ssid = String(name.c_str());
  return ok;
}

String WiFiScanClass::SSID(uint8_t i) { return String(withNet(i, [](const Net& n) { return n.ssid; }).c_str()); }
wifi_auth_mode_t WiFiScanClass::encryptionType(uint8_t i) { return withNet(i, [](const Net& n) { return n.auth; }); }
int32_t WiFiScanClass::RSSI(uint8_t i) { return withNet(i, [](const Net& n) { return n.rssi; }); }
int32_t WiFiScanClass::channel(uint8_t i) { return withNet(i, [](const Net& n) { return n.channel; }); }

uint8_t* WiFiScanClass::BSSID(uint8_t i, uint8_t* bssid) {
  WiFiState* s = st();
  if (!s) return nullptr;
  return s->with([&]() -> uint8_t* {
    if (i >= s->scan.size()) return nullptr;
    if (!bssid) return s->scan[i].bssid;
    std::memcpy(bssid, s->scan[i].bssid, 6);
    return bssid;
  });
}

String WiFiScanClass::BSSIDstr(uint8_t i) {
  uint8_t b[6];
  if (!BSSID(i, b)) return String();
  return String(macText(b).c_str());
}

// ======================= harness faults =======================

namespace twin {
namespace wifi {

void drop(Device* dev) {
  WiFiState* s = twin::deviceState<WiFiState>(dev);
  if (!s) return;
  bool first = s->with([&] {
    if (s->dropped) return false;
    s->dropped = true;
    s->say(LogLevel::Warn, "WiFi: the harness dropped the network (AP gone, connections reset)");
    if (s->connected) {
      s->leave(WIFI_REASON_BEACON_TIMEOUT, WL_CONNECTION_LOST);
      if (s->wanted && s->autoReconnect) {
        ++s->attempt;
        s->scheduleRetry();
      } else {
        s->wanted = false;
      }
    }
    return true;
  });
  if (!first) return;
  twin::setNetworkUp(dev, false);
  twin::resetAllConnections(dev);
}

void restore(Device* dev) {
  WiFiState* s = twin::deviceState<WiFiState>(dev);
  if (!s) return;
  bool was = s->with([&] { return s->dropped; });
  if (!was) return;
  twin::setNetworkUp(dev, true);
  s->with([&] {
    s->dropped = false;
    s->say(LogLevel::Info, "WiFi: the harness restored the network");
    if ((s->mode & WIFI_MODE_STA) && s->wanted && !s->connected && s->autoReconnect) s->join();
  });
}

bool dropped(Device* dev) {
  WiFiState* s = twin::deviceState<WiFiState>(dev);
  if (!s) return false;
  return s->with([&] { return s->dropped; });
}

}  // namespace wifi
}  // namespace twin
