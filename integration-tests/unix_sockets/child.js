// Node.js child processes (libuv talks to them over socketpairs) and a net
// server and client on the unix socket at argv[2].
const cp = require('child_process');
const net = require('net');
const fs = require('fs');
console.log('sync:', cp.execFileSync('/bin/echo', ['from a child']).toString().trim());
const c = cp.spawn('/bin/cat', [], {stdio: ['pipe', 'pipe', 'inherit']});
let said = '';
c.stdout.on('data', d => { said += d; });
c.on('close', code => {
  console.log('cat said:', said.trim(), 'exit', code);
  const path = process.argv[2];
  try { fs.unlinkSync(path); } catch (e) {}
  const srv = net.createServer(s => s.on('data', d => { s.end(d.toString().toUpperCase()); }));
  srv.listen(path, () => {
    const cl = net.connect(path, () => cl.write('over a unix socket'));
    cl.on('data', d => { console.log('server said:', d.toString()); srv.close(); });
  });
});
c.stdin.end('hello cat');
