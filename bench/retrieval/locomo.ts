import { existsSync, readFileSync } from 'node:fs';

/** LoCoMo QA categories used for retrieval; 5 (adversarial) has no answer in the conversation and is left out. */
export const CATEGORIES = { 1: 'multi-hop', 2: 'temporal', 3: 'open-domain', 4: 'single-hop' } as const;
export type Category = keyof typeof CATEGORIES;

/** One dialog turn as Cairn stores it. */
export interface Turn {
  readonly diaId: string;
  readonly session: number;
  readonly date: string;
  /** `${speaker}: ${text}`, plus ` [image: caption]` when the turn shared a picture. */
  readonly content: string;
}

export interface Question {
  readonly question: string;
  readonly category: Category;
  /** Normalised dia_ids that exist in the conversation; never empty. */
  readonly evidence: readonly string[];
}

export interface Conversation {
  readonly sampleId: string;
  readonly speakers: readonly [string, string];
  readonly turns: readonly Turn[];
  readonly questions: readonly Question[];
}

/** What the loader had to repair or leave out, so a reader can check it against the dataset's README. */
export interface LoadReport {
  readonly turns: number;
  /** QA items of categories 1-4 in the file. */
  readonly qaItems: number;
  /** QA items of categories 1-4 with no usable evidence left after parsing: not asked. */
  readonly skippedQuestions: number;
  /** Evidence strings that needed splitting or repair ("D8:6; D9:17", "D:11:26", "D30:05"). */
  readonly repairedEvidence: number;
  /** Evidence ids dropped: unparseable ("D") or naming a turn the conversation does not have. */
  readonly droppedEvidence: readonly string[];
}

export class DatasetMissingError extends Error {}

/**
 * The dataset lives outside the repository (CC BY-NC 4.0: evaluation use only, never copied in), so the
 * bench reads it from `<repo>/../shared/data/locomo/locomo10.json` unless LOCOMO_PATH points elsewhere.
 */
export function loadLocomo(path: string): { conversations: Conversation[]; report: LoadReport } {
  if (!existsSync(path)) {
    throw new DatasetMissingError(
      `LoCoMo dataset not found at ${path}.\n` +
        'Download locomo10.json from https://github.com/snap-research/LoCoMo (CC BY-NC 4.0, do not commit it) ' +
        'and set LOCOMO_PATH=/path/to/locomo10.json.',
    );
  }
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${path}: expected a JSON array of conversations.`);
  let turns = 0;
  let qaItems = 0;
  let skippedQuestions = 0;
  let repairedEvidence = 0;
  const droppedEvidence: string[] = [];
  const conversations = raw.map((item: unknown, i): Conversation => {
    const sample = asRecord(item, `conversation ${i}`);
    const sampleId = typeof sample.sample_id === 'string' ? sample.sample_id : `conv-${i}`;
    const conv = asRecord(sample.conversation, `${sampleId}.conversation`);
    const convTurns = readTurns(conv);
    turns += convTurns.length;
    const known = new Set(convTurns.map((t) => t.diaId));
    const questions: Question[] = [];
    for (const qa of Array.isArray(sample.qa) ? sample.qa : []) {
      const q = asRecord(qa, `${sampleId}.qa`);
      const category = Number(q.category);
      if (!isCategory(category)) continue;
      qaItems += 1;
      const parsed = parseEvidence(q.evidence);
      if (parsed.repaired) repairedEvidence += parsed.repaired;
      const evidence = parsed.ids.filter((id) => known.has(id));
      droppedEvidence.push(...parsed.invalid.map((e) => `${sampleId} ${JSON.stringify(e)}`));
      droppedEvidence.push(...parsed.ids.filter((id) => !known.has(id)).map((id) => `${sampleId} ${id} (no such turn)`));
      if (evidence.length === 0) {
        skippedQuestions += 1;
        continue;
      }
      questions.push({ question: String(q.question ?? ''), category, evidence });
    }
    return { sampleId, speakers: [String(conv.speaker_a ?? ''), String(conv.speaker_b ?? '')], turns: convTurns, questions };
  });
  return { conversations, report: { turns, qaItems, skippedQuestions, repairedEvidence, droppedEvidence } };
}

function readTurns(conv: Record<string, unknown>): Turn[] {
  const sessions = Object.keys(conv)
    .map((k) => /^session_(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null && Array.isArray(conv[m[0]]))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const out: Turn[] = [];
  for (const session of sessions) {
    const date = String(conv[`session_${session}_date_time`] ?? '');
    for (const t of conv[`session_${session}`] as unknown[]) {
      const turn = asRecord(t, `session_${session} turn`);
      const diaId = normaliseDiaId(String(turn.dia_id ?? ''));
      if (!diaId) continue;
      const caption = typeof turn.blip_caption === 'string' && turn.blip_caption.trim() ? ` [image: ${turn.blip_caption.trim()}]` : '';
      out.push({ diaId, session, date, content: `${String(turn.speaker ?? '')}: ${String(turn.text ?? '')}${caption}` });
    }
  }
  return out;
}

/**
 * Evidence is a list of dia_ids, but a few entries hold several ids ("D8:6; D9:17", "D9:1 D4:4 D4:6") or
 * are malformed ("D:11:26", "D30:05", "D"). Split on `;`, `,` and spaces, repair what has one reading, and
 * return what cannot be read so the caller can report it.
 */
export function parseEvidence(raw: unknown): { ids: string[]; invalid: string[]; repaired: number } {
  const ids: string[] = [];
  const invalid: string[] = [];
  let repaired = 0;
  for (const entry of Array.isArray(raw) ? raw : []) {
    const text = String(entry).trim();
    const parts = text.split(/[;,\s]+/).filter(Boolean);
    let changed = parts.length !== 1;
    for (const part of parts) {
      const id = normaliseDiaId(part);
      if (!id) {
        invalid.push(part);
        continue;
      }
      if (id !== part) changed = true;
      if (!ids.includes(id)) ids.push(id);
    }
    if (changed && parts.length > 0) repaired += 1;
  }
  return { ids, invalid, repaired };
}

/** `D<session>:<turn>` without leading zeros; tolerates a stray colon ("D:11:26"). Undefined when unreadable. */
export function normaliseDiaId(text: string): string | undefined {
  const m = /^D:?(\d+):(\d+)$/i.exec(text.trim());
  return m ? `D${Number(m[1])}:${Number(m[2])}` : undefined;
}

function isCategory(n: number): n is Category {
  return n === 1 || n === 2 || n === 3 || n === 4;
}

function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`LoCoMo: ${what} is not an object.`);
  return value as Record<string, unknown>;
}
