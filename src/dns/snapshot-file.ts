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

/** Records serialised between two yields to the event loop. */
const CHUNK = 2000;

/**
 * Writes the snapshot. The JSON is produced a chunk of records at a time with a yield in
 * between, so a 100,000-name zone never holds DNS answers back for the length of one
 * JSON.stringify of everything.
 */
export async function writeSnapshot(stateDir: string, zones: ZoneContent[]): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const parts: string[] = [`{"format":${FORMAT},"savedAt":${JSON.stringify(new Date().toISOString())},"zones":[`];
  for (let z = 0; z < zones.length; z++) {
    const { records, ...settings } = zones[z];
    parts.push(`${z > 0 ? ',' : ''}${JSON.stringify(settings).slice(0, -1)},"records":[`);
    for (let i = 0; i < records.length; i += CHUNK) {
      const chunk = JSON.stringify(records.slice(i, i + CHUNK)).slice(1, -1);
      parts.push(i > 0 && chunk.length > 0 ? `,${chunk}` : chunk);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    parts.push(']}');
  }
  parts.push(']}');
  const target = join(stateDir, FILE);
  const tmp = `${target}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(parts.join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, target);
}
