//! Little-endian reads from account bytes that return None past the end (no panics).
