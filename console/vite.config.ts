import { defineConfig } from 'vite';

// The gateway serves the build at /console/ (gateway/src/console.ts), same origin as /graphql.
// `npm run dev -w console` proxies /graphql (HTTP and WebSocket) and the player's /stream to a gateway on GATEWAY_URL.
const gateway = process.env['GATEWAY_URL'] ?? 'http://127.0.0.1:4000';

export default defineConfig({
  base: '/console/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: {
    proxy: {
      '/graphql': { target: gateway, ws: true, changeOrigin: true },
      '/stream': { target: gateway, changeOrigin: true },
    },
  },
});
