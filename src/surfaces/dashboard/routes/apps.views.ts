import { z } from 'zod';
import { APP_ACCESS, type App } from '../../../core/users/user.js';

/** An app of the workspace as the app controls show it. */
export const AppView = z.object({
  id: z.string(),
  name: z.string(),
  access: z.enum(APP_ACCESS).describe('full: reads and writes; read_only: reads only; paused: neither.'),
  accessChangedAt: z.string().nullable(),
  createdAt: z.string(),
});

export function toAppView(a: App): z.infer<typeof AppView> {
  return {
    id: a.id,
    name: a.name,
    access: a.access,
    accessChangedAt: a.accessChangedAt === null ? null : new Date(a.accessChangedAt).toISOString(),
    createdAt: new Date(a.createdAt).toISOString(),
  };
}
