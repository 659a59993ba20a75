import { BadInputError } from '../errors.js';

/** Bad input in a scenario: the message names the file, the field and the problem. */
export class ScenarioError extends BadInputError {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${problem}`);
    this.name = 'ScenarioError';
  }
}
