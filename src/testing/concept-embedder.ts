import { EmbedderRequestError, EmbedderUnavailableError, type Embedder } from '../core/search/embedder.js';

/**
 * Words that mean the same thing share one concept, so texts with no word in common can still be close:
 * what a real sentence-embedding model gives and lexical search cannot.
 */
const CONCEPTS: Record<string, readonly string[]> = {
  car: ['car', 'cars', 'automobile', 'automobiles', 'vehicle', 'sedan', 'hatchback'],
  doctor: ['doctor', 'physician', 'gp', 'clinic', 'medic'],
  dog: ['dog', 'dogs', 'puppy', 'canine', 'hound'],
  happy: ['happy', 'glad', 'joyful', 'cheerful', 'delighted'],
  music: ['music', 'song', 'songs', 'melody', 'tune', 'guitar', 'piano'],
  food: ['food', 'meal', 'dinner', 'lunch', 'cuisine', 'dish'],
};

const WORD_TO_CONCEPT = new Map(Object.entries(CONCEPTS).flatMap(([concept, words]) => words.map((w) => [w, concept] as const)));

/**
 * A deterministic `Embedder` for tests: a bag of concepts (a word's synonym group, or the word itself)
 * hashed into `dimensions` buckets and normalised. Switch `down` on to make every call throw
 * `EmbedderUnavailableError`, or give `failOn` to make texts containing a word fail for good.
 */
export class ConceptEmbedder implements Embedder {
  readonly id: string;
  /** Calls made so far, each with its texts. */
  readonly calls: string[][] = [];
  down = false;
  failOn: string | undefined;

  constructor(
    readonly dimensions = 64,
    model = 'concept-test',
  ) {
    this.id = `${model}/${dimensions}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls.push([...texts]);
    if (this.down) throw new EmbedderUnavailableError('test embedder is down');
    if (this.failOn && texts.some((t) => t.includes(this.failOn!))) throw new EmbedderRequestError(`test embedder refuses "${this.failOn}"`);
    return texts.map((t) => conceptVector(t, this.dimensions));
  }
}

export function conceptVector(text: string, dimensions: number): Float32Array {
  const v = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    v[bucket(WORD_TO_CONCEPT.get(word) ?? word, dimensions)]! += 1;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return norm === 0 ? v : v.map((x) => x / norm);
}

/** FNV-1a: a stable bucket per concept. */
function bucket(s: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}
