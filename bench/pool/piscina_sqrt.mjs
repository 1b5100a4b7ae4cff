// Peer: Piscina 5, N square roots with maxQueue 'auto' and a backpressure
// loop that finishes: while the queue is full, wait for either 'drain' or
// the next completion, then re-check (see docs/BENCHMARKING notes).
import Piscina from 'piscina';
import { once } from 'node:events';

const n = Number(process.argv[2] || 1000000);
const pool = new Piscina({
  filename: new URL('./piscina_task.mjs', import.meta.url).href,
  maxQueue: 'auto',
  maxThreads: Number(process.env.POOL_THREADS || 0) || undefined,
});
let sum = 0, finished = 0, wake = null;
const t0 = process.hrtime.bigint();
for (let i = 0; i < n; i++) {
  while (pool.queueSize >= pool.options.maxQueue) {
    await new Promise((resolve) => {
      wake = resolve;
      pool.once('drain', resolve);
    });
    pool.off('drain', wake);
    wake = null;
  }
  pool.run(i).then((r) => {
    sum += r;
    finished++;
    if (wake) wake();
  });
}
while (finished < n) await new Promise((r) => { wake = r; });
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`n=${n} time=${secs.toFixed(3)}s tasks/s=${Math.round(n / secs)} finished=${finished}`);
await pool.destroy();
