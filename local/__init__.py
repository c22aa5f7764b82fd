"""The local stack: this project's template.yaml on one machine. Development only; never deployed.

``make run`` is ``python -m local``. The emulation (API Gateway, Lambda, schedules, SQS, SES over
moto) is the ``sam_emulator`` package (``tools/sam-emulator``); what is this project's is here:

- ``cloudformation``: template.yaml bound for local use (its path, the region, ``loyalty-local-*`` names).
- ``stack``: ``LocalStack``, the emulator with the local API keys and the demo data; ``launch``.
- ``swagger``: the offline Swagger UI for ``docs/openapi.json`` (``GET /swagger``).
- ``outbox``: the emails sent through SES, as the tests read them.
- ``demo``: the demo program, accounts and orders ``make run`` loads through the API.
"""
