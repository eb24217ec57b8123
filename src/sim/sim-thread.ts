/**
 * Simulated providers on a worker thread of their own. In one process with
 * the harness, a simulator's work (planning answers, writing streams) runs on
 * the thread that takes the harness's timestamps, so the harness reads late
 * by however long the simulator keeps the loop, and its own timing error
 * (the run's instrument) says so. The demo runs its providers here, as real
 * providers run elsewhere.
 */
import { Worker } from 'node:worker_threads';
import type { SimServerOptions } from './server.js';

/** A simulator served from the worker thread. */
export interface ThreadedSim {
  /** `http://HOST:PORT/v1`: the base URL a provider client is given. */
  url: string;
  port: number;
}

export interface SimThread {
  sims: ThreadedSim[];
  /** Closes every simulator (dropping open connections) and ends the thread. */
  close(): Promise<void>;
}

/** What the thread is sent: the options of each simulator, minus the clock (the thread uses its own). */
export type SimThreadOptions = Omit<SimServerOptions, 'clock'>;

/** Starts the simulators on one worker thread; resolves once every one is listening. */
export async function startSimThread(options: readonly SimThreadOptions[]): Promise<SimThread> {
  const worker = new Worker(new URL('./sim-thread-main.js', import.meta.url), {
    workerData: { sims: options },
  });
  const sims = await new Promise<ThreadedSim[]>((resolve, reject) => {
    worker.once('message', (m: { sims?: ThreadedSim[]; error?: string }) =>
      m.sims ? resolve(m.sims) : reject(new Error(m.error ?? 'simulator thread failed to start')),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`simulator thread exited with code ${code}`)));
  });
  let closing: Promise<void> | null = null;
  return {
    sims,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage('close');
      });
      return closing;
    },
  };
}
