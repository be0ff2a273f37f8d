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
    component is a star around its smallest node. Each round is a few
    groupbys and joins on dask dataframes; nothing is gathered on the driver
    but two counts a round.

    Args:
        edges: ``u, v`` int64 columns, any orientation; repeats are harmless.

    Returns:
        ``key, label`` int64 columns, one row per node that has an edge.

    Raises:
        CleanpipeError: the rounds did not converge (a bug).
    """
    import dask.dataframe as dd

    low = edges[["u", "v"]].min(axis=1)
    high = edges[["u", "v"]].max(axis=1)
    current = dd.concat([high.to_frame("u"), low.to_frame("v")], axis=1)
    current = current[current["u"] != current["v"]].drop_duplicates().persist()
    for _round in range(_MAX_STAR_ROUNDS):
        current = _small_star(_large_star(current)).persist()
        if _is_star_forest(current):
            children = current.rename(columns={"u": "key", "v": "label"})
            centres = current[["v"]].drop_duplicates()
            centre_rows = dd.concat(
                [centres.rename(columns={"v": "key"}), centres.rename(columns={"v": "label"})],
                axis=1,
            )
            return dd.concat([children[["key", "label"]], centre_rows[["key", "label"]]])
    msg = f"connected components did not converge in {_MAX_STAR_ROUNDS} rounds (a bug)"
    raise CleanpipeError(msg)


def _large_star(edges: dd.DataFrame) -> dd.DataFrame:
    """Join every larger neighbour of ``u`` to the smallest node around ``u``."""
    import dask.dataframe as dd

    both = dd.concat([edges, edges.rename(columns={"u": "v", "v": "u"})[["u", "v"]]])
    smallest = both.groupby("u")["v"].min().to_frame("m").reset_index()
    joined = both.merge(smallest, on="u", how="inner")
    joined = joined.assign(m=joined[["m", "u"]].min(axis=1))
    larger = joined[joined["v"] > joined["u"]]
    return _oriented(larger["v"], larger["m"])


def _small_star(edges: dd.DataFrame) -> dd.DataFrame:
    """Join ``u`` and each of its smaller neighbours to the smallest of them."""
    import dask.dataframe as dd

    smallest = edges.groupby("u")["v"].min().to_frame("m").reset_index()
    joined = edges.merge(smallest, on="u", how="inner")
    rest = joined[joined["v"] != joined["m"]]
    return dd.concat([_oriented(rest["v"], rest["m"]), _oriented(smallest["u"], smallest["m"])])


def _oriented(first: dd.Series, second: dd.Series) -> dd.DataFrame:
    """Edges with ``u`` the larger end, without self-loops or repeats."""
    import dask.dataframe as dd

    pair = dd.concat([first.rename("a"), second.rename("b")], axis=1)
    frame = dd.concat(
        [pair[["a", "b"]].max(axis=1).rename("u"), pair[["a", "b"]].min(axis=1).rename("v")],
        axis=1,
    )
    return frame[frame["u"] != frame["v"]].drop_duplicates()


def _is_star_forest(edges: dd.DataFrame) -> bool:
    """Whether every node has at most one smaller neighbour, and no centre is a leaf."""
    from dask.base import compute

    parents = edges.groupby("u").size()
    centres = edges[["v"]].drop_duplicates()
    leaves = edges[["u"]].drop_duplicates().rename(columns={"u": "v"})
    both = centres.merge(leaves, on="v", how="inner")
    many_n, inner_n = compute((parents > 1).sum(), both.shape[0])
    return int(many_n) == 0 and int(inner_n) == 0
