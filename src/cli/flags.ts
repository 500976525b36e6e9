import { CliError } from './client.js';

/** Number flags are checked here, where the text the user typed is still at hand to quote. */
export function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number, got '${value}'.`);
  return Number(value);
}

export function portNumber(value: string, flag: string): number {
  const port = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(port <= 65535)) throw new CliError(`${flag} must be a port number from 0 to 65535 (0 takes any free port), got '${value}'.`);
  return port;
}
