// Node.js side of bench/loop: `node node_loop.js <work> <n>`, the same
// result line as the C programs.
'use strict';
const [work, nStr] = process.argv.slice(2);
const n = Number(nStr);
let fired = 0;
const t0 = process.hrtime.bigint();

function done() {
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (fired !== n) { console.error(`fired ${fired} of ${n}`); process.exit(1); }
  const peakKiB = process.resourceUsage().maxRSS;
  console.log(`node ${work} ${n} ${s.toFixed(6)} ${(s * 1e9 / n).toFixed(1)} ${peakKiB}`);
}

if (work === 'timers') {
  const cb = () => { if (++fired === n) done(); };
  for (let i = 0; i < n; i++) setTimeout(cb, 0);
} else if (work === 'immediates') {
  const cb = () => { if (++fired === n) done(); };
  for (let i = 0; i < n; i++) setImmediate(cb);
} else {
  console.error('usage: node_loop.js timers|immediates N');
  process.exit(2);
}
