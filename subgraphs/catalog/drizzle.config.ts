import { defineConfig } from 'drizzle-kit';

// Used only by `npm run db:generate` (drizzle-kit), which needs no database.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema.ts',
  out: './src/db/migrations',
});
