/** Where a command writes: injected so that tests run commands in-process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** A malformed command line: exit code 2, with usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_BAD_INPUT = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 3;
