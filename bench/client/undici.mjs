// bench/client: undici's Pool (connections = inflight, no pipelining) as a
// load generator: prints "requests secs cpu_secs p99_us" over the measured
// window.  node undici.mjs URL [inflight] [secs] [warm]
import { createRequire } from 'node:module';
const require = createRequire(process.env.UNDICI_DIR + '/');
const { Pool } = require('undici');
const [url, inflight = '64', secs = '5', warm = '1'] = process.argv.slice(2);
const n = +inflight;
const u = new URL(url);
const pool = new Pool(u.origin, { connections: n, pipelining: 1 });
let measuring = false, stopping = false, count = 0, cpu0, t0;
const lat = [];

async function worker() {
  while (!stopping) {
    const start = process.hrtime.bigint();
    const { statusCode, body } = await pool.request({ path: u.pathname, method: 'GET' });
    await body.dump();
    if (statusCode !== 200) { console.error('status', statusCode); process.exit(1); }
    if (measuring) { count++; lat.push(Number(process.hrtime.bigint() - start) / 1e3); }
  }
}

setTimeout(() => { measuring = true; cpu0 = process.cpuUsage(); t0 = process.hrtime.bigint(); }, warm * 1000);
setTimeout(() => {
  measuring = false; stopping = true;
  const cpu = process.cpuUsage(cpu0), t = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort((a, b) => a - b);
  const p99 = lat.length ? lat[Math.floor(lat.length * 0.99)] : 0;
  console.log(`${count} ${t.toFixed(3)} ${((cpu.user + cpu.system) / 1e6).toFixed(3)} ${p99.toFixed(1)}`);
}, (+warm + +secs) * 1000);
const workers = [];
for (let i = 0; i < n; i++) workers.push(worker());
await Promise.all(workers);
await pool.close();
