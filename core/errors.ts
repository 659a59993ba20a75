/** Bad input from the user (scenario, variant name, override): exit code 1, one-line message. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}
