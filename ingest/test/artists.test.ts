import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArtistCredits } from '../src/metadata/artists.ts';

test('featured artists are split off the artist tag, in order', () => {
  assert.deepEqual(parseArtistCredits('Daft Punk feat. Pharrell Williams & Nile Rodgers'), [
    { name: 'Daft Punk', role: 'MAIN' },
    { name: 'Pharrell Williams', role: 'FEATURED' },
    { name: 'Nile Rodgers', role: 'FEATURED' },
  ]);
  assert.deepEqual(parseArtistCredits('Simon & Garfunkel'), [{ name: 'Simon & Garfunkel', role: 'MAIN' }]);
  assert.deepEqual(parseArtistCredits('A ft B'), [
    { name: 'A', role: 'MAIN' },
    { name: 'B', role: 'FEATURED' },
  ]);
});

test('multi-valued artist tags add main artists once, whatever the case', () => {
  assert.deepEqual(parseArtistCredits('Björk', ['björk', 'Thom Yorke']), [
    { name: 'Björk', role: 'MAIN' },
    { name: 'Thom Yorke', role: 'MAIN' },
  ]);
  assert.deepEqual(parseArtistCredits(undefined, []), []);
  assert.deepEqual(parseArtistCredits('  '), []);
});
