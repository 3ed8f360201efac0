import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dashboard is served by Cairn itself (src/surfaces/web): index.html at / and for client routes, hashed
// files under /assets (immutable). `npm run dev --workspace web` proxies the API to a Cairn on :3000.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', assetsDir: 'assets', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: {
    proxy: Object.fromEntries(
      ['/dashboard/api', '/login', '/logout', '/signup', '/setup', '/auth', '/mcp', '/api'].map((p) => [p, 'http://127.0.0.1:3000']),
    ),
  },
});
