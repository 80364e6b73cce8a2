/**
 * A small EventBridge event-pattern matcher for the operators the remediator's rules use:
 * exact values, prefix, anything-but (value or list), exists, nested objects and `$or`.
 * Any other operator throws, so a rule that starts using one cannot pass these tests silently.
 *
 * Semantics (EventBridge user guide, "Event patterns" / "Comparison operators"):
 * - every field named in the pattern must match; fields not named are ignored;
 * - a leaf is an array of alternatives, any one of which may match;
 * - a field missing from the event matches only `{ "exists": false }` (so `anything-but` needs it present);
 * - when the event value is an array, the leaf matches if any element matches;
 * - `$or` holds sub-patterns evaluated at the same level; one must match.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const MISSING = Symbol('missing');
type EventValue = Json | typeof MISSING;

export class UnsupportedPatternError extends Error {
  override readonly name = 'UnsupportedPatternError';
}

export function matchesEventPattern(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return matchObject(pattern, event as Json);
}

function matchObject(pattern: Record<string, unknown>, event: EventValue): boolean {
  const fields = event !== MISSING && event !== null && typeof event === 'object' && !Array.isArray(event) ? event : undefined;
  return Object.entries(pattern).every(([key, subPattern]) => {
    if (key === '$or') {
      if (!Array.isArray(subPattern) || subPattern.length < 2) throw new UnsupportedPatternError('$or needs at least two sub-patterns');
      return subPattern.some((alternative) => matchObject(asPatternObject(alternative, key), event));
    }
    const value: EventValue = fields && key in fields ? fields[key] : MISSING;
    if (Array.isArray(subPattern)) return matchLeaf(subPattern, value, key);
    return matchObject(asPatternObject(subPattern, key), value);
  });
}

function asPatternObject(value: unknown, key: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UnsupportedPatternError(`pattern at "${key}" must be an object or an array of alternatives`);
  }
  return value as Record<string, unknown>;
}

function matchLeaf(alternatives: unknown[], value: EventValue, key: string): boolean {
  return alternatives.some((alternative) => {
    if (isPlainObject(alternative) && 'exists' in alternative) {
      const wantsPresent = alternative.exists;
      if (typeof wantsPresent !== 'boolean') throw new UnsupportedPatternError(`"exists" at "${key}" must be a boolean`);
      return wantsPresent ? value !== MISSING : value === MISSING;
    }
    if (value === MISSING) return false;
    const candidates: Json[] = Array.isArray(value) ? value : [value];
    return candidates.some((candidate) => matchValue(alternative, candidate, key));
  });
}

function matchValue(alternative: unknown, candidate: Json, key: string): boolean {
  if (alternative === null || typeof alternative !== 'object') return alternative === candidate;
  if (!isPlainObject(alternative)) throw new UnsupportedPatternError(`unexpected pattern value at "${key}"`);
  const operators = Object.keys(alternative);
  if (operators.length !== 1) throw new UnsupportedPatternError(`one operator per alternative at "${key}", got ${operators.join(', ')}`);
  const [operator] = operators;
  const operand = alternative[operator];
  switch (operator) {
    case 'prefix':
      if (typeof operand !== 'string') throw new UnsupportedPatternError(`prefix at "${key}" must be a string`);
      return typeof candidate === 'string' && candidate.startsWith(operand);
    case 'anything-but': {
      if (isPlainObject(operand)) throw new UnsupportedPatternError(`anything-but with a nested operator at "${key}" is not supported here`);
      const excluded = Array.isArray(operand) ? operand : [operand];
      for (const item of excluded) {
        if (item !== null && typeof item === 'object') throw new UnsupportedPatternError(`anything-but at "${key}" must list plain values, got ${JSON.stringify(item)}`);
      }
      return !excluded.includes(candidate);
    }
    default:
      throw new UnsupportedPatternError(`operator "${operator}" at "${key}" is not supported by this matcher`);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
