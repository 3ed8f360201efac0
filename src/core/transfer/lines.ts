import { AppError } from '../../errors/app-error.js';

/**
 * The lines of a byte stream (UTF-8, "\n" or "\r\n" endings), refusing more than `maxBytes` in all with
 * PAYLOAD_TOO_LARGE as soon as the limit is passed, so an oversized upload is never read to its end.
 */
export async function readLines(source: AsyncIterable<Uint8Array | string>, maxBytes: number): Promise<string[]> {
  const decoder = new TextDecoder('utf-8');
  const lines: string[] = [];
  let pending = '';
  let bytes = 0;
  for await (const chunk of source) {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (bytes > maxBytes) throw tooLarge(maxBytes);
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const p of parts) lines.push(p.endsWith('\r') ? p.slice(0, -1) : p);
  }
  pending += decoder.decode();
  if (pending !== '') lines.push(pending.endsWith('\r') ? pending.slice(0, -1) : pending);
  return lines;
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The import is larger than ${maxBytes} bytes (CAIRN_IMPORT_MAX_BYTES); split the file or raise the limit.`, { maxBytes });
}
