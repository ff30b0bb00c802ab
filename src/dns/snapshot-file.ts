/**
 * The zones as last served, persisted so that a restart answers from them before the sources
 * have listed their clusters again. Written atomically: a temp file, fsync, rename.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ZoneContent } from '../model/index.js';

const FILE = 'zones.json';
const FORMAT = 1;

interface SnapshotFile {
  format: number;
  savedAt: string;
  zones: ZoneContent[];
}

export async function readSnapshot(stateDir: string): Promise<ZoneContent[]> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<SnapshotFile>;
  if (parsed.format !== FORMAT || !Array.isArray(parsed.zones)) {
    throw new Error(`${join(stateDir, FILE)}: unknown snapshot format ${String(parsed.format)}`);
  }
  return parsed.zones;
}

export async function writeSnapshot(stateDir: string, zones: ZoneContent[]): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const body: SnapshotFile = { format: FORMAT, savedAt: new Date().toISOString(), zones };
  const target = join(stateDir, FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(body));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, target);
}
