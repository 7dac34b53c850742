"""Commissioning Guide: a Slack app for commissioners of children's, young people's and maternity services."""

__version__ = "0.1.0"
