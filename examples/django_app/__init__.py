"""A minimal Django project whose views send SMS through SMSC and receive its callbacks.

``python -m examples.django_app`` runs it (see ``README.md``); the settings module is
``examples.django_app.settings``.
"""
