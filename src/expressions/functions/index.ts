import { collectionFunctions } from './collections.js';
import { conversionFunctions } from './conversion.js';
import { dateFunctions } from './dates.js';
import { logicalFunctions } from './logical.js';
import { mathFunctions } from './math.js';
import { stringFunctions } from './strings.js';
import type { FunctionDef } from './types.js';
import { uriFunctions } from './uri.js';
import { workflowFunctions } from './workflow.js';

export type { CallInfo, FunctionDef } from './types.js';

const ALL: FunctionDef[] = [
  ...workflowFunctions,
  ...stringFunctions,
  ...collectionFunctions,
  ...logicalFunctions,
  ...conversionFunctions,
  ...mathFunctions,
  ...dateFunctions,
  ...uriFunctions,
];

/** Keyed by lower case: Logic Apps matches function names case-insensitively (`encodeURIComponent`). */
const BY_NAME = new Map(ALL.map((f) => [f.name.toLowerCase(), f]));

export function lookupFunction(name: string): FunctionDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}

export interface FunctionInfo {
  name: string;
  signature: string;
  description: string;
  category: FunctionDef['category'];
  minArgs: number;
  maxArgs: number | null;
}

/** Every function, for the designer's autocomplete. */
export function listFunctions(): FunctionInfo[] {
  return ALL.map((f) => ({
    name: f.name,
    signature: f.signature,
    description: f.description,
    category: f.category,
    minArgs: f.min,
    maxArgs: f.max === Infinity ? null : f.max,
  })).sort((a, b) => a.name.localeCompare(b.name));
}
