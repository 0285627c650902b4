"""A fitted foundation model: the input plan for one kind of data plus the network.

:class:`Backbone` is what estimators hold after ``fit``. It knows how to turn a batch
of the user's epochs (microvolts, their channels and rate) into the tensor the model
expects, and how to turn the model's tokens into one embedding per epoch. Everything
it does is listed in :attr:`Backbone.report`.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .._checkpoints import load_checked, read_state_dict, sha256_file
from .._signal import resample_epochs, resample_factors, resampled_length
from .._validation import check_option
from ._channels import CHANNEL_POLICIES, map_channels
from ._contract import POOLINGS, TEN_TWENTY
from ._contract_parts import pooled_layer_norm
from ._coverage import check_coverage
from ._network_cache import SHARED_NETWORKS, freeze
from ._torch_options import _seed, check_device  # noqa: F401  (_seed: adapter files)

DTYPES = ("float32", "float64", "bfloat16")
# "auto" crops to the patch multiple and zero-pads (with a warning) epochs shorter than
# the model's minimum, down to half of it; "crop"/"error" refuse those instead.
LENGTH_POLICIES = ("auto", "crop", "pad", "error")
# "auto" refuses epochs shorter than this fraction of the model's minimum input.
_AUTO_PAD_MIN = 0.5
# "auto" takes the subset of a vocabulary model's channels that the data have (dropping
# the others with a warning) and otherwise refuses like "error".
ESTIMATOR_CHANNEL_POLICIES = ("auto", *CHANNEL_POLICIES)
# How each resampling method is named in the report (the authors' own calls).
_RESAMPLING_WORDS = {
    "fft": "FFT, as MNE's resample",
    "fft-grid": "FFT, as MNE's resample of the whole recording, on the exact sample grid",
    "scipy-fft": "FFT, as scipy.signal.resample",
    "nearest": "nearest-neighbour interpolation, as dn3",
    "polyphase": "polyphase",
}
# Warnings braindecode's own forward passes raise about its internal choices.
_FORWARD_NOISE = (
    "A window was not provided",  # BIOT's STFT
    "This model has only been trained on",  # BIOT at another rate
    "enable_nested_tensor is True",  # LUNA's cross-attention encoder
)


class Backbone:
    """A foundation model fitted to one kind of input.

    Parameters
    ----------
    contract : FMContract
        The model's input contract.
    epochs_data : EpochsData
        Data seen in ``fit`` (gives channels, positions, rate and length).
    weights : WeightsSource
        Where the weights come from.
    channel_policy, length_policy, pooling : str
        Options of the estimator.
    random_state : int | RandomState | None
        Seed of a random initialisation (None means 0, so clones agree; a
        ``RandomState`` gives a seed drawn from it).
    device, dtype : str
        Torch device and floating dtype.
    build : bool
        Load the network; False only plans the input (see :func:`check_epochs`).
    networks : NetworkCache | None
        Where the built network is shared with clones; None builds a private one.
    """

    def __init__(
        self,
        contract,
        epochs_data,
        weights,
        *,
        channel_policy="auto",
        length_policy="auto",
        pooling="auto",
        random_state=None,
        device="cpu",
        dtype="float32",
        build=True,
        networks=SHARED_NETWORKS,
    ):
        check_option("channel_policy", channel_policy, ESTIMATOR_CHANNEL_POLICIES)
        check_option("length_policy", length_policy, LENGTH_POLICIES)
        check_option("pooling", pooling, ("auto", *POOLINGS))
        self.contract = contract
        self.weights = weights
        self.pooling = contract.pooling if pooling == "auto" else pooling
        if self.pooling not in contract.poolings:
            raise ValueError(
                f"{contract.name} supports pooling in {list(contract.poolings)}, not "
                f"{self.pooling!r} (e.g. it has no CLS token)."
            )
        self.channel_policy, self.length_policy = channel_policy, length_policy
        self.seed = _seed(random_state)
        self.device, self.dtype = check_device(device), check_option("dtype", dtype, DTYPES)
        self.sfreq_in = epochs_data.sfreq
        self.n_times_in = epochs_data.n_times
        self.report = list(epochs_data.notes)
        self.ch_names_in = list(epochs_data.ch_names)
        self.extra = {}
        self._plan_channels(epochs_data)
        check_coverage(self, epochs_data)
        self._plan_time()
        if contract.plan is not None and build:
            contract.plan(self)
        if contract.rereference == "average":
            self.report.append(
                f"re-referenced: common average of the {len(self.ch_names_in)} input channels "
                "(as in pretraining)"
            )
        elif contract.rereference == "model-average":
            self.report.append(
                f"re-referenced: common average of the {len(self.model_ch_names)} model "
                "channels (as in pretraining)"
            )
        self.report.append(f"scaled: microvolts -> {contract.units}")
        self.weights_sha256 = sha256_file(weights.path) if weights.pretrained else None
        self.model = self._network(networks) if build else None
        layout = getattr(self.model, "weights_layout", None)
        if layout is not None:
            self.report.append(f"weights: {layout} checkpoint layout")

    # ------------------------------------------------------------------ planning
    def _plan_channels(self, ed):
        c = self.contract
        self.mapping = None
        too_many = c.max_channels is not None and len(ed.ch_names) > c.max_channels
        strict = self.channel_policy in ("auto", "error")
        if c.channels in ("any", "positions") and too_many and strict:
            raise ValueError(
                f"{c.name} takes at most {c.max_channels} channels; the data have "
                f"{len(ed.ch_names)}. Pick a subset with epochs.pick([...]) or pass "
                "channel_policy='interpolate' to project them onto the 19 10-20 electrodes."
            )
        if c.channels in ("any", "positions") and not too_many:
            self.model_ch_names = list(ed.ch_names)
            self.report.append(f"channels: all {len(ed.ch_names)} used as given")
        else:
            targets, bipolar = self._channel_targets(ed)
            self.mapping = map_channels(
                ed.ch_names,
                ed.positions,
                targets,
                policy="error" if self.channel_policy == "auto" else self.channel_policy,
                model=c.name,
                bipolar=bipolar,
            )
            self.model_ch_names = self.mapping.target_names
            counts = {k: v for k, v in self.mapping.counts().items() if v}
            self.report.append(f"channels: {len(self.model_ch_names)} model channels {counts}")
        if c.channels == "positions" or c.needs_positions:
            from ._channels import fill_positions

            pos = fill_positions(
                self.model_ch_names,
                ed.positions
                if self.mapping is None
                else np.full((len(self.model_ch_names), 3), np.nan),
            )
            if c.resolve_positions is not None:  # e.g. REVE's position bank
                pos = c.resolve_positions(self, pos)
            unknown = [n for n, p in zip(self.model_ch_names, pos) if not np.isfinite(p).all()]
            if unknown:
                raise ValueError(
                    f"{c.name} needs electrode positions; those of {unknown} are unknown. Set a "
                    "montage, e.g. epochs.set_montage('standard_1005', on_missing='raise')."
                )
            self.positions = pos
        else:
            self.positions = None

    def _channel_targets(self, ed):
        """Return the model channels to build from the user's, and bipolar pairs if any."""
        from ._channels import normalize_name, vocabulary_lookup

        c = self.contract
        vocab = c.vocabulary
        if c.channels in ("any", "positions"):  # too many channels: project onto 10-20
            self.report.append(
                f"channels: {len(ed.ch_names)} > {c.max_channels}, projected onto 10-20"
            )
            return list(TEN_TWENTY), None
        if c.channels == "bipolar":
            # Epochs that already hold the derivations (e.g. a TUH bipolar montage).
            derivations = [f"{a}-{b}" for a, b in c.bipolar]
            have = {normalize_name(n) for n in ed.ch_names}
            if all(normalize_name(d) in have for d in derivations):
                self.report.append("channels: bipolar derivations taken as given")
                return derivations, None
        if c.channels != "subset":
            return vocab, c.bipolar
        lookup = vocabulary_lookup(vocab)  # exact spelling first (T7 and T3 are two slots)
        inside = [lookup(n) for n in ed.ch_names if lookup(n) is not None]
        outside = [n for n in ed.ch_names if lookup(n) is None]
        if outside and self.channel_policy == "error":
            raise ValueError(
                f"{c.name}'s channel vocabulary lacks {outside}. Pass channel_policy="
                "'interpolate' (keeps its other channels and completes the 10-20 montage by "
                "spherical splines) or channel_policy='zero', or drop them with "
                "epochs.drop_channels(names)."
            )
        # Interpolation builds the 10-20 channels from the user's, whatever their names.
        too_few = len(inside) < max(2, math.ceil(len(ed.ch_names) / 2))
        if outside and too_few and self.channel_policy != "interpolate":
            raise ValueError(
                f"{c.name}'s channel vocabulary lacks {outside}: only {len(inside)} of the "
                f"{len(ed.ch_names)} channels would remain. Rename the channels to 10-20 "
                "names (epochs.rename_channels), or pass channel_policy='interpolate' to "
                "complete the 10-20 montage by spherical splines."
            )
        if outside:
            self.report.append(f"channels outside {c.name}'s vocabulary dropped: {outside}")
        if outside and self.channel_policy == "auto":
            warnings.warn(
                f"{c.name}: dropped {len(outside)} channel(s) outside its vocabulary "
                f"{outside}; it uses the other {len(inside)}. Drop them yourself "
                "(epochs.drop_channels) to silence this, or pass channel_policy='error' to "
                "refuse.",
                UserWarning,
                stacklevel=4,
            )
        if self.channel_policy in ("interpolate", "zero"):
            have = {normalize_name(n) for n in inside}
            inside += [
                lookup(t)
                for t in TEN_TWENTY
                if normalize_name(t) not in have and lookup(t) is not None
            ]
        if not inside:
            raise ValueError(f"None of the channels {ed.ch_names} is in {c.name}'s vocabulary.")
        return inside, None

    def _plan_time(self):
        c = self.contract
        self.up, self.down = resample_factors(self.sfreq_in, c.sfreq)
        n_res = resampled_length(self.n_times_in, self.sfreq_in, c.sfreq)
        if (self.up, self.down) != (1, 1):
            rates = f"{self.sfreq_in:g} Hz -> {c.sfreq:g} Hz"
            how = _RESAMPLING_WORDS[c.resampling]
            self.report.append(f"resampled: {rates} ({how}, per epoch)")
        # Valid lengths are patch_len + k * patch_step (non-overlapping: step = patch_len).
        patch, step = c.patch_len, c.step
        minimum = patch + step * (c.min_patches - 1)
        if c.fixed_times is not None:
            target = c.fixed_times
        elif self.length_policy == "pad" or (self.length_policy == "auto" and n_res < minimum):
            target = max(minimum, patch + math.ceil(max(n_res - patch, 0) / step) * step)
        else:
            target = patch + ((n_res - patch) // step) * step if n_res >= patch else 0
        if c.max_times is not None and target > c.max_times:
            target = patch + ((c.max_times - patch) // step) * step
        refuse_short = self.length_policy in ("crop", "error")
        # "auto" pads a little; past half the model's input the zeros are what it sees
        too_short_to_pad = self.length_policy == "auto" and n_res < _AUTO_PAD_MIN * minimum
        if too_short_to_pad:
            raise ValueError(
                f"Epochs of {self.n_times_in / self.sfreq_in:.3f} s ({n_res} samples at "
                f"{c.sfreq:g} Hz) are shorter than half of {c.name}'s "
                f"{minimum / c.sfreq:.3f}-s minimum input: length_policy='auto' would fill "
                f"{1 - n_res / minimum:.0%} of it with zeros. Epochs must last at least "
                f"{_AUTO_PAD_MIN * minimum / c.sfreq:.3f} s for 'auto' (better "
                f"{minimum / c.sfreq:.3f} s: mne.Epochs(..., tmin=..., tmax=...)); pass "
                "length_policy='pad' to zero-pad anyway."
            )
        if target < minimum or (refuse_short and n_res < target):
            raise ValueError(
                f"Epochs of {self.n_times_in / self.sfreq_in:.3f} s ({n_res} samples at "
                f"{c.sfreq:g} Hz) are too short for {c.name}, which needs at least "
                f"{max(minimum, target) / c.sfreq:.3f} s ({max(minimum, target)} samples). Cut "
                "longer epochs (mne.Epochs(..., tmin=..., tmax=...)) or pass "
                "length_policy='pad' to zero-pad."
            )
        self.n_times_resampled, self.n_times = n_res, target
        if target < n_res:
            self.report.append(f"cropped: {n_res} -> {target} samples (kept the start)")
        elif target > n_res:
            pad = target - n_res
            self.report.append(
                f"padded: {n_res} -> {target} samples with zeros at the end ({pad} samples, "
                f"{pad / c.sfreq:.3f} s, {pad / target:.0%} of the model input)"
            )
            if self.length_policy == "auto":
                warnings.warn(
                    f"Epochs of {self.n_times_in / self.sfreq_in:.3f} s are shorter than "
                    f"{c.name}'s {minimum / c.sfreq:.3f}-s minimum: zero-padded by {pad} "
                    f"samples ({pad / c.sfreq:.3f} s, {pad / target:.0%} of its input). Cut "
                    "longer epochs (mne.Epochs(..., tmax=...)) to avoid padding, or pass "
                    "length_policy='error' to refuse.",
                    UserWarning,
                    stacklevel=4,
                )

    def describe(self, epochs_data):
        """Describe the plan in words: input, model input, channels and steps.

        Parameters
        ----------
        epochs_data : EpochsData
            The data the plan was made for.

        Returns
        -------
        report : dict
            ``model, input, model_input, model_channels, channel_mapping, steps`` and
            ``authors_recipe`` (the authors' preprocessing of the continuous recording,
            which :func:`~sklearn_eegfm.models.apply_recipe` runs; not applied to epochs).
        """
        ed = epochs_data
        return {
            "model": self.contract.name,
            "input": f"{ed.n_epochs} epochs x {len(ed.ch_names)} channels x {ed.n_times} "
            f"samples at {ed.sfreq:g} Hz",
            "model_input": f"{len(self.model_ch_names)} channels x {self.n_times} samples at "
            f"{self.contract.sfreq:g} Hz",
            "model_channels": list(self.model_ch_names),
            "channel_mapping": None if self.mapping is None else list(self.mapping.report),
            "steps": list(self.report),
            "authors_recipe": self.contract.recipe_lines(),
        }

    # ------------------------------------------------------------------ network
    def build_kwargs(self):
        """Return the braindecode model's constructor arguments for this input."""
        return self.contract.build_kwargs(self)

    def _network(self, networks):
        key = self.network_key = (
            self.contract.name,
            repr(sorted(self.build_kwargs().items(), key=str)),
            self.weights_sha256 or f"random:{self.seed}",
            str(self.device),  # a float64 or GPU clone must not get a float32 CPU network
            self.dtype,
        )
        if networks is None:
            return freeze(self.new_network())
        return networks.network(key, self.new_network)

    def _construct(self):
        from ..utils._imports import import_braindecode

        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="|".join(_FORWARD_NOISE))
            if self.contract.network is not None:  # e.g. the authors' LayerNorms restored
                return self.contract.network(self, **self.build_kwargs())
            cls = getattr(import_braindecode("models"), self.contract.model_cls)
            return cls(**self.build_kwargs())

    def new_network(self):
        """Build a fresh, independent copy of the network (weights loaded, train mode).

        Returns
        -------
        model : torch.nn.Module
            The braindecode model. Adapters and fine-tuning train this copy, never
            the shared frozen one in :attr:`model`.
        """
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            model = self._construct()
        if self.weights.pretrained:
            state = read_state_dict(self.weights.path, parts=self.contract.checkpoint_parts)
            if self.contract.adapt_state is not None:
                state = self.contract.adapt_state(state, model.state_dict())
            load_checked(
                model,
                state,
                ignore=self.contract.head_keys,
                source=str(self.weights.path),
                layouts=self.contract.checkpoint_layouts,
            )
        return model.to(device=self.device, dtype=getattr(torch, self.dtype))

    def __getstate__(self):
        # Some braindecode models use parametrizations that neither deepcopy nor pickle;
        # ship the state dict and rebuild from the contract instead.
        state = self.__dict__.copy()
        state["model"] = {k: v.cpu() for k, v in self.model.state_dict().items()}
        return state

    def __setstate__(self, state):
        sd = state.pop("model")
        self.__dict__.update(state)
        import torch

        model = self._construct()
        model.load_state_dict(sd)
        self.model = freeze(model.to(device=self.device, dtype=getattr(torch, self.dtype)))

    # ------------------------------------------------------------------ data
    def prepare(self, data_uv):
        """Turn a batch of user epochs into the model's input tensor.

        Parameters
        ----------
        data_uv : ndarray, shape (n_epochs, n_user_channels, n_times_in)
            Microvolts, as returned by the input layer.

        Returns
        -------
        x : torch.Tensor, shape (n_epochs, n_model_channels, n_times)
            Resampled, channel-mapped, cropped/padded and scaled.
        """
        import torch

        x = data_uv
        if self.contract.rereference == "average":  # as in pretraining; see the contract
            x = x - x.mean(axis=1, keepdims=True)
        span = {} if self.contract.prescale is None else self.contract.prescale(x, self)
        # Both steps are linear: map first when it reduces the channels to resample.
        map_first = self.mapping is not None and self.mapping.matrix.shape[0] < x.shape[1]
        if map_first:
            x = self._map(x)
        if (self.up, self.down) != (1, 1):
            x = resample_epochs(x, self.sfreq_in, self.contract.sfreq, self.contract.resampling)
        if not map_first:
            x = self._map(x)
        if self.contract.rereference == "model-average":  # linear: commutes with resampling
            x = x - x.mean(axis=1, keepdims=True)
        # float64 networks get a float64 preparation (half-precision ones a float32 one)
        x = np.asarray(x, dtype=np.float64 if self.dtype == "float64" else np.float32)
        if x.shape[-1] >= self.n_times:
            x = x[..., : self.n_times]
        else:
            x = np.concatenate(
                [x, np.zeros((*x.shape[:-1], self.n_times - x.shape[-1]), x.dtype)], axis=-1
            )
        x = self.contract.scale(x, **span)
        return torch.from_numpy(np.ascontiguousarray(x)).to(
            device=self.device, dtype=getattr(torch, self.dtype)
        )

    def _map(self, x):
        if self.mapping is None or self.mapping.is_identity:
            return x
        return self.mapping.apply(x)

    def tokens(self, x, model=None):
        """Run the network and return its tokens ``(B, C', P', D)`` and CLS ``(B, D)``/None.

        Parameters
        ----------
        x : torch.Tensor
            Output of :meth:`prepare`.
        model : torch.nn.Module | None
            Another copy of the network (e.g. one being adapted); :attr:`model` when None.

        Returns
        -------
        tokens, cls : torch.Tensor, torch.Tensor | None
            Token grid and class token.
        """
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="|".join(_FORWARD_NOISE))
            return self.contract.features(self.model if model is None else model, x, self)

    def pool(self, tokens, cls):
        """Pool tokens into one vector per epoch, following :attr:`pooling`."""
        if self.pooling == "cls":
            return cls
        # e.g. LaBraM's fc_norm, on each pooled vector
        norm = pooled_layer_norm if self.contract.pooled_norm else (lambda v: v)
        if self.pooling == "mean":
            return norm(tokens.mean(dim=(1, 2)))
        if self.pooling == "channel":
            return norm(tokens.mean(dim=2)).flatten(1)
        return norm(tokens).flatten(1)

    def n_features(self, data_uv, networks=SHARED_NETWORKS):
        """Embedding size, from one forward pass on the first epoch (memoised).

        Parameters
        ----------
        data_uv : ndarray, shape (n_epochs, n_channels, n_times)
            Some of the data seen in fit (microvolts).
        networks : NetworkCache | None
            Where the size is memoised with the network; None computes it.

        Returns
        -------
        n_features : int
            Length of one pooled embedding.
        """

        def compute():
            return int(self.embed(self.prepare(data_uv[:1])).shape[1])

        if networks is None:
            return compute()
        return networks.n_features((self.network_key, self.pooling), compute)

    def embed(self, x, model=None):
        """Embed a prepared batch (no gradient through the shared network)."""
        import torch

        with torch.no_grad():
            return self.pool(*self.tokens(x, model))
