"""The box-office till: `scanner-client box-office` (see till.py for how it sells offline)."""
