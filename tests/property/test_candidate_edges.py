"""candidate_edges against the definition: each bucket's members joined to its smallest id."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from cleanpipe.stages.dedup import candidate_edges


def _by_definition(
    bands: list[npt.NDArray[np.uint64]], ids: npt.NDArray[np.int64]
) -> list[list[int]]:
    pairs: set[tuple[int, int]] = set()
    for keys in bands:
        buckets: dict[int, list[int]] = {}
        for key, node in zip(keys.tolist(), ids.tolist(), strict=True):
            buckets.setdefault(key, []).append(node)
        for members in buckets.values():
            centre = min(members)
            pairs.update((centre, m) for m in members if m != centre)
    return sorted([u, v] for u, v in pairs)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(0, 5000), min_size=n, max_size=n, unique=True),
            st.lists(st.lists(st.integers(0, 5), min_size=n, max_size=n), min_size=0, max_size=6),
        )
    )
)
def test_candidate_edges_are_the_star_edges_of_every_band(
    case: tuple[list[int], list[list[int]]],
) -> None:
    ids_list, bands_list = case
    ids = np.asarray(sorted(ids_list), dtype=np.int64).reshape(-1)
    bands = [np.asarray(keys, dtype=np.uint64).reshape(-1) for keys in bands_list]
    got = candidate_edges(iter(bands), ids)
    assert got.dtype == np.int64
    assert got.reshape(-1, 2).tolist() == _by_definition(bands, ids)


def test_ids_too_large_to_pack_take_the_row_path() -> None:
    ids = np.asarray([1, 2**40, 2**62], dtype=np.int64)
    bands = [np.asarray([7, 7, 7], dtype=np.uint64), np.asarray([1, 2, 1], dtype=np.uint64)]
    assert candidate_edges(bands, ids).tolist() == _by_definition(bands, ids)
