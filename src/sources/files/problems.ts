/** Something wrong in a manifest folder, located well enough for a person to fix it. */
export interface ManifestProblem {
  /** Absolute path of the file (or of the folder when the folder itself is the problem). */
  file: string;
  /** 1-based position of the YAML document in the file, as a person counts. */
  document?: number;
  /** `Kind namespace/name` of the object, when one was identified. */
  object?: string;
  reason: string;
}

export type ProblemReporter = (problem: ManifestProblem) => void;

export function formatProblem(p: ManifestProblem): string {
  return [p.file, p.document !== undefined ? `document ${p.document}` : undefined, p.object, p.reason]
    .filter((x) => x !== undefined)
    .join(': ');
}
