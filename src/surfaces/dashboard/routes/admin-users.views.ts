import { z } from 'zod';
import type { User, UserActivity } from '../../../core/users/user.js';

export const AdminUser = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  isAdmin: z.boolean(),
  disabledAt: z.string().nullable(),
  createdAt: z.string(),
  memoryCount: z.number().int(),
  lastActiveAt: z.string().nullable(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toAdminUser(u: User & Partial<UserActivity>): z.infer<typeof AdminUser> {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    isAdmin: u.isAdmin,
    disabledAt: iso(u.disabledAt),
    createdAt: iso(u.createdAt)!,
    memoryCount: u.memoryCount ?? 0,
    lastActiveAt: iso(u.lastActiveAt ?? null),
  };
}
