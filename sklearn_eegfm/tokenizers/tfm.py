"""TFM-Tokenizer: time-frequency motifs of single-channel EEG, one code in 8192 per 0.5 s.

The network is :class:`sklearn_eegfm._nets.tfm.TFMTokenizerNet` (written from the paper
and the authors' key list); this module holds the tokenizer's contract and estimator.
"""

from __future__ import annotations

import numpy as np

from .._nets import tfm_files
from ..utils._docs import fill_doc
from ._single_channel import SingleChannelContract, SingleChannelTokenizer
from .pretrained import TokenizerRelease

# Where the authors publish the file (GitHub, and the hub repository braindecode reads):
# the facts and their sources are in sklearn_eegfm/_nets/tfm_files.py.
RELEASE = TokenizerRelease(
    name="tfm-tokenizer",
    source=tfm_files.github_url(tfm_files.TOKENIZER_FILE),
    folder=tfm_files.GITHUB_REPO,
    filename="tfm_tokenizer_last.pth",
    licence=tfm_files.LICENCE,
    hub_repo=tfm_files.HUB_REPO,
    hub_file=tfm_files.TOKENIZER_FILE,
)

CONTRACT = SingleChannelContract(
    sfreq=200.0,
    min_times=200,
    scaling=(
        "each channel divided by its 95th percentile of |x| + 1e-8 "
        "(TFM-Tokenizer datasets/data_loaders.py:128)"
    ),
    resampling=(
        "scipy.signal.resample of each epoch to 200 Hz, as the authors' loaders do "
        "(datasets/data_loaders.py:123-125)"
    ),
    frame=(
        "a 1-s window every 0.5 s: |STFT| (Hann 200, hop 100, center=False, 100 bins; "
        "utils/utils.py:165-176) and the raw window (models/tfm_token.py:333)"
    ),
    n_levels=1,
    n_codes=8192,
    release=RELEASE,
)


@fill_doc
class TFMTokenizer(SingleChannelTokenizer):
    """TFM-Tokenizer's pretrained single-channel vocabulary: one code in 8192 per 0.5 s.

    Each channel is resampled to 200 Hz, divided by its 95th percentile of ``|x|`` and
    encoded alone by the dual-path (time and frequency) VQ-VAE ``TFM_VQVAE2_deep`` 2x2x8
    (Pradeepkumar et al.): a 1-s window every 0.5 s becomes the index of the nearest of
    8192 code vectors (9 codes per channel for a 5-s epoch). Any montage works.

    Parameters
    ----------
    weights : "auto" | str | Path | None
        The authors' ``tfm_tokenizer_last.pth``, a path to it or to its folder.
        ``"auto"``: the local cache (``$SKLEARN_EEGFM_HOME/Jathurshan0330/TFM-Tokenizer/
        tfm_tokenizer_last.pth``, or the hub layout of ``Jathurshan/TFM-Tokenizer``), then
        a download from the hub ``Jathurshan/TFM-Tokenizer`` into it. Read with
        ``torch.load(weights_only=True)`` or safetensors, every key and shape checked.
        None: a random codebook (warned, and recorded in ``contract_report_``).
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
    n_frames_, n_tokens_, n_codes_ : int
        Codes per channel, per epoch (channel-major), and the codebook size.
    contract_report_ : dict
        Rate, resampling, scaling, frame, weights, sha256 and licence, in words.
    network_ : torch.nn.Module
        The tokenizer network.
    pretrained_ : bool
        Whether weights were loaded.
    weights_path_, weights_sha256_, licence_ :
        The checkpoint, its digest and its licence.

    See Also
    --------
    BioCodecTokenizer, LaBraMTokenizer, BagOfTokens

    Notes
    -----
    On weights filled by a seeded rule, the codes equal those of the authors'
    ``TFM_VQVAE2_deep.tokenize`` (Jathurshan0330/TFM-Tokenizer @d716ab9) on real EEGMMIDB
    epochs prepared by their loader (54 of 54), and the decoded spectra match to 0.0.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_eegfm.tokenizers import TFMTokenizer
    >>> X = np.random.default_rng(0).standard_normal((2, 3, 1000))
    >>> tok = TFMTokenizer(weights=None, sfreq=200, ch_names=["C3", "Cz", "C4"], units="uV")
    >>> tok.fit_transform(X).shape  # doctest: +SKIP
    (2, 27)
    """

    contract = CONTRACT
    _residual = False  # codes keep the level axis

    def _new_network(self):
        from .._nets.tfm import TFMTokenizerNet

        return TFMTokenizerNet()

    def _resample(self, data):
        from scipy.signal import resample

        if self.n_model_times_ == data.shape[-1]:
            return data
        return resample(data, self.n_model_times_, axis=-1)

    def _scale(self, data):
        from .._nets.tfm import percentile_scale

        return percentile_scale(data)

    def _n_frames(self, n_times):
        from .._nets.tfm import n_frames

        return n_frames(n_times)

    def _encode(self, net, x):
        return net(x)[:, None]

    def transform(self, X):
        """Tokenize epochs, batch by batch.

        Parameters
        ----------
        X : mne.Epochs | list of mne.Epochs | EpochsData | ndarray
            Epochs with the channels, rate and length seen in ``fit``.

        Returns
        -------
        codes : ndarray of int64, shape (n_epochs, n_tokens_)
            Channel-major: token ``c * n_frames_ + t`` is frame ``t`` of channel ``c``.
        """
        return self._codes(X)[:, 0]

    def decode_spectrum(self, codes):
        """Decode codes to each frame's scaled ``|STFT|`` (100 bins, 0-99 Hz).

        Parameters
        ----------
        codes : array of int, shape (n_epochs, n_tokens_)
            Codes from :meth:`transform`.

        Returns
        -------
        spectra : ndarray, shape (n_epochs, n_channels_in_, 100, n_frames_)
            Magnitudes of the percentile-scaled signal (TFM's decoder predicts spectra,
            not signals, so :meth:`inverse_transform` is not available).
        """
        import torch
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        codes = np.asarray(codes)
        if codes.ndim != 2 or codes.shape[1] != self.n_tokens_:
            raise ValueError(
                f"codes must have shape (n_epochs, {self.n_tokens_}); got {codes.shape}."
            )
        if codes.min() < 0 or codes.max() >= self.n_codes_:
            raise ValueError(f"codes must lie in [0, {self.n_codes_}).")
        flat = torch.as_tensor(
            codes.reshape(-1, self.n_frames_), dtype=torch.long, device=self.device
        )
        with torch.no_grad():
            spectra = self.network_.decode(flat).cpu().numpy()
        return spectra.reshape(len(codes), self.n_channels_in_, *spectra.shape[1:])

    def inverse_transform(self, codes):
        """Not available: TFM-Tokenizer's decoder predicts spectra, not signals.

        Parameters
        ----------
        codes : array of int
            Codes from :meth:`transform`.

        Returns
        -------
        None
            Always raises; see :meth:`decode_spectrum`.
        """
        raise NotImplementedError(
            "TFM-Tokenizer's decoder reconstructs the magnitude spectrum of each frame "
            "(models/tfm_token.py:425-439), not the signal; use decode_spectrum(codes), or "
            "BioCodecTokenizer for a tokenizer that decodes to signals."
        )
