// Express 5 + pg (npm) peer of bench/db/http.sh: GET /users/:id from
// PostgreSQL, the same query and JSON as eddy serve's route.
// Usage: NODE_ENV=production node express_pg.js PORT URL CONNS
const express = require('express');
const { Pool, types } = require('pg');
const [port, url, conns] = process.argv.slice(2);
// BIGINT as a JSON number, as eddy answers (pg gives a string otherwise).
types.setTypeParser(20, (v) => parseInt(v, 10));
const pool = new Pool({ connectionString: url, max: +conns });
const SQL = 'SELECT id, name, email, created_at FROM users WHERE id = $1';
const app = express();
app.get('/users/:id', async (req, res) => {
  const id = req.params.id;
  if (!/^[0-9]+$/.test(id) || +id < 1) {
    res.status(400).json({ error: 'the user id must be a positive integer' });
    return;
  }
  try {
    const r = await pool.query(SQL, [id]);
    if (!r.rows.length) res.status(404).json({ error: `no user ${id}` });
    else res.json(r.rows[0]);
  } catch (e) {
    res.status(503).json({ error: 'the database is unavailable' });
  }
});
app.listen(+port, '127.0.0.1');
