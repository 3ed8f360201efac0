import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import './styles.css';
import { createTheme, Drawer, MantineProvider, Modal, type CSSVariablesResolver } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api';
import { App } from './App';
import { captureInvitationToken } from './teams';

const theme = createTheme({
  primaryColor: 'indigo',
  // Darker shades for text on light backgrounds keep WCAG AA contrast.
  primaryShade: { light: 7, dark: 5 },
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  defaultRadius: 'md',
  // Filled buttons and badges pick black or white text by their colour's luminance.
  autoContrast: true,
  // People who ask their system for reduced motion get dialogs, drawers and menus without animation.
  respectReducedMotion: true,
  // Dialogs' close buttons are icons: give them a name.
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
  },
});

/**
 * Mantine's light-scheme defaults put several texts below WCAG AA (4.5:1): "dimmed" grey (#868e96, 3.3:1),
 * and the text of light and outline variants in shade 6 (teal or orange on a pale tint, about 2.5:1). Darker
 * shades keep every colour's look and pass; the accessibility browser test (axe-core) checks each page.
 */
/** Colours whose darkest Mantine shade is still below 4.5:1 on its own tint: a darker tone of the same hue. */
const DARKER: Record<string, string> = { orange: '#a33a00', yellow: '#805200', lime: '#476600', green: '#1e6b30', gray: '#495057' };

const contrast: CSSVariablesResolver = (t) => ({
  variables: {},
  light: {
    '--mantine-color-dimmed': '#5c636b',
    ...Object.fromEntries(
      Object.keys(t.colors).flatMap((c) => {
        const text = DARKER[c] ?? `var(--mantine-color-${c}-9)`;
        return [
          [`--mantine-color-${c}-light`, `var(--mantine-color-${c}-0)`],
          [`--mantine-color-${c}-light-hover`, `var(--mantine-color-${c}-1)`],
          [`--mantine-color-${c}-light-color`, text],
          [`--mantine-color-${c}-outline`, text],
          [`--mantine-color-${c}-text`, text],
        ];
      }),
    ),
  },
  dark: {},
});

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // 401 sends the browser to the login page; 403/404 will not change by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

// Before anything can redirect to the login page (which loses the link's fragment).
captureInvitationToken();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto" cssVariablesResolver={contrast}>
      <Notifications position="bottom-right" />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
