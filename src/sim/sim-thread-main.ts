/** The worker side of startSimThread: starts the simulators, reports their URLs, closes them on 'close'. */
import { parentPort, workerData } from 'node:worker_threads';
import { type SimServer, startSimServer } from './server.js';
import type { SimThreadOptions } from './sim-thread.js';

const port = parentPort!;
const servers: SimServer[] = [];
try {
  for (const options of (workerData as { sims: SimThreadOptions[] }).sims)
    servers.push(await startSimServer(options));
  port.postMessage({ sims: servers.map((s) => ({ url: s.url, port: s.port })) });
} catch (e) {
  await Promise.all(servers.map((s) => s.close()));
  port.postMessage({ error: e instanceof Error ? e.message : String(e) });
  port.close();
}
port.on('message', async (m) => {
  if (m !== 'close') return;
  await Promise.all(servers.map((s) => s.close()));
  port.close();
});
