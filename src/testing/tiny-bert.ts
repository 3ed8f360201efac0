import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FLOAT, INT64, intAttribute, model, node, tensor, valueInfo } from './onnx-writer.js';

/** Vocabulary of the tiny WordPiece tokenizer: BERT's special tokens first, then a few words and pieces. */
export const TINY_VOCAB = [
  '[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]',
  'the', 'a', 'cat', 'dog', 'sat', 'on', 'mat', 'memory', 'agent', 'remember', 'search', 'vector', 'cairn',
  'server', 'and', 'is', 'of', 'to', 'in', 'it', 'this', 'that', 'hello', 'world', 'quick', 'brown', 'fox',
  'jump', 'over', 'lazy', 'coffee', 'prefer', '##s', '##ing', '##ed', '.', ',', '!', '?',
];

export interface TinyBertOptions {
  readonly hiddenSize?: number;
  readonly maxPositions?: number;
  readonly seed?: number;
}

/**
 * Writes a BERT-shaped sentence-embedding model with random weights into `dir`, laid out as a Hugging Face
 * ONNX export (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx), so it loads through
 * the same code path as all-MiniLM-L6-v2. The graph takes input_ids, attention_mask and token_type_ids
 * [batch, sequence] and returns last_hidden_state [batch, sequence, hidden]: word + position + token-type
 * embeddings, then one mixing layer in which every token sees the mean of the *unmasked* tokens (the
 * role self-attention with a mask plays in BERT). So padding changes no real token's state, while padded
 * positions still carry non-zero states: pooling that ignored the mask would give a different vector.
 */
export function writeTinyBert(dir: string, options: TinyBertOptions = {}): { hiddenSize: number; vocab: readonly string[] } {
  const hidden = options.hiddenSize ?? 16;
  const maxPositions = options.maxPositions ?? 64;
  const random = mulberry32(options.seed ?? 42);
  const weights = (n: number, scale: number) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const V = TINY_VOCAB.length;

  const graph = model({
    name: 'tiny_bert',
    inputs: ['input_ids', 'attention_mask', 'token_type_ids'].map((n) => valueInfo(n, INT64, ['batch_size', 'sequence_length'])),
    outputs: [valueInfo('last_hidden_state', FLOAT, ['batch_size', 'sequence_length', hidden])],
    initializers: [
      tensor('word_embeddings', FLOAT, [V, hidden], weights(V * hidden, 1)),
      tensor('position_embeddings', FLOAT, [maxPositions, hidden], weights(maxPositions * hidden, 0.3)),
      tensor('token_type_embeddings', FLOAT, [2, hidden], weights(2 * hidden, 0.3)),
      tensor('W_token', FLOAT, [hidden, hidden], weights(hidden * hidden, 0.5)),
      tensor('W_context', FLOAT, [hidden, hidden], weights(hidden * hidden, 0.5)),
      tensor('bias', FLOAT, [hidden], weights(hidden, 0.1)),
      tensor('zero', INT64, [], BigInt64Array.of(0n)),
      tensor('one', INT64, [], BigInt64Array.of(1n)),
      tensor('axis_seq', INT64, [1], BigInt64Array.of(1n)),
      tensor('axis_last', INT64, [1], BigInt64Array.of(2n)),
    ],
    nodes: [
      node('Gather', ['word_embeddings', 'input_ids'], ['words'], [intAttribute('axis', 0)]),
      node('Gather', ['token_type_embeddings', 'token_type_ids'], ['types'], [intAttribute('axis', 0)]),
      node('Shape', ['input_ids'], ['ids_shape']),
      node('Gather', ['ids_shape', 'one'], ['seq_len'], [intAttribute('axis', 0)]),
      node('Range', ['zero', 'seq_len', 'one'], ['positions']),
      node('Gather', ['position_embeddings', 'positions'], ['position_states'], [intAttribute('axis', 0)]),
      node('Add', ['words', 'types'], ['embedded0']),
      node('Add', ['embedded0', 'position_states'], ['embedded']),
      // The masked mean of the sequence: what each token "attends" to.
      node('Cast', ['attention_mask'], ['mask_f'], [intAttribute('to', FLOAT)]),
      node('Unsqueeze', ['mask_f', 'axis_last'], ['mask3']),
      node('Mul', ['embedded', 'mask3'], ['masked']),
      node('ReduceSum', ['masked', 'axis_seq'], ['masked_sum'], [intAttribute('keepdims', 1)]),
      node('ReduceSum', ['mask3', 'axis_seq'], ['mask_count'], [intAttribute('keepdims', 1)]),
      node('Div', ['masked_sum', 'mask_count'], ['context']),
      node('MatMul', ['embedded', 'W_token'], ['token_part']),
      node('MatMul', ['context', 'W_context'], ['context_part']),
      node('Add', ['token_part', 'context_part'], ['mixed0']),
      node('Add', ['mixed0', 'bias'], ['mixed']),
      node('Tanh', ['mixed'], ['last_hidden_state']),
    ],
  });

  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), graph);
  writeJson(join(dir, 'config.json'), {
    model_type: 'bert',
    architectures: ['BertModel'],
    hidden_size: hidden,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: hidden * 2,
    max_position_embeddings: maxPositions,
    type_vocab_size: 2,
    vocab_size: V,
    pad_token_id: 0,
  });
  writeJson(join(dir, 'tokenizer_config.json'), {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxPositions,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  });
  writeJson(join(dir, 'tokenizer.json'), tokenizerJson());
  return { hiddenSize: hidden, vocab: TINY_VOCAB };
}

/** A BERT WordPiece tokenizer in the `tokenizers` library's JSON format. */
function tokenizerJson(): object {
  const id = (t: string) => TINY_VOCAB.indexOf(t);
  const special = (t: string) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const token = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [token('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, token('[SEP]')],
      pair: [token('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, token('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(TINY_VOCAB.map((t, i) => [t, i])),
    },
  };
}

function writeJson(path: string, value: object): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** A small seeded PRNG, so the random weights (and so every vector) are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
