import { createHash } from 'node:crypto';
import { APP_ACCESS, type AppAccess } from '../users/user.js';
import { MAX_CONTENT_CHARS, MAX_METADATA_BYTES, MEMORY_STATES, normaliseContent, type MemoryState, type Metadata } from '../memories/memory.js';
import type { MemoryVersion } from '../memories/memory.js';

/**
 * Cairn JSONL export format, version 1 (docs/import-export.md): a header line, the workspace's apps by name,
 * then each memory followed by its versions. Every line is built here with a fixed key order and metadata
 * with sorted keys, so the same workspace always exports to the same bytes.
 */
export const EXPORT_VERSION = 1;

export const IMPORT_FORMATS = ['auto', 'cairn', 'openmemory', 'server-memory'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export interface ExportApp {
  readonly name: string;
  readonly access: AppAccess;
}

export interface ExportMemory {
  readonly id: string;
  readonly content: string;
  readonly metadata: Metadata;
  readonly state: MemoryState;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly authorEmail: string;
  readonly appName: string;
}

export interface ExportVersion {
  readonly version: number;
  readonly action: MemoryVersion['action'];
  readonly content: string;
  readonly metadata: Metadata;
  readonly state: MemoryState;
  readonly at: number;
  readonly byEmail: string | null;
  readonly appName: string | null;
  readonly credentialKind: string | null;
  readonly credentialId: string | null;
  readonly requestId: string | null;
}

export function headerLine(): string {
  return JSON.stringify({ type: 'cairn-export', version: EXPORT_VERSION });
}

export function appLine(app: ExportApp): string {
  return JSON.stringify({ type: 'app', name: app.name, access: app.access });
}

export function memoryLine(m: ExportMemory): string {
  return JSON.stringify({
    type: 'memory',
    id: m.id,
    content: m.content,
    metadata: canonical(m.metadata),
    state: m.state,
    createdAt: iso(m.createdAt),
    updatedAt: iso(m.updatedAt),
    author: m.authorEmail,
    app: m.appName,
  });
}

export function versionLine(v: ExportVersion): string {
  return JSON.stringify({
    type: 'version',
    version: v.version,
    action: v.action,
    content: v.content,
    metadata: canonical(v.metadata),
    state: v.state,
    at: iso(v.at),
    by: v.byEmail,
    app: v.appName,
    credentialKind: v.credentialKind,
    credentialId: v.credentialId,
    requestId: v.requestId,
  });
}

/** ISO 8601 with milliseconds, UTC: lossless for the millisecond times Cairn stores. */
function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The value with every object's keys sorted (arrays keep their order): one spelling per value, whatever the database did to key order. */
export function canonical<T>(value: T): T {
  if (Array.isArray(value)) return value.map(canonical) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing: every format becomes the same records, each bad line an error with its number.

/** A version line as read: the exported version and the line it came from. */
export interface ImportVersion extends ExportVersion {
  readonly line: number;
}

export interface ImportMemory {
  readonly line: number;
  /** The id the file gives (Cairn) or one derived from the source (other formats). */
  readonly id: string;
  readonly content: string;
  readonly metadata: Metadata;
  readonly state: MemoryState;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** null: the source names no author (other formats): the importing principal is the author. */
  readonly authorEmail: string | null;
  /** null: the source names no app: the importing principal's app. */
  readonly appName: string | null;
  readonly versions: ImportVersion[];
}

export interface LineError {
  readonly line: number;
  readonly message: string;
}

export interface ParsedImport {
  readonly format: Exclude<ImportFormat, 'auto'>;
  readonly apps: ExportApp[];
  readonly memories: ImportMemory[];
  readonly errors: LineError[];
}

/** Longest accepted id in a Cairn file; ids are otherwise kept as given. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_APP_NAME = 200;

class LineProblem extends Error {}

function fail(message: string): never {
  throw new LineProblem(message);
}

/**
 * Reads a whole file (its lines, without the newline) into records. Nothing is written from here; the caller
 * decides what to do with the errors. `now` stands in for times the source does not give.
 */
export function parseImport(lines: readonly string[], format: ImportFormat, now: number): ParsedImport {
  const chosen = format === 'auto' ? detectFormat(lines) : format;
  if (chosen === 'cairn') return parseCairn(lines);
  if (chosen === 'server-memory') return parseServerMemory(lines, now);
  return parseOpenMemory(lines, now);
}

/** The format of the first non-blank line: a Cairn header, a server-memory entity or relation, or else OpenMemory/mem0. */
export function detectFormat(lines: readonly string[]): Exclude<ImportFormat, 'auto'> {
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined) return 'cairn';
  let value: unknown;
  try {
    value = JSON.parse(first);
  } catch {
    return 'openmemory';
  }
  if (isObject(value) && value.type === 'cairn-export') return 'cairn';
  if (isObject(value) && (value.type === 'entity' || value.type === 'relation')) return 'server-memory';
  return 'openmemory';
}

function parseCairn(lines: readonly string[]): ParsedImport {
  const apps: ExportApp[] = [];
  const memories: ImportMemory[] = [];
  const errors: LineError[] = [];
  const headerAt = lines.findIndex((l) => l.trim() !== '');
  if (headerAt === -1) return { format: 'cairn', apps, memories, errors: [{ line: 1, message: 'the file is empty: a Cairn export starts with {"type":"cairn-export","version":1}' }] };
  try {
    const value = parseJsonLine(lines[headerAt]!);
    if (value.type !== 'cairn-export') fail('the first line must be the header {"type":"cairn-export","version":1}');
    if (value.version !== EXPORT_VERSION) fail(`unsupported export version ${JSON.stringify(value.version)}: this Cairn reads version ${EXPORT_VERSION}`);
  } catch (err) {
    if (!(err instanceof LineProblem)) throw err;
    // Without a header nothing else can be trusted to mean what it says.
    return { format: 'cairn', apps, memories, errors: [{ line: headerAt + 1, message: err.message }] };
  }
  const seenIds = new Map<string, number>();
  const seenApps = new Map<string, number>();
  // Memories with a bad version line are left out whole: never imported with part of their history.
  const spoiled = new Set<ImportMemory>();
  // The memory the next version lines belong to; `memory: undefined` after a bad memory line (its versions go with it).
  let current: { memory: ImportMemory | undefined; line: number } | null = null;
  for (let i = headerAt + 1; i < lines.length; i++) {
    const text = lines[i]!;
    const line = i + 1;
    if (text.trim() === '') continue;
    let kind: unknown;
    try {
      const value = parseJsonLine(text);
      kind = value.type;
      switch (value.type) {
        case 'app': {
          const name = appName(value.name, 'name');
          const access = oneOf(value.access, APP_ACCESS, 'access');
          const first = seenApps.get(name);
          if (first !== undefined) fail(`the app "${name}" is listed twice (first on line ${first})`);
          seenApps.set(name, line);
          apps.push({ name, access });
          break;
        }
        case 'memory': {
          current = { memory: undefined, line };
          const id = str(value.id, 'id');
          if (!ID_PATTERN.test(id)) fail('invalid id: 1 to 64 letters, digits, "_" or "-"');
          const first = seenIds.get(id);
          if (first !== undefined) fail(`the memory ${id} appears twice (first on line ${first})`);
          const memory: ImportMemory = {
            line,
            id,
            content: content(value.content, 'content'),
            metadata: metadata(value.metadata, 'metadata'),
            state: oneOf(value.state, MEMORY_STATES, 'state'),
            createdAt: time(value.createdAt, 'createdAt'),
            updatedAt: time(value.updatedAt, 'updatedAt'),
            authorEmail: email(value.author, 'author'),
            appName: appName(value.app, 'app'),
            versions: [],
          };
          seenIds.set(id, line);
          memories.push(memory);
          current = { memory, line };
          break;
        }
        case 'version': {
          if (current === null) fail('a version line must follow its memory line');
          const owner: { memory: ImportMemory | undefined; line: number } = current;
          if (!owner.memory) fail(`belongs to the memory on line ${owner.line}, which is invalid`);
          const last = owner.memory.versions[owner.memory.versions.length - 1];
          const version = int(value.version, 'version');
          if (version < 1 || (last && version <= last.version)) fail(`invalid version: must be above ${last?.version ?? 0} (versions come in order)`);
          owner.memory.versions.push({
            line,
            version,
            action: oneOf(value.action, ['create', 'update', 'delete', 'baseline'] as const, 'action'),
            content: content(value.content, 'content'),
            metadata: metadata(value.metadata, 'metadata'),
            state: oneOf(value.state, MEMORY_STATES, 'state'),
            at: time(value.at, 'at'),
            byEmail: value.by === null || value.by === undefined ? null : email(value.by, 'by'),
            appName: value.app === null || value.app === undefined ? null : appName(value.app, 'app'),
            credentialKind: nullableStr(value.credentialKind, 'credentialKind'),
            credentialId: nullableStr(value.credentialId, 'credentialId'),
            requestId: nullableStr(value.requestId, 'requestId'),
          });
          break;
        }
        default:
          fail(`unknown line type ${JSON.stringify(value.type)} (expected app, memory or version)`);
      }
    } catch (err) {
      if (!(err instanceof LineProblem)) throw err;
      errors.push({ line, message: err.message });
      const owner = current as { memory: ImportMemory | undefined } | null;
      if (kind === 'version' && owner?.memory) spoiled.add(owner.memory);
    }
  }
  return { format: 'cairn', apps, memories: memories.filter((m) => !spoiled.has(m)), errors };
}

/**
 * The MCP reference `server-memory` knowledge graph (modelcontextprotocol/servers, src/memory): JSONL of
 * `{"type":"entity","name","entityType","observations":[…]}` and `{"type":"relation","from","to","relationType"}`.
 * One memory per observation ("<name>: <observation>") and per relation ("<from> <relationType> <to>").
 */
function parseServerMemory(lines: readonly string[], now: number): ParsedImport {
  const memories: ImportMemory[] = [];
  const errors: LineError[] = [];
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '') return;
    try {
      const value = parseJsonLine(text);
      if (value.type === 'entity') {
        const name = str(value.name, 'name');
        const entityType = str(value.entityType, 'entityType');
        if (!Array.isArray(value.observations)) fail('invalid observations: must be an array of strings');
        value.observations.forEach((o, j) => {
          const observation = str(o, `observations.${j}`);
          memories.push(foreign(line, `server-memory:entity:${name}\u0000${observation}`, content(`${name}: ${observation}`, `observations.${j}`), { source: SERVER_MEMORY_SOURCE, entity: name, entityType }, now));
        });
        return;
      }
      if (value.type === 'relation') {
        const from = str(value.from, 'from');
        const to = str(value.to, 'to');
        const relationType = str(value.relationType, 'relationType');
        memories.push(foreign(line, `server-memory:relation:${from}\u0000${relationType}\u0000${to}`, content(`${from} ${relationType} ${to}`, 'relation'), { source: SERVER_MEMORY_SOURCE, relation: { from, to, relationType } }, now));
        return;
      }
      fail(`unknown line type ${JSON.stringify(value.type)} (expected entity or relation)`);
    } catch (err) {
      if (!(err instanceof LineProblem)) throw err;
      errors.push({ line, message: err.message });
    }
  });
  return { format: 'server-memory', apps: [], memories: withoutBadLines(memories, errors), errors };
}

