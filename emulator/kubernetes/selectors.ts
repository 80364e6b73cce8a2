/**
 * Label and field selectors with the grammar of k8s.io/apimachinery `labels.Parse` and
 * `fields.ParseSelector` (what `kubectl get --selector/--field-selector` sends).
 */
import type { KubeNode } from './types';

export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export type LabelOperator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '<' | '>';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'in' | 'notin' | '!' | '=' | '!=' | '(' | ')' | ',' | '<' | '>' | 'end'; text: string };

const SPECIAL_SYMBOLS = new Set(['=', '!', '(', ')', ',', '<', '>']);
const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function tokenize(selector: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < selector.length) {
    const char = selector[position] as string;
    if (/\s/.test(char)) {
      position += 1;
    } else if (SPECIAL_SYMBOLS.has(char)) {
      // Longest match: "==" and "!=" are single operators; "==" means "=".
      const pair = selector.slice(position, position + 2);
      if (pair === '==' || pair === '!=') {
        tokens.push({ kind: pair === '==' ? '=' : '!=', text: pair });
        position += 2;
      } else {
        tokens.push({ kind: char as '!' | '=' | '(' | ')' | ',' | '<' | '>', text: char });
        position += 1;
      }
    } else {
      let end = position;
      while (end < selector.length && !/\s/.test(selector[end] as string) && !SPECIAL_SYMBOLS.has(selector[end] as string)) end += 1;
      const text = selector.slice(position, end);
      tokens.push(text === 'in' || text === 'notin' ? { kind: text, text } : { kind: 'identifier', text });
      position = end;
    }
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

function validateKey(key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixValid = prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix));
  if (!prefixValid || name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    throw new SelectorParseError(`unable to parse requirement: invalid label key "${key}"`);
  }
}

function validateValue(value: string): void {
  if (value.length > 63 || (value !== '' && !NAME_PART.test(value))) {
    throw new SelectorParseError(`unable to parse requirement: invalid label value: "${value}"`);
  }
}

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`; the empty selector matches everything. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  const tokens = tokenize(selector);
  let index = 0;
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;
  const expectIdentifier = (what: string): string => {
    const token = next();
    if (token.kind !== 'identifier') throw new SelectorParseError(`unable to parse requirement: found '${token.text}', expected: ${what}`);
    return token.text;
  };

  const requirements: LabelRequirement[] = [];
  if (peek().kind === 'end') return requirements;
  for (;;) {
    requirements.push(parseRequirement());
    const separator = next();
    if (separator.kind === 'end') return requirements;
    if (separator.kind !== ',') throw new SelectorParseError(`found '${separator.text}', expected: ',' or 'end of string'`);
  }

  function parseRequirement(): LabelRequirement {
    if (peek().kind === '!') {
      next();
      const key = expectIdentifier('identifier');
      validateKey(key);
      return { key, operator: '!', values: [] };
    }
    const key = expectIdentifier('identifier');
    validateKey(key);
    const operator = peek();
    switch (operator.kind) {
      case 'end':
      case ',':
        return { key, operator: 'exists', values: [] };
      case '=':
      case '!=': {
        next();
        // `key=` selects an empty value.
        const value = peek().kind === 'identifier' ? next().text : '';
        validateValue(value);
        return { key, operator: operator.kind, values: [value] };
      }
      case '<':
      case '>': {
        next();
        const value = expectIdentifier('integer value');
        if (!/^-?\d+$/.test(value)) throw new SelectorParseError(`unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer: "${value}"`);
        return { key, operator: operator.kind, values: [value] };
      }
      case 'in':
      case 'notin': {
        next();
        if (next().kind !== '(') throw new SelectorParseError(`unable to parse requirement: expected '(' after '${operator.text}'`);
        const values: string[] = [];
        for (;;) {
          const token = next();
          if (token.kind === ')') break;
          if (token.kind === ',') continue;
          if (token.kind !== 'identifier') throw new SelectorParseError(`unable to parse requirement: found '${token.text}' in value list`);
          validateValue(token.text);
          values.push(token.text);
        }
        if (values.length === 0) throw new SelectorParseError(`unable to parse requirement: for 'in', 'notin' operators, values set can't be empty`);
        return { key, operator: operator.kind, values };
      }
      default:
        throw new SelectorParseError(`unable to parse requirement: found '${operator.text}', expected: in, notin, =, ==, !=, gt, lt`);
    }
  }
}

export function matchesLabelSelector(requirements: LabelRequirement[], labels: Record<string, string>): boolean {
  return requirements.every(({ key, operator, values }) => {
    const present = Object.prototype.hasOwnProperty.call(labels, key);
    const value = labels[key];
    switch (operator) {
      case 'exists':
        return present;
      case '!':
        return !present;
      case '=':
      case 'in':
        return present && values.includes(value as string);
      case '!=':
      case 'notin':
        return !present || !values.includes(value as string);
      case '<':
      case '>': {
        if (!present || !/^-?\d+$/.test(value as string)) return false;
        const actual = Number(value);
        const bound = Number(values[0]);
        return operator === '<' ? actual < bound : actual > bound;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** The field labels the API server supports for nodes, and how each reads a Node. */
const NODE_FIELDS: Record<string, (node: KubeNode) => string> = {
  'metadata.name': (node) => String((node.metadata as { name?: unknown } | undefined)?.name ?? ''),
  'spec.unschedulable': (node) => String((node.spec as { unschedulable?: unknown } | undefined)?.unschedulable === true),
};

/** Parses `metadata.name=x,spec.unschedulable!=true`; backslash escapes `,` `=` `!` like fields.ParseSelector. */
export function parseNodeFieldSelector(selector: string): FieldRequirement[] {
  return splitUnescaped(selector, ',')
    .filter((term) => term.trim() !== '')
    .map((term) => {
      const requirement = splitFieldTerm(term);
      if (!requirement) throw new SelectorParseError(`invalid selector: '${selector}'; can't understand '${term}'`);
      if (!NODE_FIELDS[requirement.field]) {
        throw new SelectorParseError(`"${requirement.field}" is not a known field selector: only "${Object.keys(NODE_FIELDS).join('", "')}"`);
      }
      return requirement;
    });
}

/** `field<op>value` split at the first unescaped operator. */
function splitFieldTerm(term: string): FieldRequirement | undefined {
  for (let index = 0; index < term.length; index += 1) {
    if (term[index] === '\\') {
      index += 1;
      continue;
    }
    const field = unescape(term.slice(0, index)).trim();
    if (term.startsWith('!=', index)) return { field, operator: '!=', value: unescape(term.slice(index + 2)) };
    if (term.startsWith('==', index)) return { field, operator: '=', value: unescape(term.slice(index + 2)) };
    if (term[index] === '=') return { field, operator: '=', value: unescape(term.slice(index + 1)) };
  }
  return undefined;
}

export function matchesFieldSelector(requirements: FieldRequirement[], node: KubeNode): boolean {
  return requirements.every(({ field, operator, value }) => {
    const actual = (NODE_FIELDS[field] as (node: KubeNode) => string)(node);
    return operator === '=' ? actual === value : actual !== value;
  });
}

function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (char === '\\' && index + 1 < text.length) {
      current += char + (text[index + 1] as string);
      index += 1;
    } else if (char === separator) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}
