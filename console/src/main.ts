import './style.css';
import { mountAuth } from './auth.ts';
import { onTokenChange } from './auth-store.ts';
import { byId } from './dom.ts';
import { mountJobs } from './jobs.ts';
import { mountLibraries } from './libraries.ts';
import { mountPlayer } from './player.ts';
import { mountTrackDetail } from './track-detail.ts';
import { mountTracks } from './tracks.ts';

mountAuth(byId('auth'));
const libraries = mountLibraries(byId('libraries'));
const jobs = mountJobs(byId('jobs'));
const tracks = mountTracks(byId('tracks'));
mountTrackDetail(byId('track-detail'));
mountPlayer(byId('player'));

const connection = byId('connection');
async function loadAll() {
  connection.textContent = 'Loading…';
  // Libraries first: the track filter lists them.
  await libraries.refresh();
  await Promise.all([jobs.refresh(), tracks.refresh()]);
  connection.textContent = `GraphQL endpoint: ${new URL('/graphql', location.href).toString()}`;
}
onTokenChange(() => void loadAll());
void loadAll();
