"""The ledger under load and faults: many workers, the real handlers, one moto server, every invariant checked."""
