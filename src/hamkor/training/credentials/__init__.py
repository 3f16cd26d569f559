"""Certificates: Open Badges 3.0 credentials, signed by the issuing institution, verifiable.

The pure modules (``keys``, ``jose``, ``vc``, ``status_list``, ``did``, ``verify``, ``pdf``) use
no database, so they can be tested and benchmarked alone; ``service`` wires them to the tables.
"""
