/** A track's play/pause button (track list, track detail): one player for the whole page. */
import { h } from './dom.ts';
import { on } from './events.ts';
import { isPlaying, play, toggle, type PlayableTrack } from './player.ts';

/** The play buttons on the page and their tracks, to show which one plays. */
const buttons = new Map<HTMLButtonElement, PlayableTrack>();

function show(button: HTMLButtonElement, title: string, playing: boolean): void {
  button.setAttribute('aria-label', `${playing ? 'Pause' : 'Play'} ${title}`);
  button.textContent = playing ? '❚❚' : '▶';
}

/** A button labelled “Play <title>” (“Pause <title>” while it plays). */
export function playButton(track: PlayableTrack): HTMLButtonElement {
  const button = h('button', {
    type: 'button',
    class: 'play',
    onclick: () => {
      if (isPlaying(track.id)) toggle();
      else void play(track);
    },
  });
  show(button, track.title, isPlaying(track.id));
  buttons.set(button, track);
  return button;
}

on('player', ({ trackId, playing }) => {
  for (const [button, track] of buttons) {
    // Buttons of rows and details that were replaced are forgotten here.
    if (!button.isConnected) buttons.delete(button);
    else show(button, track.title, track.id === trackId && playing);
  }
});
