"""IATI 2.03 export of a program: the schema and the codelists it uses travel with the code.

The schema files (``schema/``) are copies of IATI's published 2.03 activity schema, kept in the
project so that the app and its tests validate offline without the shared standards folder
beside them; a test compares them with that folder when it is there. The codes come from IATI's
published codelists, kept as small CSV files (``codelists/``) with only the codes we write: the
schema checks the shape of a file, not its codes, so the exporter asks these lists for each.
"""
