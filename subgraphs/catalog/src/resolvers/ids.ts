import { badInput } from '../errors.ts';
import { isCatalogId } from '../store/ids.ts';

/** Rejects an id argument that no Tonegraph entity can have. */
export function requireId(name: string, value: string | null | undefined): void {
  if (value != null && !isCatalogId(value))
    throw badInput(`"${name}" is not a valid id: ${value.slice(0, 64)}`);
}
