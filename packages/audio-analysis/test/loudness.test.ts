import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import { generateFixtures, type FixtureSet } from '@tonegraph/fixtures';
import { albumLoudness, albumReplayGain, analyzeFile, TrackAnalyser } from '../src/index.ts';
import { ebur128, synthesize, useTempDir } from './helpers.ts';

const near = (actual: number | null, expected: number, tolerance: number, what: string) => {
  assert.ok(actual !== null, `${what}: got null`);
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected}`,
  );
};

/** `seconds` of a sine of `amplitude` at `hz` in the given channels of a `channels`-channel stream. */
function sine(
  hz: number,
  amplitude: number,
  seconds: number,
  rate: number,
  channels: number,
  active: number[],
) {
  const frames = Math.round(seconds * rate);
  const out = new Float32Array(frames * channels);
  for (let i = 0; i < frames; i++) {
    const v = amplitude * Math.sin((2 * Math.PI * hz * i) / rate);
    for (const c of active) out[i * channels + c] = v;
  }
  return out;
}

function analysePcm(samples: Float32Array, rate: number, channels: number) {
  const a = new TrackAnalyser({ sampleRate: rate, channels });
  // Odd-sized chunks: block boundaries must not depend on how the stream is cut.
  for (let i = 0; i < samples.length; i += channels * 3001)
    a.push(samples.subarray(i, Math.min(samples.length, i + channels * 3001)));
  return a.finish();
}

describe('loudness (BS.1770-4)', () => {
  const tmp = useTempDir();

  for (const rate of [44_100, 48_000]) {
    test(`1 kHz sine at -20 dBFS, ${rate} Hz: -20.0 LUFS in stereo, -23.0 in mono`, async () => {
      const stereo = await analyzeFile(
        await synthesize(path.join(tmp(), `sine-stereo-${rate}.wav`), '0.1*sin(2*PI*1000*t)', {
          rate,
          channels: 2,
        }),
      );
      const mono = await analyzeFile(
        await synthesize(path.join(tmp(), `sine-mono-${rate}.wav`), '0.1*sin(2*PI*1000*t)', {
          rate,
          channels: 1,
        }),
      );
      assert.equal(stereo.channels, 2);
      assert.equal(mono.channels, 1);
      near(stereo.loudness.integratedLufs, -20.0, 0.1, 'stereo');
      near(mono.loudness.integratedLufs, -23.0, 0.1, 'mono');
      near(stereo.replayGain.trackGainDb, 2.0, 0.1, 'ReplayGain');
      near(stereo.loudness.samplePeakDbfs, -20, 0.01, 'sample peak');
      near(stereo.loudness.loudnessRangeLu, 0, 0.1, 'LRA of a steady tone');
    });
  }

  test('dual-mono stereo stays two channels (not folded to mono, which would read 3 dB low)', async () => {
    const file = await synthesize(path.join(tmp(), 'dual-mono.flac'), '0.1*sin(2*PI*1000*t)', {
      channels: 2,
      codec: ['-c:a', 'flac'],
    });
    const a = await analyzeFile(file);
    assert.equal(a.channels, 2);
    near(a.loudness.integratedLufs, -20.0, 0.1, 'dual mono');
  });

  test('surround channels weigh 1.41 (+1.5 dB), LFE nothing (5.1)', () => {
    const front = analysePcm(sine(1000, 0.1, 5, 48_000, 6, [0]), 48_000, 6);
    const surround = analysePcm(sine(1000, 0.1, 5, 48_000, 6, [4]), 48_000, 6);
    const lfe = analysePcm(sine(1000, 0.1, 5, 48_000, 6, [3]), 48_000, 6);
    near(front.loudness.integratedLufs, -23.0, 0.1, 'front left');
    near(surround.loudness.integratedLufs, -23.0 + 10 * Math.log10(1.41), 0.05, 'left surround');
    assert.equal(lfe.loudness.integratedLufs, null);
  });

  test('gating: silence is null, and quiet passages below the relative gate do not count', () => {
    const silent = analysePcm(new Float32Array(48_000 * 5 * 2), 48_000, 2);
    assert.equal(silent.loudness.integratedLufs, null);
    assert.equal(silent.replayGain.trackGainDb, null);
    assert.equal(silent.loudness.truePeakDbtp, null);
    // 10 s at -20 LUFS then 10 s 30 dB lower: the quiet half is gated out.
    const loud = sine(1000, 0.1, 10, 48_000, 2, [0, 1]);
    const quiet = sine(1000, 0.1 / 31.62, 10, 48_000, 2, [0, 1]);
    const both = new Float32Array(loud.length + quiet.length);
    both.set(loud);
    both.set(quiet, loud.length);
    near(analysePcm(both, 48_000, 2).loudness.integratedLufs, -20.0, 0.1, 'gated');
  });

  test('floats over full scale are measured, never clipped', () => {
    const hot = analysePcm(sine(1000, 1.5, 3, 48_000, 2, [0, 1]), 48_000, 2);
    near(hot.loudness.samplePeakDbfs, 20 * Math.log10(1.5), 0.01, 'sample peak');
    near(hot.loudness.integratedLufs, 20 * Math.log10(1.5), 0.1, 'loudness');
    assert.ok(hot.replayGain.trackPeak >= 1.5);
  });

  test('true peak of an inter-sample peak (fs/4 sine at 45°) within 0.3 dB of ffmpeg ebur128', async () => {
    // Samples land at ±0.354 (-9.03 dBFS); the waveform between them peaks at 0.5 (-6.02 dBTP).
    // Faded in and out: an abrupt start rings in any interpolator (ffmpeg then reads -5.4).
    const file = await synthesize(path.join(tmp(), 'isp.wav'), '0.5*sin(2*PI*11025*t+PI/4)', {
      rate: 44_100,
      channels: 2,
      seconds: 5,
      filters: 'afade=t=in:d=0.5,afade=t=out:st=4.5:d=0.5',
    });
    const ours = await analyzeFile(file);
    const ref = await ebur128(file);
    near(ours.loudness.samplePeakDbfs, -9.03, 0.05, 'sample peak');
    near(ours.loudness.truePeakDbtp, ref.truePeak, 0.3, 'true peak vs ebur128');
    near(ours.loudness.truePeakDbtp, -6.02, 0.3, 'true peak vs theory');
    console.log(
      `true peak: ours ${ours.loudness.truePeakDbtp} dBTP, ebur128 ${ref.truePeak} dBTP, theory -6.02`,
    );
  });

  test('loudness range (EBU Tech 3342) within 1 LU of ffmpeg ebur128 on a stepped signal', async () => {
    const file = await synthesize(
      path.join(tmp(), 'steps.wav'),
      '(0.02+0.18*lt(mod(t\\,8)\\,4))*sin(2*PI*440*t)',
      { channels: 2, seconds: 40 },
    );
    const ours = await analyzeFile(file);
    const ref = await ebur128(file);
    console.log(`LRA: ours ${ours.loudness.loudnessRangeLu} LU, ebur128 ${ref.range} LU`);
    near(ours.loudness.loudnessRangeLu, ref.range, 1, 'LRA');
    near(ours.loudness.integratedLufs, ref.integrated, 0.2, 'integrated');
  });

  test('album loudness from gating histograms equals the loudness of the concatenated tracks', () => {
    const a = sine(1000, 0.1, 8, 48_000, 2, [0, 1]);
    const b = sine(440, 0.03, 12, 48_000, 2, [0, 1]);
    const joined = new Float32Array(a.length + b.length);
    joined.set(a);
    joined.set(b, a.length);
    const ta = analysePcm(a, 48_000, 2);
    const tb = analysePcm(b, 48_000, 2);
    const whole = analysePcm(joined, 48_000, 2);
    near(
      albumLoudness([ta.gatingHistogram, tb.gatingHistogram]),
      whole.loudness.integratedLufs!,
      0.05,
      'album',
    );
    const album = albumReplayGain([ta, tb]);
    near(album.albumGainDb, -18 - whole.loudness.integratedLufs!, 0.05, 'album gain');
    assert.equal(album.albumPeak, Math.max(ta.replayGain.trackPeak, tb.replayGain.trackPeak));
    assert.equal(albumLoudness([]), null);
  });
});

describe('every fixture format against ffmpeg ebur128', () => {
  const tmp = useTempDir();
  let fixtures: FixtureSet;
  before(async () => {
    fixtures = await generateFixtures(tmp(), { durationSeconds: 8 });
  });

  test('integrated loudness within 0.5 LU, true peak within 0.5 dB, tempo within 2 %', async () => {
    const rows = [];
    for (const track of fixtures.tracks) {
      const file = path.join(fixtures.dir, track.file);
      const ours = await analyzeFile(file);
      const ref = await ebur128(file);
      rows.push({
        format: track.ext,
        lufs: ours.loudness.integratedLufs,
        'ebur128 lufs': ref.integrated,
        dBTP: ours.loudness.truePeakDbtp,
        'ebur128 dBTP': ref.truePeak,
        bpm: ours.tempo?.bpm,
        'fixture bpm': track.bpm,
        key: ours.key?.name,
        'fixture key': track.key,
      });
      near(ours.loudness.integratedLufs, ref.integrated, 0.5, `${track.ext} integrated`);
      near(ours.loudness.truePeakDbtp, ref.truePeak, 0.5, `${track.ext} true peak`);
      near(ours.tempo?.bpm ?? null, track.bpm, track.bpm * 0.02, `${track.ext} tempo`);
      assert.equal(ours.durationSeconds > 7.9 && ours.durationSeconds < 8.2, true, `${track.ext} duration`);
    }
    console.table(rows);
  });
});
