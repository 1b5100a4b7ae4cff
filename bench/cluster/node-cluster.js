// Node.js peer for bench/cluster: Node's cluster hello world with N
// workers (default 2). On Linux the primary accepts and hands connections
// to the workers round-robin (cluster.schedulingPolicy's default).
'use strict';
const cluster = require('cluster');
const http = require('http');
const port = Number(process.argv[2] || 8080);
const workers = Number(process.argv[3] || 2);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 13 });
    res.end('Hello, World!');
  });
  server.keepAliveTimeout = 120000;
  server.listen(port, '127.0.0.1');
}
