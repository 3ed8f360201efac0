import { useQuery } from '@tanstack/react-query';
import { createContext, useContext } from 'react';
import { get } from './api';
import type { Me } from './types';

export function useMeQuery() {
  return useQuery({ queryKey: ['me'], queryFn: () => get<Me>('/me'), staleTime: 60_000 });
}

export const MeContext = createContext<Me | null>(null);

/** Who is signed in; the shell renders pages only once this is known. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside the signed-in shell');
  return me;
}