export const SERVER_MEMORY_SOURCE = 'mcp-server-memory';

/**
 * OpenMemory and mem0 exports: a JSON document (a bare array, `{"results":[…]}` as mem0's `get_all` returns,
 * or `{"memories":[…]}` as OpenMemory's backup export has) or JSONL with one such memory object per line.
 */
function parseOpenMemory(lines: readonly string[], now: number): ParsedImport {
  const memories: ImportMemory[] = [];
  const errors: LineError[] = [];
  const first = lines.findIndex((l) => l.trim() !== '');
  const item = (value: unknown, line: number, where: string) => {
    try {
      memories.push(openMemoryItem(value, line, now));
    } catch (err) {
      if (!(err instanceof LineProblem)) throw err;
      errors.push({ line, message: where ? `${where}: ${err.message}` : err.message });
    }
  };
  if (first === -1) return { format: 'openmemory', apps: [], memories, errors: [{ line: 1, message: 'the file is empty' }] };
  let document: unknown;
  let isDocument = false;
  try {
    document = JSON.parse(lines.join('\n'));
    isDocument = Array.isArray(document) || (isObject(document) && (Array.isArray(document.results) || Array.isArray(document.memories)));
  } catch {
    isDocument = lines[first]!.trim().startsWith('[') || (lines.length > 1 && !isJson(lines[first]!));
    if (isDocument) return { format: 'openmemory', apps: [], memories, errors: [{ line: first + 1, message: 'invalid JSON document' }] };
  }
  if (isDocument) {
    const items = Array.isArray(document) ? document : isObject(document) ? ((document.results ?? document.memories) as unknown[]) : [];
    const key = Array.isArray(document) ? '' : isObject(document) && Array.isArray(document.results) ? 'results' : 'memories';
    items.forEach((v, j) => item(v, first + 1, key ? `${key}[${j}]` : `[${j}]`));
    return { format: 'openmemory', apps: [], memories, errors };
  }
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = parseJsonLine(text);
    } catch (err) {
      errors.push({ line: i + 1, message: (err as Error).message });
      return;
    }
    item(value, i + 1, '');
  });
  return { format: 'openmemory', apps: [], memories: withoutBadLines(memories, errors), errors };
}

