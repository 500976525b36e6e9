import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The designer lives in web/ and is served by the API server from web/dist (src/api/server.ts).
export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  // `npx vite` for development against `npm start` on the default port.
  server: { proxy: { '/api': 'http://127.0.0.1:8080' } },
});
