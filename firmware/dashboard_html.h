// dashboard_html.h: the reference firmware's dashboard (GET /), one self-contained page kept in
// flash (a const array: .rodata on the ESP32). Keep it small (< 6 KB; a test checks the size).
// It reads /stats for the WebSocket path, connects to ws://<host><wsPath>, reconnects after a
// second when closed, and shows: #status (connecting|connected|closed), #seq (latest telemetry
// seq), #count (messages received), #rate (telemetry messages/s over the last second), #clients;
// #start/#stop send {"cmd":"start",...}/{"cmd":"stop"} with #rateIn/#sizeIn/#countIn; #chart plots
// the last 60 s live, every 250 ms: telemetry msgs/s (blue) and the latency spread (orange: each
// window's slowest message, ms above the fastest seen; the page has no common clock with the
// device's millis(), so it shows jitter, not absolute latency).
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
#chart{grid-column:1/-1;width:100%;height:170px;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}
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
<canvas id="chart"></canvas>
<div id="last"></div>
</main>
<script>
const $=id=>document.getElementById(id);
let ws,count=0,tms=[],path='/ws',hist=[],lmax=-1e12,lmin=1e12;
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
if(m.t==='tm'){$('seq').textContent=m.seq;const n=performance.now(),d=n-m.ts;tms.push(n);lmin=Math.min(lmin,d);lmax=Math.max(lmax,d)}
else if(m.t!=='stats'){$('last').textContent=e.data.slice(0,300)}
if(m.t==='stats')$('clients').textContent=m.connected;
};
}
function draw(){const c=$('chart'),x=c.getContext('2d'),W=c.width=c.clientWidth,H=c.height=c.clientHeight,
mn=Math.ceil(Math.max(10,...hist.map(h=>h.n))*1.2),ml=Math.max(2,...hist.map(h=>h.l||0))*1.2;
const line=(f,m,col)=>{x.strokeStyle=col;x.lineWidth=2;x.beginPath();let pen=0;hist.forEach((h,i)=>{const v=f(h);
if(v==null){pen=0;return}const px=W-4-(hist.length-1-i)*(W-8)/239,py=H-6-v/m*(H-30);pen?x.lineTo(px,py):x.moveTo(px,py);pen=1});x.stroke()};
x.strokeStyle='#e8eaee';x.lineWidth=1;for(let i=0;i<5;i++){const y=H-6-i*(H-30)/4;x.beginPath();x.moveTo(0,y);x.lineTo(W,y);x.stroke()}
line(h=>h.n,mn,'#1d3557');line(h=>h.l,ml,'#e76f51');x.font='12px system-ui';
x.fillStyle='#1d3557';x.fillText('msgs/s, last 60 s (top '+mn+')',8,15);x.fillStyle='#e76f51';x.fillText('latency spread ms (top '+ml.toFixed(1)+')',230,15)}
setInterval(()=>{const now=performance.now();tms=tms.filter(t=>now-t<1000);$('rate').textContent=tms.length;
hist.push({n:tms.length,l:lmax>-1e12?lmax-lmin:null});lmax=-1e12;if(hist.length>240)hist.shift();draw()},250);
setInterval(()=>send({cmd:'stats'}),2000);
$('start').onclick=()=>send({cmd:'start',rate:+$('rateIn').value,size:+$('sizeIn').value,count:+$('countIn').value});
$('stop').onclick=()=>send({cmd:'stop'});
fetch('/stats').then(r=>r.json()).then(s=>{if(s.wsPath)path=s.wsPath;$('clients').textContent=s.connected}).catch(()=>{}).finally(connect);
</script></body></html>
)HTML";
