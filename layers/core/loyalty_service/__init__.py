"""Use cases: the rules core applied to stored state through ports the adapters implement."""
