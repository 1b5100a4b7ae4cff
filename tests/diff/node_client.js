// The Node.js side of the client differential test (tests/e2e/
// test_client_diff.c): for each case of the file named by argv[2] (one
// line each: METHOD, a space, the raw response in hex), a raw server on
// 127.0.0.1:0 answers one request with exactly those bytes and closes;
// Node's http client (llhttp, default strict settings, no agent) fetches
// it. One line per case on stdout:
//   "<i> ok <status> <body in hex, or -> [+<error>]" when the response
//     ended ('end' on it), with the error Node raised on the connection
//     after that, if any (bytes after the response);
//   "<i> err <code>" when no complete response came (parse error, early
//     close, 101).
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');

function serve(raw) {
  return net.createServer((sock) => {
    let head = '';
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n\r\n')) sock.end(raw);
    });
    sock.on('error', () => {});
  });
}

function one(method, raw) {
  return new Promise((resolve) => {
    const server = serve(raw);
    server.listen(0, '127.0.0.1', () => {
      let ended = null, error = null, done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        server.close();
        if (ended) resolve('ok ' + ended + (error ? ' +' + error : ''));
        else resolve('err ' + (error || 'none'));
      };
      // Whatever happens (a 101 detaches the socket), 5 s ends the case.
      const timer = setTimeout(finish, 5000);
      const req = http.request({host: '127.0.0.1', port: server.address().port,
                                method, path: '/', agent: false});
      const fail = (code) => { if (!error) error = code; };
      req.on('upgrade', (res, sock) => { sock.destroy(); fail('upgrade'); finish(); });
      req.on('error', (e) => fail(e.code || e.message));
      req.on('close', () => setTimeout(finish, 30));
      req.on('response', (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('aborted', () => fail('aborted'));
        res.on('error', (e) => fail(e.code || e.message));
        res.on('end', () => {
          if (error) return; // an error came first: not a clean end
          const body = Buffer.concat(parts).toString('hex');
          ended = res.statusCode + ' ' + (body || '-');
        });
      });
      req.end();
    });
  });
}

(async () => {
  const lines = fs.readFileSync(process.argv[2], 'latin1').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]) continue;
    const sp = lines[i].indexOf(' ');
    const out = await one(lines[i].slice(0, sp), Buffer.from(lines[i].slice(sp + 1), 'hex'));
    process.stdout.write(i + ' ' + out + '\n');
  }
})();
