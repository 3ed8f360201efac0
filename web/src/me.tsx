import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { ApiError, chosenWorkspace, get } from './api';
import type { Me } from './types';

/**
 * /me in the chosen workspace. When that workspace is gone (deleted, or the person was removed from it), the
 * server answers 404, api() forgets the choice, and this asks again for the personal one.
 */
async function loadMe(): Promise<Me> {
  const chosen = chosenWorkspace();
  try {
    return await get<Me>('/me');
  } catch (e) {
    if (chosen && e instanceof ApiError && e.status === 404 && chosenWorkspace() === null) return get<Me>('/me');
    throw e;
  }
}

export function useMeQuery() {
  return useQuery({ queryKey: ['me'], queryFn: loadMe, staleTime: 60_000 });
}

export const MeContext = createContext<Me | null>(null);

/** Who is signed in; the shell renders pages only once this is known. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in shell');
  return me;
}
