"""The local stack: the whole system on one machine, read from template.yaml. Development only; never deployed.

``make run`` is ``python -m local``. One module per job:

- ``cloudformation``: template.yaml as data: resources, parameters, intrinsics, routes, schedules, queues.
- ``aws``: the embedded AWS (moto's threaded server on loopback) and the environment pointing boto3 at it.
- ``lambdas``: the functions, each in its own module namespace and environment, with a Lambda context.
- ``gateway``: API Gateway (REST proxy events, Lambda authorizers with their cache, gateway responses).
- ``schedules``: EventBridge schedule expressions, Scheduled Events, the wall clock that fires them.
- ``queues``: SQS event source mappings (batches, partial batch failures, redrive to the DLQ).
- ``outbox``: the emails sent through SES, read from the embedded SES.
- ``control``, ``swagger``: the local-only routes (``/_local/*``) and the offline Swagger UI.
- ``stack``: the assembly (``LocalStack``, a WSGI app), the HTTP server and ``launch``.
- ``demo``: the demo program, accounts and orders ``make run`` loads through the API.
"""
