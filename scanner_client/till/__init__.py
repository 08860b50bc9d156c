"""The box-office till: sells online and offline on the client core (see till.py)."""
