"""Couvert: the restaurant reservation engine shared by every Lambda function.

Import what you need from its modules; this package imports nothing heavy on its own, so a
handler's cold start pays only for what it uses.
"""
