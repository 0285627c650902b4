"""BioCodec: a neural codec as a tokenizer, 6 residual codes of 256 per 48 ms of one channel.

The network is :class:`sklearn_eegfm._nets.biocodec.BioCodecNet` (written from the paper
and the authors' key list); this module holds the tokenizer's contract and estimator.
"""

from __future__ import annotations

import numpy as np

from ..utils._docs import fill_doc
from ._single_channel import SingleChannelContract, SingleChannelTokenizer
from .pretrained import TokenizerRelease

# The authors publish the checkpoint in their GitHub repository only: biocodec_ckpt.pt at
# its root (klean2050/BioCodec-release @575bf6e, tree; loaded by biocodec/ft_model.py:
# 138-143); the README (README.md:1-45) names no model hub, so it is never downloaded
# (hub_repo None): the lookup is a path or the local cache, and the error says where.
RELEASE = TokenizerRelease(
    name="biocodec",
    source="https://github.com/klean2050/BioCodec-release/blob/575bf6e/biocodec_ckpt.pt",
    folder="klean2050/BioCodec-release",
    filename="biocodec_ckpt.pt",
    licence="MIT (Copyright (c) 2026 Kleanthis Avramidis)",
)

CONTRACT = SingleChannelContract(
    sfreq=250.0,
    min_times=12,
    scaling=(
        "each channel z-scored over the epoch (unbiased std, +1e-8), as the authors' "
        "downstream loaders do (biocodec/datasets/eeg_mmi.py:198-202, there with the first "
        "0.5 s), then clamped to +-10 (biocodec/datasets/h5_dataset_eeg.py:58)"
    ),
    resampling="polyphase resampling (scipy.signal.resample_poly) of each epoch to 250 Hz",
    frame="12 samples (48 ms at 250 Hz); 6 residual codes per frame",
    n_levels=6,
    n_codes=256,
    release=RELEASE,
)


