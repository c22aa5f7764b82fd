"""Run an AWS SAM template on one machine: see README.md."""
