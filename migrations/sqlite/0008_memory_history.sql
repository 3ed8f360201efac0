-- Memory history (issue 5): every version of every memory, who made it, when and through which app.
-- Keep in step with migrations/postgres/0008_memory_history.sql.

CREATE TABLE memory_versions (
  memory_id       TEXT NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
  -- 1 for the memory as created (or as it stood when this table was added), then one more per change.
  version         INTEGER NOT NULL,
  workspace_id    TEXT NOT NULL,
  -- create | update | delete (soft) | baseline (the state found when history began)
  action          TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete', 'baseline')),
  content         TEXT NOT NULL,
  metadata        TEXT NOT NULL DEFAULT '{}',
  state           TEXT NOT NULL,
  at              INTEGER NOT NULL,
  user_id         TEXT,
  app_id          TEXT,
  credential_kind TEXT,
  credential_id   TEXT,
  request_id      TEXT,
  PRIMARY KEY (memory_id, version)
);

-- Every existing memory starts its history as it stands now.
INSERT INTO memory_versions (memory_id, version, workspace_id, action, content, metadata, state, at, user_id, app_id)
SELECT id, 1, workspace_id, 'baseline', content, metadata, state, updated_at, author_user_id, app_id FROM memories;
