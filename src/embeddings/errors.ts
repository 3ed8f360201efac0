import { EmbedderRequestError, EmbedderUnavailableError } from '../core/search/embedder.js';

// Both are declared by the port, so the embedding worker (core) can tell them apart.
export { EmbedderRequestError, EmbedderUnavailableError };

/**
 * The embedder is set up wrongly: a refused API key, an unknown model, a missing optional package or
 * model directory, vectors of the wrong length. Retrying the same request cannot help; the operator must
 * change the configuration (the message says what to change).
 */
export class EmbedderConfigError extends Error {
  override readonly name = 'EmbedderConfigError';
}

