"""A run over files: read each once (as its source kind), pre-filter, cache,
analyse, write back; and the run's data types. The analysis itself, text in
and findings out, is `engine.analysis`."""
