// The Subsonic response envelope, in XML (the default) or JSON (`f=json`).
// Handlers return a payload in the JSON shape — scalars are attributes,
// objects and arrays child elements — and this module renders either
// format from it, so both always carry the same data.
import type { Response } from 'express';
import { XMLBuilder } from 'fast-xml-parser';
import type { SubsonicError } from './errors.ts';

/** The Subsonic API version Tonegraph implements. */
export const API_VERSION = '1.16.1';
export const SERVER_TYPE = 'tonegraph';
export const SERVER_VERSION = '0.1.0';
const XMLNS = 'http://subsonic.org/restapi';

/** A value of a payload: scalars become attributes in XML, objects and arrays child elements. */
export type Value = string | number | boolean | null | undefined | Node | readonly Value[];
/** An element of a payload. */
export interface Node {
  readonly [name: string]: Value;
}

export type Format = 'xml' | 'json';

/** `f=json` answers JSON; anything else (absent, `xml`) XML. */
export const formatOf = (f: string | undefined): Format => (f === 'json' ? 'json' : 'xml');

const builder = new XMLBuilder({
  attributeNamePrefix: '@_',
  ignoreAttributes: false,
  suppressEmptyNode: true,
  suppressBooleanAttributes: false,
});

const ATTR = '@_';

/** JSON shape → fast-xml-parser's object shape (attributes prefixed, absent values left out). */
function toXmlNode(node: Node): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(node)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) {
      out[name] = (value as readonly Value[]).map((v) =>
        v !== null && typeof v === 'object' ? toXmlNode(v as Node) : v,
      );
    } else if (typeof value === 'object') {
      out[name] = toXmlNode(value as Node);
    } else {
      out[`${ATTR}${name}`] = value;
    }
  }
  return out;
}

/** Drops undefined and null fields (JSON clients expect absent, not null). */
function clean(value: Value): unknown {
  if (Array.isArray(value)) return (value as readonly Value[]).map(clean);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Node)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => [k, clean(v)]),
    );
  }
  return value;
}

function envelope(status: 'ok' | 'failed', payload: Node): Node {
  return {
    status,
    version: API_VERSION,
    type: SERVER_TYPE,
    serverVersion: SERVER_VERSION,
    openSubsonic: true,
    ...payload,
  };
}

/** Renders an envelope (no HTTP): the body and its content type. */
export function render(
  format: Format,
  status: 'ok' | 'failed',
  payload: Node,
): { body: string; type: string } {
  const body = envelope(status, payload);
  if (format === 'json') {
    return {
      body: JSON.stringify({ 'subsonic-response': clean(body) }),
      type: 'application/json; charset=utf-8',
    };
  }
  const xml = builder.build({
    'subsonic-response': { [`${ATTR}xmlns`]: XMLNS, ...toXmlNode(body) },
  });
  return { body: `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`, type: 'text/xml; charset=utf-8' };
}

/** Answers `status="ok"` with the payload. */
export function sendOk(res: Response, format: Format, payload: Node = {}): void {
  const { body, type } = render(format, 'ok', payload);
  res.status(200).type(type).send(body);
}

/** Answers `status="failed"` with the error (HTTP 200, as Subsonic servers do). */
export function sendError(res: Response, format: Format, error: SubsonicError): void {
  const { body, type } = render(format, 'failed', { error: { code: error.code, message: error.message } });
  res.status(200).type(type).send(body);
}
