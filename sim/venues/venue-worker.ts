/**
 * The embedded venues in a worker thread of their own (`venues.simThread: own`, or `auto` on a host with
 * cores to spare): their load never lands on the supervisor's thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startVenueSet, type VenueWorkerData } from './VenueSet.js';

const set = await startVenueSet(workerData as VenueWorkerData);
parentPort!.postMessage({ t: 'ready', ports: set.ports });
parentPort!.on('message', async (m: { t: string }) => {
  if (m.t === 'stop') {
    await set.stop();
    parentPort!.postMessage({ t: 'stopped' });
    process.exit(0);
  }
});
