"""Feature computations and window/band resolution behind the ERP feature extractors."""

from __future__ import annotations

import numpy as np

# Latency windows (s) of the classic ERP components, used by ERPFeatures(windows="auto").
ERP_WINDOWS = {"n1": (0.08, 0.15), "p2": (0.15, 0.25), "n2": (0.2, 0.35), "p3": (0.25, 0.6)}
# Length (s) of the consecutive windows of MeanAmplitudeWindows(windows="auto").
AUTO_WINDOW_LENGTH = 0.1
# Canonical EEG bands (Hz), half-open [low, high).
BANDS = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}
FEATURE_GROUPS = ("amplitude", "temporal", "spectral")
TEMPORAL_FEATURES = (
    "mean",
    "var",
    "skew",
    "kurtosis",
    "hjorth_mobility",
    "hjorth_complexity",
    "zero_crossings",
    "line_length",
    "ptp",
)
WINDOW_FEATURES = (
    "mean",
    "pos_peak",
    "pos_latency",
    "neg_peak",
    "neg_latency",
    "pos_area",
    "neg_area",
)


def window_features(seg, times, sfreq):
    """Compute the per-window amplitude features of ``WINDOW_FEATURES``, shape (..., 7)."""
    i_max, i_min = seg.argmax(-1), seg.argmin(-1)
    return np.stack(
        [
            seg.mean(-1),
            seg.max(-1),
            times[i_max],
            seg.min(-1),
            times[i_min],
            np.clip(seg, 0, None).sum(-1) / sfreq,
            np.clip(seg, None, 0).sum(-1) / sfreq,
        ],
        axis=-1,
    )


def safe_ratio(num, den):
    """Divide, giving 0 where ``den`` is 0 (flat channels must not make NaN features)."""
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def temporal_features(x):
    """Compute the whole-epoch statistics of ``TEMPORAL_FEATURES``, shape (..., 9)."""
    mean = x.mean(-1)
    centred = x - mean[..., None]
    var = (centred**2).mean(-1)
    std = np.sqrt(var)
    # Standardised moments by hand: scipy.stats warns (and returns NaN) on flat channels.
    z = safe_ratio(centred, np.broadcast_to(std[..., None], centred.shape))
    skew = (z**3).mean(-1)
    kurtosis = np.where(var > 0, (z**4).mean(-1) - 3.0, 0.0)
    dx = np.diff(x, axis=-1)
    ddx = np.diff(dx, axis=-1)
    var_dx, var_ddx = dx.var(-1), ddx.var(-1)
    mobility = np.sqrt(safe_ratio(var_dx, var))
    complexity = safe_ratio(np.sqrt(safe_ratio(var_ddx, var_dx)), mobility)
    signs = np.signbit(centred)
    zero_crossings = (signs[..., 1:] != signs[..., :-1]).sum(-1).astype(float)
    line_length = np.abs(dx).sum(-1)
    ptp = x.max(-1) - x.min(-1)
    return np.stack(
        [mean, var, skew, kurtosis, mobility, complexity, zero_crossings, line_length, ptp],
        axis=-1,
    )


class Spectrum:
    """Welch band powers for a fixed rate, epoch length and set of bands."""

    def __init__(self, bands, sfreq, n_times):
        self.sfreq = sfreq
        # 1-s segments give 1-Hz bins, fine enough for delta; shorter epochs use one segment.
        self.n_per_seg = min(n_times, int(round(sfreq)))
        freqs = np.fft.rfftfreq(self.n_per_seg, 1.0 / sfreq)
        self.df = freqs[1] - freqs[0]
        self.masks = []
        for name, (lo, hi) in bands.items():
            mask = (freqs >= lo) & (freqs < hi)
            if not mask.any():
                raise ValueError(
                    f"Band {name!r} ({lo:g}-{hi:g} Hz) holds no frequency bin: epochs of "
                    f"{n_times} samples at {sfreq:g} Hz resolve {self.df:.3g} Hz. Widen the "
                    "band or use longer epochs."
                )
            self.masks.append(mask)
        self.span = np.logical_or.reduce(self.masks)

    def band_powers(self, data):
        """Absolute (µV²) and relative band powers, each (n_epochs, n_channels, n_bands)."""
        from mne.time_frequency import psd_array_welch

        psd, _ = psd_array_welch(
            data,
            self.sfreq,
            fmin=0.0,
            fmax=self.sfreq / 2,
            n_fft=self.n_per_seg,
            n_per_seg=self.n_per_seg,
            n_overlap=self.n_per_seg // 2,
            verbose=False,
        )
        absolute = np.stack([psd[..., m].sum(-1) * self.df for m in self.masks], axis=-1)
        total = psd[..., self.span].sum(-1, keepdims=True) * self.df
        return absolute, safe_ratio(absolute, np.broadcast_to(total, absolute.shape))


