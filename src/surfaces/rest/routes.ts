import { connectionsList } from './routes/connections.list.js';
import { connectionsRevoke } from './routes/connections.revoke.js';
import { oauthClientsCreate } from './routes/oauth-clients.create.js';
import { oauthClientsDelete } from './routes/oauth-clients.delete.js';
import { oauthClientsList } from './routes/oauth-clients.list.js';
import { oauthClientsRotate } from './routes/oauth-clients.rotate.js';
import { keysCreate } from './routes/keys.create.js';
import { keysList } from './routes/keys.list.js';
import { keysRevoke } from './routes/keys.revoke.js';
import { keysRotate } from './routes/keys.rotate.js';
import { exportWorkspace } from './routes/export.js';
import { importWorkspace } from './routes/import.js';
import { me } from './routes/me.js';
import { memoriesBulkDelete } from './routes/memories.bulk-delete.js';
import { memoriesCreate } from './routes/memories.create.js';
import { memoriesDelete } from './routes/memories.delete.js';
import { memoriesGet } from './routes/memories.get.js';
import { memoriesHistory } from './routes/memories.history.js';
import { memoriesList } from './routes/memories.list.js';
import { memoriesSearch } from './routes/memories.search.js';
import { memoriesUpdate } from './routes/memories.update.js';
import type { RegisterRoute } from './types.js';

/** Every authenticated REST route. The auth matrix test enumerates the registered routes and fails on any it does not cover. */
export const authenticatedRoutes: readonly RegisterRoute[] = [
  memoriesCreate,
  memoriesList,
  memoriesSearch,
  memoriesBulkDelete,
  memoriesGet,
  memoriesHistory,
  memoriesUpdate,
  memoriesDelete,
  exportWorkspace,
  importWorkspace,
  keysList,
  keysCreate,
  keysRevoke,
  keysRotate,
  connectionsList,
  connectionsRevoke,
  oauthClientsList,
  oauthClientsCreate,
  oauthClientsRotate,
  oauthClientsDelete,
  me,
];
