// addon.cpp: the Node-API binding of twin::Device. Thin: it checks and converts arguments,
// forwards log lines, and owns the JS-side handles of the device's native threads. No logic.
// The only file of the project that includes napi.h.
//
// JS surface (see src/native.ts for the typed view):
//   new NativeDevice(options, onLog)   options = { firmware, config, profile }; onLog(level, line)
//   device.start(): number[]           host ports bound by the firmware (throws on failure)
//   device.stop(): Promise<void>       idempotent; the same promise every time
//   device.counters(): object          every twin::Counters field + logDropped + logLines
//   device.injectFault(kind, count)    kind 'accept' | 'alloc' | 'listen'
//   device.stall(task, ms)             task 'async_tcp' | 'loop': that task's next turn blocks ms
//   device.running: boolean
//   firmwareNames(): string[]          defaultProfile(): object (twin::Profile{} as JS)
// Errors thrown carry a stable `code` (TC_INVALID_OPTION, TC_FIRMWARE_UNKNOWN, ...), the same
// codes as src/errors.ts.
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "registry.h"
#include "twin.h"

namespace {

// ---------------------------------------------------------------------------------------------
// Errors and argument checks
// ---------------------------------------------------------------------------------------------

enum class ErrKind { Error, Type, Range };

[[noreturn]] void throwCoded(Napi::Env env, ErrKind kind, const char* code, const std::string& msg) {
  Napi::Error err = kind == ErrKind::Type    ? Napi::TypeError::New(env, msg)
                    : kind == ErrKind::Range ? Napi::RangeError::New(env, msg)
                                             : Napi::Error::New(env, msg);
  err.Value().Set("code", Napi::String::New(env, code));
  throw err;
}

[[noreturn]] void badType(Napi::Env env, const std::string& path, const char* what) {
  throwCoded(env, ErrKind::Type, "TC_INVALID_OPTION", path + " must be " + what);
}

Napi::Object requireObject(Napi::Env env, Napi::Value v, const std::string& path) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction()) badType(env, path, "an object");
  return v.As<Napi::Object>();
}

std::string requireString(Napi::Env env, Napi::Value v, const std::string& path, size_t maxLen) {
  if (!v.IsString()) badType(env, path, "a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (s.empty() || s.size() > maxLen) {
    throwCoded(env, ErrKind::Range, "TC_INVALID_OPTION",
               path + " must be 1.." + std::to_string(maxLen) + " characters long");
  }
  return s;
}

