"""logRank likelihood model: annotation, training, tables (molDiscovery, Cao et al. 2021)."""
