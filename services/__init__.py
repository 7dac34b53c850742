"""The app's services: the checklist service, storage (SQLite or PostgreSQL), settings and metrics.

Below handlers/ and above knowledge/: handlers call services, services call knowledge and the database, and
nothing here imports handlers/ or bot/.
"""
