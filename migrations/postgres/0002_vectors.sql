-- Dense vectors and their durable work queue (issue 6). Keep in step with migrations/sqlite/ (same version).

-- One vector per memory, for the model that made it. A vector whose model_id is not the configured
-- embedder's is stale: search ignores it and `cairn reindex` rebuilds it. Float32, little-endian.
CREATE TABLE memory_vectors (
  memory_id    TEXT PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  model_id     TEXT NOT NULL,
  dimensions   INTEGER NOT NULL,
  vector       BYTEA NOT NULL,
  updated_at   BIGINT NOT NULL
);
CREATE INDEX memory_vectors_workspace_model ON memory_vectors (workspace_id, model_id);

-- Memories whose text still needs a vector. A row is written in the same transaction as the memory (or its
-- new content), so a crash between the write and the embedding loses nothing; the worker deletes it once
-- the vector is stored. One row per memory: enqueueing again resets the row.
CREATE TABLE embedding_jobs (
  memory_id       TEXT PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
  workspace_id    TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error      TEXT,
  created_at      BIGINT NOT NULL
);
CREATE INDEX embedding_jobs_due ON embedding_jobs (next_attempt_at);
