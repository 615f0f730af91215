// A bogus-credential flood from its own process (so the server under test does not share an event loop with it):
// node flood-client.mjs URL TOTAL CONCURRENCY SEED → prints {"<status>": count, ...} as JSON.
import http from 'node:http';

const [url, total, concurrency, seed] = process.argv.slice(2);
let x = Number(seed) >>> 0 || 1;
const word = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32).toString(36).slice(2, 10);
const counts = {};
let next = 0;
const one = () =>
  new Promise((resolve) => {
    const auth = Buffer.from(`bogus-${word()}:${word()}`).toString('base64');
    const req = http.get(url, { headers: { authorization: `Basic ${auth}` }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', (e) => resolve(e.code ?? 'error'));
  });
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (next < Number(total)) {
      next++;
      const status = await one();
      counts[status] = (counts[status] ?? 0) + 1;
    }
  }),
);
process.stdout.write(JSON.stringify(counts));
