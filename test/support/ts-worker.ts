// A worker thread running a TypeScript module of src/ (tests run the source through tsx):
// Node 20 does not apply `--import` hooks to a worker's first module, so the thread registers
// tsx itself and then imports the module.
import { Worker } from 'node:worker_threads';

export function tsWorker(moduleUrl: URL, workerData: unknown): Worker {
  const entry = JSON.stringify(moduleUrl.href);
  return new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true, workerData, stdout: false, stderr: false });
}
