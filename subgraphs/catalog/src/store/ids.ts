// What a catalog id looks like: a UUID. Anything else is simply not found,
// rather than a query PostgreSQL would reject (uuid input syntax).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` can be a catalog id at all (anything else is simply not found). */
export const isCatalogId = (id: string): boolean => UUID.test(id);
