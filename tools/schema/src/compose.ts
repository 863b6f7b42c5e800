import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/** The folder that holds the subgraph SDLs, the manifest and the composed supergraph. */
export const schemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schema');
export const supergraphFile = path.join(schemaDir, 'supergraph.graphql');

/**
 * One subgraph: either `sdl`, an SDL file in schema/, or `sdlModule`, a module
 * (path relative to schema/) exporting `printSubgraphSdl(): Promise<string>`,
 * for subgraphs whose served SDL is generated (e.g. by @neo4j/graphql).
 */
type ManifestEntry = { readonly url: string } & (
  | { readonly sdl: string; readonly sdlModule?: undefined }
  | { readonly sdlModule: string; readonly sdl?: undefined }
);

interface Manifest {
  readonly subgraphs: Record<string, ManifestEntry>;
  /** Hint codes reviewed and accepted; any other hint fails the check. */
  readonly acceptedHints: readonly string[];
}

export interface CompositionResult {
  readonly supergraphSdl?: string;
  readonly errors: readonly string[];
  /** Hints that are not in the manifest's accepted list. */
  readonly hints: readonly string[];
}

async function readSdl(entry: ManifestEntry): Promise<string> {
  if (entry.sdlModule === undefined) return readFile(path.join(schemaDir, entry.sdl), 'utf8');
  const module = (await import(pathToFileURL(path.join(schemaDir, entry.sdlModule)).href)) as {
    printSubgraphSdl(): Promise<string>;
  };
  return module.printSubgraphSdl();
}

/** Composes every subgraph listed in schema/subgraphs.json with @apollo/composition. */
export async function composeSupergraph(): Promise<CompositionResult> {
  const manifest = JSON.parse(await readFile(path.join(schemaDir, 'subgraphs.json'), 'utf8')) as Manifest;
  const services = await Promise.all(
    Object.entries(manifest.subgraphs).map(async ([name, entry]) => ({
      name,
      url: entry.url,
      typeDefs: parse(await readSdl(entry)),
    })),
  );
  const result = composeServices(services);
  const hints = (result.hints ?? [])
    .filter((h) => !manifest.acceptedHints.includes(h.definition.code))
    .map((h) => `${h.definition.code}: ${h.message}`);
  if (result.errors) {
    return { errors: result.errors.map((e) => e.message), hints };
  }
  return { supergraphSdl: `${result.supergraphSdl.trimEnd()}\n`, errors: [], hints };
}