// An integer in [min, max]. Not a number: TypeError; fractional, NaN or out of range: RangeError.
uint64_t requireInt(Napi::Env env, Napi::Value v, const std::string& path, uint64_t min, uint64_t max) {
  if (!v.IsNumber()) badType(env, path, "a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d || d < double(min) || d > double(max)) {
    throwCoded(env, ErrKind::Range, "TC_INVALID_OPTION",
               path + " must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return uint64_t(d);
}

bool requireBool(Napi::Env env, Napi::Value v, const std::string& path) {
  if (!v.IsBoolean()) badType(env, path, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

// Ranges: twin::limits (the same numbers as PROFILE_LIMITS in src/defaults.ts).
twin::Profile toProfile(Napi::Env env, Napi::Value v) {
  Napi::Object o = requireObject(env, v, "options.profile");
  const std::string p = "options.profile.";
  auto knob = [&](const char* key, twin::Range r) { return requireInt(env, o.Get(key), p + key, r.lo, r.hi); };
  twin::Profile prof;
  prof.name = requireString(env, o.Get("name"), p + "name", 64);
  prof.maxConnections = uint32_t(knob("maxConnections", twin::limits::maxConnections));
  prof.sendWindow = uint32_t(knob("sendWindow", twin::limits::sendWindow));
  prof.recvWindow = uint32_t(knob("recvWindow", twin::limits::recvWindow));
  prof.mss = uint32_t(knob("mss", twin::limits::mss));
  prof.pollIntervalMs = uint32_t(knob("pollIntervalMs", twin::limits::pollIntervalMs));
  prof.ackTimeoutMs = uint32_t(knob("ackTimeoutMs", twin::limits::ackTimeoutMs));
  prof.dualCore = requireBool(env, o.Get("dualCore"), p + "dualCore");
  prof.heapBytes = uint32_t(knob("heapBytes", twin::limits::heapBytes));
  prof.hostPort = uint16_t(knob("hostPort", twin::limits::hostPort));
  prof.linkBandwidthKbps = uint32_t(knob("linkBandwidthKbps", twin::limits::linkBandwidthKbps));
  prof.linkRttMs = uint32_t(knob("linkRttMs", twin::limits::linkRttMs));
  prof.linkJitterMs = uint32_t(knob("linkJitterMs", twin::limits::linkJitterMs));
  prof.linkSeed = uint32_t(knob("linkSeed", twin::limits::linkSeed));
  prof.schedJitterSeed = uint32_t(knob("schedJitterSeed", twin::limits::schedJitterSeed));
  return prof;
}

std::map<std::string, std::string> toConfig(Napi::Env env, Napi::Value v) {
  std::map<std::string, std::string> out;
  if (v.IsUndefined()) return out;
  Napi::Object o = requireObject(env, v, "options.config");
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value val = o.Get(key);
    if (!val.IsString()) badType(env, "options.config." + key, "a string");
    out[key] = val.As<Napi::String>().Utf8Value();
  }
  return out;
}

const char* levelName(twin::LogLevel l) {
  switch (l) {
    case twin::LogLevel::Debug: return "debug";
    case twin::LogLevel::Info: return "info";
    case twin::LogLevel::Warn: return "warn";
    case twin::LogLevel::Error: return "error";
  }
  return "info";
}

// ---------------------------------------------------------------------------------------------
// Log forwarding
// ---------------------------------------------------------------------------------------------

struct LogLine {
  twin::LogLevel level;
  std::string text;
};

// Shared by the device's log sink (device threads) and the JS side; atomics only.
struct LogStats {
  std::atomic<int64_t> dropped{0};    // queue full, or arrived after stop() resolved
  std::atomic<int64_t> delivered{0};  // lines handed to onLog
};

// The TSFN's context. Owned by the TSFN (deleted in its finalizer); touched on the JS thread only.
struct LogGate {
  bool open = true;  // false once stop() resolved: queued lines are dropped, never delivered
  std::shared_ptr<LogStats> stats;
};

// Runs on the JS thread for each queued line, or with env == nullptr when the TSFN is torn down
// with lines still queued (then after the finalizer: `gate` must not be touched). Node calls it
// from C, also while a worker is being terminated: it never throws (C API, statuses ignored). An
// exception thrown by onLog stays pending and Node reports it as uncaught, as for any callback.
void callJsLog(Napi::Env env, Napi::Function onLog, LogGate* gate, LogLine* line) {
  std::unique_ptr<LogLine> owned(line);
  if (env == nullptr || onLog.IsEmpty() || gate == nullptr) return;
  if (!gate->open) {
    gate->stats->dropped++;
    return;
  }
  gate->stats->delivered++;
  napi_value args[2] = {nullptr, nullptr};
  napi_value recv = nullptr;
  const char* level = levelName(owned->level);
  if (napi_create_string_utf8(env, level, NAPI_AUTO_LENGTH, &args[0]) != napi_ok ||
      napi_create_string_utf8(env, owned->text.data(), owned->text.size(), &args[1]) != napi_ok ||
      napi_get_undefined(env, &recv) != napi_ok) {
    return;
  }
  napi_call_function(env, recv, onLog, 2, args, nullptr);
}

using LogTsfn = Napi::TypedThreadSafeFunction<LogGate, LogLine, callJsLog>;

// Bound on queued, not yet delivered lines per device; beyond it lines are dropped and counted.
constexpr size_t kLogQueueMax = 4096;

// ---------------------------------------------------------------------------------------------
// NativeDevice
// ---------------------------------------------------------------------------------------------
//
// Threads and handles, and who owns them:
//  - The JS thread owns this object, the twin::Device (device_), the one TSFN (tsfn_) and the env
//    cleanup hook. Every method and every field below except device_->stop() runs/lives there.
//  - The twin::Device owns its two threads ("async_tcp", "loop"). They exist only between a
//    successful start() and the return of twin::Device::stop(). They reach JS only through the log
//    sink, which calls tsfn_.NonBlockingCall() (never blocking; a full queue drops and counts the
//    line in logDropped). They use the TSFN reference this object holds (initial thread count 1)
//    and do not Acquire their own: that is sound because Release() happens strictly after
//    twin::Device::stop() has joined both threads.
//  - stop() runs twin::Device::stop() on a libuv threadpool thread (StopWorker). While it runs, the
//    worker holds a strong reference to this object, so the finalizer cannot run concurrently.
//    Node waits for in-flight threadpool work during environment teardown.
//  - The TSFN is Unref'd: a running device never keeps the process alive.
//
// Rules:
//  - Release() of the TSFN is the last call on it, made once (closeLog), after device threads are
//    joined; just before it the gate is closed, so no line reaches JS after stop() resolves.
//  - Exactly one of these ends a started device: stop()'s worker completion, the env cleanup hook
//    (process exit / worker termination with the device still running: stops it synchronously on
//    the JS thread) or the GC finalizer of a device nobody stopped. The finalizer joins the device
//    threads on the JS thread: a last resort only, because a running device's onLog callback
//    (held strongly by the TSFN) normally keeps the JS object alive until stop() or exit.
//    Each of them, and a failed start(), ends it through shutdown() (on the JS thread).
//  - The cleanup hook is registered after the TSFN is created, so at teardown it runs before the
//    TSFN's own cleanup (hooks run last-in first-out).
class NativeDevice : public Napi::ObjectWrap<NativeDevice> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeDevice",
                       {InstanceMethod<&NativeDevice::Start>("start"),
                        InstanceMethod<&NativeDevice::Stop>("stop"),
                        InstanceMethod<&NativeDevice::Counters>("counters"),
                        InstanceMethod<&NativeDevice::InjectFault>("injectFault"),
                        InstanceMethod<&NativeDevice::Stall>("stall"),
                        InstanceAccessor<&NativeDevice::Running>("running")});
  }

  explicit NativeDevice(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeDevice>(info) {
    Napi::Env env = info.Env();
    Napi::Object options = requireObject(env, info[0], "options");
    if (!info[1].IsFunction()) badType(env, "onLog", "a function");

    std::string firmware = requireString(env, options.Get("firmware"), "options.firmware", 64);
    std::map<std::string, std::string> config = toConfig(env, options.Get("config"));
    twin::Profile profile = toProfile(env, options.Get("profile"));

    // Validates the name and the config now; the factory constructs the firmware on the loop task
    // (its members are the sketch's globals). The registry words both errors; an unknown name is
    // told apart here only to pick the code (its message, listing the known names, is used as is).
    twin::FirmwareFactory factory;
    std::string error;
    if (!firmwareFactory(firmware, config, &factory, &error)) {
      const std::vector<std::string> names = firmwareNames();
      if (std::find(names.begin(), names.end(), firmware) == names.end()) {
        throwCoded(env, ErrKind::Error, "TC_FIRMWARE_UNKNOWN", error);
      }
      throwCoded(env, ErrKind::Error, "TC_FIRMWARE_CONFIG", "options.config: " + error);
    }

    // Nothing below may throw once the TSFN exists, except the guarded twin::Device construction:
    // a constructor that throws runs no destructor, so a registered hook or a live TSFN would leak
    // (and the hook would later run on freed memory).
    stats_ = std::make_shared<LogStats>();
    auto gate = std::make_unique<LogGate>(LogGate{true, stats_});
    tsfn_ = LogTsfn::New(env, info[1].As<Napi::Function>(), "twincore:log", kLogQueueMax, 1, gate.get(),
                         [](Napi::Env, void*, LogGate* g) { delete g; });
    gate_ = gate.release();  // the TSFN owns it now
    tsfn_.Unref(env);
    tsfnLive_ = true;

    // The sink runs on device threads: it copies the TSFN handle and the stats, nothing of `this`.
    LogTsfn tsfn = tsfn_;
    std::shared_ptr<LogStats> stats = stats_;
    twin::LogSink sink = [tsfn, stats](twin::LogLevel level, const std::string& text) mutable {
      auto* line = new LogLine{level, text};
      if (tsfn.NonBlockingCall(line) != napi_ok) {
        delete line;
        stats->dropped++;
      }
    };
    try {
      device_ = std::make_unique<twin::Device>(std::move(profile), std::move(factory), std::move(sink));
    } catch (...) {
      closeLog(true);
      throw;
    }
    // Last: registered after the TSFN, so it runs before the TSFN's own teardown (LIFO).
    env_ = env;
    hookArmed_ = napi_add_env_cleanup_hook(env, &NativeDevice::OnEnvCleanup, this) == napi_ok;
  }

  ~NativeDevice() override {
    // GC finalizer (or environment teardown), JS thread. See the rules above.
    shutdown(End::Teardown);
  }

 private:
  enum class State { Idle, Running, Stopping, Stopped };

  // Runs twin::Device::stop() off the JS thread; settles the stop() promise on the JS thread.
  class StopWorker : public Napi::AsyncWorker {
   public:
    explicit StopWorker(NativeDevice* self)
        : Napi::AsyncWorker(self->Env(), "twincore:stop"),
          self_(self),
          keepAlive_(Napi::Persistent(self->Value())) {
      napi_value promise = nullptr;
      if (napi_create_promise(Env(), &deferred_, &promise) != napi_ok) {
        throw Napi::Error::New(Env(), "napi_create_promise failed");
      }
      promise_ = Napi::Promise(Env(), promise);
    }
    Napi::Promise Promise() const { return promise_; }

   protected:
    void Execute() override { self_->device_->stop(); }  // threadpool thread
    void OnOK() override { finish(); }
    void OnError(const Napi::Error&) override { finish(); }

   private:
    void finish() {  // JS thread (OnOK / OnError)
      self_->shutdown(End::StopJoined);
      // Through the C API so that a refusal (environment teardown, where nothing waits on the
      // promise any more) cannot throw.
      napi_value undefined = nullptr;
      napi_get_undefined(Env(), &undefined);
      napi_resolve_deferred(Env(), deferred_, undefined);
    }

    NativeDevice* self_;
    Napi::ObjectReference keepAlive_;  // the JS object outlives the stop in flight
    napi_deferred deferred_ = nullptr;
    Napi::Promise promise_;
  };

  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (state_ == State::Running) throwCoded(env, ErrKind::Error, "TC_DEVICE_START_FAILED", "device already running");
    if (state_ != State::Idle) throwCoded(env, ErrKind::Error, "TC_DEVICE_STOPPED", "device was stopped; create a new one");
    // Blocks this thread until the firmware's setup() has returned on the loop task.
    if (!device_->start()) {
      std::string why = device_->lastError();
      // The threads that did start are joined here (quick: setup() did not run or failed). Lines
      // logged while failing stay deliverable (the gate stays open): they explain the failure.
      shutdown(End::StartFailed);
      throwCoded(env, ErrKind::Error, "TC_DEVICE_START_FAILED", "device start failed: " + why);
    }
    state_ = State::Running;
    return portsArray(env);
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!stopPromise_.IsEmpty()) return stopPromise_.Value();
    Napi::Promise promise;
    if (state_ == State::Running) {
      state_ = State::Stopping;
      auto* worker = new StopWorker(this);
      promise = worker->Promise();
      worker->Queue();
    } else {
      // Never started, or already ended (state_ Idle or Stopped): no thread to join.
      shutdown(End::Teardown);
      auto d = Napi::Promise::Deferred::New(env);
      d.Resolve(env.Undefined());
      promise = d.Promise();
    }
    stopPromise_ = Napi::Persistent(static_cast<Napi::Object>(promise));
    return promise;
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const twin::Counters& c = device_->counters();
    Napi::Object o = Napi::Object::New(env);
#define TC_SET_COUNTER(name) o.Set(#name, Napi::Number::New(env, double(c.name.load())));
    TWIN_COUNTER_FIELDS(TC_SET_COUNTER)
#undef TC_SET_COUNTER
    o.Set("logDropped", Napi::Number::New(env, double(stats_->dropped.load())));
    o.Set("logLines", Napi::Number::New(env, double(stats_->delivered.load())));
    return o;
  }

  void InjectFault(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) badType(env, "kind", "a string ('accept' | 'alloc' | 'listen')");
    std::string kind = info[0].As<Napi::String>().Utf8Value();
    int32_t count = int32_t(requireInt(env, info[1], "count", 0, 1000000));
    if (state_ == State::Stopping || state_ == State::Stopped) {
      throwCoded(env, ErrKind::Error, "TC_DEVICE_STOPPED", "injectFault on a stopped device");
    }
    twin::Faults& f = device_->faults();
    if (kind == "accept") {
      f.failAccepts += count;
    } else if (kind == "alloc") {
      f.failAllocs += count;
    } else if (kind == "listen") {
      f.failListen += count;
    } else {
      throwCoded(env, ErrKind::Range, "TC_INVALID_OPTION",
                 "kind must be 'accept', 'alloc' or 'listen', not '" + kind + "'");
    }
  }

  // stall(task, ms): task 'async_tcp' | 'loop'; that task's next turn blocks ms (twin::stallTask).
  void Stall(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString()) badType(env, "task", "a string ('async_tcp' | 'loop')");
    std::string task = info[0].As<Napi::String>().Utf8Value();
    uint32_t ms = uint32_t(requireInt(env, info[1], "ms", 1, 60000));
    if (task != "async_tcp" && task != "loop") {
      throwCoded(env, ErrKind::Range, "TC_INVALID_OPTION", "task must be 'async_tcp' or 'loop', not '" + task + "'");
    }
    if (state_ != State::Running) throwCoded(env, ErrKind::Error, "TC_DEVICE_STOPPED", "stall on a device that is not running");
    twin::stallTask(device_.get(), task == "loop" ? twin::StallTask::Loop : twin::StallTask::AsyncTcp, ms);
  }

  Napi::Value Running(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), state_ == State::Running);
  }

  Napi::Array portsArray(Napi::Env env) {
    std::vector<uint16_t> ports = device_->ports();
    Napi::Array a = Napi::Array::New(env, ports.size());
    for (uint32_t i = 0; i < ports.size(); ++i) a.Set(i, Napi::Number::New(env, ports[i]));
    return a;
  }

  // Why shutdown() is called: the only ways its callers differ.
  enum class End {
    // Destructor, env cleanup hook, stop() of a device that is not running: join the device's
    // threads if they may still run (Running, or Stopping with a stop() worker in flight: then
    // twin::Device::stop() waits for it). Closes the gate.
    Teardown,
    // StopWorker's completion: its Execute() already joined the threads on the threadpool (state_
    // is still Stopping, so Teardown would stop the device a second time). Closes the gate.
    StopJoined,
    // start() failed: join whatever threads did start (state_ is still Idle). Leaves the gate open:
    // the lines logged while failing are still delivered, they explain the failure.
    StartFailed,
  };

  // Ends the device, in this order: joins its threads (see End), marks it Stopped, makes the last
  // call on the TSFN (closeLog) and removes the env cleanup hook (disarmHook). JS thread only
  // (never StopWorker::Execute): it touches every field and the TSFN. After it no device thread
  // runs, no queued line reaches JS if the gate was closed, and no hook refers to `this`, so the
  // finalizer may free it; device_ itself stays, so counters() keeps working.
  // Idempotent for Teardown/StopJoined: a second call (the destructor after the env cleanup hook or
  // after stop()) finds state_ Stopped, the TSFN released and the hook removed, and does nothing.
  void shutdown(End why) {
    if (why == End::StartFailed ||
        (why == End::Teardown && (state_ == State::Running || state_ == State::Stopping))) {
      device_->stop();
    }
    state_ = State::Stopped;
    closeLog(why != End::StartFailed);
    disarmHook();
  }

  // Last call on the TSFN. closeGate: no queued line reaches JS any more.
  void closeLog(bool closeGate) {
    if (!tsfnLive_) return;
    tsfnLive_ = false;
    if (closeGate) gate_->open = false;
    gate_ = nullptr;  // owned by the TSFN from here on
    tsfn_.Release();
  }

  void disarmHook() {
    if (!hookArmed_) return;
    hookArmed_ = false;
    napi_remove_env_cleanup_hook(env_, &NativeDevice::OnEnvCleanup, this);
  }

  // Environment teardown (process exit, worker termination) with the device not yet stopped, or
  // with stop() in flight: stop synchronously (waits for an in-flight stop), then release.
  // JS thread. The hook is disarmed first: Node is running it and drops it itself, so shutdown()
  // does not remove it. The object stays alive; its destructor later finds it all done.
  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<NativeDevice*>(arg);
    self->hookArmed_ = false;
    self->shutdown(End::Teardown);
  }

  std::unique_ptr<twin::Device> device_;
  LogTsfn tsfn_;
  LogGate* gate_ = nullptr;  // valid while tsfnLive_
  bool tsfnLive_ = false;
  std::shared_ptr<LogStats> stats_;
  napi_env env_ = nullptr;
  bool hookArmed_ = false;
  State state_ = State::Idle;
  Napi::ObjectReference stopPromise_;
};

