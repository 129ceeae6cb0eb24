import { useSyncExternalStore } from 'react';

// The signed-in pages, one per location hash (`#/statistics`), so that a reload or the back
// button keeps the student where they were; no router library for four pages.

/** The pages of the signed-in app, in the order the navigation lists them. */
export const PAGES = [
  { id: 'timer', hash: '#/', label: 'Timer' },
  { id: 'statistics', hash: '#/statistics', label: 'Statistics' },
  { id: 'subjects', hash: '#/subjects', label: 'Subjects' },
  { id: 'account', hash: '#/account', label: 'Account' },
] as const;

/** One of {@link PAGES}' ids. */
export type PageId = (typeof PAGES)[number]['id'];

function currentPage(): PageId {
  return PAGES.find((page) => page.hash === window.location.hash)?.id ?? 'timer';
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

/** The page the location names (the timer for any other hash), following every change. */
export function usePage(): PageId {
  return useSyncExternalStore(subscribe, currentPage);
}
