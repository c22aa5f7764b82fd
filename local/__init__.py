"""The local stack: the whole system on one machine, read from template.yaml. Development only; never deployed."""