// ---------------------------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------------------------

Napi::Value FirmwareNames(const Napi::CallbackInfo& info) {
  std::vector<std::string> names = firmwareNames();
  Napi::Array a = Napi::Array::New(info.Env(), names.size());
  for (uint32_t i = 0; i < names.size(); ++i) a.Set(i, Napi::String::New(info.Env(), names[i]));
  return a;
}

Napi::Value DefaultProfile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  twin::Profile p;
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", p.name);
  o.Set("maxConnections", double(p.maxConnections));
  o.Set("sendWindow", double(p.sendWindow));
  o.Set("recvWindow", double(p.recvWindow));
  o.Set("mss", double(p.mss));
  o.Set("pollIntervalMs", double(p.pollIntervalMs));
  o.Set("ackTimeoutMs", double(p.ackTimeoutMs));
  o.Set("dualCore", p.dualCore);
  o.Set("heapBytes", double(p.heapBytes));
  o.Set("hostPort", double(p.hostPort));
  o.Set("linkBandwidthKbps", double(p.linkBandwidthKbps));
  o.Set("linkRttMs", double(p.linkRttMs));
  o.Set("linkJitterMs", double(p.linkJitterMs));
  o.Set("linkSeed", double(p.linkSeed));
  o.Set("schedJitterSeed", double(p.schedJitterSeed));
  return o;
}

// Per-environment state lives here (none needed beyond the exports: no static globals).
class TwincoreAddon : public Napi::Addon<TwincoreAddon> {
 public:
  TwincoreAddon(Napi::Env env, Napi::Object exports) {
    exports.Set("NativeDevice", NativeDevice::Define(env));
    exports.Set("firmwareNames", Napi::Function::New<FirmwareNames>(env, "firmwareNames"));
    exports.Set("defaultProfile", Napi::Function::New<DefaultProfile>(env, "defaultProfile"));
  }
};

}  // namespace

NODE_API_ADDON(TwincoreAddon)
