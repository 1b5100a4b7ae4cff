// Node.js peer for bench/http: the first server of every Node tutorial.
'use strict';
const http = require('http');
const port = Number(process.argv[2] || 8080);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 13 });
  res.end('Hello, World!');
});
server.keepAliveTimeout = 120000;
server.listen(port, '127.0.0.1');
