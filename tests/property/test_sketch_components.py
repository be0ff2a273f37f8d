import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanpipe.sketch.lsh import candidate_pairs
from cleanpipe.sketch.minhash import signatures_for_texts
from cleanpipe.sketch.unionfind import UnionFind, connected_components


def _partition(labels):
    groups = {}
    for index, label in enumerate(labels):
        groups.setdefault(int(label), set()).add(index)
    return {frozenset(g) for g in groups.values()}


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=60),
            st.randoms(),
        )
    )
)
def test_components_ignore_pair_order_and_orientation(case):
    n, pairs, rnd = case
    shuffled = [(b, a) if rnd.random() < 0.5 else (a, b) for a, b in pairs]
    rnd.shuffle(shuffled)
    first = connected_components(n, np.array(pairs, dtype=np.int64).reshape(-1, 2))
    second = connected_components(n, np.array(shuffled, dtype=np.int64).reshape(-1, 2))
    assert np.array_equal(first, second)
    uf = UnionFind(n)
    for a, b in shuffled:
        uf.union(a, b)
    assert np.array_equal(first, uf.labels())
    assert all(first[i] <= i for i in range(n))


_BASES = [" ".join(f"s{s}w{k}" for k in range(60)) for s in range(4)]
_VARIANTS = st.sampled_from(
    list(_BASES) + [b.replace("w30 ", "x ") for b in _BASES] + [b[:-20] for b in _BASES]
)


@settings(max_examples=30, deadline=None)
@given(st.lists(_VARIANTS, min_size=1, max_size=12), st.randoms())
def test_permuting_input_permutes_components(texts, rnd):
    order = list(range(len(texts)))
    rnd.shuffle(order)
    permuted = [texts[i] for i in order]

    def components(docs):
        sigs = signatures_for_texts(docs, num_perm=64, shingle_size=3)
        return connected_components(len(docs), candidate_pairs(sigs, bands=16, rows=4))

    original = _partition(components(texts))
    mapped = {frozenset(order[i] for i in group) for group in _partition(components(permuted))}
    assert mapped == original
