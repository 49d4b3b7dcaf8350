// Supergraph composition with @apollo/composition (the library rover and Apollo's build
// pipeline use). Hints are printed; errors are returned for the caller to fail on.

import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';

/**
 * Composes `subgraphs` (`[{ name, url, sdl }]`). Returns `{ errors, hints, supergraphSdl }`;
 * every hint is printed with the subgraph names so they show in CI logs.
 */
export function compose(subgraphs, { printHints = true } = {}) {
  const result = composeServices(
    subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })),
  );
  const hints = result.hints ?? [];
  if (printHints) {
    const names = subgraphs.map((s) => s.name).join(' + ');
    if (hints.length === 0) console.log(`composition hints (${names}): none`);
    for (const hint of hints) {
      console.log(`composition hint (${names}) [${hint.definition.code}]: ${hint.message}`);
    }
  }
  return {
    errors: result.errors ?? [],
    hints,
    supergraphSdl: result.errors ? undefined : result.supergraphSdl,
  };
}

/** Composes and throws one error listing every composition error, if there is any. */
export function composeOrThrow(subgraphs, options) {
  const result = compose(subgraphs, options);
  if (result.errors.length > 0) {
    const details = result.errors
      .map((error) => `  - [${error.extensions?.code ?? 'ERROR'}] ${error.message}`)
      .join('\n');
    throw new Error(`composition failed with ${result.errors.length} error(s):\n${details}`);
  }
  return result.supergraphSdl;
}
