import { EmbedderConfigError, EmbedderUnavailableError } from './errors.js';

/**
 * A provider's vector length: configured (CAIRN_EMBEDDER_DIMENSIONS) or learnt from its first answer, and
 * then held to. Reading it before it is known throws `EmbedderUnavailableError`, so nothing stores or
 * compares vectors against a guessed length while the provider has not answered yet.
 */
export class VectorLength {
  private learnt: number | undefined;

  constructor(
    private readonly model: string,
    private readonly configured: number | undefined,
    private readonly where: () => string,
  ) {}

  get value(): number {
    const known = this.configured ?? this.learnt;
    if (known === undefined) throw new EmbedderUnavailableError(`the vector length of ${this.model} is not known until ${this.where()} has answered once`);
    return known;
  }

  /** Accepts a vector length from the provider, or throws `EmbedderConfigError` saying what to fix. */
  check(length: number): void {
    if (this.configured !== undefined && length !== this.configured) {
      throw new EmbedderConfigError(
        `${this.model} returned vectors of ${length} dimensions but CAIRN_EMBEDDER_DIMENSIONS is ${this.configured}; set it to ${length} (or unset it)`,
      );
    }
    if (this.learnt !== undefined && length !== this.learnt) {
      throw new EmbedderConfigError(`${this.model} returned vectors of ${length} dimensions, earlier ${this.learnt}; did the model behind ${this.where()} change?`);
    }
    this.learnt = length;
  }
}
