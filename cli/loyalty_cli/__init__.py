"""The ``loyalty`` command: backtests, digest previews, API keys and the OpenAPI document, for the team's laptops."""
