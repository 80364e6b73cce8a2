/**
 * What every Describe/List call shares: EC2-style filters (with `*` and `?` wildcards and
 * `tag:Key` / `tag-key` / `tag-value`), and opaque pagination tokens.
 */
import { AwsApiError } from '../errors';

export interface Filter {
  name: string;
  values: string[];
}

type FieldValue = string | number | boolean | undefined | null;
/** For each supported filter name, the values an item offers (any match keeps it). */
export type FilterFields<T> = Record<string, (item: T) => FieldValue | FieldValue[]>;

function wildcard(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function applyFilters<T>(
  items: T[],
  filters: Filter[],
  fields: FilterFields<T>,
  tagsOf: ((item: T) => Record<string, string>) | undefined,
  invalidFilter: (name: string) => AwsApiError,
): T[] {
  const predicates = filters.map((filter) => {
    const patterns = filter.values.map(wildcard);
    const offered = offeredValues(filter.name, fields, tagsOf, invalidFilter);
    return (item: T): boolean => {
      const values = offered(item)
        .filter((v): v is string | number | boolean => v !== undefined && v !== null)
        .map(String);
      return values.some((v) => patterns.some((p) => p.test(v)));
    };
  });
  return items.filter((item) => predicates.every((p) => p(item)));
}

function offeredValues<T>(
  name: string,
  fields: FilterFields<T>,
  tagsOf: ((item: T) => Record<string, string>) | undefined,
  invalidFilter: (name: string) => AwsApiError,
): (item: T) => FieldValue[] {
  if (tagsOf && name.startsWith('tag:')) {
    const key = name.slice(4);
    return (item) => [tagsOf(item)[key]];
  }
  if (tagsOf && name === 'tag-key') return (item) => Object.keys(tagsOf(item));
  if (tagsOf && name === 'tag-value') return (item) => Object.values(tagsOf(item));
  const field = fields[name];
  if (!field) throw invalidFilter(name);
  return (item) => {
    const v = field(item);
    return Array.isArray(v) ? v : [v];
  };
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Pages `items`; the token encodes the next offset (opaque to callers, like AWS's). */
export function paginate<T>(
  items: T[],
  options: { maxResults?: number; nextToken?: string; defaultPageSize: number; invalidToken: () => AwsApiError },
): Page<T> {
  let offset = 0;
  if (options.nextToken !== undefined && options.nextToken !== '') {
    try {
      const decoded = JSON.parse(Buffer.from(options.nextToken, 'base64url').toString('utf8')) as { offset?: unknown };
      if (typeof decoded.offset !== 'number' || decoded.offset < 0) throw new Error('bad offset');
      offset = decoded.offset;
    } catch {
      throw options.invalidToken();
    }
  }
  const size = options.maxResults ?? options.defaultPageSize;
  const page = items.slice(offset, offset + size);
  const next = offset + size;
  return {
    items: page,
    nextToken: next < items.length ? Buffer.from(JSON.stringify({ offset: next }), 'utf8').toString('base64url') : undefined,
  };
}
