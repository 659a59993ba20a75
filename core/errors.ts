/** Bad input from the user (scenario, variant name, override): exit code 1, one-line message. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}

/** The user stopped a run (Ctrl-C): nothing of it is printed; the CLI exits 130 as a shell expects. */
export class InterruptedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'InterruptedError';
  }
}
