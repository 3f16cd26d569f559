"""FHIR R4 (JSON) for the care module: export, import of referrals, read and search under /fhir.

Resources are built as plain dictionaries and validated by the ``fhir.resources`` R4B models
(FHIR 4.3.0, the R4 line: ``fhir.resources`` 8 ships no 4.0.1 models), so nothing leaves Hamkor
that the reference models refuse. The mapping is documented in ``docs/fhir.md``.
"""
