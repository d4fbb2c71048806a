"""A FastAPI service that sends SMS through SMSC and receives SMSC's callbacks.

Run it with ``python -m examples.fastapi_app`` (see ``README.md``); build it in code with
:func:`examples.fastapi_app.app.create_app`.
"""
