"""Stand-ins for what tests cannot reach for real (a Kubernetes API server, a cluster)."""
