"""A second layer: only the functions that add it to their own Layers can import it."""

NAME = "extra"
