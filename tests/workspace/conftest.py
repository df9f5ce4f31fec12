"""The staff role fixtures live in tests/conftest.py; `member_of` is imported from here too."""

from tests.conftest import member_of

__all__ = ["member_of"]
