import type { McpServer } from '@modelcontextprotocol/server';
import type { Scope } from '../../../core/scopes.js';
import type { ToolContext, ToolDeps } from '../tool-kit.js';
import * as addMemories from './add-memories.js';
import * as deleteAllMemories from './delete-all-memories.js';
import * as deleteMemory from './delete-memory.js';
import * as getMemory from './get-memory.js';
import * as listMemories from './list-memories.js';
import * as searchMemory from './search-memory.js';
import * as updateMemory from './update-memory.js';

interface ToolModule {
  readonly name: string;
  readonly scopes: readonly Scope[];
  register(server: McpServer, deps: ToolDeps, ctx: ToolContext): void;
}

/** Every MCP tool. Names follow OpenMemory (add_memories, search_memory, list_memories, delete_all_memories) so its users can switch. */
export const TOOLS: readonly ToolModule[] = [addMemories, searchMemory, listMemories, getMemory, updateMemory, deleteMemory, deleteAllMemories];

export const TOOL_SCOPES: Readonly<Record<string, readonly Scope[]>> = Object.fromEntries(TOOLS.map((t) => [t.name, t.scopes]));
