"""Contact tracing: the F1/F2 engine, its versioned policy, graphs, clusters, hotspots, risk."""
