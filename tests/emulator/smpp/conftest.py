"""The SMPP front end is tested with the same peer fixtures as the SMPP backend."""

from tests.backends.smpp.conftest import clock, front, state

__all__ = ["clock", "front", "state"]
