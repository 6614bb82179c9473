"""Market state: latest decoded pool states, token graph and the Redis hot-state mirror."""
