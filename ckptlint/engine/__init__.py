"""The engine: read, parse once, build the model, run rules, suppress, fix."""
