"""The pure optimizer: plain data in (an instance), plan out; no database import anywhere here.

So it can be tested, benchmarked and run from the command line on a JSON file alone.
"""
