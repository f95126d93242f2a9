# Node.js: timers, a promise chain, child_process.execFile and spawn with a
# pipe, an HTTP server and client on loopback.
set -eu
cd /tmp
cat >/tmp/main.js <<'JS'
const { execFile, spawn } = require('child_process');
const http = require('http');
const order = [];
setTimeout(() => order.push('timeout 20'), 20);
setTimeout(() => order.push('timeout 0'), 0);
setImmediate(() => order.push('immediate'));
const iv = setInterval(() => {
  order.push('interval');
  if (order.filter((x) => x === 'interval').length === 3) clearInterval(iv);
}, 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
Promise.resolve(1)
  .then((x) => x + 1)
  .then(async (x) => { await sleep(30); return x * 10; })
  .then((x) => { console.log('promise chain', x); return Promise.reject(new Error('boom')); })
  .catch((e) => console.log('caught', e.message))
  .then(() => new Promise((res, rej) => execFile('sh', ['-c', 'echo out; echo err >&2; exit 2'], (err, stdout, stderr) => {
    console.log('execFile', err && err.code, JSON.stringify(stdout), JSON.stringify(stderr));
    res();
  })))
  .then(() => new Promise((res) => {
    const tr = spawn('tr', ['a-z', 'A-Z']);
    let out = '';
    tr.stdout.on('data', (d) => { out += d; });
    tr.on('close', (code) => { console.log('spawn tr', code, JSON.stringify(out)); res(); });
    tr.stdin.write('hello ');
    tr.stdin.end('pipe\n');
  }))
  .then(() => new Promise((res) => {
    // An HTTP server and a client on loopback (the Sentry's netstack).
    const srv = http.createServer((req, resp) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => resp.end(`${req.method} ${req.url} ${body.length}`));
    });
    srv.listen(0, '127.0.0.1', () => {
      const req = http.request({ port: srv.address().port, host: '127.0.0.1', method: 'POST', path: '/x' }, (resp) => {
        let got = '';
        resp.on('data', (d) => { got += d; });
        resp.on('end', () => { console.log('http', resp.statusCode, got); srv.close(res); });
      });
      req.end('a'.repeat(100000));
    });
  }))
  .then(() => {
    console.log('timers', order.filter((x) => x !== 'interval').sort().join(','),
      'intervals', order.filter((x) => x === 'interval').length);
  });
JS
node /tmp/main.js
