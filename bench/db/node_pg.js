// Node.js + pg (npm) Pool doing the same point reads as eddy_point.c:
// WINDOW queries in flight, QUERIES in all, random ids.
// Usage: [NAMED=1] node node_pg.js URL ROWS QUERIES WINDOW CONNS
const { Pool } = require('pg');
const [url, rows, total, window, conns] = process.argv.slice(2);
const pool = new Pool({ connectionString: url, max: +conns });
// NAMED=1: a named prepared statement (parsed once per connection), as
// eddy does; default: pg's usual unnamed statement per query.
const named = process.env.NAMED === '1';
const SQL = 'SELECT id, name, email FROM users WHERE id = $1';
let seed = 1;
function nextId() {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return 1 + ((seed >>> 8) % +rows);
}
async function run(n) {
  let sent = 0, bad = 0;
  async function worker() {
    while (sent < n) {
      sent++;
      const r = await pool.query(named
        ? { name: 'point', text: SQL, values: [nextId()] }
        : { text: SQL, values: [nextId()] });
      if (r.rows.length !== 1) bad++;
    }
  }
  await Promise.all(Array.from({ length: +window }, worker));
  return bad;
}
(async () => {
  await run(Math.floor(+total / 10)); // warm up
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  const bad = await run(+total);
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  console.log(`node${named ? '-named' : ''} ${Math.round(+total / t)} q/s (${total} queries, ${t.toFixed(2)} s, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s, errors ${bad})`);
  await pool.end();
})();
