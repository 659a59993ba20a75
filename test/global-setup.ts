import { execFileSync } from 'node:child_process';

/** The end-to-end tests run the built CLI: build once, the way `npm ci` does, before any test file runs. */
export default function setup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
}
