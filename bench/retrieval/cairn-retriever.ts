import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Principal } from '../../src/core/principal.js';
import type { Scope } from '../../src/core/scopes.js';
import { createLogger } from '../../src/logging.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { steppingClock } from './determinism.js';
import type { Conversation } from './locomo.js';
import type { ConversationIndex, Retriever } from './retriever.js';

/** A fixed secret: the bench's database is thrown away, and a fixed value keeps runs comparable. */
const BENCH_SECRET = 'cairn-bench-retrieval-secret-not-for-production-0001';
const MEMORY_SCOPES: Scope[] = ['memories:read', 'memories:write', 'memories:delete'];
/** MemoryService accepts at most 100 memories per addMany (MAX_BATCH); the bench uses full batches. */
const BATCH = 100;

export type CairnDatabase = { readonly kind: 'sqlite' } | { readonly kind: 'postgres'; readonly url: string };

/** Hybrid mode: the embedder settings (CAIRN_EMBEDDER…) passed through to the runtime, which builds the embedder. */
export interface HybridOptions {
  readonly embedderEnv: Readonly<Record<string, string>>;
}

/**
 * Cairn as a user sees it: a real runtime (config, migrations, services), one user per conversation with
 * its own personal workspace, a principal obtained by creating an API key and verifying it, turns stored
 * with MemoryService.addMany and questions asked with MemoryService.search. Time is a stepping clock
 * (determinism.ts) and search breaks score ties by recency then insertion order, so every run ranks alike.
 */
export async function cairnRetriever(database: CairnDatabase, hybrid?: HybridOptions): Promise<Retriever> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cairn-bench-retrieval-'));
  let runtime: Runtime;
  try {
    runtime = await openRuntime({
      env: {
        CAIRN_DATA_DIR: dataDir,
        CAIRN_DATABASE_URL: database.kind === 'sqlite' ? `sqlite:${join(dataDir, 'cairn.db')}` : database.url,
        CAIRN_SECRET: BENCH_SECRET,
        CAIRN_LOG_LEVEL: 'silent',
        ...hybrid?.embedderEnv,
      },
      migrate: 'always',
      logger: createLogger('silent'),
      clock: steppingClock(),
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { services } = runtime;
  if (hybrid && !services.embeddings) {
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error('bench: hybrid mode asked for, but the runtime built no embedder from the CAIRN_EMBEDDER settings.');
  }
  return {
    name: `Cairn ${database.kind} ${hybrid ? 'hybrid' : 'lexical'}`,
    async index(conversation: Conversation): Promise<ConversationIndex> {
      const principal = await principalFor(runtime, conversation.sampleId);
      const diaIdsByMemory = new Map<string, string[]>();
      const started = performance.now();
      for (let i = 0; i < conversation.turns.length; i += BATCH) {
        const batch = conversation.turns.slice(i, i + BATCH);
        const outcomes = await services.memories.addMany(
          principal,
          batch.map((t) => ({ content: t.content, metadata: { dia_id: t.diaId, session: t.session, date: t.date } })),
        );
        // A duplicate turn comes back as the memory that already holds its content: it stands for both.
        outcomes.forEach((o, j) => {
          const ids = diaIdsByMemory.get(o.memory.id) ?? [];
          ids.push(batch[j]!.diaId);
          diaIdsByMemory.set(o.memory.id, ids);
        });
      }
      // Hybrid: questions wait until every turn has its vector (the worker is not started; drain it here).
      if (services.embeddings) await services.embeddings.worker.drain();
      if (services.embeddings && (await services.embeddings.queue.pending(principal.workspaceId)) > 0) {
        throw new Error(`bench: ${conversation.sampleId} still has turns without vectors (embedder failing?).`);
      }
      const ingestMs = performance.now() - started;
      // Write the buffered audit entries now, so the flush does not land inside a timed search.
      await services.accessLog.flush();
      return {
        ingestMs,
        async search(query, limit) {
          const t0 = performance.now();
          const hits = await services.memories.search(principal, { query, limit });
          const ms = performance.now() - t0;
          return { results: hits.map((h) => diaIdsByMemory.get(h.memory.id) ?? []), ms };
        },
      };
    },
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The real path a client takes: a key is issued for the user's workspace, then verified into a principal. */
async function principalFor(runtime: Runtime, sampleId: string): Promise<Principal> {
  const { services } = runtime;
  const owner = await services.users.create({ email: `${sampleId.replace(/[^a-z0-9-]/gi, '')}@locomo.example`, name: sampleId });
  const { key } = await services.apiKeys.create(
    { userId: owner.user.id, workspaceId: owner.workspace.id },
    { name: 'locomo-bench', scopes: MEMORY_SCOPES, expiresAt: null },
    { kind: 'cli', credentialId: null },
  );
  const verified = await services.verifier.verify(key);
  if (!verified.ok) throw new Error(`bench: the API key just created for ${sampleId} did not verify (${verified.reason}).`);
  return verified.principal;
}
