"""Console tables and report.html: overlap marks, pairing units, no test without pairs."""

import numpy as np
import pytest

from sklearn_eegfm.evaluation import paired_stats, summarize
from sklearn_eegfm.evaluation.report import (
    contract_reports,
    data_summary,
    format_stats,
    format_summary,
    save_plots,
    write_report,
)


def test_console_tables_mark_overlap_and_sort_k(make_results):
    res = make_results(protocol="few-shot", shots=(10.0, 1.0, 5.0, 2.0))
    text = format_summary(summarize(res))
    assert "fm-labram \u2020" in text and "xdawn+ts \u2020" not in text
    ks = [ln.split()[-6] for ln in text.splitlines()[2:] if ln.strip()]
    assert ks[:4] == ["1", "2", "5", "10"], text


def test_stats_text_states_unit_and_power(make_results):
    one = paired_stats(make_results(subjects=(1,)))
    text = format_stats(one, ["xdawn+ts", "fm-labram"])
    assert "no test" in text and "fewer than 2 pairs" in text and "1 (!)" in text
    three = format_stats(paired_stats(make_results()), ["xdawn+ts", "fm-labram"])
    assert "subject" in three and "0.25 (!)" in three
    assert "smallest achievable p-value is 0.25 > 0.05" in three
    assert "saw this data set in pretraining" in three


def test_report_html_has_data_contracts_tables_stats_and_figures(
    tmp_path, make_epochs, make_results
):
    pytest.importorskip("matplotlib")
    epochs = make_epochs(n_epochs=12, n_times=128)  # 0.5 s: CBraMod pads it
    res = make_results()
    figures = [tmp_path / name for name in save_plots(res, tmp_path, "roc_auc", "loso")]
    assert [f.name for f in figures] == ["subject_scores.png", "mean_scores.png"]
    data = data_summary(epochs, np.arange(12) % 2, dataset="toy", paradigm="erp")
    contracts = contract_reports(epochs, ["cbramod", "biot"])
    assert any("zero-padded" in w for w in contracts["cbramod"]["warnings"])
    path = write_report(
        tmp_path / "report.html",
        results=res,
        summary=summarize(res),
        stats=paired_stats(res),
        data=data,
        contracts=contracts,
        figures=figures,
        command="sklearn-eegfm compare --data x",
    )
    html = path.read_text()
    for fragment in (
        "sklearn-eegfm compare --data x",
        "sampling rate",
        "cbramod: input contract",
        "padded: 100 -&gt; 200 samples",
        "Paired statistics",
        "smallest achievable p-value is 0.25",
        "subject scores",
        "data:image/png;base64",
        "fm-labram \u2020",
    ):
        assert fragment in html, fragment


def test_report_tables_are_padded_html_with_rounded_numbers_and_notes(tmp_path, make_results):
    """Issue 25: real <table>s in Report's styling, headers apart, the test in a note."""
    import re

    res = make_results()
    res.loc[res.index[0], "score"] = 0.712345678  # must show as 0.712
    summary, stats = summarize(res), paired_stats(res)
    data = {"dataset": "toy"}
    html = write_report(
        tmp_path / "r.html", results=res, summary=summary, stats=stats, data=data
    ).read_text()
    tables = re.findall(r"<table[^>]*class=.[^'\"]*table-striped", html)
    assert len(tables) >= 3, "data, summary and statistics are HTML tables"
    assert "<pre>" not in html.split("Summary (mean")[1].split("Paired statistics")[0]
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    for head in ("pipeline", "difference", "95 % CI", "p", "pairs", "smallest possible p"):
        assert head in heads, (head, heads)
    assert "test" not in heads and "mean_diffci_lowci_high" not in html
    assert "3 subjects" in html and "sign-flip permutation" in html.split("</table>")[-1]
    assert "table-responsive" in html  # a wide table scrolls inside its panel
    numbers = re.findall(r"<td>(-?\d+\.\d+)</td>", html)
    assert numbers and all(len(n.split(".")[1]) == 3 for n in numbers), numbers
    assert "0.71234" not in html