/** OpenMemory's states; `paused` (hidden from agents, kept) is closest to Cairn's archived. */
const OPENMEMORY_STATES: Record<string, MemoryState> = { active: 'active', paused: 'archived', archived: 'archived', deleted: 'deleted' };

function openMemoryItem(value: unknown, line: number, now: number): ImportMemory {
  if (!isObject(value)) fail('must be a JSON object');
  const text = value.memory ?? value.content ?? value.text;
  const body = content(text, value.memory !== undefined ? 'memory' : 'content');
  const sourceId = value.id === undefined || value.id === null ? null : typeof value.id === 'number' ? String(value.id) : str(value.id, 'id');
  const original = value.metadata === undefined || value.metadata === null ? {} : metadata(value.metadata, 'metadata');
  const categories = value.categories === undefined || value.categories === null ? undefined : stringList(value.categories, 'categories');
  const app = typeof value.app_name === 'string' ? value.app_name : typeof value.app === 'string' ? value.app : null;
  const provenance: Record<string, unknown> = {};
  if (sourceId !== null) provenance.id = sourceId;
  for (const k of ['hash', 'user_id', 'agent_id', 'run_id'] as const) if (typeof value[k] === 'string') provenance[k] = value[k];
  if (app !== null) provenance.app = app;
  const meta: Metadata = { ...original, source: OPENMEMORY_SOURCE, ...(categories ? { categories } : {}), openmemory: provenance };
  checkMetadataSize(meta, 'metadata');
  const stateRaw = value.state ?? value.status;
  let state: MemoryState = 'active';
  if (stateRaw !== undefined && stateRaw !== null) {
    const s = OPENMEMORY_STATES[String(stateRaw).toLowerCase()];
    if (!s) fail(`invalid state ${JSON.stringify(stateRaw)} (expected active, paused, archived or deleted)`);
    state = s;
  }
  const createdAt = value.created_at === undefined || value.created_at === null ? now : time(value.created_at, 'created_at');
  const updatedAt = value.updated_at === undefined || value.updated_at === null ? createdAt : time(value.updated_at, 'updated_at');
  return { ...foreign(line, `openmemory:${sourceId ?? `content:${body}`}`, body, meta, createdAt), state, updatedAt: Math.max(updatedAt, createdAt), appName: app === null ? null : appName(app, 'app_name') };
}

