import numpy as np
import pytest
from datasketch.lsh import _optimal_param

from cleanpipe.sketch.lsh import band_hashes, candidate_pairs, optimal_bands
from cleanpipe.sketch.minhash import signatures_for_texts


@pytest.mark.parametrize(
    ("threshold", "num_perm"),
    [(0.7, 128), (0.5, 128), (0.9, 128), (0.8, 256), (0.3, 64), (0.6, 100)],
)
def test_optimal_bands_equal_datasketch(threshold, num_perm):
    assert optimal_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize("num_perm", [8, 32, 128])
def test_optimal_bands_equal_datasketch_over_a_grid_of_thresholds(num_perm):
    # Gauss-Legendre quadrature here, scipy's quad in datasketch: the same choices.
    thresholds = [i / 40 for i in range(1, 40)]
    ours = [optimal_bands(t, num_perm) for t in thresholds]
    theirs = [tuple(_optimal_param(t, num_perm, 0.5, 0.5)) for t in thresholds]
    assert ours == theirs


@pytest.mark.parametrize("threshold", [0.0, 1.0, -0.1])
def test_optimal_bands_refuse_bad_threshold(threshold):
    with pytest.raises(ValueError, match="jaccard_threshold"):
        optimal_bands(threshold, 128)


def test_band_hashes_shape_and_refusal():
    sigs = np.arange(40, dtype=np.uint32).reshape(2, 20)
    assert band_hashes(sigs, bands=4, rows=5).shape == (2, 4)
    with pytest.raises(ValueError, match="do not fit"):
        band_hashes(sigs, bands=5, rows=5)


def _story(seed, words=400):
    rng = np.random.default_rng(seed)
    return " ".join(f"w{k}" for k in rng.integers(0, 5000, words))


def test_planted_near_duplicates_are_candidates():
    stories = [_story(s) for s in range(30)]
    texts = list(stories)
    planted = []
    for s in range(0, 30, 3):
        words = stories[s].split()
        words[100:105] = ["edited"] * 5
        texts.append(" ".join(words))
        planted.append((s, len(texts) - 1))
    sigs = signatures_for_texts(texts, num_perm=128, shingle_size=5)
    bands, rows = optimal_bands(0.7, 128)
    pairs = candidate_pairs(sigs, bands=bands, rows=rows)
    found = {tuple(p) for p in pairs.tolist()}
    assert set(planted) <= found
    assert found == set(planted)  # unrelated random stories never collide


def test_candidate_pairs_are_sorted_unique_and_stars():
    sigs = np.array([[1, 1], [1, 1], [1, 1], [2, 2], [1, 9]], dtype=np.uint32)
    pairs = candidate_pairs(sigs, bands=2, rows=1)
    # band 0 bucket {0,1,2,4} gives a star from 0; band 1 bucket {0,1,2} too.
    assert pairs.tolist() == [[0, 1], [0, 2], [0, 4]]
    assert pairs.dtype == np.int64


def test_candidate_pairs_of_tiny_inputs():
    assert candidate_pairs(np.zeros((0, 4), dtype=np.uint32), bands=2, rows=2).shape == (0, 2)
    assert candidate_pairs(np.zeros((1, 4), dtype=np.uint32), bands=2, rows=2).shape == (0, 2)


@pytest.mark.parametrize("count", [1, 2, 5, 33, 65, 129])
def test_gauss_legendre_is_numpys_leggauss(count):
    from cleanpipe.sketch.lsh import _gauss_legendre

    nodes, weights = _gauss_legendre(count)
    expected_nodes, expected_weights = np.polynomial.legendre.leggauss(count)
    assert np.allclose(nodes, expected_nodes, atol=1e-13)
    assert np.allclose(weights, expected_weights, atol=1e-13)
