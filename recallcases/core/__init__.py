"""Helpers that several apps share: the client's address, rate limits, log redaction, form fields.

This package imports no recallcases app, so that any app may use it (an import contract checks).
"""
