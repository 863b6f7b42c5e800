"""Tempo and key by librosa, an anchor the accuracy benchmark measures Tonegraph against.

Reads file paths on stdin (one a line) and prints one JSON object a line:
{"file", "bpm", "tonic", "mode"}. Tempo is librosa's own estimate with its
defaults (feature.tempo over the onset strength, start_bpm 120, as
beat.beat_track uses it); librosa has no key estimator, so the key is the
simple Krumhansl-Schmuckler method over its CQT chroma, stated as such.
Audio is decoded by ffmpeg to 22 050 Hz mono, the rate librosa assumes.
"""

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

import numpy as np

SR = 22050
# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def decode(path):
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(SR), "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype=np.float32)


def estimate(path):
    import librosa

    y = decode(path)
    onset = librosa.onset.onset_strength(y=y, sr=SR)
    bpm = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=onset, sr=SR))[0])
    chroma = librosa.feature.chroma_cqt(y=y, sr=SR).mean(axis=1)
    best = (-2.0, 0, "major")
    for tonic in range(12):
        rotated = np.roll(chroma, -tonic)
        for mode, profile in (("major", MAJOR), ("minor", MINOR)):
            r = float(np.corrcoef(rotated, profile)[0, 1])
            if r > best[0]:
                best = (r, tonic, mode)
    return {"file": path, "bpm": bpm, "tonic": best[1], "mode": best[2]}


if __name__ == "__main__":
    files = [line.strip() for line in sys.stdin if line.strip()]
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(estimate, files):
            print(json.dumps(result), flush=True)
