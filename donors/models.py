"""Design overview: donors and matching.

Owns donor organisations, their representatives, pledges and the matches
that pay the private half of each cross-region claim (the 5:5 rule). The
models arrive with the donors issue.
"""
