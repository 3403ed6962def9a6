"""Loopback servers that speak real wire protocols, for tests and benchmarks."""
