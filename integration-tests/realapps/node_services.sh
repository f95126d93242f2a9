# Node.js as a service: fs.promises (rename, symlink, pread, truncate),
# fs.watch, streams, worker_threads with Atomics.wait, execSync, spawnSync,
# a killed child, fork with its IPC channel, a signal to itself, an HTTP
# keep-alive agent, a 1 MiB upload with a half-close, ECONNREFUSED, UDP,
# and an http.get of http://localhost:PORT to a server on 127.0.0.1: with
# IPv6 off in the container (Docker's disable_ipv6), "localhost" must
# resolve to 127.0.0.1 first, as under runc.
set -eu
cd /tmp
cat >/tmp/n2.js <<'JS'
const http = require('http');
const net = require('net');
const dgram = require('dgram');
const fsp = require('fs/promises');
const fs = require('fs');
const os = require('os');
const path = require('path');
const cp = require('child_process');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
if (!isMainThread) {
  let s = 0; for (let i = 0; i <= workerData; i++) s += i;
  const sab = new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sab, 0, 0, 20);
  parentPort.postMessage(s);
  return;
}
(async () => {
  const d = await fsp.mkdtemp(path.join(os.tmpdir(), 'n2-'));
  await fsp.writeFile(path.join(d, 'a'), 'hello\n');
  await fsp.appendFile(path.join(d, 'a'), 'more\n');
  await fsp.rename(path.join(d, 'a'), path.join(d, 'b'));
  await fsp.symlink('b', path.join(d, 'l'));
  const st = await fsp.stat(path.join(d, 'l'));
  console.log('fs', (await fsp.readdir(d)).sort().join(','), st.size, await fsp.readlink(path.join(d, 'l')), JSON.stringify(await fsp.readFile(path.join(d, 'l'), 'utf8')));
  const fh = await fsp.open(path.join(d, 'b'), 'r+');
  const buf = Buffer.alloc(5); await fh.read(buf, 0, 5, 6); console.log('pread', buf.toString());
  await fh.truncate(3); await fh.sync(); await fh.close();
  console.log('trunc', (await fsp.stat(path.join(d, 'b'))).size);
  // fs.watch (inotify)
  await new Promise((res) => {
    const w = fs.watch(d, (ev, f) => { console.log('watch', ev, f); w.close(); res(); });
    setTimeout(() => fs.writeFileSync(path.join(d, 'new'), 'x'), 20);
  });
  // streams
  await new Promise((res) => { const ws = fs.createWriteStream(path.join(d, 'big')); for (let i = 0; i < 1000; i++) ws.write('line ' + i + '\n'); ws.end(res); });
  let n = 0; await new Promise((res) => fs.createReadStream(path.join(d, 'big')).on('data', (c) => { n += c.length; }).on('end', res));
  console.log('stream bytes', n);
  await fsp.rm(d, { recursive: true });
  // worker threads
  const rs = await Promise.all([1000, 2000, 3000].map((v) => new Promise((res, rej) => {
    const w = new Worker(__filename, { workerData: v });
    w.on('message', res); w.on('error', rej);
  })));
  console.log('workers', rs.join(','));
  // child_process
  console.log('execSync', cp.execSync('echo $((6*7))').toString().trim());
  const r = cp.spawnSync('sh', ['-c', 'cat; exit 5'], { input: 'stdin-data' });
  console.log('spawnSync', r.status, r.stdout.toString());
  await new Promise((res) => { const c = cp.spawn('sleep', ['30']); c.on('exit', (code, sig) => { console.log('killed', code, sig); res(); }); setTimeout(() => c.kill('SIGTERM'), 50); });
  await new Promise((res) => {
    fs.writeFileSync('/tmp/child.js', "process.on('message', (m) => { process.send({ back: m.n * 2 }); process.exit(0); });");
    const c = cp.fork('/tmp/child.js'); c.on('message', (m) => { console.log('fork ipc', m.back); }); c.on('exit', (code) => { console.log('fork exit', code); res(); }); c.send({ n: 21 });
  });
  // signals
  await new Promise((res) => { const k = setTimeout(() => { console.log('no SIGUSR2'); res(); }, 5000); process.once('SIGUSR2', () => { clearTimeout(k); console.log('got SIGUSR2'); res(); }); process.kill(process.pid, 'SIGUSR2'); });
  // http with keep-alive agent, several requests
  const srv = http.createServer((req, resp) => { let b = ''; req.on('data', (x) => b += x); req.on('end', () => { resp.setHeader('x-len', b.length); resp.end(req.url + ':' + b.length); }); });
  await new Promise((res) => srv.listen(0, '127.0.0.1', res));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const get = (p) => new Promise((res, rej) => http.get({ host: '127.0.0.1', port: srv.address().port, path: p, agent }, (resp) => { let g = ''; resp.on('data', (x) => g += x); resp.on('end', () => res(resp.statusCode + ' ' + g)); }).on('error', rej));
  console.log('http', (await Promise.all(['/a', '/b', '/c', '/d', '/e'].map(get))).join(';'));
  agent.destroy();
  // "localhost" to a server on 127.0.0.1 (Node 18 takes getaddrinfo's first answer).
  console.log('localhost', await new Promise((res) => http.get(`http://localhost:${srv.address().port}/l`, (resp) => { let g = ''; resp.on('data', (x) => g += x); resp.on('end', () => res(g)); }).on('error', (e) => res(e.code))));
  await new Promise((res) => srv.close(res));
  // raw net + half close
  const ns = net.createServer((c) => { let b = 0; c.on('data', (x) => b += x.length); c.on('end', () => c.end('total ' + b)); });
  await new Promise((res) => ns.listen(0, '127.0.0.1', res));
  await new Promise((res) => { const c = net.connect(ns.address().port, '127.0.0.1', () => { c.end(Buffer.alloc(1 << 20)); }); let g = ''; c.on('data', (x) => g += x); c.on('end', () => { console.log('net', g); res(); }); });
  ns.close();
  // ECONNREFUSED
  await new Promise((res) => { const c = net.connect(1, '127.0.0.1'); c.on('error', (e) => { console.log('refused', e.code); res(); }); });
  // udp
  await new Promise((res) => { const s = dgram.createSocket('udp4'); s.on('message', (m, ri) => { console.log('udp', m.toString(), ri.address); s.close(); res(); }); s.bind(0, '127.0.0.1', () => { const c = dgram.createSocket('udp4'); c.send('ping', s.address().port, '127.0.0.1', () => c.close()); }); });
  // timers
  const t0 = process.hrtime.bigint(); await new Promise((r) => setTimeout(r, 100)); const el = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log('timer ok', el >= 99 && el < 2000);
  await new Promise((res) => require('dns').lookup('localhost', (e, a) => { console.log('lookup localhost', e ? e.code : a); res(); }));
})().catch((e) => { console.error('ERR', e); process.exit(1); });
JS
node /tmp/n2.js
