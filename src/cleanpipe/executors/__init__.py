"""Where the per-partition stages run: a local process pool or a Dask cluster."""
