"""National-scale data and the benchmark of the portal (``generate_scale_data``, ``bench``).

Both run on PostgreSQL only, on a database of their own (BENCHMARKS.md): the data is
invented, and ``generate_scale_data --reset`` wipes every commune's records.
"""
