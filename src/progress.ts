/** A progress event from a build phase; the CLI renders it live on a TTY or as plain lines. */
export interface ProgressEvent {
  phase: 'clean' | 'stage' | 'compile' | 'package' | 'manifest' | 'database';
  /** What is happening, e.g. `scanning`, `minify js`, `app.js`. */
  step: string;
  done?: number;
  total?: number;
}

export type ProgressListener = (event: ProgressEvent) => void;
