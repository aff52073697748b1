"""Fragmentation graphs of molecules (molDiscovery): metabolite graph, bridges and 2-cuts, bitsets."""