def resolve_bands(bands, sfreq):
    nyquist = sfreq / 2
    if isinstance(bands, str) and bands == "auto":
        return {name: (lo, min(hi, nyquist)) for name, (lo, hi) in BANDS.items() if lo < nyquist}
    out = {}
    for name, edges in named_pairs(bands, "bands", unit="Hz").items():
        lo, hi = edges
        if lo < 0:
            raise ValueError(f"Band {name!r} ({lo:g}-{hi:g} Hz) has a negative edge.")
        if hi > nyquist:
            raise ValueError(
                f"Band {name!r} ({lo:g}-{hi:g} Hz) reaches above the Nyquist frequency "
                f"({nyquist:g} Hz) of data sampled at {sfreq:g} Hz. Lower its upper edge "
                "to at most the Nyquist frequency."
            )
        out[name] = (lo, hi)
    return out


def named_pairs(pairs, what, unit):
    """Validate a dict name -> (start, stop) or a list of (start, stop) pairs."""
    if isinstance(pairs, dict):
        items = [(str(k), v) for k, v in pairs.items()]
    elif isinstance(pairs, list | tuple):
        items = [(None, v) for v in pairs]
    else:
        raise TypeError(
            f"{what} must be 'auto', a dict of name -> (start, stop) or a list of (start, "
            f"stop) pairs; got {type(pairs).__name__}."
        )
    if not items:
        raise ValueError(f"{what} is empty; give at least one (start, stop) pair.")
    out = {}
    for name, value in items:
        try:
            start, stop = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(
                f"Each entry of {what} must be a (start, stop) pair of numbers; got {value!r}."
            ) from None
        name = name if name is not None else f"{start:g}-{stop:g}{unit}"
        if not start < stop:
            raise ValueError(f"{what} entry {name!r} needs start < stop; got ({start}, {stop}).")
        out[name] = (start, stop)
    return out


def epoch_end(tmin, sfreq, n_times):
    """End of the half-open epoch span [tmin, tmin + n_times / sfreq)."""
    return tmin + n_times / sfreq


def resolve_windows(windows, tmin, sfreq, n_times):
    """Validate windows against the epoch and return them with their sample slices."""
    windows = named_pairs(windows, "windows", unit="s")
    end = epoch_end(tmin, sfreq, n_times)
    tol = 0.5 / sfreq  # MNE rounds epoch edges to the nearest sample
    slices = []
    for name, (start, stop) in windows.items():
        if start < tmin - tol or stop > end + tol:
            raise ValueError(
                f"Window {name!r} ({start:g} to {stop:g} s) lies outside the epoch ({tmin:g} "
                f"to {end - 1 / sfreq:g} s). Pass windows inside the epoch or re-epoch with "
                "a wider tmin/tmax."
            )
        # First samples at or after start/stop; the slice is the half-open window.
        i0, i1 = (
            int(np.clip(np.ceil((t - tmin) * sfreq - 1e-6), 0, n_times)) for t in (start, stop)
        )
        if i1 <= i0:
            raise ValueError(
                f"Window {name!r} ({start:g} to {stop:g} s) holds no sample at {sfreq:g} Hz; "
                "widen it."
            )
        slices.append(slice(i0, i1))
    return windows, slices


def clip_windows(windows, tmin, sfreq, n_times):
    """Cut default windows to the epoch, leaving out those entirely outside it."""
    end = epoch_end(tmin, sfreq, n_times)
    out = {
        name: (max(start, tmin), min(stop, end))
        for name, (start, stop) in windows.items()
        if stop > tmin and start < end - 1 / sfreq
    }
    if not out:
        raise ValueError(
            f"No default ERP window ({windows}) overlaps the epoch ({tmin:g} to {end:g} s); "
            "pass windows= explicitly."
        )
    return out


def auto_consecutive_windows(tmin, sfreq, n_times):
    """Consecutive AUTO_WINDOW_LENGTH windows from max(0, tmin) to the epoch end."""
    end = epoch_end(tmin, sfreq, n_times)
    start = max(0.0, tmin)
    n = int(np.floor((end - start) / AUTO_WINDOW_LENGTH + 0.5 / (sfreq * AUTO_WINDOW_LENGTH)))
    if n < 1:
        raise ValueError(
            f"The epoch ({tmin:g} to {end:g} s) is shorter than one {AUTO_WINDOW_LENGTH:g}-s "
            "window after the stimulus; pass windows= explicitly."
        )
    edges = [round(start + i * AUTO_WINDOW_LENGTH, 6) for i in range(n + 1)]
    return {f"{a:g}-{b:g}s": (a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)}
