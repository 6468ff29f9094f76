"""Design overview: the marketplace.

Owns resource categories, listings, households and claims: what regions
offer, who needs it and the claims that move welfare points between
exchange regions. The models arrive with the marketplace issue.
"""