@fill_doc
class BioCodecTokenizer(SingleChannelTokenizer):
    """BioCodec's pretrained neural codec: 6 residual codes of 256 per 48 ms of one channel.

    Each channel is resampled to 250 Hz, z-scored, clamped to +-10 and encoded alone by
    BioCodec's causal convolutional encoder; residual vector quantisation turns every
    12-sample frame into 6 codes (Avramidis et al.). The decoder turns codes back into the
    scaled signal (:meth:`inverse_transform`).

    Parameters
    ----------
    weights : "auto" | str | Path | None
        The authors' ``biocodec_ckpt.pt``, a path to it or to its folder (``"auto"``:
        ``$SKLEARN_EEGFM_HOME/klean2050/BioCodec-release/biocodec_ckpt.pt``; the authors
        publish it on GitHub only, so it is never downloaded): its ``model_state_dict`` with the
        ``_orig_mod.`` prefix of ``torch.compile`` stripped, and ``weight_g``/``weight_v``
        weight norms mapped to ``parametrizations``; read safely, every key checked.
        None: random codebooks (warned, and recorded in ``contract_report_``).
    sha256 : str | None
        Expected sha256 of the checkpoint; a different file is refused.
    random_state : int | RandomState | None
        Seed of the random network when ``weights=None``.
    %(batch_size)s
    %(device)s
    %(sfreq)s
    %(ch_names)s
    %(units)s

    Attributes
    ----------
    n_frames_, n_tokens_, n_levels_, n_codes_ : int
        Frames per channel, tokens per epoch and level (channel-major), residual
        levels (6) and codes per level (256).
    contract_report_ : dict
        Rate, resampling, scaling, frame, weights, sha256 and licence, in words.
    network_ : torch.nn.Module
        The codec.
    pretrained_ : bool
        Whether weights were loaded.
    weights_path_, weights_sha256_, licence_ :
        The checkpoint, its digest and its licence.

    See Also
    --------
    TFMTokenizer, RVQTokenizer, BagOfTokens

    Notes
    -----
    On weights filled by a seeded rule, the codes equal those of the authors'
    ``BioCodecModel.encode`` (klean2050/BioCodec-release @575bf6e) on real EEGMMIDB epochs
    prepared as their loaders do (3024 of 3024), and the decoded signals match to 0.0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.tokenizers import BioCodecTokenizer
    >>> X = np.random.default_rng(0).standard_normal((2, 3, 250))
    >>> tok = BioCodecTokenizer(weights=None, sfreq=250, ch_names=["C3", "Cz", "C4"], units="uV")
    >>> tok.fit_transform(X).shape  # doctest: +SKIP
    (2, 6, 63)
    """

    contract = CONTRACT
    _residual = True  # codes keep the level axis
    # EMA statistics of training; the codec does not read them.
    _ignore = ("quantizer.vq.layers.*._codebook.cluster_size",
               "quantizer.vq.layers.*._codebook.embed_avg",
               "quantizer.vq.layers.*._codebook.inited")  # fmt: skip

    def _new_network(self):
        from .._nets.biocodec import BioCodecNet

        return BioCodecNet()

    def _randomise(self, net):
        import torch

        # The authors' uniform_init of the codebooks (core_vq.py:43-46): zeros otherwise.
        for level in net.quantizer.vq.layers:
            torch.nn.init.kaiming_uniform_(level._codebook.embed)

    def _adapt_state(self, state):
        from .._nets.biocodec import map_weight_norm

        return map_weight_norm(state)

    def _n_model_times(self, sfreq, n_times):
        from .._signal import resample_factors

        up, down = resample_factors(sfreq, self.contract.sfreq)
        self._up_down = (up, down)
        return -(-n_times * up // down)

    def _resample(self, data):
        from scipy.signal import resample_poly

        up, down = self._up_down
        return data if (up, down) == (1, 1) else resample_poly(data, up, down, axis=-1)

    def _scale(self, data):
        mean = data.mean(axis=-1, keepdims=True)
        std = data.std(axis=-1, ddof=1, keepdims=True)
        return np.clip((data - mean) / (std + 1e-8), -10, 10)

    def _n_frames(self, n_times):
        from .._nets.biocodec import frames

        return frames(n_times)

    def _encode(self, net, x):
        return net(x)

    def transform(self, X):
        """Tokenize epochs, batch by batch.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        codes : ndarray of int64, shape (n_epochs, n_levels_, n_tokens_)
            Residual codes, channel-major: token ``c * n_frames_ + t`` is frame ``t`` of
            channel ``c``; level 0 is the coarsest.
        """
        return self._codes(X)

    def inverse_transform(self, codes):
        """Decode codes back to signals, in the codec's scale.

        Parameters
        ----------
        codes : array of int, shape (n_epochs, n_levels, n_tokens_)
            Codes from :meth:`transform`; fewer levels (the first ones) decode coarser.

        Returns
        -------
        X_rec : ndarray, shape (n_epochs, n_channels_in_, n_model_times_)
            Reconstructed signals at 250 Hz, z-scored and clamped as the codec's input
            (the per-epoch mean and scale are not coded).
        """
        import torch
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        codes = np.asarray(codes)
        if codes.ndim != 3 or codes.shape[2] != self.n_tokens_ or not 1 <= codes.shape[1] <= 6:
            raise ValueError(
                f"codes must have shape (n_epochs, n_levels <= 6, {self.n_tokens_}) as returned "
                f"by transform; got {codes.shape}."
            )
        if codes.min() < 0 or codes.max() >= self.n_codes_:
            raise ValueError(f"codes must lie in [0, {self.n_codes_}).")
        n, levels = codes.shape[:2]
        c = self.n_channels_in_
        flat = codes.reshape(n, levels, c, self.n_frames_).transpose(0, 2, 1, 3)
        flat = torch.as_tensor(flat.reshape(n * c, levels, -1), dtype=torch.long)
        out = np.empty((n * c, self.n_model_times_), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, n * c, self.batch_size * c):
                part = flat[start : start + self.batch_size * c].to(self.device)
                out[start : start + len(part)] = (
                    self.network_.decode(part, self.n_model_times_).cpu().numpy()
                )
        return out.reshape(n, c, -1)

    def reconstruction_error(self, X):
        """Relative reconstruction error of the codec on ``X``, in its input scale.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs as for :meth:`transform`.

        Returns
        -------
        error : float
            ``||decode(encode(x)) - x||^2 / ||x - mean||^2`` over the scaled signals
            (0 is perfect, 1 no better than each channel's mean).
        """
        ed = self._validate_epochs(X, reset=False)
        target = self._prepared(ed.data).reshape(ed.n_epochs, self.n_channels_in_, -1)
        rec = self.inverse_transform(self._codes(X))
        centred = target - target.mean(axis=-1, keepdims=True)
        return float(((rec - target) ** 2).sum() / max((centred**2).sum(), 1e-12))
