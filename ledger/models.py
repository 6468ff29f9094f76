"""Design overview: the welfare-point ledger (복지 포인트 원장).

Owns accounts, transactions and entries: an append-only double-entry ledger
in which every movement of points is a balanced transaction. The models
arrive with the ledger issue; the app is installed from the start so that
other apps can depend on it.
"""
