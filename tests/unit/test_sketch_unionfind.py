import numpy as np
import pytest

from cleanpipe.sketch.unionfind import UnionFind, connected_components


def test_union_find_roots_at_smallest():
    uf = UnionFind(6)
    assert uf.union(5, 4)
    assert uf.union(4, 2)
    assert not uf.union(2, 5)
    assert uf.labels().tolist() == [0, 1, 2, 3, 2, 2]
    assert len(uf) == 6


def test_components_match_union_find_on_random_graphs():
    rng = np.random.default_rng(0)
    for n in (1, 2, 10, 200):
        for _ in range(20):
            pairs = rng.integers(0, n, (int(rng.integers(0, 2 * n)), 2))
            uf = UnionFind(n)
            for a, b in pairs.tolist():
                uf.union(a, b)
            assert np.array_equal(connected_components(n, pairs), uf.labels())


def test_long_chain_in_shuffled_order():
    n = 10_000
    chain = np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)
    shuffled = chain[np.random.default_rng(1).permutation(n - 1)]
    assert (connected_components(n, shuffled) == 0).all()


def test_no_pairs_and_bad_pairs():
    assert connected_components(3, np.zeros((0, 2), dtype=np.int64)).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="outside"):
        connected_components(3, np.array([[0, 3]]))
    with pytest.raises(ValueError, match="shape"):
        connected_components(3, np.array([[0, 1, 2]]))
