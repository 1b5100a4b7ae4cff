// Peer: message round trip main -> worker -> main with worker_threads
// postMessage, one message in flight. Prints "rounds= us/round=".
import { Worker } from 'node:worker_threads';

const rounds = Number(process.argv[2] || 100000);
const w = new Worker(
  "const { parentPort } = require('node:worker_threads');" +
  "parentPort.on('message', (m) => parentPort.postMessage(m));",
  { eval: true });
let done = 0;
const t0 = process.hrtime.bigint();
w.on('message', () => {
  if (++done < rounds) return w.postMessage(done);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / rounds;
  console.log(`rounds=${rounds} us/round=${us.toFixed(2)}`);
  w.terminate();
});
w.postMessage(0);
