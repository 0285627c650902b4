"""Rules shared by FEMBA's reference fixture and its tests (reference/femba_tiny.md).

The fixture was made outside the repository by the authors' own FEMBA class; these two
functions rebuild its inputs here: weights from a seeded rule, and the real input windows.
"""

import zlib

import numpy as np

EDF = "eegmmidb/S001/S001R04.edf"
# TUH TCP derivations made from EEGMMIDB's 10-10 electrodes: T3/T4/T5/T6 are T7/T8/P7/P8,
# and the ear electrodes A1/A2, which EEGMMIDB lacks, are stood in for by T9/T10.
STAND_IN = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8", "A1": "T9", "A2": "T10"}


def seeded_state(shapes):
    """Seeded weights for a FEMBA state dict (``{key: shape}`` -> ``{key: float32 array}``)."""
    out = {}
    for key, shape in shapes.items():
        rng = np.random.default_rng(zlib.crc32(key.encode()))
        n = rng.standard_normal(shape)
        name = key.rsplit(".", 1)[-1]
        if name == "A_log":
            value = np.log(np.arange(1, shape[1] + 1))[None] + 0.1 * n
        elif name == "D":
            value = 1 + 0.1 * n
        elif key.endswith("dt_proj.bias"):
            value = rng.uniform(-6.9, -2.3, shape)  # softplus^-1 of steps in ~[1e-3, 0.1]
        elif key.startswith("norm_layers") and name == "weight":
            value = 1 + 0.1 * n
        elif name == "bias" or key == "pos_embed":
            value = 0.02 * n
        else:
            value = n / np.sqrt(np.prod(shape[1:]))
        out[key] = value.astype(np.float32)
    return out


def real_windows(shared_data, n_windows=3, start_s=(4.2, 30.0, 60.0)):
    """Five-second windows of EEGMMIDB S001 R04 as the 22 TCP derivations, microvolts, 256 Hz.

    MNE: read the EDF, standardise the names, resample the continuous recording to 256 Hz,
    then anode minus cathode; then FEMBA's normalisation (x + 20) / 40.
    """
    import mne

    raw = mne.io.read_raw_edf(shared_data / EDF, preload=True, verbose="error")
    mne.datasets.eegbci.standardize(raw)
    raw.resample(256.0, verbose="error")
    data = raw.get_data(units="uV")
    names = [n.upper() for n in raw.ch_names]
    from sklearn_eegfm.models._femba import TCP_DERIVATIONS

    def row(electrode):
        return data[names.index(STAND_IN.get(electrode, electrode).upper())]

    bipolar = np.stack([row(a) - row(b) for a, b in (d.split("-") for d in TCP_DERIVATIONS)])
    starts = [int(s * 256) for s in start_s[:n_windows]]
    x = np.stack([bipolar[:, s : s + 1280] for s in starts]).astype(np.float32)
    return ((x + 20) / (40 + 1e-8)).astype(np.float32)


# LuMamba's fixture input: 19 monopolar 10-20 electrodes of the same recording.
MONOPOLAR = ("Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T7", "C3", "Cz", "C4", "T8",
             "P7", "P3", "Pz", "P4", "P8", "O1", "O2")  # fmt: skip


def real_monopolar_windows(shared_data, start_s=(4.2, 30.0, 60.0)):
    """(windows, positions): 5-s, 256-Hz windows of 19 electrodes, z-scored per channel as
    LUNA's tasks do (unbiased std, eps 1e-8), and the electrodes' standard_1005 positions (m)."""
    import mne

    raw = mne.io.read_raw_edf(shared_data / EDF, preload=True, verbose="error")
    mne.datasets.eegbci.standardize(raw)
    raw.pick(list(MONOPOLAR)).resample(256.0, verbose="error")
    data = raw.get_data(units="uV")
    x = np.stack([data[:, int(s * 256) : int(s * 256) + 1280] for s in start_s])
    x = (x - x.mean(-1, keepdims=True)) / (x.std(-1, ddof=1, keepdims=True) + 1e-8)
    montage = mne.channels.make_standard_montage("standard_1005")
    pos = montage.get_positions()["ch_pos"]
    return x.astype(np.float32), np.stack([pos[n] for n in MONOPOLAR]).astype(np.float32)


def assert_matches_fixture(tokens, ref, rtol=1e-5):
    """Tokens (B, S, D) against a fixture's token mean and first/last tokens (max-relative)."""
    for ours, theirs in [
        (tokens.mean(1), ref["tokens_mean"]),
        (tokens[:, [0, -1]], ref["tokens_first_last"]),
    ]:
        err = np.abs(ours - theirs).max() / np.abs(theirs).max()
        assert err <= rtol, err
