"""The digest email: rendering (``render``, Jinja2 + Babel) and signed unsubscribe links (``unsubscribe``).

The digest's content is computed by the pure core (``loyalty.digest.build_digest``); this package
only turns it into an email. Nothing is imported here, so ``loyalty_digest.unsubscribe`` (stdlib
only) never loads Jinja2 or Babel: only ``loyalty_digest.render`` does, on first import.
"""
