"""Plumbing shared by every feature's pages: sign-in, CSRF and template helpers.

It sits just above ``accounts`` so that any feature's ``web.py`` can use it
without reaching into the desk (``hub.web``) or another feature.
"""
