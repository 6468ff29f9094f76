# The marketplace's and the donors' fixtures are reused (the 5:5 default: a
# cross-region claim waits for a donor's match unless a pledge fits).
from tests.donors.conftest import donor, donor_rep, finance, make_pledge  # noqa: F401
from tests.marketplace.conftest import (  # noqa: F401
    categories,
    grant,
    household,
    make_listing,
    people,
)
