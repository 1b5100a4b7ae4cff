// Node.js side of bench/loop: `node node_loop.js <work> <n>`, the same
// result line as the C programs. The "-warm" variants run the work twice
// and time the second pass, as the C programs do.
'use strict';
const [work, nStr] = process.argv.slice(2);
const n = Number(nStr);
const warm = work.endsWith('-warm');
const kind = work.replace('-warm', '');
let fired = 0;
let t0;

function report() {
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (fired !== n) { console.error(`fired ${fired} of ${n}`); process.exit(1); }
  const peakKiB = process.resourceUsage().maxRSS;
  console.log(`node ${work} ${n} ${s.toFixed(6)} ${(s * 1e9 / n).toFixed(1)} ${peakKiB}`);
}

function pass(last) {
  fired = 0;
  t0 = process.hrtime.bigint();
  const cb = () => { if (++fired === n) (last ? report() : pass(true)); };
  if (kind === 'timers') for (let i = 0; i < n; i++) setTimeout(cb, 0);
  else if (kind === 'immediates') for (let i = 0; i < n; i++) setImmediate(cb);
  else { console.error('usage: node_loop.js timers|immediates[-warm] N'); process.exit(2); }
}

// The thread pool: fs.stat of this file, 1024 outstanding (libuv's pool
// behind Node's fs; node cannot queue arbitrary C work on it).
function pool() {
  const fs = require('fs');
  let submitted = 0;
  t0 = process.hrtime.bigint();
  const cb = (err) => {
    if (err) throw err;
    if (++fired === n) return report();
    if (submitted < n) { submitted++; fs.stat(__filename, cb); }
  };
  for (let i = 0; i < 1024 && submitted < n; i++, submitted++) fs.stat(__filename, cb);
}

if (kind === 'pool') pool(); else pass(!warm);
