"""The shared semantic model that every rule reads (and never re-derives)."""