export const OPENMEMORY_SOURCE = 'openmemory';

function foreign(line: number, key: string, body: string, meta: Metadata, at: number): ImportMemory {
  return { line, id: derivedId(key), content: body, metadata: meta, state: 'active', createdAt: at, updatedAt: at, authorEmail: null, appName: null, versions: [] };
}

/** A memory id derived from `key` (deterministic, so the same source imports to the same ids). */
export function derivedId(key: string): string {
  return `mem_${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 26)}`;
}

function withoutBadLines(memories: ImportMemory[], errors: LineError[]): ImportMemory[] {
  if (errors.length === 0) return memories;
  const bad = new Set(errors.map((e) => e.line));
  return memories.filter((m) => !bad.has(m.line));
}

// ---------------------------------------------------------------------------------------------------------
// Field checks: each throws a LineProblem naming the field.

function parseJsonLine(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    fail(`invalid JSON: ${(err as Error).message}`);
  }
  if (!isObject(value)) fail('must be a JSON object');
  return value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0) fail(`invalid ${field}: must be a non-empty string`);
  return v;
}

function nullableStr(v: unknown, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') fail(`invalid ${field}: must be a string or null`);
  return v;
}

function int(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(`invalid ${field}: must be a whole number`);
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) fail(`invalid ${field}: must be one of ${allowed.join(', ')}`);
  return v as T;
}

function content(v: unknown, field: string): string {
  if (typeof v !== 'string') fail(`invalid ${field}: must be a string`);
  const c = normaliseContent(v);
  if (c.length === 0) fail(`invalid ${field}: must not be empty`);
  if (c.length > MAX_CONTENT_CHARS) fail(`invalid ${field}: at most ${MAX_CONTENT_CHARS} characters`);
  return c;
}

function metadata(v: unknown, field: string): Metadata {
  if (!isObject(v)) fail(`invalid ${field}: must be a JSON object`);
  checkMetadataSize(v, field);
  return v;
}

function checkMetadataSize(v: Metadata, field: string): void {
  if (Buffer.byteLength(JSON.stringify(v), 'utf8') > MAX_METADATA_BYTES) fail(`invalid ${field}: at most ${MAX_METADATA_BYTES} bytes of JSON`);
}

function stringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`invalid ${field}: must be an array of strings`);
  return v as string[];
}

function appName(v: unknown, field: string): string {
  const name = str(v, field);
  if (name.length > MAX_APP_NAME) fail(`invalid ${field}: at most ${MAX_APP_NAME} characters`);
  return name;
}

function email(v: unknown, field: string): string {
  const e = str(v, field);
  if (!e.includes('@')) fail(`invalid ${field}: must be an email address`);
  return e.toLowerCase();
}

/** An ISO 8601 string or milliseconds since the epoch (a number below 10^11 is taken as seconds, as Unix tools write it). */
function time(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.floor(v < 1e11 ? v * 1000 : v);
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (Number.isFinite(ms)) return ms;
  }
  fail(`invalid ${field}: must be an ISO 8601 time or milliseconds since the epoch`);
}
