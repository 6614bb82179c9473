"""Guards that block decisions and trip the strategy down to shadow."""
