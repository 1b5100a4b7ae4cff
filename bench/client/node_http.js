// bench/client: Node's http.request with a keep-alive Agent as a load
// generator (maxSockets = inflight): prints "requests secs cpu_secs p99_us"
// over the measured window.  node node_http.js URL [inflight] [secs] [warm]
'use strict';
const http = require('http');
const [url, inflight = '64', secs = '5', warm = '1'] = process.argv.slice(2);
const n = +inflight;
const agent = new http.Agent({keepAlive: true, maxSockets: n});
const u = new URL(url);
const opts = {agent, host: u.hostname, port: u.port, path: u.pathname};
let measuring = false, stopping = false, count = 0, cpu0, t0;
const lat = [];

function one() {
  const start = process.hrtime.bigint();
  http.get(opts, (res) => {
    res.resume();
    res.on('end', () => {
      if (measuring) { count++; lat.push(Number(process.hrtime.bigint() - start) / 1e3); }
      if (!stopping) one();
    });
  }).on('error', (e) => { if (stopping) return; console.error(e); process.exit(1); });
}

setTimeout(() => { measuring = true; cpu0 = process.cpuUsage(); t0 = process.hrtime.bigint(); }, warm * 1000);
setTimeout(() => {
  measuring = false; stopping = true;
  const cpu = process.cpuUsage(cpu0), t = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const p99 = lat.length ? lat[Math.floor(lat.length * 0.99)] : 0;
  console.log(`${count} ${t.toFixed(3)} ${((cpu.user + cpu.system) / 1e6).toFixed(3)} ${p99.toFixed(1)}`);
  agent.destroy();
}, (+warm + +secs) * 1000);
for (let i = 0; i < n; i++) one();
