// The Node.js side of the parser differential test (tests/e2e/
// test_parser_diff.c): Node's own http server (llhttp, default strict
// settings) on 127.0.0.1:PORT, answering 200 "ok" to every request once
// its body has been read. A request llhttp refuses gets Node's 400 (or
// 4xx/5xx) from 'clientError'.
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.end('ok'));
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
