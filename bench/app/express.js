// Express 5 peer of bench/app: GET /hello/:name -> {"hello": name}.
// Run with NODE_ENV=production (run.sh does).
const express = require('express');
const app = express();
app.get('/hello/:name', (req, res) => res.json({ hello: req.params.name }));
app.listen(Number(process.argv[2]), '127.0.0.1');
