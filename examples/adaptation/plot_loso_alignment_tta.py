"""
Aligning subjects before a cross-subject P300 decoder
=====================================================

Trained on some subjects and tested on a new one, an EEG decoder meets data whose
covariance, amplitude and noise differ from everything it saw: on the consumer P300
recordings shipped with the package, Xdawn covariances + tangent space fall to about
chance under leave-one-subject-out (LOSO). Two families of fixes need **no label of the
new subject**:

* **alignment** whitens each subject by its own reference covariance before any model
  sees it (:class:`~sklearn_eegfm.EuclideanAlignment`,
  :class:`~sklearn_eegfm.RiemannianRecentering`);
* **test-time adaptation** adjusts the trained model on the new subject's unlabelled
  epochs (:class:`~sklearn_eegfm.T3AAdapter`, :class:`~sklearn_eegfm.LAMEAdapter`, and
  for torch networks :class:`~sklearn_eegfm.TENTAdapter` and its family).

Both plug into :func:`sklearn_eegfm.evaluation.compare` as ``+<suffix>`` pipeline names;
``compare`` tells each one which metadata column holds the domain (``subject`` under
LOSO, ``session`` under cross-session) and records what was adapted in every row.

Data: NeuroTechX eeg-notebooks, (c) 2017 Alexandre Barachant, BSD-3-Clause.
"""

# %%
# Load the demo (3 subjects) and build the pipelines by name: the plain reference, the
# reference behind each alignment, and two optimisation-free adapters around it.

# sphinx_gallery_start_ignore
import os

# sphinx_gallery_end_ignore
import warnings

# sphinx_gallery_start_ignore
from pathlib import Path

# sphinx_gallery_end_ignore
from sklearn_eegfm.datasets import load_p300_demo
from sklearn_eegfm.evaluation import compare
from sklearn_eegfm.evaluation.pipelines import make_named_pipeline
from sklearn_eegfm.viz import plot_subject_scores

epochs = load_p300_demo()
names = ["xdawn+ts", "xdawn+ts+ea", "xdawn+ts+recenter", "xdawn+ts+t3a", "xdawn+ts+lame"]
pipelines = {name: make_named_pipeline(name) for name in names}
print(pipelines["xdawn+ts+ea"])

# %%
# Run leave-one-subject-out. Each held-out subject is one target domain: the
# alignments whiten it with its own epochs, the adapters adapt on it alone, and no
# target label is ever used. The collapse guard may fire on a subject (adapted
# predictions falling to one class); it is recorded in ``adaptation_collapsed``.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    results = compare(pipelines, epochs, protocol="loso", metrics=("roc_auc",))
table = results.pivot_table(index="pipeline", columns="subject", values="score")
print(table.loc[names].round(3))
print(results.groupby("pipeline")[["adaptation", "adaptation_time"]].first())

# %%
# Each grey line is one held-out subject across the pipelines: an alignment that
# helps on average but hurts a subject shows as a line going down.
fig = plot_subject_scores(results, metric="roc_auc")

# sphinx_gallery_start_ignore
# Keep a copy of the figure (``$SKLEARN_EEGFM_EXAMPLES_OUT``, else ./sklearn_eegfm_examples).
out = Path(os.environ.get("SKLEARN_EEGFM_EXAMPLES_OUT", "sklearn_eegfm_examples"))
out.mkdir(exist_ok=True)
fig.savefig(out / "loso_alignment_tta.png", dpi=100)
# sphinx_gallery_end_ignore
