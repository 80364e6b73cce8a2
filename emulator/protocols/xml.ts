/**
 * XML rendering for the Query protocols (EC2 and Auto Scaling/STS). Values are plain JS objects
 * keyed by the wire element names; arrays become `<name><item>…</item></name>` (EC2) or
 * `<name><member>…</member></name>` (Auto Scaling, STS).
 */

export type XmlValue = string | number | boolean | Date | null | undefined | XmlValue[] | XmlObject;
export interface XmlObject {
  [element: string]: XmlValue;
}

export type ListItemName = 'item' | 'member';

export function xmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function scalar(value: string | number | boolean | Date): string {
  if (value instanceof Date) return value.toISOString();
  return xmlEscape(String(value));
}

export function renderElement(name: string, value: XmlValue, listItem: ListItemName): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const items = value.map((v) => renderElement(listItem, v, listItem)).join('');
    return items ? `<${name}>${items}</${name}>` : `<${name}/>`;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    return `<${name}>${renderChildren(value, listItem)}</${name}>`;
  }
  return `<${name}>${scalar(value)}</${name}>`;
}

export function renderChildren(object: XmlObject, listItem: ListItemName): string {
  return Object.entries(object)
    .map(([k, v]) => renderElement(k, v, listItem))
    .join('');
}

export function xmlDocument(root: string, namespace: string, body: XmlObject, listItem: ListItemName): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${namespace}">${renderChildren(body, listItem)}</${root}>`;
}

/** Drops undefined members so optional fields stay absent. */
export function compact<T extends XmlObject>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** EC2 and Auto Scaling tag lists from a key/value map. */
export function ec2Tags(tags: Record<string, string>): XmlObject[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}
