/**
 * Just enough of the Dockerfile and .dockerignore formats to check what the image build does:
 * instructions with `\` continuations and comments, stages, exec-form (JSON) arguments, and
 * .dockerignore patterns (`*`, `?`, `**`, `!` exceptions, last match wins, a match on a
 * folder excludes what is in it).
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buffer === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (buffer !== '' && line.trim().startsWith('#')) return; // comments inside a continuation
    if (buffer === '') start = i + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buffer);
    if (!m) throw new Error(`Dockerfile line ${start}: not an instruction: ${buffer}`);
    instructions.push({ keyword: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ').trim(), line: start });
    buffer = '';
  });
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const parts = ins.args.split(' ').filter((p) => !p.startsWith('--'));
      stages.push({ image: parts[0], name: parts[1]?.toUpperCase() === 'AS' ? parts[2] : undefined, instructions: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return stages;
}

/** An exec-form argument list (`["node", "x.js"]`); throws on the shell form. */
export function execForm(ins: Instruction): string[] {
  const value: unknown = JSON.parse(ins.args);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`line ${ins.line}: ${ins.keyword} is not in exec form`);
  return value;
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
}

export function parseCopy(ins: Instruction): Copy {
  const words = ins.args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths[paths.length - 1] };
}

function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      // "**/" matches any number of folders, none included.
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether .dockerignore keeps `path` (relative, with `/`) out of the build context. */
export function isIgnored(dockerignore: string, path: string): boolean {
  const rules = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (l.startsWith('!') ? { keep: true, re: patternRegex(l.slice(1).replace(/^\/+/, '').replace(/\/+$/, '')) } : { keep: false, re: patternRegex(l.replace(/^\/+/, '').replace(/\/+$/, '')) }));
  // The path itself and each folder above it: excluding a folder excludes its contents.
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.re.test(c))) ignored = !rule.keep;
  }
  return ignored;
}
