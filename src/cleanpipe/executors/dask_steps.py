"""Connected components on dask dataframes: large-star/small-star rounds.

Takes an edge list too large for one machine's memory as a dask dataframe;
gives every node with an edge the smallest node of its component, the same
labels as :func:`cleanpipe.sketch.unionfind.connected_components`. The
algorithm is Kiveris et al., "Connected Components in MapReduce and Beyond"
(SoCC 2014): alternate *large-star* (join each node's larger neighbours to its
smallest neighbour) and *small-star* (join a node and its smaller neighbours
to the smallest of them) until the graph is a forest of stars around each
component's minimum. Each round is a few groupbys and joins; the driver sees
two counts per round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cleanpipe.errors import CleanpipeError

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["star_components"]

# Large-star/small-star converges in O(log^2 n) rounds; 64 rounds is beyond any
# corpus, so reaching it means a bug, not a big graph.
_MAX_STAR_ROUNDS = 64


def star_components(edges: dd.DataFrame) -> dd.DataFrame:
    """Label the nodes of a distributed edge list by their component's smallest node.

    Alternates large-star and small-star (Kiveris et al. 2014) until every
    component is a star around its smallest node. A round is two shuffles by
    node, each followed by plain pandas work on the co-located edges, and one
    shuffle to check for convergence; the driver sees two counts a round.

    Args:
        edges: ``u, v`` int64 columns, any orientation; repeats are harmless.

    Returns:
        ``key, label`` int64 columns, one row per node that has an edge.

    Raises:
        CleanpipeError: the rounds did not converge (a bug).
    """
    import dask.dataframe as dd

    partitions = max(1, edges.npartitions)
    current = edges[["u", "v"]].map_partitions(_orient, meta=_EDGES_META).persist()
    for _round in range(_MAX_STAR_ROUNDS):
        both = current.map_partitions(_both_directions, meta=_EDGES_META)
        large = both.shuffle(on="u", npartitions=partitions).map_partitions(
            _large_star_partition, meta=_EDGES_META
        )
        small = large.shuffle(on="u", npartitions=partitions).map_partitions(
            _small_star_partition, meta=_EDGES_META
        )
        current = small.persist()
        if _is_star_forest(current, partitions=partitions):
            children = current.rename(columns={"u": "key", "v": "label"})
            centres = current[["v"]].drop_duplicates()
            centres = centres.assign(key=centres["v"]).rename(columns={"v": "label"})
            return dd.concat([children[["key", "label"]], centres[["key", "label"]]])
    msg = f"connected components did not converge in {_MAX_STAR_ROUNDS} rounds (a bug)"
    raise CleanpipeError(msg)


def _orient(frame: pd.DataFrame) -> pd.DataFrame:
    """Edges with ``u`` the larger end, without self-loops or repeats."""
    pairs = frame[["u", "v"]].to_numpy(dtype=np.int64).reshape(-1, 2)
    oriented = pd.DataFrame({"u": pairs.max(axis=1), "v": pairs.min(axis=1)})
    return oriented[oriented["u"] != oriented["v"]].drop_duplicates()


def _both_directions(frame: pd.DataFrame) -> pd.DataFrame:
    swapped = frame.rename(columns={"u": "v", "v": "u"})[["u", "v"]]
    return pd.concat([frame[["u", "v"]], swapped], ignore_index=True)


def _large_star_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """Large-star on every node of the partition (all its edges are here)."""
    if frame.empty:
        return _EDGES_META.copy()
    smallest = frame.groupby("u")["v"].transform("min")
    m = np.minimum(smallest.to_numpy(), frame["u"].to_numpy())
    larger = frame["v"].to_numpy() > frame["u"].to_numpy()
    return _orient(pd.DataFrame({"u": frame["v"].to_numpy()[larger], "v": m[larger]}))


def _small_star_partition(frame: pd.DataFrame) -> pd.DataFrame:
    """Small-star on every node of the partition: ``u`` and its smaller neighbours."""
    if frame.empty:
        return _EDGES_META.copy()
    frame = frame.drop_duplicates()
    m = frame.groupby("u")["v"].transform("min").to_numpy()
    rest = frame["v"].to_numpy() != m
    return _orient(
        pd.DataFrame(
            {
                "u": np.concatenate([frame["v"].to_numpy()[rest], frame["u"].to_numpy()]),
                "v": np.concatenate([m[rest], m]),
            }
        )
    )


def _roles(frame: pd.DataFrame) -> pd.DataFrame:
    """Each node of an edge, as a leaf (its ``u``: 1) or a centre (its ``v``: 2)."""
    return pd.DataFrame(
        {
            "node": np.concatenate([frame["u"].to_numpy(), frame["v"].to_numpy()]),
            "role": np.concatenate(
                [np.ones(len(frame), dtype=np.int64), np.full(len(frame), 2, dtype=np.int64)]
            ),
        }
    )


def _violations(frame: pd.DataFrame) -> pd.DataFrame:
    """Count leaves with two parents and nodes that are both a leaf and a centre."""
    leaves = frame[frame["role"] == 1].groupby("node").size()
    roles = frame.drop_duplicates().groupby("node")["role"].nunique()
    return pd.DataFrame({"count": [int((leaves > 1).sum() + (roles > 1).sum())]})


def _is_star_forest(edges: dd.DataFrame, *, partitions: int) -> bool:
    """Whether every node has at most one smaller neighbour, and no centre is a leaf."""
    roles = edges.map_partitions(
        _roles, meta=pd.DataFrame({"node": np.zeros(0, np.int64), "role": np.zeros(0, np.int64)})
    )
    found = roles.shuffle(on="node", npartitions=partitions).map_partitions(
        _violations, meta=pd.DataFrame({"count": np.zeros(0, np.int64)})
    )
    return int(found["count"].sum().compute()) == 0


_EDGES_META = pd.DataFrame({"u": np.zeros(0, np.int64), "v": np.zeros(0, np.int64)})
