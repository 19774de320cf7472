// dashboard_html.h: the reference firmware's dashboard (GET /), one self-contained page kept in
// flash (a const array: .rodata on the ESP32). Keep it small (< 6 KB; a test checks the size).
// It reads /stats for the WebSocket path, connects to ws://<host><wsPath>, reconnects after a
// second when closed, and shows: #status (connecting|connected|closed), #seq (latest telemetry
// seq), #count (messages received), #rate (telemetry messages/s over the last second), #clients;
// #start/#stop send {"cmd":"start",...}/{"cmd":"stop"} with #rateIn/#sizeIn/#countIn.
#pragma once

static const char kDashboardHtml[] = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>twincore reference firmware</title>
<style>
body{font:15px system-ui,sans-serif;margin:0;background:#f4f5f7;color:#222}
header{background:#1d3557;color:#fff;padding:10px 16px;display:flex;gap:12px;align-items:center}
h1{font-size:17px;margin:0;flex:1}
#status{padding:2px 10px;border-radius:10px;background:#888}
#status.connected{background:#2a9d8f}#status.closed{background:#c0392b}
main{padding:16px;display:grid;gap:12px;grid-template-columns:repeat(auto-fit,minmax(140px,1fr))}
.card{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 3px #0002}
.card b{display:block;font-size:26px;font-variant-numeric:tabular-nums}
.ctl{grid-column:1/-1;display:flex;gap:8px;flex-wrap:wrap;align-items:center}
input{width:70px}button{padding:6px 14px}
#last{grid-column:1/-1;font:12px monospace;white-space:pre-wrap;word-break:break-all;color:#555}
</style></head><body>
<header><h1>twincore reference firmware</h1><span id="status">connecting</span></header>
<main>
<div class="card">seq<b id="seq">-</b></div>
<div class="card">messages<b id="count">0</b></div>
<div class="card">msgs/s<b id="rate">0</b></div>
<div class="card">clients<b id="clients">-</b></div>
<div class="card ctl">
<label>rate <input id="rateIn" type="number" min="1" max="1000" value="20"></label>
<label>size <input id="sizeIn" type="number" min="52" max="65536" value="64"></label>
<label>count <input id="countIn" type="number" min="0" value="0"></label>
<button id="start">start</button><button id="stop">stop</button>
</div>
<div id="last"></div>
</main>
<script>
const $=id=>document.getElementById(id);
let ws,count=0,tms=[],path='/ws';
function status(s){const e=$('status');e.textContent=s;e.className=s}
function send(o){if(ws&&ws.readyState===1)ws.send(JSON.stringify(o))}
function connect(){
status('connecting');
ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+path);
ws.onopen=()=>{status('connected');send({cmd:'stats'})};
ws.onclose=()=>{status('closed');setTimeout(connect,1000)};
ws.onmessage=e=>{
count++;$('count').textContent=count;
if(typeof e.data!=='string')return;
let m;try{m=JSON.parse(e.data)}catch(_){return}
if(m.t==='tm'){$('seq').textContent=m.seq;tms.push(performance.now())}
else if(m.t!=='stats'){$('last').textContent=e.data.slice(0,300)}
if(m.t==='stats')$('clients').textContent=m.connected;
};
}
setInterval(()=>{const now=performance.now();tms=tms.filter(t=>now-t<1000);$('rate').textContent=tms.length},250);
setInterval(()=>send({cmd:'stats'}),2000);
$('start').onclick=()=>send({cmd:'start',rate:+$('rateIn').value,size:+$('sizeIn').value,count:+$('countIn').value});
$('stop').onclick=()=>send({cmd:'stop'});
fetch('/stats').then(r=>r.json()).then(s=>{if(s.wsPath)path=s.wsPath;$('clients').textContent=s.connected}).catch(()=>{}).finally(connect);
</script></body></html>
)HTML";
