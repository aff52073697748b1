import math

import pytest

from specsweep.chem.adducts import get_adduct
from specsweep.translate.metrics import de_novo_metrics, spectrum_scores
from specsweep.translate.rerank import parse_candidates, rerank

CAFFEINE = "Cn1c(=O)c2c(ncn2C)n(C)c1=O"          # C8H10N4O2, 194.0804 Da
THEOPHYLLINE = "Cn1c(=O)c2[nH]cnc2n(C)c1=O"      # C7H8N4O2
PARAXANTHINE = "Cn1cnc2c1c(=O)n(C)c(=O)[nH]2"    # C7H8N4O2, isomer of theophylline


def test_invalid_dropped_and_duplicates_merged():
    cands, invalid = parse_candidates([CAFFEINE, "C1CC(", "Cn1cnc2c1c(=O)n(C)c(=O)n2C", "xyz"],
                                      [-1.0, -2.0, -3.0, -4.0])
    assert invalid == 2
    assert len(cands) == 1                      # the third string is caffeine again
    assert cands[0].beam_logprob == -1.0        # best beam score kept
    assert cands[0].formula == "C8H10N4O2"
    # a string RDKit parses but cannot kekulize for InChI (seen in decoder output), and a dead-end
    # beam of constrained decoding (score -inf), count as invalid instead of failing the run
    cands, invalid = parse_candidates(["Cc1ccc2oc(=O)c3c(-N([O])N[O]3)O(s2-1)", CAFFEINE, THEOPHYLLINE],
                                      [-1.0, -2.0, -math.inf])
    assert invalid == 2 and [c.smiles for c in cands] == [CAFFEINE]


def test_precursor_and_formula_agreement_reorder_candidates():
    prec = get_adduct("[M+H]+").mz(194.080376) * (1 + 2e-6)   # caffeine [M+H]+, 2 ppm off
    cands, _ = parse_candidates([THEOPHYLLINE, CAFFEINE], [-0.5, -3.0])
    ranked = rerank(cands, prec, "[M+H]+")
    assert ranked[0].formula == "C8H10N4O2"                 # mass agreement beats beam score
    assert abs(ranked[0].mass_error_ppm - 2.0) < 0.1
    assert abs(ranked[1].mass_error_ppm) > 1000

    # two candidates of the same mass: the given formula decides, otherwise the beam does
    prec2 = get_adduct("[M+H]+").mz(180.064726)
    cands, _ = parse_candidates([THEOPHYLLINE, PARAXANTHINE, "CCCCCCCCCC(=O)O"], [-1.0, -2.0, -0.1])
    no_formula = rerank(cands, prec2, "[M+H]+")
    assert [c.smiles for c in no_formula][:2] == [parse_candidates([THEOPHYLLINE], [0])[0][0].smiles,
                                                  parse_candidates([PARAXANTHINE], [0])[0][0].smiles]
    assert no_formula[2].formula == "C10H20O2"
    with_formula = rerank(cands, prec2, "[M+H]+", formula="C7H8N4O2")
    assert all(c.formula_match for c in with_formula[:2]) and not with_formula[2].formula_match
    assert math.isnan(with_formula[0].fragment_score)
    scored = rerank(cands, prec2, "[M+H]+", fragment_score=lambda s: 5.0 if "[nH]2" in s or "c2[nH]" in s else 0.0)
    assert all(not math.isnan(c.fragment_score) for c in scored)


def test_metrics_follow_massspecgym_definitions():
    s = spectrum_scores(CAFFEINE, [THEOPHYLLINE, "not a smiles", "O=c1n(C)c(=O)c2c(ncn2C)n1C"])
    assert s["top1_exact"] == 0.0 and s["top10_exact"] == 1.0    # same compound written differently
    assert 0.0 < s["top1_tanimoto"] < 1.0 and s["top10_tanimoto"] == pytest.approx(1.0)
    empty = spectrum_scores(CAFFEINE, [])
    assert empty == {"top1_exact": 0.0, "top1_tanimoto": 0.0, "top10_exact": 0.0, "top10_tanimoto": 0.0}
    m = de_novo_metrics([CAFFEINE, THEOPHYLLINE], [[CAFFEINE], ["C1CC("]])
    assert m["top1_exact"] == 0.5 and m["top10_tanimoto"] == 0.5 and m["n_spectra"] == 2
    # only the first 10 predictions count
    late = spectrum_scores(CAFFEINE, ["C"] * 10 + [CAFFEINE])
    assert late["top10_exact"] == 0.0
